"""Audio loading: any sample rate, mono or stereo, WAV or FLAC, with clear errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf


class AudioError(ValueError):
    """Raised when an audio file cannot be used; the message names the file."""


SUPPORTED_SUFFIXES = (".wav", ".flac")
# Integer formats are scaled into [-1, 1); a float file may overshoot a little, not by this much.
MAX_ABS_SAMPLE = 2.0


def load_audio(path: str | Path, sr: int = 16000) -> np.ndarray:
    """Load ``path`` as float32 mono at ``sr`` Hz.

    Stereo is averaged to mono, other rates are resampled (soxr high quality).
    Empty or unreadable files raise :class:`AudioError` naming the file.
    """
    path = Path(path)
    if not path.is_file():
        raise AudioError(f"audio file not found: {path}")
    if path.stat().st_size == 0:
        raise AudioError(f"audio file is empty (0 bytes): {path}; re-download or remove it")
    try:
        wav, file_sr = sf.read(path, dtype="float32", always_2d=True)
    except Exception as exc:  # soundfile raises LibsndfileError/RuntimeError
        raise AudioError(
            f"cannot decode audio file {path}: {exc}. The file is corrupt or not "
            f"{'/'.join(SUPPORTED_SUFFIXES)}; re-download the corpus or remove the file."
        ) from exc
    if wav.shape[0] == 0:
        raise AudioError(f"audio file has no samples: {path}; re-download or remove it")
    peak = float(np.max(np.abs(wav))) if np.all(np.isfinite(wav)) else float("inf")
    if np.isfinite(peak) and peak > MAX_ABS_SAMPLE:
        raise AudioError(
            f"audio file {path} has samples far outside [-1, 1] (largest magnitude {peak:.3g}); it is not "
            "normalised audio (a float WAV written without scaling?): rescale or remove it"
        )
    mono = wav.mean(axis=1)
    if file_sr != sr:
        import soxr

        mono = soxr.resample(mono, file_sr, sr, quality="HQ").astype(np.float32)
    if not np.all(np.isfinite(mono)):
        raise AudioError(f"audio file contains NaN or inf samples: {path}")
    return np.ascontiguousarray(mono, dtype=np.float32)


def fix_length(wav: np.ndarray, n: int, mode: str = "center") -> np.ndarray:
    """Zero-pad or crop ``wav`` to ``n`` samples.

    ``mode='start'`` keeps the beginning (pads at the end); ``'center'`` keeps the
    middle when cropping and pads both sides symmetrically.
    """
    if mode not in ("start", "center"):
        raise ValueError(f"fix_length mode must be 'start' or 'center', got {mode!r}")
    length = len(wav)
    if length == n:
        return wav
    if length > n:
        off = 0 if mode == "start" else (length - n) // 2
        return wav[off : off + n]
    left = 0 if mode == "start" else (n - length) // 2
    return np.pad(wav, (left, n - length - left))
