"""Wavelet-scaled spectrogram images, the parallel-pipe CNN-LSTM, the sd3/si3 splits and the notebook."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn as nn

from core import splits
from core import wavelet as wv
from core.models import WaveletCNNLSTM, count_parameters
from tests.conftest import run_notebook, write_tone

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
    with pytest.raises(ValueError, match="whole samples"):
        wv.WaveletConfig(columns_per_s=30.5)
    assert CFG.columns == 128 and CFG.hop == 1000
    # the as_published arm's blocks of 512 samples (§3.4): 31.25 columns per second, 250 for 8 s
    blocks512 = wv.WaveletConfig(columns_per_s=31.25)
    assert blocks512.hop == 512 and isinstance(blocks512.hop, int) and blocks512.columns == 250
    assert wv.wavelet_image(_tone(500, seconds=2.0), blocks512).shape == (64, 63)  # ceil(32000 / 512)
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

    def boom(*a, **k):
        raise AssertionError("audio was decoded again despite the cache")

    monkeypatch.setattr(wv, "load_audio", boom)
    x2, l2 = wv.extract_wavelet(paths, CFG, progress=False)  # from the cache, or the hook fails
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


def _lflb_params(c_in: int, c_out: int, k: int) -> int:
    return c_in * c_out * k * k + c_out + 2 * c_out  # conv weights and bias, BN scale and shift


def _params_from_the_layer_list(n_classes: int, merge: str, fc_units: int | None, n_scales: int = 64) -> int:
    """Parameters of our reading of Table 3 and §3.2, counted by hand: 3 one-block pipes (3x3, 5x5,
    3x3 dilated) of 64 filters on RGB; two pipes (3x3, 5x5) of three LFLBs, the first reading the merged
    first half (64 channels summed, 192 concatenated); an LSTM of 100 on 2 x 64 x (n_scales / 16)
    features (PyTorch keeps two bias vectors); the optional FC layer; the output layer."""
    f = 64
    first = _lflb_params(3, f, 3) + _lflb_params(3, f, 5) + _lflb_params(3, f, 3)
    c_mid = f if merge == "sum" else 3 * f
    second = sum(_lflb_params(c_mid, f, k) + 2 * _lflb_params(f, f, k) for k in (3, 5))
    lstm_in, h = 2 * f * (n_scales // 16), 100
    lstm = 4 * (lstm_in * h + h * h + 2 * h)
    head = h * n_classes + n_classes if fc_units is None else h * fc_units + fc_units + fc_units * n_classes + n_classes
    return first + second + lstm + head


LITERAL = {"merge": "concat", "fc_units": 1024, "dropout": 0.0, "pool": "avg"}  # the as_published arm


def test_parameter_counts_follow_from_the_layer_list():
    assert _params_from_the_layer_list(7, "sum", None) == 674_083 == count_parameters(WaveletCNNLSTM(7))
    literal = WaveletCNNLSTM(7, **LITERAL)
    assert count_parameters(literal) == _params_from_the_layer_list(7, "concat", 1024) == 1_062_503
    for n_classes in (7, 8):
        for merge in ("sum", "concat"):
            for fc in (None, 1024):
                m = WaveletCNNLSTM(n_classes, merge=merge, fc_units=fc)
                assert count_parameters(m) == _params_from_the_layer_list(n_classes, merge, fc), (merge, fc)


def test_the_literal_reading_concatenates_has_fc1024_no_dropout_and_average_pooling():
    m = WaveletCNNLSTM(8, **LITERAL)
    assert [p[0][0].in_channels for p in m.second] == [192, 192]  # three pipes of 64 side by side
    assert [p[0][0].in_channels for p in WaveletCNNLSTM(8).second] == [64, 64]  # ours: summed
    linears = [x for x in m.modules() if isinstance(x, nn.Linear)]
    assert [(x.in_features, x.out_features) for x in linears] == [(100, 1024), (1024, 8)]
    assert any(isinstance(x, nn.ReLU) for x in m.fc)
    assert not any(isinstance(x, nn.Dropout) for x in m.modules())
    assert any(isinstance(x, nn.Dropout) and x.p == 0.3 for x in WaveletCNNLSTM(8).modules())  # ours keeps it
    pools = [x for x in m.modules() if isinstance(x, (nn.AvgPool2d, nn.MaxPool2d))]
    assert len(pools) == 9 and all(isinstance(x, nn.AvgPool2d) for x in pools)
    # both poolings run with the literal reading; only the pooling differs
    maxed = WaveletCNNLSTM(8, **(LITERAL | {"pool": "max"}))
    assert all(isinstance(x, nn.MaxPool2d) for x in maxed.modules() if isinstance(x, (nn.AvgPool2d, nn.MaxPool2d)))
    assert count_parameters(maxed) == count_parameters(m)
    # the widths the notebook feeds: 2 s (EmoDB copy) and 8 s, at 1/16 s blocks and at 512-sample blocks
    for model in (m, maxed, WaveletCNNLSTM(8)):
        model.eval()
        for columns in (32, 63, 128, 250):
            out = model(torch.rand(2, 3, 64, columns))
            assert out.shape == (2, 8) and torch.isfinite(out).all()
    with pytest.raises(ValueError, match="merge"):
        WaveletCNNLSTM(7, merge="mean")
    with pytest.raises(ValueError, match="dropout"):
        WaveletCNNLSTM(7, dropout=1.0)
    with pytest.raises(ValueError, match="fc_units"):
        WaveletCNNLSTM(7, fc_units=0)


def test_the_default_model_starts_from_the_same_weights_as_before_the_options():
    """The recorded runs used the default model; its seeded initial weights must not move."""
    torch.manual_seed(0)
    m = WaveletCNNLSTM(7)
    assert sum(float(p.detach().double().abs().sum()) for p in m.parameters()) == pytest.approx(19665.259238811515)


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

    res = tmp_path / "res"
    records = run_notebook(
        NB, tmp_path, profile="smoke", results_dir=str(res), protocol="si", study_lstm=[], folds=[2], seed=1
    )
    # a seed other than 0 is in the names, so seeds never overwrite each other's records
    assert sorted(p.name for p in res.glob("*.json")) == [
        f"emodb-si3-{name}-smoke-fold2-seed1.json" for name in ("avg_pool", "lr0.001", "main")
    ]
    recs = {r["params"]["config"]: r for r in records}
    main = recs["main"]
    assert main["protocol"] == "si3" and main["fold"] == 2 and "2-second" in main["substitution"]
    assert main["seeds"] == [1] and (res / "splits" / "emodb-si3-seed1-fold2.csv").is_file()
    assert main["arm"] == "paper_text" and main["params"]["record"] is False
    budget = main["budget"]
    assert budget["profile"] == "smoke" and budget["folds"] == [2] and not budget["paper_budget"]
    assert main["params"]["lr"] == 0.1 and recs["lr0.001"]["params"]["lr"] == 0.001
    assert recs["avg_pool"]["params"]["pool"] == "avg" and main["params"]["features"]["wavelet"] == "morl"
    # paper_text keeps the paper's 8 s window, also on the 2 s EmoDB copy (its records before the arms did too)
    assert main["params"]["duration"] == 8.0 and main["params"]["features"]["duration"] == 8.0
    assert (main["params"]["merge"], main["params"]["fc_units"], main["params"]["dropout"]) == ("sum", None, 0.3)
    assert main["n_params"] == 674_083 and "accuracy/peak_heldout" not in main["metrics"]
    # the one matching rule; on this corpus and protocol it gives the claims the comparison uses
    decl = declaration.load("wavelet_cnn_lstm")
    claims = {c["id"]: c for c in decl["claims"]}
    config = main["params"] | {"corpus": "emodb", "protocol": "si3"}
    assert main["claim_ids"] == match_claims(decl, config, main["metrics"]) == [  # the record, the rule, written out
        "emodb-anger-f1", "emodb-disgust-f1", "emodb-fear-f1", "emodb-happiness-f1", "emodb-sadness-f1",
        "emodb-sd-acc", "emodb-si-acc", "emodb-si-acc-text", "iemocap-si-acc", "ravdess-sd-acc-conclusion",
        "ravdess-sd-acc-text", "ravdess-si-acc-conclusion", "ravdess-si-acc-text",
    ]  # fmt: skip
    own = [i for i in main["claim_ids"] if (claims[i]["corpus"], claims[i]["protocol"]) == ("emodb", "si3")]
    assert own == ["emodb-si-acc", "emodb-si-acc-text"]
    assert recs["lr0.001"]["claim_ids"] == [] and "accuracy/lr0.001" in recs["lr0.001"]["metrics"]
    assert (res / "splits" / "emodb-si3-seed1-fold2.csv").is_file()


def test_as_published_reads_the_text_literally_and_selects_on_the_held_out_part(tmp_path):
    (rec,) = run_notebook(
        NB,
        tmp_path,
        profile="smoke",
        arm="as_published",
        results_dir=str(tmp_path / "res"),
        studies=False,
        configs=["main"],  # the lr-0.001 companion is left to a process of its own
        folds=[1],
    )
    p = rec["params"]
    assert rec["arm"] == "as_published" and rec["protocol"] == "sd3" and rec["fold"] == 1
    # the arm is in the file names: as_published and clean never overwrite each other or paper_text
    assert [f.name for f in (tmp_path / "res").glob("*.json")] == ["emodb-sd3-as_published-main-smoke-fold1.json"]
    assert (tmp_path / "res" / "splits" / "emodb-sd3-as_published-seed0-fold1.csv").is_file()
    assert (p["merge"], p["fc_units"], p["dropout"], p["pool"], p["lr"]) == ("concat", 1024, 0.0, "avg", 0.1)
    assert rec["n_params"] == 1_062_503  # EmoDB's 7 classes, counted above from the layer list
    # blocks of 512 samples; the 2 s copy at its own 63 columns
    assert p["features"]["columns_per_s"] == 31.25 and p["features"]["duration"] == pytest.approx(63 * 512 / 16000)
    # the held-out part is the validation part: the restored epoch's validation accuracy is the test accuracy
    hist = rec["history"]
    assert rec["metrics"]["accuracy"] == pytest.approx(hist["val_acc"][hist["best_epoch"]])
    assert rec["metrics"]["accuracy/peak_heldout"] == pytest.approx(max(hist["val_acc"]))
    assert "held-out (test) part" in rec["budget"]["stopping"]
    assert rec["n_test"] == len(rec["predictions"]["utt_id"])


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


def test_the_chapter_states_the_parameter_counts_of_the_models():
    """The chapter types three parameter counts (no record carries the first two); they must be the models'."""
    text = (Path(__file__).resolve().parent.parent / "book" / "chapters" / "wavelet_cnn_lstm.md").read_text()
    assert f"{count_parameters(WaveletCNNLSTM(8)):,} parameters for RAVDESS's 8 classes" in text
    assert f"({count_parameters(WaveletCNNLSTM(7, **LITERAL)):,} parameters for EmoDB's 7 classes, against" in text
    assert f"against {count_parameters(WaveletCNNLSTM(7)):,})" in text


def test_cross_corpus_trains_on_one_corpus_and_tests_on_all_of_the_other(tmp_path):
    """`protocol="cross"`: trained on EmoDB, tested on every RAVDESS clip of the six emotions both have; the
    record names the pair, carries both corpora's fingerprints, and is labelled as no number of the paper."""
    from core.data import combine_fingerprints, fingerprint, load_corpus
    from ser.params import ParameterError

    res = tmp_path / "res"
    recs = run_notebook(
        NB, tmp_path, profile="smoke", results_dir=str(res), protocol="cross", test_corpus="ravdess",
        arm="clean", studies=False, configs=["main"],
    )  # fmt: skip
    (rec,) = recs
    assert rec["corpus"] == "emodb-to-ravdess" and rec["protocol"] == "cross" and rec["fold"] == 0
    assert rec["labels"] == ["angry", "happy", "sad", "disgust", "neutral", "fearful"]  # no boredom, calm, surprise
    assert "cross-corpus" in rec["substitution"] and rec["budget"]["folds"] == [0]
    split = pd.read_csv(res / "splits" / "emodb-to-ravdess-cross-clean-seed0-fold0.csv")
    test = split.loc[split["part"] == "test", "utt_id"]
    assert len(test) == rec["n_test"] == 6 * 6 and test.str.startswith("ravdess").all()  # smoke: 6 per class
    assert not split.loc[split["part"] != "test", "utt_id"].str.startswith("ravdess").any()
    assert sorted(rec["predictions"]["utt_id"]) == sorted(test)
    assert rec["params"]["features"]["duration"] == 8.0  # clips of two lengths: the paper's 8 s on both sides
    parts = {c: fingerprint(load_corpus(c)) for c in ("emodb", "ravdess")}
    assert rec["corpus_fingerprint"] == combine_fingerprints(parts) and rec["corpus_fingerprint"]["files"] == 1975
    for bad in ({"protocol": "cross"}, {"test_corpus": "ravdess"}, {"protocol": "cross", "test_corpus": "emodb"}):
        err = _cells_until_error(bad)
        assert isinstance(err, ValueError) and "protocol 'cross' needs test_corpus" in str(err), bad
    err = _cells_until_error({"protocol": "cross", "test_corpus": "eyase"})
    assert isinstance(err, ParameterError) and "test_corpus" in str(err)
    err = _cells_until_error({"protocol": "cross", "corpus": "eyase", "test_corpus": "ravdess"})
    assert isinstance(err, ValueError) and "'eyase' has no mapping" in str(err)


def _cells_until_error(params: dict) -> BaseException | None:
    from tests.test_notebooks import _cells_until_error as until

    return until("wavelet_cnn_lstm", params)
