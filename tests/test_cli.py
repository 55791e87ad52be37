from __future__ import annotations

from pathlib import Path

import pytest

from ser.cli import book_runs, main


def test_unknown_paper_is_rejected(tmp_path):
    with pytest.raises(SystemExit, match="unknown paper"):
        main(["reproduce", "--paper", "nope", "--out", str(tmp_path)])


def test_every_registered_run_points_at_an_existing_notebook():
    from ser.paths import REPO_ROOT, notebook_of

    for paper, runs in book_runs().items():
        assert notebook_of(paper).is_file() and notebook_of(paper).parent == REPO_ROOT / "papers", paper
        for name, params in runs:
            assert not name.endswith(".ipynb") and isinstance(params, dict)


def test_bad_profile(capsys):
    with pytest.raises(SystemExit):
        main(["reproduce", "--profile", "fast"])
    assert "invalid choice" in capsys.readouterr().err


def test_bench_reports_ratios(tmp_path, data_root):
    import json

    out = tmp_path / "bench.json"
    assert main(["bench", "--corpus", "eyase", "--files", "3", "--root", str(data_root), "--out", str(out)]) == 0
    res = json.loads(out.read_text())
    assert res["files"] == 3 and res["lld_x_realtime"] > 0 and res["logmel_cache_speedup"] > 1
    assert (
        res["wavelet_cwt_x_realtime"] > 0
        and res["wavelet_cache_speedup"] > 1
        and res["spectrogram_image_x_realtime"] > 0
    )


def test_unknown_run_is_rejected(tmp_path):
    with pytest.raises(SystemExit, match="unknown run"):
        main(["reproduce", "--only", "arabemonet-kedas-kfold", "--out", str(tmp_path)])


def test_only_selects_runs_and_baved_is_fetched_only_when_read(tmp_path, monkeypatch):
    import papermill

    import core.data

    executed, fetched = [], []
    monkeypatch.setattr(papermill, "execute_notebook", lambda nb, out, parameters, **kw: executed.append(parameters))
    monkeypatch.setattr(core.data, "load_corpus", lambda name, **kw: fetched.append(name))
    main(
        [
            "reproduce",
            "--only",
            "wavelet_cnn_lstm-ravdess-si.ipynb",
            "--only",
            "arabemonet-eyase-kfold",
            "--out",
            str(tmp_path),
        ]
    )
    assert [p["corpus"] for p in executed] == ["eyase", "ravdess"] and executed[1]["protocol"] == "si"
    assert all(p["profile"] == "cpu" for p in executed) and fetched == []
    main(["reproduce", "--only", "arabemonet-baved-kfold", "--profile", "smoke", "--out", str(tmp_path)])
    assert executed[-1] == {
        "corpus": "baved",
        "protocol": "kfold",
        "studies": False,
        "profile": "smoke",
        "record": True,
    }
    assert fetched == ["baved"]


def test_which_runs_read_baved():
    from ser.cli import _reads_baved

    assert _reads_baved("parallel_cnn_lstm", {"protocol": "random"})  # BAVED is its default corpus
    assert not _reads_baved("parallel_cnn_lstm", {"corpus": "eyase"})
    assert _reads_baved("emotionnet", {})
    assert not _reads_baved("cnn_blstm_attention", {"corpora": ["ravdess"]})
    assert _reads_baved("arabemonet", {"corpus": "baved"}) and not _reads_baved("arabemonet", {"corpus": "eyase"})


def test_a_run_pinned_to_a_profile_keeps_it(tmp_path, monkeypatch):
    import papermill

    executed = []
    monkeypatch.setattr(papermill, "execute_notebook", lambda nb, out, parameters, **kw: executed.append(out))
    main(["reproduce", "--paper", "cnn_blstm_attention", "--out", str(tmp_path)])
    # each run executes into a temporary copy that replaces the book's one only when it succeeds
    names = [Path(o).name for o in executed]
    assert names == [".cnn_blstm_attention-random.running.ipynb", ".cnn_blstm_attention-speaker.running.ipynb"]
    executed.clear()
    main(["reproduce", "--paper", "cnn_blstm_attention", "--profile", "paper", "--out", str(tmp_path)])
    assert len(executed) == 3
    params = []
    monkeypatch.setattr(papermill, "execute_notebook", lambda nb, out, parameters, **kw: params.append(parameters))
    main(["reproduce", "--only", "cnn_blstm_attention-random-paper", "--profile", "smoke", "--out", str(tmp_path)])
    assert params == [{"protocol": "random", "experiments": ["headline"], "profile": "paper", "record": True}]


def test_plan_lists_runs_corpora_and_estimates(capsys, data_root, monkeypatch):
    monkeypatch.setenv("SER_DATA", str(data_root))
    assert main(["reproduce", "--plan", "--paper", "parallel_cnn_lstm"]) == 0
    out = capsys.readouterr().out
    assert "parallel_cnn_lstm-random" in out and "baved" in out and "(missing)" not in out
    assert " min" in out and "estimated" in out  # the committed cpu records give a duration


def test_list_names_every_run_with_its_arm(capsys):
    assert main(["reproduce", "--list"]) == 0
    out = capsys.readouterr().out
    assert "parallel_cnn_lstm-speaker" in out and "arm paper_text" in out and "corpora" in out


def test_a_failed_run_keeps_the_old_notebook_and_the_others_go_on(tmp_path, monkeypatch, capsys):
    import papermill

    (tmp_path / "wavelet_cnn_lstm-emodb-si.ipynb").write_text("old")

    def fake(nb, out, parameters, **kw):
        Path(out).write_text("new")
        if parameters.get("protocol") == "si":
            raise RuntimeError("boom")

    monkeypatch.setattr(papermill, "execute_notebook", fake)
    rc = main(["reproduce", "--only", "wavelet_cnn_lstm-emodb-si", "--only", "wavelet_cnn_lstm-emodb-sd",
               "--out", str(tmp_path)])  # fmt: skip
    assert rc == 1
    assert (tmp_path / "wavelet_cnn_lstm-emodb-si.ipynb").read_text() == "old"
    assert (tmp_path / "wavelet_cnn_lstm-emodb-si.failed.ipynb").read_text() == "new"
    assert (tmp_path / "wavelet_cnn_lstm-emodb-sd.ipynb").read_text() == "new"
    out = capsys.readouterr().out
    assert "run 2 of 2" in out and "failed: wavelet_cnn_lstm-emodb-si: RuntimeError: boom" in out


def test_training_benchmark_counts_flops_and_reports_ratios(tmp_path):
    import json

    import torch
    import torch.nn as nn

    from ser.bench_train import count_flops

    class Wrap(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm, self.out = nn.LSTM(8, 16, batch_first=True, bidirectional=True), nn.Linear(32, 3)

        def forward(self, x):
            return self.out(self.lstm(x)[0][:, -1])

    fwd, total = count_flops(Wrap(), torch.randn(2, 5, 8))
    lstm_fwd = 8 * 16 * (8 + 16) * 5 * 2  # per item: 8·h·(in+h) per step and direction
    assert fwd == pytest.approx(lstm_fwd + 2 * 32 * 3) and total > 2.5 * fwd
    out = tmp_path / "train.json"
    assert main(["bench", "train", "--model", "emotionnet", "--repeat", "2", "--out", str(out)]) == 0
    res = json.loads(out.read_text())
    (row,) = res["models"]
    assert res["matmul_peak_gflops"] > 0 and row["params"] > 0 and 0 < row["train_fraction_of_peak"] < 1
    assert row["s_per_epoch"] > 0 and row["paper_epochs"] == 100 and "load_average_at_start" in res
