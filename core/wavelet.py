"""Wavelet-scaled spectrogram images (Sayed et al., §3.1) with a disk cache.

The paper computes a continuous wavelet transform, takes the log power of the coefficients
and renders it as a 2D RGB image; it does not give the wavelet, the scales, the colour map or
the image size. Ours (all in :class:`WaveletConfig`): Morlet (``pywt`` ``'morl'``), 64 scales
whose centre frequencies are spaced geometrically from 60 Hz to 7.8 kHz, the power averaged
over blocks of ``sr / columns_per_s`` samples (16 columns per second, so 8 s -> 128 columns;
``columns_per_s`` may be fractional when the block is a whole number of samples, e.g. 31.25 for
the blocks of 512 samples of the ``as_published`` arm, the "512" of the paper's §3.4) and
divided by the scale, ``10 log10`` of it clipped to ``[db_floor, db_ceil]`` = [-70, 10] dB
(the 1st to 99.9th percentile of RAVDESS and EmoDB clips) after the clip is scaled to unit RMS,
and the ``viridis`` colour map. Images are cached as 8-bit indices into the colour map at
their natural length; :func:`to_rgb` and :func:`fix_columns` make the fixed-size RGB input,
with a random offset for training clips (the paper pads or crops 8 s at a random offset).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from tqdm.auto import tqdm

from core.audio import load_audio
from core.config import cache_dir
from core.features import cache_key, colormap_lut, load_npy_checked, save_npy_atomic


@dataclass(frozen=True)
class WaveletConfig:
    """Every choice of the wavelet image; see the module docstring."""

    sr: int = 16000
    wavelet: str = "morl"
    n_scales: int = 64
    fmin: float = 60.0
    fmax: float = 7800.0
    columns_per_s: float = 16  # fractional allowed when sr / columns_per_s is whole (31.25: 512-sample blocks)
    db_floor: float = -70.0
    db_ceil: float = 10.0
    colormap: str = "viridis"
    duration: float = 8.0

    def __post_init__(self) -> None:
        if not 0 < self.fmin < self.fmax <= self.sr / 2:
            raise ValueError(f"WaveletConfig: need 0 < fmin < fmax <= sr/2, got {self.fmin}, {self.fmax}")
        if self.n_scales < 2 or self.columns_per_s < 1 or not (self.sr / self.columns_per_s).is_integer():
            raise ValueError("WaveletConfig: n_scales >= 2 and columns_per_s must divide sr (whole samples per column)")
        if self.db_floor >= self.db_ceil:
            raise ValueError("WaveletConfig: db_floor must be below db_ceil")

    @property
    def hop(self) -> int:
        """Samples per image column: the block the power is averaged over."""
        return int(self.sr / self.columns_per_s)

    @property
    def columns(self) -> int:
        """Columns of the fixed-size image (``duration`` seconds)."""
        return int(round(self.duration * self.columns_per_s))

    def scales(self) -> np.ndarray:
        """Scales, lowest frequency first (image row 0 is the lowest frequency)."""
        import pywt

        freqs = np.geomspace(self.fmin, self.fmax, self.n_scales)
        return pywt.central_frequency(self.wavelet) * self.sr / freqs


def wavelet_image(wav: np.ndarray, cfg: WaveletConfig) -> np.ndarray:
    """``uint8`` image ``(n_scales, ceil(len / hop))`` of colour-map indices for one mono clip."""
    import pywt

    wav = np.asarray(wav, dtype=np.float64)
    rms = float(np.sqrt(np.mean(wav**2))) if len(wav) else 0.0
    n_cols = max(1, -(-len(wav) // cfg.hop))
    if rms == 0.0:  # silence: the floor colour everywhere
        return np.zeros((cfg.n_scales, n_cols), dtype=np.uint8)
    wav = np.pad(wav / rms, (0, n_cols * cfg.hop - len(wav)))
    coef, _ = pywt.cwt(wav, cfg.scales(), cfg.wavelet, method="fft")
    # PyWavelets scales coefficients by sqrt(scale); dividing the power by the scale gives a pure
    # tone the same peak at any frequency (and keeps the large-scale leakage below the peak)
    power = (np.abs(coef) ** 2 / cfg.scales()[:, None]).reshape(cfg.n_scales, n_cols, cfg.hop).mean(axis=2)
    db = 10 * np.log10(power + 1e-12)
    unit = np.clip((db - cfg.db_floor) / (cfg.db_ceil - cfg.db_floor), 0.0, 1.0)
    return np.round(unit * 255).astype(np.uint8)


def extract_wavelet(
    paths: Sequence[str], cfg: WaveletConfig, *, cache: bool = True, progress: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Images of ``paths`` as ``(N, n_scales, max(columns, longest))`` uint8 plus each one's columns.

    The CWT is the slow step (about 7x real time on one core at the defaults), so the result is
    cached under ``core.config.cache_dir('features')``, keyed by files, settings and versions.
    """
    import pywt

    paths = [str(p) for p in paths]
    target = cache_dir("features") / f"wavelet-{cache_key(paths, cfg, {'pywt': pywt.__version__})}.npy"
    lengths_target = target.with_name(target.stem + "-lengths.npy")
    if cache:
        hit, hit_lengths = load_npy_checked(target), load_npy_checked(lengths_target)
        if hit is not None and hit_lengths is not None:
            return hit, hit_lengths
    images = [
        wavelet_image(load_audio(p, cfg.sr), cfg)
        for p in tqdm(paths, desc="wavelet (CWT)", disable=not progress, mininterval=2)
    ]
    lengths = np.array([im.shape[1] for im in images], dtype=np.int64)
    x = np.zeros((len(images), cfg.n_scales, max(cfg.columns, int(lengths.max(initial=1)))), dtype=np.uint8)
    for i, im in enumerate(images):
        x[i, :, : im.shape[1]] = im
    if cache:
        save_npy_atomic(lengths_target, lengths)
        save_npy_atomic(target, x)
    return x, lengths


def fix_columns(x: np.ndarray, lengths: np.ndarray, columns: int, rng: np.random.Generator | None = None) -> np.ndarray:
    """Pad (floor colour) or crop each image to ``columns``: centred when ``rng`` is None, else at a
    random offset. Training batches get a fresh offset every epoch from :func:`random_offset`."""
    out = np.zeros((len(x), x.shape[1], columns), dtype=x.dtype)
    for i, n in enumerate(np.asarray(lengths)):
        n = int(n)
        if n >= columns:
            start = (n - columns) // 2 if rng is None else int(rng.integers(0, n - columns + 1))
            out[i] = x[i, :, start : start + columns]
        else:
            start = (columns - n) // 2 if rng is None else int(rng.integers(0, columns - n + 1))
            out[i, :, start : start + n] = x[i, :, :n]
    return out


def to_rgb(indices: np.ndarray, cfg: WaveletConfig) -> np.ndarray:
    """``(N, 3, n_scales, columns)`` float32 RGB in [0, 1] from colour-map indices."""
    return np.ascontiguousarray(colormap_lut(cfg.colormap)[indices].transpose(0, 3, 1, 2))


__all__ = [
    "WaveletConfig",
    "colormap_lut",
    "extract_wavelet",
    "fix_columns",
    "random_offset",
    "to_rgb",
    "wavelet_image",
]


def random_offset(floor_rgb: np.ndarray):
    """Training hook (see :func:`core.train.fit`): move each padded image's content to a random
    position inside its ``floor_rgb`` padding, the paper's random offset of short clips in the
    8 s window. Columns that are all floor colour at either edge count as padding."""
    import torch

    floor = torch.as_tensor(floor_rgb, dtype=torch.float32)[:, None, None]

    def hook(batch: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        is_pad = (batch == floor).flatten(1, 2).all(dim=1)  # (B, W): column holds only the floor colour
        lead = torch.cumprod(is_pad.int(), dim=1).sum(dim=1)
        trail = torch.cumprod(is_pad.flip(1).int(), dim=1).sum(dim=1)
        out = batch.clone()
        width = batch.shape[-1]
        for i in range(len(batch)):
            if int(lead[i]) >= width:  # all padding (silence)
                continue
            shift = int(torch.randint(-int(lead[i]), int(trail[i]) + 1, (1,), generator=gen))
            out[i] = torch.roll(batch[i], shifts=shift, dims=-1)
        return out

    return hook
