from __future__ import annotations

import numpy as np
import pytest

from core.audio import AudioError, fix_length, load_audio
from core.features import LogMelConfig, logmel
from tests.conftest import write_tone


def test_corrupt_file_names_file(tmp_path):
    bad = tmp_path / "broken.wav"
    bad.write_bytes(b"RIFF\x00\x00\x00\x00WAVEnot really audio" * 4)
    with pytest.raises(AudioError, match="broken.wav"):
        load_audio(bad)


def test_empty_file_names_file(tmp_path):
    empty = tmp_path / "empty.flac"
    empty.touch()
    with pytest.raises(AudioError, match=r"empty.*empty\.flac"):
        load_audio(empty)


def test_missing_file(tmp_path):
    with pytest.raises(AudioError, match="not found"):
        load_audio(tmp_path / "nope.wav")


def test_stereo_44k_is_downmixed_and_resampled(tmp_path):
    path = tmp_path / "stereo.wav"
    import soundfile as sf

    t = np.arange(44100) / 44100
    left = 0.4 * np.sin(2 * np.pi * 300 * t)
    right = 0.2 * np.sin(2 * np.pi * 300 * t)
    sf.write(path, np.stack([left, right], 1), 44100, subtype="PCM_16")
    wav = load_audio(path, sr=16000)
    assert wav.dtype == np.float32 and wav.ndim == 1
    assert abs(len(wav) - 16000) <= 1
    # the mean of the channels is a 0.3-amplitude sine: RMS 0.3/sqrt(2)
    assert np.sqrt(np.mean(wav[1000:-1000] ** 2)) == pytest.approx(0.3 / np.sqrt(2), rel=0.01)
    # and its dominant frequency survives resampling
    spec = np.abs(np.fft.rfft(wav))
    assert np.argmax(spec) * 16000 / len(wav) == pytest.approx(300, abs=2)


def test_8k_is_resampled(tmp_path):
    write_tone(tmp_path / "low.wav", sr=8000, seconds=2.0, freq=1000)
    wav = load_audio(tmp_path / "low.wav", sr=16000)
    assert abs(len(wav) - 32000) <= 1
    spec = np.abs(np.fft.rfft(wav))
    assert np.argmax(spec) * 16000 / len(wav) == pytest.approx(1000, abs=2)


@pytest.mark.parametrize("ref", [1.0, "max"])
def test_silence_gives_finite_features(tmp_path, ref):
    write_tone(tmp_path / "silent.wav", amplitude=0.0)
    wav = load_audio(tmp_path / "silent.wav")
    assert not wav.any()
    feats = logmel(wav, LogMelConfig(ref=ref, duration=1.0))
    assert np.isfinite(feats).all()


def test_fix_length():
    x = np.arange(10, dtype=np.float32)
    assert fix_length(x, 4, "center").tolist() == [3, 4, 5, 6]
    assert fix_length(x, 4, "start").tolist() == [0, 1, 2, 3]
    padded = fix_length(x, 14, "center")
    assert padded[:2].tolist() == [0, 0] and padded[2:12].tolist() == x.tolist()
    with pytest.raises(ValueError):
        fix_length(x, 4, "end")


def test_huge_float_samples_are_an_error_naming_the_file(tmp_path):
    import soundfile as sf

    from core.audio import AudioError, load_audio

    path = tmp_path / "loud.wav"
    sf.write(path, (np.ones(1600, dtype=np.float32) * 3e4), 16000, subtype="FLOAT")
    with pytest.raises(AudioError, match=r"loud.wav has samples far outside \[-1, 1\]"):
        load_audio(path)
    sf.write(path, (np.ones(1600, dtype=np.float32) * 1.2), 16000, subtype="FLOAT")  # a slight overshoot is fine
    assert load_audio(path).max() == pytest.approx(1.2)
