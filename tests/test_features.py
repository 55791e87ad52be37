from __future__ import annotations

import librosa
import numpy as np
import pytest

import core.features as F
from core.features import LogMelConfig, Standardizer, awgn, extract, logmel
from tests.conftest import write_tone


def _chirp(sr=16000, seconds=2.0):
    t = np.arange(int(sr * seconds)) / sr
    return (0.5 * np.sin(2 * np.pi * (200 + 900 * t) * t)).astype(np.float32)


def test_shape_from_config():
    cfg = LogMelConfig(duration=3.0)
    feats = logmel(_chirp(), cfg)
    assert feats.shape == (128, cfg.n_frames) == (128, 188)
    assert feats.dtype == np.float32


@pytest.mark.parametrize(
    "cfg",
    [
        LogMelConfig(),  # BAVED paper: Hamming 512/256, 128 mels, power_to_db(ref=1.0)
        LogMelConfig(n_fft=2048, hop_length=256, window="hann", fmin=80, fmax=7600, ref="max", duration=2.0),
    ],
)
def test_values_match_librosa(cfg):
    y = _chirp()
    ours = logmel(y, cfg)
    y_fixed = librosa.util.fix_length(y, size=cfg.n_samples)  # chirp is 2 s; pad to 3 s at the end ...
    if cfg.pad_mode == "center" and len(y) < cfg.n_samples:  # ... or both sides, as ours does
        left = (cfg.n_samples - len(y)) // 2
        y_fixed = np.pad(y, (left, cfg.n_samples - len(y) - left))
    mel = librosa.feature.melspectrogram(
        y=y_fixed,
        sr=cfg.sr,
        n_fft=cfg.n_fft,
        hop_length=cfg.hop_length,
        window=cfg.window,
        n_mels=cfg.n_mels,
        fmin=cfg.fmin,
        fmax=cfg.fmax,
    )
    ref = np.max if cfg.ref == "max" else 1.0
    expected = librosa.power_to_db(mel, ref=ref, top_db=80.0)
    np.testing.assert_allclose(ours, expected, rtol=1e-5, atol=1e-4)
    if cfg.ref == "max":
        assert ours.max() == pytest.approx(0.0, abs=1e-5)


def test_cache_skips_extraction(tmp_path, monkeypatch):
    monkeypatch.setenv("SER_CACHE", str(tmp_path / "cache"))
    paths = [tmp_path / f"a{i}.wav" for i in range(3)]
    for i, p in enumerate(paths):
        write_tone(p, freq=300 + 100 * i)
    cfg = LogMelConfig(duration=1.0)
    first = extract(paths, cfg, progress=False)
    files = list((tmp_path / "cache" / "features").glob("*.npy"))
    assert len(files) == 1

    def boom(*a, **k):
        raise AssertionError("audio was decoded again despite the cache")

    monkeypatch.setattr(F, "load_audio", boom)
    np.testing.assert_array_equal(extract(paths, cfg, progress=False), first)
    # another configuration is another cache entry, so it must extract (and here, fail loudly)
    with pytest.raises(AssertionError, match="decoded again"):
        extract(paths, LogMelConfig(duration=1.0, n_mels=64), progress=False)
    assert not list((tmp_path / "cache" / "features").glob("*.tmp"))


def test_cache_key_depends_on_files_config_and_noise(tmp_path):
    a, b = tmp_path / "a.wav", tmp_path / "b.wav"
    write_tone(a)
    write_tone(b, freq=500)
    cfg = LogMelConfig()
    k = F.cache_key([str(a)], cfg)
    assert k == F.cache_key([str(a)], cfg)
    assert k != F.cache_key([str(b)], cfg)
    assert k != F.cache_key([str(a)], LogMelConfig(hop_length=128))
    assert k != F.cache_key([str(a)], cfg, {"noise_snr_db": 10})


def test_awgn_snr():
    rng = np.random.default_rng(0)
    y = _chirp(seconds=5.0)
    noisy = awgn(y, 10.0, rng)
    snr = 10 * np.log10(np.mean(y**2) / np.mean((noisy - y) ** 2))
    assert snr == pytest.approx(10.0, abs=0.1)
    assert np.array_equal(awgn(np.zeros(100, np.float32), 10.0, rng), np.zeros(100))


def test_standardizer_uses_training_statistics():
    tr = np.array([[1.0, 3.0]], dtype=np.float32)
    s = Standardizer().fit(tr)
    np.testing.assert_allclose(s.transform(np.array([[2.0]])), [[0.0]])
    with pytest.raises(RuntimeError):
        Standardizer().transform(tr)


def test_bad_config():
    with pytest.raises(ValueError, match="ref"):
        LogMelConfig(ref="min")
    with pytest.raises(ValueError, match="duration"):
        extract(["x.wav"], LogMelConfig(duration=None))


def test_a_damaged_cache_entry_is_recomputed_with_a_warning(tmp_path, monkeypatch, data_root):
    """Truncated or altered cache files are not loaded as they are: the entry is named and recomputed."""
    import warnings

    from core import features
    from core.data import load_corpus

    monkeypatch.setenv("SER_CACHE", str(tmp_path))
    paths = list(load_corpus("emodb", root=data_root)["path"][:2])
    cfg = features.LogMelConfig(duration=1.0)
    first = features.extract(paths, cfg, progress=False)
    (entry,) = list((tmp_path / "features").glob("logmel-*.npy"))
    assert entry.with_name(entry.name + ".sha256").is_file()
    entry.write_bytes(entry.read_bytes()[:-100])  # truncated, as a killed copy would leave it
    with pytest.warns(UserWarning, match=f"{entry.name} is damaged"):
        again = features.extract(paths, cfg, progress=False)
    np.testing.assert_array_equal(first, again)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # repaired: a clean hit now
        np.testing.assert_array_equal(features.extract(paths, cfg, progress=False), first)


def test_silence_is_not_as_loud_as_the_loudest_input():
    cfg = LogMelConfig(ref="max")
    loud, silent = logmel(_chirp(), cfg), logmel(np.zeros(32000, dtype=np.float32), cfg)
    assert loud.max() == pytest.approx(0.0, abs=1e-5)  # a real clip: 0 dB at its loudest bin, as before
    assert (silent == -cfg.top_db).all()  # silence sits at the bottom of the scale, as padding does, not at 0 dB
    quiet = logmel(1e-3 * _chirp(), cfg)  # a quiet but audible clip keeps its own reference
    assert quiet.max() == pytest.approx(0.0, abs=1e-5)


def test_the_benchmark_restores_the_cache_setting(monkeypatch, tmp_path, data_root):
    import os

    from ser import bench

    monkeypatch.setenv("SER_CACHE", str(tmp_path))
    out = bench.run("emodb", n_files=2, root=str(data_root))
    assert os.environ["SER_CACHE"] == str(tmp_path)
    assert out["files"] == 2


def test_cache_key_follows_the_bytes_not_the_modification_time_or_place(tmp_path):
    import os
    import shutil

    from core import features as F
    from core.features import LogMelConfig

    a = tmp_path / "a.wav"
    write_tone(a)
    cfg = LogMelConfig()
    k = F.cache_key([str(a)], cfg)
    os.utime(a, (1, 1))  # a fresh copy of the corpus: same bytes, new times
    assert F.cache_key([str(a)], cfg) == k
    moved = tmp_path / "elsewhere" / "a.wav"
    moved.parent.mkdir()
    shutil.copy(a, moved)
    assert F.cache_key([str(moved)], cfg) == k  # another data root, same clip
    write_tone(a, freq=880.0)
    assert F.cache_key([str(a)], cfg) != k
