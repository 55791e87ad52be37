"""Log-mel features with explicit parameters, a pad/crop policy and a disk cache.

The cache key covers the file list (path, size, modification time), the
feature configuration and the versions of numpy/librosa/soundfile/soxr, so a
second run with the same inputs loads one ``.npy`` instead of extracting again.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from core.audio import fix_length, load_audio
from core.config import cache_dir


@dataclass(frozen=True)
class LogMelConfig:
    """Every knob of a log-mel spectrogram, so each paper's choice is explicit.

    ``ref`` is ``"max"`` (dB relative to the loudest bin of each clip) or a
    number (``1.0`` is librosa's ``power_to_db`` default). ``duration`` in
    seconds fixes the length by ``pad_mode`` (see :func:`core.audio.fix_length`);
    ``None`` keeps the natural length.
    """

    sr: int = 16000
    n_fft: int = 512
    hop_length: int = 256
    win_length: int | None = None
    window: str = "hamming"
    n_mels: int = 128
    fmin: float = 0.0
    fmax: float | None = None
    power: float = 2.0
    ref: str | float = 1.0
    top_db: float | None = 80.0
    duration: float | None = 3.0
    pad_mode: str = "center"

    def __post_init__(self) -> None:
        if self.ref != "max" and not isinstance(self.ref, (int, float)):
            raise ValueError(f"LogMelConfig.ref must be 'max' or a number, got {self.ref!r}")
        if self.n_fft <= 0 or self.hop_length <= 0 or self.n_mels <= 0:
            raise ValueError("LogMelConfig: n_fft, hop_length and n_mels must be positive")
        if self.pad_mode not in ("start", "center"):
            raise ValueError(f"LogMelConfig.pad_mode must be 'start' or 'center', got {self.pad_mode!r}")

    @property
    def n_samples(self) -> int | None:
        return None if self.duration is None else int(round(self.duration * self.sr))

    @property
    def n_frames(self) -> int | None:
        """Frames per clip for a fixed duration (librosa's centred framing)."""
        return None if self.n_samples is None else 1 + self.n_samples // self.hop_length


def logmel(wav: np.ndarray, cfg: LogMelConfig) -> np.ndarray:
    """Log-mel spectrogram ``(n_mels, frames)`` of a mono signal at ``cfg.sr``."""
    import librosa

    if cfg.n_samples is not None:
        wav = fix_length(wav, cfg.n_samples, cfg.pad_mode)
    mel = librosa.feature.melspectrogram(
        y=wav,
        sr=cfg.sr,
        n_fft=cfg.n_fft,
        hop_length=cfg.hop_length,
        win_length=cfg.win_length,
        window=cfg.window,
        n_mels=cfg.n_mels,
        fmin=cfg.fmin,
        fmax=cfg.fmax,
        power=cfg.power,
    )
    ref = np.max if cfg.ref == "max" else float(cfg.ref)
    db = librosa.power_to_db(mel, ref=ref, top_db=cfg.top_db)
    return db.astype(np.float32)


def awgn(wav: np.ndarray, snr_db: float, rng: np.random.Generator) -> np.ndarray:
    """Add white Gaussian noise at ``snr_db`` relative to the signal power.

    A silent signal is returned unchanged (its SNR is undefined).
    """
    power = float(np.mean(wav.astype(np.float64) ** 2))
    if power == 0.0:
        return wav.copy()
    sigma = np.sqrt(power / 10 ** (snr_db / 10))
    return (wav + rng.normal(0.0, sigma, size=wav.shape)).astype(np.float32)


def _versions() -> dict[str, str]:
    import librosa
    import soundfile
    import soxr

    return {
        "numpy": np.__version__,
        "librosa": librosa.__version__,
        "soundfile": soundfile.__version__,
        "soxr": soxr.__version__,
    }


def cache_key(paths: Sequence[str], cfg: object, extra: dict | None = None) -> str:
    """Hash of the file list (path, size, mtime), the configuration and library versions."""
    h = hashlib.sha256()
    for p in paths:
        st = os.stat(p)
        h.update(f"{p}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    h.update(json.dumps(asdict(cfg), sort_keys=True, default=str).encode())  # type: ignore[arg-type]
    h.update(json.dumps(_versions(), sort_keys=True).encode())
    h.update(json.dumps(extra or {}, sort_keys=True, default=str).encode())
    return h.hexdigest()[:20]


def save_npy_atomic(path: Path, array: np.ndarray) -> None:
    """Write ``array`` to ``path`` via a temporary file and rename: never half-written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            np.save(fh, array)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def extract(
    paths: Sequence[str],
    cfg: LogMelConfig,
    *,
    noise_snr_db: float | None = None,
    noise_seed: int = 0,
    cache: bool = True,
    progress: bool = True,
) -> np.ndarray:
    """Log-mel features for ``paths`` as one ``(N, n_mels, frames)`` array.

    ``cfg.duration`` must be set so every clip has the same shape. With
    ``noise_snr_db`` each clip first gets AWGN at that SNR (seeded by
    ``noise_seed`` and the clip's position), for augmentation copies.
    Results are cached under ``core.config.cache_dir('features')``.
    """
    if cfg.duration is None:
        raise ValueError("extract() stacks clips, so LogMelConfig.duration must be set")
    paths = [str(p) for p in paths]
    extra = {"noise_snr_db": noise_snr_db, "noise_seed": noise_seed} if noise_snr_db is not None else None
    target = cache_dir("features") / f"logmel-{cache_key(paths, cfg, extra)}.npy"
    if cache and target.exists():
        return np.load(target)
    out = np.empty((len(paths), cfg.n_mels, cfg.n_frames), dtype=np.float32)
    desc = "log-mel" + (f" +AWGN {noise_snr_db} dB" if noise_snr_db is not None else "")
    for i, p in enumerate(tqdm(paths, desc=desc, disable=not progress, mininterval=2)):
        wav = load_audio(p, cfg.sr)
        if noise_snr_db is not None:
            wav = awgn(wav, noise_snr_db, np.random.default_rng([noise_seed, i]))
        out[i] = logmel(wav, cfg)
    if cache:
        save_npy_atomic(target, out)
    return out


class Standardizer:
    """Global mean/std scaling fitted on training features only."""

    def __init__(self) -> None:
        self.mean: float | None = None
        self.std: float | None = None

    def fit(self, x: np.ndarray) -> Standardizer:
        self.mean = float(x.mean())
        self.std = float(x.std()) or 1.0
        return self

    def transform(self, x: np.ndarray) -> np.ndarray:
        if self.mean is None or self.std is None:
            raise RuntimeError("Standardizer.transform called before fit")
        return ((x - self.mean) / self.std).astype(np.float32)
