"""Spectrogram RGB images of the Bonnefoy report (§3.1.3) and its audio over-sampling (§3.1.2).

Preprocessing as the report describes: peak normalisation, leading and trailing silence trimmed,
16 kHz, symmetric pad or truncation to 3 s. The report shows 128x128x3 images without saying
how they are drawn; ours: a 128-band log-mel (FFT 1024, hop 376 so 3 s give 128 frames, dB
relative to the clip's maximum, floor -80 dB) scaled to [0, 1] and coloured with ``viridis``
(row 0 = lowest band). Over-sampling copies get a random time stretch (0.8-1.2), pitch shift
(±2 semitones) and Gaussian noise (std 0.005) before the same preprocessing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from tqdm.auto import tqdm

from core.audio import fix_length, load_audio
from core.config import cache_dir
from core.features import LogMelConfig, cache_key, colormap_lut, load_npy_checked, logmel, save_npy_atomic


@dataclass(frozen=True)
class ImageConfig:
    """Preprocessing and rendering; see the module docstring."""

    sr: int = 16000
    duration: float = 3.0
    trim_db: float = 30.0
    n_mels: int = 128
    n_fft: int = 1024
    hop_length: int = 376
    colormap: str = "viridis"
    stretch: tuple[float, float] = (0.8, 1.2)
    semitones: float = 2.0
    noise_std: float = 0.005
    fmax: float | None = None  # highest mel frequency; None: sr / 2
    long_clip: str = "center"  # a clip longer than ``duration``: "center" keeps the middle, "start" the start
    width: int | None = None  # resize the time axis to this many columns (linear); None: the frames as computed
    copies: str = "all"  # over-sampling copies: "all" = stretch, pitch and noise each; "one" = one of them
    raw_copies: bool = False  # copies skip normalisation, trimming and the fixed length (then ``width`` applies)

    def __post_init__(self) -> None:
        if self.long_clip not in ("center", "start"):
            raise ValueError(f"long_clip must be 'center' or 'start', got {self.long_clip!r}")
        if self.copies not in ("all", "one"):
            raise ValueError(f"copies must be 'all' or 'one', got {self.copies!r}")
        if self.raw_copies and self.width is None:
            raise ValueError("raw_copies needs width: copies of any length are resized to it")

    @classmethod
    def authors_code(cls) -> ImageConfig:
        """The co-author's notebook (authors-code.md §2): librosa's defaults FFT 2048 and hop 512,
        128 mels up to 8 kHz, dB relative to the maximum, ``magma``; silence trimmed 20 dB below the
        peak; a long clip keeps its first 3 s; the ~94-column image resized to 128; over-sampling
        copies get one transform each (stretch, integer pitch shift or noise) and none of the
        normalise/trim/3 s steps."""
        return cls(n_fft=2048, hop_length=512, colormap="magma", trim_db=20.0, fmax=8000.0, long_clip="start",
                   width=128, copies="one", raw_copies=True)  # fmt: skip

    def mel(self) -> LogMelConfig:
        return LogMelConfig(
            sr=self.sr,
            n_fft=self.n_fft,
            hop_length=self.hop_length,
            window="hann",
            n_mels=self.n_mels,
            fmax=self.fmax,
            ref="max",
            top_db=80.0,
            duration=None,
        )


def preprocess(wav: np.ndarray, cfg: ImageConfig) -> np.ndarray:
    """Peak-normalise, trim silence (``trim_db`` below the peak), pad or cut symmetrically to
    ``duration``. Silent clips stay silent (no division by zero)."""
    import librosa

    peak = float(np.max(np.abs(wav))) if len(wav) else 0.0
    if peak > 0:
        wav = wav / peak
        wav, _ = librosa.effects.trim(wav, top_db=cfg.trim_db)
    n = int(round(cfg.duration * cfg.sr))
    if cfg.long_clip == "start" and len(wav) > n:
        wav = wav[:n]
    return fix_length(wav.astype(np.float32), n, "center")


def augment_audio(wav: np.ndarray, cfg: ImageConfig, rng: np.random.Generator) -> np.ndarray:
    """One over-sampling copy: time stretch, pitch shift and Gaussian noise, drawn from ``rng``."""
    import librosa

    if cfg.copies == "one":  # the co-author's notebook: one transform per copy, pitch in whole semitones
        kind = int(rng.integers(3))
        if kind == 0:
            return librosa.effects.time_stretch(wav, rate=float(rng.uniform(*cfg.stretch))).astype(np.float32)
        if kind == 1:
            steps = int(rng.integers(-int(cfg.semitones), int(cfg.semitones) + 1))
            return librosa.effects.pitch_shift(wav, sr=cfg.sr, n_steps=steps).astype(np.float32)
        return (wav + cfg.noise_std * rng.standard_normal(wav.shape)).astype(np.float32)
    rate = float(rng.uniform(*cfg.stretch))
    steps = float(rng.uniform(-cfg.semitones, cfg.semitones))
    out = librosa.effects.time_stretch(wav, rate=rate)
    out = librosa.effects.pitch_shift(out, sr=cfg.sr, n_steps=steps)
    return (out + rng.normal(0.0, cfg.noise_std, size=out.shape)).astype(np.float32)


def image_indices(wav: np.ndarray, cfg: ImageConfig) -> np.ndarray:
    """``uint8`` colour-map indices ``(n_mels, frames)`` of one preprocessed clip."""
    scaled = np.clip((logmel(wav, cfg.mel()) + 80.0) / 80.0, 0.0, 1.0)
    if cfg.width is not None and scaled.shape[1] != cfg.width:  # linear resize along time
        if scaled.shape[1] == 1:
            scaled = np.repeat(scaled, cfg.width, axis=1)
        else:
            src = np.linspace(0.0, scaled.shape[1] - 1, cfg.width)
            lo = np.floor(src).astype(int)
            hi = np.minimum(lo + 1, scaled.shape[1] - 1)
            frac = (src - lo)[None, :]
            scaled = scaled[:, lo] * (1 - frac) + scaled[:, hi] * frac
    return np.round(scaled * 255).astype(np.uint8)


def extract_images(
    paths: Sequence[str],
    cfg: ImageConfig,
    *,
    augment_seed: int | None = None,
    cache: bool = True,
    progress: bool = True,
) -> np.ndarray:
    """Colour-map indices ``(N, n_mels, frames)`` for ``paths`` (cached). With ``augment_seed``
    every clip is first augmented (:func:`augment_audio`, seeded by ``augment_seed`` and the
    clip's position), giving the over-sampling copies."""
    paths = [str(p) for p in paths]
    if not paths:  # nothing to copy (a balanced pool): an empty batch of the images' shape, never cached
        frames = cfg.width or 1 + int(round(cfg.duration * cfg.sr)) // cfg.hop_length  # librosa's centred frames
        return np.zeros((0, cfg.n_mels, frames), dtype=np.uint8)
    extra = {"augment_seed": augment_seed} if augment_seed is not None else None
    target = cache_dir("features") / f"images-{cache_key(paths, cfg, extra)}.npy"
    if cache and (hit := load_npy_checked(target)) is not None:
        return hit
    out = []
    desc = "spectrogram images" + (" (augmented copies)" if augment_seed is not None else "")
    for i, p in enumerate(tqdm(paths, desc=desc, disable=not progress, mininterval=2)):
        wav = load_audio(p, cfg.sr)
        if augment_seed is not None:
            wav = augment_audio(wav, cfg, np.random.default_rng([augment_seed, i]))
            if cfg.raw_copies:  # as the co-author's copies: no normalisation, trimming or fixed length
                out.append(image_indices(wav, cfg))
                continue
        out.append(image_indices(preprocess(wav, cfg), cfg))
    x = np.stack(out)
    if cache:
        save_npy_atomic(target, x)
    return x


def to_rgb(indices: np.ndarray, colormap: str) -> np.ndarray:
    """``(N, 3, H, W)`` float32 RGB in [0, 1] from colour-map indices."""
    return np.ascontiguousarray(colormap_lut(colormap)[indices].transpose(0, 3, 1, 2))


def oversample_plan(labels: np.ndarray, seed: int) -> np.ndarray:
    """Indices (into ``labels``) of the clips to copy so that every class reaches the largest
    class's count, cycling through each class's clips in a seeded random order (§3.1.2)."""
    rng = np.random.default_rng(seed)
    counts = np.bincount(labels)
    target = counts.max()
    picks = []
    for k, n in enumerate(counts):
        if n == 0 or n == target:
            continue
        members = rng.permutation(np.flatnonzero(labels == k))
        picks.append(np.resize(members, target - n))
    return np.sort(np.concatenate(picks)) if picks else np.zeros(0, dtype=int)


def undersample(labels: np.ndarray, seed: int, only: np.ndarray | None = None) -> np.ndarray:
    """Sorted indices keeping ``min(class count)`` clips of every class (§3.1.2). With ``only`` (a boolean
    mask) just those clips are thinned, to the smallest class among them, and every other clip is kept:
    a cross-corpus run balances its training corpus and tests on the whole other one."""
    rng = np.random.default_rng(seed)
    labels = np.asarray(labels)
    mask = np.ones(len(labels), dtype=bool) if only is None else np.asarray(only, dtype=bool)
    if mask.shape != labels.shape:
        raise ValueError(f"only must be a mask of {labels.shape[0]} clips, got shape {mask.shape}")
    if not mask.any():
        raise ValueError("only selects no clip to under-sample")
    counts = np.bincount(labels[mask])
    n = counts[counts > 0].min()
    keep = [rng.choice(np.flatnonzero(mask & (labels == k)), size=n, replace=False) for k in np.flatnonzero(counts)]
    return np.sort(np.concatenate([*keep, np.flatnonzero(~mask)]))
