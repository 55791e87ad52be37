"""Wavelet-scaled spectrogram images, the parallel-pipe CNN-LSTM, the sd3/si3 splits and the notebook."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import papermill as pm
import pytest
import torch
import torch.nn as nn

from core import splits
from core import wavelet as wv
from core.models import WaveletCNNLSTM, count_parameters
from tests.conftest import write_tone

NB = Path(__file__).resolve().parent.parent / "papers" / "wavelet_cnn_lstm.ipynb"
CFG = wv.WaveletConfig()


def _tone(freq: float, seconds: float = 1.0, amplitude: float = 0.3, sr: int = 16000) -> np.ndarray:
    t = np.arange(int(sr * seconds)) / sr
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


@pytest.mark.parametrize("freq", [200.0, 1000.0, 4000.0])
def test_a_tone_lights_the_row_of_its_frequency(freq):
    img = wv.wavelet_image(_tone(freq), CFG)
    assert img.shape == (64, 16) and img.dtype == np.uint8
    centre = np.geomspace(CFG.fmin, CFG.fmax, CFG.n_scales)
    brightest = int(np.argmax(img[:, 4:12].mean(axis=1)))
    assert abs(np.log2(centre[brightest] / freq)) < 0.25  # within a quarter octave


def test_gain_does_not_change_the_image_and_silence_is_the_floor():
    np.testing.assert_array_equal(wv.wavelet_image(_tone(500), CFG), wv.wavelet_image(_tone(500, amplitude=0.01), CFG))
    assert not wv.wavelet_image(np.zeros(8000, dtype=np.float32), CFG).any()
    assert wv.wavelet_image(np.zeros(100, dtype=np.float32), CFG).shape == (64, 1)


def test_config_checks():
    with pytest.raises(ValueError, match="fmax"):
        wv.WaveletConfig(fmax=9000)
    with pytest.raises(ValueError, match="divide"):
        wv.WaveletConfig(columns_per_s=7)
    assert CFG.columns == 128 and CFG.hop == 1000
    assert np.all(np.diff(CFG.scales()) < 0)  # lowest frequency first


def test_extract_wavelet_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SER_CACHE", str(tmp_path / "cache"))
    paths = [tmp_path / "a.wav", tmp_path / "b.wav"]
    write_tone(paths[0], seconds=0.5, freq=300)
    write_tone(paths[1], seconds=2.0, freq=3000)
    x, lengths = wv.extract_wavelet(paths, CFG, progress=False)
    assert x.shape == (2, 64, 128) and list(lengths) == [8, 32]
    assert not x[0, :, 8:].any()
    assert len(list((tmp_path / "cache").rglob("wavelet-*.npy"))) == 2
    x2, l2 = wv.extract_wavelet(paths, CFG, progress=False)
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(lengths, l2)


def test_fix_columns_and_random_offset():
    x = np.zeros((2, 4, 20), dtype=np.uint8)
    x[0, :, :6] = 200  # 6 columns of content
    x[1, :, :20] = 100  # longer than the window: cropped
    fixed = wv.fix_columns(x, np.array([6, 20]), 10)
    assert fixed.shape == (2, 4, 10)
    assert list(np.flatnonzero(fixed[0, 0])) == [2, 3, 4, 5, 6, 7]  # centred
    rgb = torch.from_numpy(wv.to_rgb(fixed, CFG))
    floor = wv.colormap_lut(CFG.colormap)[0]
    assert rgb.shape == (2, 3, 4, 10) and torch.allclose(rgb[0, :, 0, 0], torch.from_numpy(floor))
    hook = wv.random_offset(floor)
    starts = set()
    for s in range(30):
        out = hook(rgb, torch.Generator().manual_seed(s))
        content = (out[0] != torch.from_numpy(floor)[:, None, None]).any(dim=(0, 1)).nonzero().ravel()
        assert len(content) == 6 and int(content[-1] - content[0]) == 5  # moved, never cut
        starts.add(int(content[0]))
        assert torch.equal(out[1], rgb[1])  # no padding: unchanged
    assert starts == set(range(5))  # every offset inside the window occurs
    silent = torch.from_numpy(np.broadcast_to(floor[:, None, None], (1, 3, 4, 10)).copy())
    assert torch.equal(hook(silent, torch.Generator()), silent)


def test_model_follows_our_reading_of_table3():
    m = WaveletCNNLSTM(7)
    convs = [x for x in m.modules() if isinstance(x, nn.Conv2d)]
    assert len(convs) == 9 and {c.out_channels for c in convs} == {64}
    assert {c.kernel_size for c in convs} == {(3, 3), (5, 5)}
    assert len(m.first) + len(m.second) == 5  # pipes pooling side by side
    assert m.lstm.hidden_size == 100 and not m.lstm.bidirectional
    assert count_parameters(m) == 674_083
    out = m(torch.rand(2, 3, 64, 128))
    assert out.shape == (2, 7)
    avg = WaveletCNNLSTM(7, pool="avg", lstm_units=256)
    assert any(isinstance(x, nn.AvgPool2d) for x in avg.modules()) and avg.lstm.hidden_size == 256
    with pytest.raises(ValueError, match="pool"):
        WaveletCNNLSTM(7, pool="min")
    with pytest.raises(ValueError, match="too few"):
        WaveletCNNLSTM(7, n_scales=8)


def _speakers_frame() -> pd.DataFrame:
    rows = []
    for s in range(10):
        for i in range(20):
            rows.append({"utt_id": f"s{s}_{i}", "speaker": f"s{s}", "gender": "f" if s < 5 else "m", "label": i % 4})
    return pd.DataFrame(rows)


def test_gender_pair_and_holdout_splits():
    df = _speakers_frame()
    tested: set[str] = set()
    for fold in range(3):
        split = splits.gender_pair_split(df, fold, seed=0)
        part = split["part"].to_numpy()
        test_spk = set(df["speaker"][part == "test"])
        assert len(test_spk) == 2 and set(df.set_index("speaker")["gender"][list(test_spk)]) == {"f", "m"}
        assert not test_spk & set(df["speaker"][part != "test"])
        assert not test_spk & tested
        tested |= test_spk
        assert set(df["label"][part == "val"]) == {0, 1, 2, 3}
    with pytest.raises(ValueError, match="out of range"):
        splits.gender_pair_split(df, 4)
    hold = splits.random_holdout(df, 0.2, seed=1)
    assert (hold["part"] == "test").sum() == 40 and (hold["part"] == "val").sum() == 16


def test_records_carry_the_substitution_and_the_right_claims(tmp_path):
    from ser import declaration
    from ser.claims import match_claims
    from ser.results import read_results

    pm.execute_notebook(
        str(NB),
        str(tmp_path / "out.ipynb"),
        progress_bar=False,
        cwd=str(NB.parent.parent),
        parameters={
            "profile": "smoke",
            "results_dir": str(tmp_path / "res"),
            "protocol": "si",
            "study_lstm": [],
            "folds": [2],
        },
    )
    res = tmp_path / "res"
    assert sorted(p.name for p in res.glob("*.json")) == [
        f"emodb-si3-{name}-smoke-fold2.json" for name in ("avg_pool", "lr0.001", "main")
    ]
    recs = {r["params"]["config"]: r for r in read_results(res)}
    main = recs["main"]
    assert main["protocol"] == "si3" and main["fold"] == 2 and "2-second" in main["substitution"]
    assert main["arm"] == "paper_text" and main["params"]["record"] is False
    budget = main["budget"]
    assert budget["profile"] == "smoke" and budget["folds"] == [2] and not budget["paper_budget"]
    assert main["params"]["lr"] == 0.1 and recs["lr0.001"]["params"]["lr"] == 0.001
    assert recs["avg_pool"]["params"]["pool"] == "avg" and main["params"]["features"]["wavelet"] == "morl"
    # the one matching rule; on this corpus and protocol it gives the claims the comparison uses
    decl = declaration.load("wavelet_cnn_lstm")
    claims = {c["id"]: c for c in decl["claims"]}
    config = main["params"] | {"corpus": "emodb", "protocol": "si3"}
    assert main["claim_ids"] == match_claims(decl, config, main["metrics"])
    own = [i for i in main["claim_ids"] if (claims[i]["corpus"], claims[i]["protocol"]) == ("emodb", "si3")]
    assert own == ["emodb-si-acc", "emodb-si-acc-text"]
    assert recs["lr0.001"]["claim_ids"] == [] and "accuracy/lr0.001" in recs["lr0.001"]["metrics"]
    assert (res / "splits" / "emodb-si3-seed0-fold2.csv").is_file()


def test_fold_means_in_the_registry_follow_from_table4():
    """Every 'folds (a, b, c) average m%' (or 'm% as the mean of ... folds (a, b, c)') the registry
    states is the mean of the three Table 4 values it quotes."""
    import re

    from ser.claims import load_registry

    reg = load_registry("wavelet_cnn_lstm")["wavelet_cnn_lstm"]
    text = " ".join(" ".join(c["text"].split()) for c in reg["contradictions"])
    folds = r"folds \((\d+\.\d+), (\d+\.\d+), (\d+\.\d+)\)"
    found = [(m[:3], m[3]) for m in re.findall(folds + r" average (\d+\.\d+)%", text)]
    found += [(m[1:], m[0]) for m in re.findall(r"(\d+\.\d+)% as the mean of the Table 4 " + folds, text)]
    assert len(found) == 5
    for values, mean in found:
        assert f"{sum(map(float, values)) / 3:.2f}" == mean, (values, mean)
