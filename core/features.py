"""Log-mel features with explicit parameters, a pad/crop policy and a disk cache.

The cache key covers the file list (path, size, modification time), the
feature configuration and the versions of numpy/librosa/soundfile/soxr, so a
second run with the same inputs loads one ``.npy`` instead of extracting again.
"""

from __future__ import annotations

import hashlib
import json
import warnings
import zipfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from core.audio import fix_length, load_audio
from core.config import cache_dir
from core.io import atomic_write


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
    offset: float = 0.0  # seconds skipped at the start of each clip before fixing its length

    def __post_init__(self) -> None:
        if self.offset < 0:
            raise ValueError(f"LogMelConfig.offset must be >= 0 seconds, got {self.offset}")
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


def prepare(wav: np.ndarray, cfg: LogMelConfig) -> np.ndarray:
    """Skip ``cfg.offset`` seconds, then pad or crop to ``cfg.duration`` (when set)."""
    if cfg.offset:
        wav = wav[int(round(cfg.offset * cfg.sr)) :]
    if cfg.n_samples is not None:
        wav = fix_length(wav, cfg.n_samples, cfg.pad_mode)
    return wav


def logmel(wav: np.ndarray, cfg: LogMelConfig, prepared: bool = False) -> np.ndarray:
    """Log-mel spectrogram ``(n_mels, frames)`` of a mono signal at ``cfg.sr``
    (``prepared``: :func:`prepare` was already applied)."""
    import librosa

    if not prepared:
        wav = prepare(wav, cfg)
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
    if cfg.ref == "max" and not mel.any():  # digital silence: the bottom of the scale
        return np.full(mel.shape, -(cfg.top_db if cfg.top_db is not None else 80.0), dtype=np.float32)
    if cfg.ref == "max":
        # relative to the clip's loudest bin, but never to less than MAX_REF_FLOOR: a silent (or
        # near-silent) clip then sits at the bottom of the scale instead of reading as 0 dB, the
        # same as the loudest possible input
        ref = np.maximum(mel.max(), mel.dtype.type(MAX_REF_FLOOR))  # same dtype as librosa's np.max: same values
    else:
        ref = float(cfg.ref)
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


def copy_snrs(
    n: int, seed: int, snr_range: Sequence[int] | None = None, awgn_snr_db: float | None = None
) -> float | np.ndarray:
    """The SNR of the noisy copies of ``n`` clips for ``seed``: one integer draw per clip from
    ``snr_range`` (inclusive, shared by all copies of that clip), else the fixed ``awgn_snr_db``."""
    if snr_range is not None:
        low, high = snr_range
        return np.random.default_rng([seed, 2]).integers(low, high + 1, size=n).astype(float)
    if awgn_snr_db is None:
        raise ValueError("noisy copies need snr_range or awgn_snr_db")
    return float(awgn_snr_db)


def copy_noise_seed(seed: int, k: int) -> int:
    """The noise seed of copy ``k`` (1-based) of a run with ``seed``; clip ``i`` draws from
    ``np.random.default_rng([copy_noise_seed(seed, k), i])``."""
    return seed + 1000 * (k - 1)


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


# Smallest reference power of ``ref='max'`` log-mels: far below any audible clip's loudest mel bin
# (a full-scale tone reaches about 1e4 with n_fft 512), so only silence or near-silence is affected.
MAX_REF_FLOOR = 1e-6

# Bump when the code of a feature function changes its output: it is part of every cache key.
FEATURE_CODE_VERSION = {"LogMelConfig": 2, "LLDConfig": 3, "WaveletConfig": 2, "ImageConfig": 2}


def cache_key(paths: Sequence[str], cfg: object, extra: dict | None = None) -> str:
    """Hash of the files' contents (the SHA-256 of each, in order), the configuration, the
    feature code's version (:data:`FEATURE_CODE_VERSION`) and library versions.

    Keyed by content, not modification time, so a fresh copy of the same corpus (a new machine, a
    re-synced data folder) finds its features; digests are memoised per process
    (:func:`core.manifest.file_digest`)."""
    from core.manifest import file_digest

    h = hashlib.sha256()
    h.update(f"{type(cfg).__name__}:{FEATURE_CODE_VERSION.get(type(cfg).__name__, 0)}\n".encode())
    for p in paths:  # the bytes, not the path: a copy of the corpus elsewhere finds the same entries
        h.update(f"{file_digest(p)}\n".encode())
    h.update(json.dumps(asdict(cfg), sort_keys=True, default=str).encode())  # type: ignore[arg-type]
    h.update(json.dumps(_versions(), sort_keys=True).encode())
    h.update(json.dumps(extra or {}, sort_keys=True, default=str).encode())
    return h.hexdigest()[:20]


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def save_npy_atomic(path: Path, array: np.ndarray) -> None:
    """Write ``array`` to ``path`` atomically (never half-written), with a ``.sha256`` sidecar
    holding the checksum of the file and the name of the entry it was made for."""
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    # the array and its checksum are replaced together: a second writer of the same entry waits
    with open(path.with_name(path.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with atomic_write(path, "wb") as fh:
            np.save(fh, array)
        with atomic_write(path.with_name(path.name + ".sha256")) as fh:
            fh.write(f"{_digest(path)}  {path.name}\n")


def load_npy_checked(path: Path) -> np.ndarray | None:
    """The cached array at ``path``, or ``None`` (with a warning naming the entry) when it is missing,
    unreadable, or differs from the checksum saved with it: the caller then recomputes it."""
    if not path.exists():
        return None
    side = path.with_name(path.name + ".sha256")
    try:
        expected, name = side.read_text().split()
        if name != path.name or _digest(path) != expected:
            raise ValueError("checksum mismatch")
        return np.load(path)
    except (OSError, ValueError) as err:
        warnings.warn(f"feature cache entry {path} is damaged or unverified ({err}); recomputing it", stacklevel=2)
        return None


def extract(
    paths: Sequence[str],
    cfg: LogMelConfig,
    *,
    noise_snr_db: float | Sequence[float] | None = None,
    noise_seed: int = 0,
    noise_on: str = "raw",
    cache: bool = True,
    progress: bool = True,
) -> np.ndarray:
    """Log-mel features for ``paths`` as one ``(N, n_mels, frames)`` array.

    ``cfg.duration`` must be set so every clip has the same shape. With
    ``noise_snr_db`` (one SNR, or one per clip) each clip gets AWGN at that SNR
    (seeded by ``noise_seed`` and the clip's position), for augmentation copies:
    on the ``"raw"`` clip, or on the ``"padded"`` one (after the offset and the
    padding, so the signal power counts the padding and the noise covers it, as
    the BAVED authors' code does). Results are cached under
    ``core.config.cache_dir('features')``.
    """
    if cfg.duration is None:
        raise ValueError("extract() stacks clips, so LogMelConfig.duration must be set")
    if noise_on not in ("raw", "padded"):
        raise ValueError(f"noise_on must be 'raw' or 'padded', got {noise_on!r}")
    paths = [str(p) for p in paths]
    snrs, extra = None, None
    if noise_snr_db is not None:
        snrs = np.broadcast_to(np.asarray(noise_snr_db, dtype=float), (len(paths),))
        single = np.ndim(noise_snr_db) == 0
        extra = {"noise_snr_db": float(noise_snr_db) if single else snrs.tolist(), "noise_seed": noise_seed}
        if noise_on != "raw":
            extra["noise_on"] = noise_on
    target = cache_dir("features") / f"logmel-{cache_key(paths, cfg, extra)}.npy"
    if cache and (hit := load_npy_checked(target)) is not None:
        return hit
    out = np.empty((len(paths), cfg.n_mels, cfg.n_frames), dtype=np.float32)
    desc = "log-mel" + (" +AWGN" if noise_snr_db is not None else "")
    for i, p in enumerate(tqdm(paths, desc=desc, disable=not progress, mininterval=2)):
        wav = load_audio(p, cfg.sr)
        prepared = snrs is not None and noise_on == "padded"
        if prepared:
            wav = prepare(wav, cfg)
        if snrs is not None:
            wav = awgn(wav, float(snrs[i]), np.random.default_rng([noise_seed, i]))
        out[i] = logmel(wav, cfg, prepared=prepared)
    if cache:
        save_npy_atomic(target, out)
    return out


def extract_padded(
    paths: Sequence[str], cfg: LogMelConfig, *, cache: bool = True, progress: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Natural-length log-mels stacked as ``(N, n_mels, T_max)`` plus each clip's frame count.

    ``cfg.duration`` must be ``None``. The padding holds the value zero-valued audio would give:
    ``-cfg.top_db`` for ``ref='max'`` (the clip's floor), else the dB of the 1e-10 amplitude floor.
    Training code cuts each batch to its longest item (:func:`core.train.fit` with ``lengths``).
    """
    if cfg.duration is not None:
        raise ValueError("extract_padded() keeps natural lengths: use LogMelConfig(duration=None)")
    if cfg.ref == "max" and cfg.top_db is None:
        raise ValueError("extract_padded() with ref='max' needs top_db to define the padding floor")
    paths = [str(p) for p in paths]
    target = cache_dir("features") / f"logmel-padded-{cache_key(paths, cfg)}.npz"
    if cache and target.exists():
        try:
            with np.load(target) as z:
                return z["x"], z["lengths"]
        except (OSError, ValueError, KeyError, zipfile.BadZipFile) as err:
            warnings.warn(f"feature cache entry {target} is damaged ({err}); recomputing it", stacklevel=2)
    mels = [
        logmel(load_audio(p, cfg.sr), cfg) for p in tqdm(paths, desc="log-mel", disable=not progress, mininterval=2)
    ]
    lengths = np.array([m.shape[1] for m in mels], dtype=np.int64)
    floor = -float(cfg.top_db) if cfg.ref == "max" else 10 * np.log10(1e-10 / float(cfg.ref))
    x = np.full((len(mels), cfg.n_mels, int(lengths.max(initial=1))), floor, dtype=np.float32)
    for i, m in enumerate(mels):
        x[i, :, : m.shape[1]] = m
    if cache:
        with atomic_write(target, "wb") as fh:
            np.savez(fh, x=x, lengths=lengths)
    return x, lengths


def colormap_lut(name: str) -> np.ndarray:
    """``(256, 3)`` float32 RGB table of a matplotlib colour map (for image-style inputs)."""
    import matplotlib

    return matplotlib.colormaps[name](np.linspace(0, 1, 256))[:, :3].astype(np.float32)


class Standardizer:
    """Global mean/std scaling fitted on training features only."""

    def __init__(self) -> None:
        self.mean: float | None = None
        self.std: float | None = None

    def fit(self, x: np.ndarray, lengths: np.ndarray | None = None) -> Standardizer:
        """Fit on ``x``; with ``lengths``, only the first ``lengths[i]`` frames of item ``i`` count."""
        if lengths is not None:
            x = np.concatenate([x[i, ..., :n].ravel() for i, n in enumerate(lengths)])
        self.mean = float(x.mean())
        self.std = float(x.std()) or 1.0
        return self

    def transform(self, x: np.ndarray) -> np.ndarray:
        if self.mean is None or self.std is None:
            raise RuntimeError("Standardizer.transform called before fit")
        return ((x - self.mean) / self.std).astype(np.float32)


class BinStandardizer:
    """Mean/std scaling of every feature bin (each time-frequency cell) on its own, fitted on
    training features only (scikit-learn's ``StandardScaler`` on flattened spectrograms)."""

    def __init__(self) -> None:
        self.mean: np.ndarray | None = None
        self.std: np.ndarray | None = None

    def fit(self, x: np.ndarray) -> BinStandardizer:
        x64 = x.astype(np.float64)
        self.mean = x64.mean(axis=0)
        std = x64.std(axis=0)
        self.std = np.where(std > 0, std, 1.0)
        return self

    def transform(self, x: np.ndarray) -> np.ndarray:
        if self.mean is None or self.std is None:
            raise RuntimeError("BinStandardizer.transform called before fit")
        return ((x - self.mean) / self.std).astype(np.float32)


# --- Low-level descriptors (EmotionNet) --------------------------------------
# The EmotionNet paper feeds 124 LLD statistics per utterance ("MFCCs, pitch, intensity and
# prosodic attributes") without listing them. This is our documented set of exactly 124.
_MFCC = [f"mfcc{i:02d}" for i in range(1, 14)]
LLD_NAMES: tuple[str, ...] = tuple(
    [f"{c}_mean" for c in _MFCC]
    + [f"{c}_std" for c in _MFCC]  # 26
    + [f"d_{c}_mean" for c in _MFCC]
    + [f"d_{c}_std" for c in _MFCC]  # 52
    + [f"dd_{c}_mean" for c in _MFCC]  # 65
    + [f"f0_{s}" for s in ("mean", "std", "min", "max", "median", "range", "slope")]  # 72
    + ["voiced_fraction"]  # 73
    + [f"rms_{s}" for s in ("mean", "std", "min", "max", "range", "slope")]  # 79
    + ["rms_db_mean", "rms_db_std"]  # 81
    + ["zcr_mean", "zcr_std"]  # 83
    + [f"{f}_{s}" for f in ("centroid", "bandwidth", "rolloff", "flatness") for s in ("mean", "std")]  # 91
    + [f"contrast{i}_mean" for i in range(1, 8)]  # 98
    + [f"chroma{i:02d}_mean" for i in range(1, 13)]  # 110
    + ["duration_s", "onset_rate", "pause_fraction", "jitter_local", "shimmer_local"]  # 115
    + ["flux_mean", "flux_std", "d_f0_mean", "d_f0_std", "d_rms_mean", "d_rms_std"]  # 121
    + ["slope_mean", "slope_std", "spectral_entropy_mean"]  # 124
)
assert len(LLD_NAMES) == 124, len(LLD_NAMES)


@dataclass(frozen=True)
class LLDConfig:
    """Frame settings for the LLD set; pitch by YIN between ``fmin`` and ``fmax`` Hz.

    A frame is voiced when its RMS is within ``voicing_db`` of the loudest frame, its
    zero-crossing rate is below ``voicing_zcr`` and YIN's estimate is strictly inside
    (fmin, fmax). Pauses are frames more than ``pause_db`` below the loudest frame.
    """

    sr: int = 16000
    n_fft: int = 512
    hop_length: int = 160
    n_mfcc: int = 13
    fmin: float = 60.0
    fmax: float = 500.0
    voicing_db: float = 30.0
    voicing_zcr: float = 0.2
    pause_db: float = 35.0


def _slope(v: np.ndarray) -> float:
    if len(v) < 2:
        return 0.0
    t = np.arange(len(v), dtype=np.float64)
    return float(np.polyfit(t, v.astype(np.float64), 1)[0])


def _ms(v: np.ndarray) -> list[float]:
    return [float(np.mean(v)), float(np.std(v))] if v.size else [0.0, 0.0]


def lld(wav: np.ndarray, cfg: LLDConfig = LLDConfig()) -> np.ndarray:
    """The 124 descriptors of :data:`LLD_NAMES` for one mono clip at ``cfg.sr``.

    Silent or unvoiced clips give zeros for the pitch statistics instead of NaN.
    """
    import librosa

    sr, hop, n_fft = cfg.sr, cfg.hop_length, cfg.n_fft
    if len(wav) < n_fft:
        wav = np.pad(wav, (0, n_fft - len(wav)))
    spec = np.abs(librosa.stft(wav, n_fft=n_fft, hop_length=hop)) ** 2
    mel = librosa.feature.melspectrogram(S=spec, sr=sr, n_mels=40)
    mfcc = librosa.feature.mfcc(S=librosa.power_to_db(mel), n_mfcc=cfg.n_mfcc)
    width = min(9, mfcc.shape[1] - (1 - mfcc.shape[1] % 2)) if mfcc.shape[1] >= 3 else 0
    d1 = librosa.feature.delta(mfcc, width=width) if width >= 3 else np.zeros_like(mfcc)
    d2 = librosa.feature.delta(mfcc, order=2, width=width) if width >= 3 else np.zeros_like(mfcc)
    rms = librosa.feature.rms(y=wav, frame_length=n_fft, hop_length=hop)[0]  # time-domain intensity
    rms_db = librosa.amplitude_to_db(rms, ref=np.max(rms) if rms.max() > 0 else 1.0, top_db=80.0)
    zcr = librosa.feature.zero_crossing_rate(wav, frame_length=n_fft, hop_length=hop)[0]
    f0 = librosa.yin(wav, fmin=cfg.fmin, fmax=cfg.fmax, sr=sr, frame_length=1024, hop_length=hop)
    n = min(len(f0), len(rms_db), len(zcr))
    f0, rms_db_n, zcr_n = f0[:n], rms_db[:n], zcr[:n]
    voiced = (rms_db_n > -cfg.voicing_db) & (zcr_n < cfg.voicing_zcr) & (f0 > cfg.fmin * 1.01) & (f0 < cfg.fmax * 0.99)
    fv = f0[voiced]
    if fv.size:
        f0_stats = [fv.mean(), fv.std(), fv.min(), fv.max(), np.median(fv), fv.max() - fv.min(), _slope(fv)]
        jitter = float(np.mean(np.abs(np.diff(fv))) / fv.mean()) if fv.size > 1 else 0.0
        d_f0 = _ms(np.diff(fv))
    else:
        f0_stats, jitter, d_f0 = [0.0] * 7, 0.0, [0.0, 0.0]
    rv = rms[:n][voiced]
    shimmer = float(np.mean(np.abs(np.diff(rv))) / rv.mean()) if rv.size > 1 and rv.mean() > 0 else 0.0
    centroid = librosa.feature.spectral_centroid(S=np.sqrt(spec), sr=sr)[0]
    bandwidth = librosa.feature.spectral_bandwidth(S=np.sqrt(spec), sr=sr)[0]
    rolloff = librosa.feature.spectral_rolloff(S=np.sqrt(spec), sr=sr)[0]
    flatness = librosa.feature.spectral_flatness(S=np.sqrt(spec))[0]
    contrast = librosa.feature.spectral_contrast(S=np.sqrt(spec), sr=sr, fmin=100.0, n_bands=6)
    with warnings.catch_warnings():  # silent clips: "tuning from empty frequency set"
        warnings.simplefilter("ignore", UserWarning)
        chroma = librosa.feature.chroma_stft(S=spec, sr=sr)
    envelope = librosa.onset.onset_strength(S=librosa.power_to_db(mel), sr=sr)  # our frames, not librosa's 2048
    onsets = librosa.onset.onset_detect(onset_envelope=envelope, sr=sr, hop_length=hop)
    duration = len(wav) / sr
    log_spec = np.log10(spec + 1e-10)
    freqs = np.linspace(0, 1, spec.shape[0])
    slopes = np.polyfit(freqs, log_spec, 1)[0]
    p = spec / np.maximum(spec.sum(axis=0, keepdims=True), 1e-12)
    entropy = -(p * np.log2(p + 1e-12)).sum(axis=0) / np.log2(spec.shape[0])
    flux = np.sqrt((np.diff(np.sqrt(spec), axis=1) ** 2).sum(axis=0)) if spec.shape[1] > 1 else np.zeros(1)
    values = np.concatenate(
        [
            mfcc.mean(1),
            mfcc.std(1),
            d1.mean(1),
            d1.std(1),
            d2.mean(1),
            f0_stats,
            [voiced.mean() if n else 0.0],
            [rms.mean(), rms.std(), rms.min(), rms.max(), rms.max() - rms.min(), _slope(rms)],
            _ms(rms_db),
            _ms(zcr),
            _ms(centroid),
            _ms(bandwidth),
            _ms(rolloff),
            _ms(flatness),
            contrast.mean(1),
            chroma.mean(1),
            [duration, len(onsets) / duration, float(np.mean(rms_db < -cfg.pause_db)), jitter, shimmer],
            _ms(flux),
            d_f0,
            _ms(np.diff(rms)),
            _ms(slopes),
            [float(entropy.mean())],
        ]
    ).astype(np.float64)
    if values.shape != (124,):
        raise AssertionError(f"LLD vector has {values.shape[0]} values, expected 124")
    return values


def extract_lld(
    paths: Sequence[str], cfg: LLDConfig = LLDConfig(), *, cache: bool = True, progress: bool = True
) -> np.ndarray:
    """``(N, 124)`` LLD matrix for ``paths``, cached like :func:`extract`.

    A clip whose descriptors are not finite keeps its NaN/inf row, so callers can
    drop and count such rows as the EmotionNet paper does.
    """
    paths = [str(p) for p in paths]
    target = cache_dir("features") / f"lld-{cache_key(paths, cfg)}.npy"
    if cache and (hit := load_npy_checked(target)) is not None:
        return hit
    out = np.empty((len(paths), len(LLD_NAMES)), dtype=np.float64)
    for i, p in enumerate(tqdm(paths, desc="LLD (124)", disable=not progress, mininterval=2)):
        out[i] = lld(load_audio(p, cfg.sr), cfg)
    if cache:
        save_npy_atomic(target, out)
    return out


class MinMaxScaler:
    """Per-column min-max scaling to [0, 1] fitted on training rows only; constant columns map to 0."""

    def fit(self, x: np.ndarray) -> MinMaxScaler:
        self.lo = x.min(axis=0)
        span = x.max(axis=0) - self.lo
        self.span = np.where(span > 0, span, 1.0)
        return self

    def transform(self, x: np.ndarray, clip: bool = True) -> np.ndarray:
        """Scale; with ``clip`` values of unseen rows outside the training range are clipped to [0, 1]."""
        out = (x - self.lo) / self.span
        return (np.clip(out, 0.0, 1.0) if clip else out).astype(np.float32)
