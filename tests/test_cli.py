from __future__ import annotations

import json
from pathlib import Path

import pytest

from ser import declaration
from ser.cli import book_runs, main

ROOT = Path(__file__).resolve().parents[1]


def test_unknown_paper_is_rejected(tmp_path):
    with pytest.raises(SystemExit, match="unknown paper"):
        main(["reproduce", "--paper", "nope", "--out", str(tmp_path)])


def test_verdicts_print_each_claim_beside_the_records(capsys):
    """`ser verdicts` answers "does this number hold up?" from the committed results, without a build:
    the headline claim beside its arms with intervals and the verdict, the claims per status, and with
    --claims one row per claim; an unknown paper is a clear error."""
    import re

    assert main(["verdicts", "--paper", "parallel_cnn_lstm", "--claims"]) == 0
    out = capsys.readouterr().out
    assert "## parallel_cnn_lstm:" in out and "`lr0.05-acc`: 96.91 % on baved" in out
    assert re.search(r"\| \d+\.\d \[\d+\.\d, \d+\.\d\] \(\d runs; paper", out)  # a mean, its interval, its basis
    assert re.search(r"Claims: .*reproduced only with the leak \d+", out)
    assert "| table2-high-recall | 1.000 |" in out and "wavelet_cnn_lstm" not in out
    with pytest.raises(SystemExit):
        main(["verdicts", "--paper", "nope"])
    assert "unknown paper(s) nope" in capsys.readouterr().err


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
    monkeypatch.setattr(core.data, "load_corpus", lambda name, **kw: fetched.append((name, kw.get("download"))))
    main(
        [
            "reproduce",
            "--only",
            "wavelet_cnn_lstm-ravdess-si.ipynb",
            "--only",
            "arabemonet-eyase-kfold",
            "--out",
            str(tmp_path),
            "--workers",
            "1",
        ]
    )
    assert [p["corpus"] for p in executed] == ["eyase", "ravdess"] and executed[1]["protocol"] == "si"
    assert all(p["profile"] == "cpu" for p in executed)
    assert sorted(fetched) == [("eyase", False), ("ravdess", False)]  # checked before any run; no download
    main(["reproduce", "--only", "arabemonet-baved-kfold", "--profile", "smoke", "--out", str(tmp_path)])
    assert executed[-1] == {
        "corpus": "baved",
        "protocol": "kfold",
        "studies": False,
        "profile": "smoke",
        "record": True,
    }
    assert fetched[-1] == ("baved", True)  # the one corpus with a public archive is fetched when missing


def test_which_corpora_a_run_reads():
    from ser.cli import corpora_of

    assert corpora_of("parallel_cnn_lstm", {"protocol": "random"}) == ["baved"]  # its default corpus
    assert corpora_of("parallel_cnn_lstm", {"corpus": "eyase"}) == ["eyase"]
    assert "baved" in corpora_of("emotionnet", {})
    assert corpora_of("cnn_blstm_attention", {"corpora": ["ravdess"]}) == ["ravdess"]
    # a cross-corpus run reads its test corpora too (`ser reproduce` checks that they are there)
    assert corpora_of("wavelet_cnn_lstm", {"protocol": "cross", "test_corpus": "ravdess"}) == ["emodb", "ravdess"]
    assert corpora_of("cnn_blstm_attention", {"corpora": ["ravdess"], "test_corpora": ["tess"]}) == ["ravdess", "tess"]
    assert corpora_of("corpora", {}) == []


def test_preflight_skips_runs_without_data_and_stops_on_a_bad_corpus_before_anything_runs(
    tmp_path, monkeypatch, capsys
):
    import papermill

    import core.data

    executed = []
    monkeypatch.setattr(papermill, "execute_notebook", lambda nb, out, parameters, **kw: executed.append(parameters))

    def load(name, **kw):
        if name == "eyase":
            raise core.data.CorpusNotFoundError("corpus 'eyase' not found: get it from its authors")

    monkeypatch.setattr(core.data, "load_corpus", load)
    code = main(
        [
            "reproduce",
            "--only",
            "arabemonet-eyase-kfold",
            "--only",
            "wavelet_cnn_lstm-ravdess-si",
            "--out",
            str(tmp_path),
        ]
    )  # fmt: skip; one runnable run: the default is to run it here
    out = capsys.readouterr().out
    assert code == 0 and [p["corpus"] for p in executed] == ["ravdess"]
    assert "skipped: arabemonet-eyase-kfold: not run: data unavailable (corpus 'eyase' not found" in out
    assert "1 of 1 runs done" in out and "1 skipped for missing data" in out
    executed.clear()
    with pytest.raises(SystemExit, match="run arabemonet-eyase-kfold: .*corpus"):
        main(["reproduce", "--only", "arabemonet-eyase-kfold", "--corpus", "klingon", "--out", str(tmp_path)])
    assert executed == []


def test_a_run_pinned_to_a_profile_keeps_it(tmp_path, monkeypatch):
    import papermill

    executed = []
    monkeypatch.setattr(papermill, "execute_notebook", lambda nb, out, parameters, **kw: executed.append(out))
    main(["reproduce", "--paper", "cnn_blstm_attention", "--out", str(tmp_path), "--workers", "1"])
    # each run executes into a temporary copy that replaces the book's one only when it succeeds
    names = [Path(o).name for o in executed]
    assert names == [".cnn_blstm_attention-random.running.ipynb", ".cnn_blstm_attention-speaker.running.ipynb"]
    executed.clear()
    main(
        ["reproduce", "--paper", "cnn_blstm_attention", "--profile", "paper", "--out", str(tmp_path), "--workers", "1"]
    )
    # at the paper profile: the two unpinned runs and every run pinned to it (35-epoch headline, the arms,
    # the owed seeds), read from the declaration so that a landed run needs no edit here
    runs = declaration.load("cnn_blstm_attention")["runs"]
    pinned = [r["name"] for r in runs if r["params"].get("profile") == "paper"]
    assert len(pinned) >= 18 and "cnn_blstm_attention-random-paper" in pinned
    assert sorted(Path(o).name for o in executed) == sorted(
        f".{n}.running.ipynb" for n in ["cnn_blstm_attention-random", "cnn_blstm_attention-speaker", *pinned]
    )
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


def test_a_runs_estimate_is_its_own_arms_and_gpu_seconds_are_said_apart():
    """A run that names no arm runs the declaration's default arm: other arms' records are not its time. A
    run last timed on a GPU says so (its minutes there are not this machine's)."""
    from ser.cli import estimate_seconds, timed_on_gpu

    def rec(arm, seconds, device="cpu: x"):
        return {"paper": "arabemonet", "profile": "paper", "arm": arm, "git_commit": "c", "created": "2026",
                "duration_s": seconds, "device": device, "params": {"corpus": "eyase", "folds": [0]}}  # fmt: skip

    recs = [rec("as_published", 85.0, "cuda: NVIDIA H200"), rec("clean", 89.0, "cuda: NVIDIA H200")]
    params = {"corpus": "eyase", "profile": "paper"}
    assert estimate_seconds("arabemonet", params, recs) is None  # paper_text has no record here
    recs.append(rec("paper_text", 3600.0))
    assert estimate_seconds("arabemonet", params, recs) == 3600.0 and timed_on_gpu("arabemonet", params, recs) == []
    mine = params | {"arm": "as_published", "folds": [0]}
    assert estimate_seconds("arabemonet", mine, recs) == 85.0
    assert timed_on_gpu("arabemonet", mine, recs) == ["cuda: NVIDIA H200"]


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
               "--out", str(tmp_path), "--workers", "1"])  # fmt: skip
    assert rc == 1
    assert (tmp_path / "wavelet_cnn_lstm-emodb-si.ipynb").read_text() == "old"
    assert (tmp_path / "wavelet_cnn_lstm-emodb-si.failed.ipynb").read_text() == "new"
    assert (tmp_path / "wavelet_cnn_lstm-emodb-sd.ipynb").read_text() == "new"
    out = capsys.readouterr().out
    assert "run 2 of 2" in out and "failed: wavelet_cnn_lstm-emodb-si: RuntimeError: boom" in out


def test_training_benchmark_counts_flops_and_reports_ratios(tmp_path, capsys):
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
    assert main(["bench", "train", "--model", "emotionnet", "--repeat", "2", "--compile", "--out", str(out)]) == 0
    res = json.loads(out.read_text())
    (row,) = res["models"]
    assert "[1/1] emotionnet (" in capsys.readouterr().err  # a progress line per model: some take minutes
    # torch.compile is timed beside the eager model: its compile time apart, its steps interleaved
    assert res["compiled"] and row["compile_s"] > 0 and row["compiled_train_items_per_s"] > 0
    assert row["speedup_step_compiled"] == pytest.approx(row["compiled_train_items_per_s"] / row["train_items_per_s"])
    assert res["matmul_peak_gflops"] > 0 and row["params"] > 0 and 0 < row["train_fraction_of_peak"] < 1
    assert row["s_per_epoch"] > 0 and row["paper_epochs"] == 100 and "load_average_at_start" in res
    # steps timed in blocks run back to back (4 by default); the slowest and fastest block bound the median
    lo, hi = row["train_items_per_s_range"]
    assert res["steps_per_block"] == 4 and row["steps_timed"] == 8 and 0 < lo <= hi
    # two processes at once (as ser reproduce's two workers train): per-process means, each one's speed and the sum
    out2 = tmp_path / "pair.json"
    assert (
        main(["bench", "train", "--model", "emotionnet", "--repeat", "2", "--concurrent", "2", "--out", str(out2)]) == 0
    )
    pair = json.loads(out2.read_text())
    (prow,) = pair["models"]
    assert pair["concurrent"] == 2 and len(prow["train_items_per_s_per_process"]) == 2
    assert prow["total_train_items_per_s"] == pytest.approx(sum(prow["train_items_per_s_per_process"]))
    assert prow["train_items_per_s"] == pytest.approx(prow["total_train_items_per_s"] / 2)
    plo, phi = prow["train_items_per_s_range"]  # over both processes' blocks
    assert plo <= min(prow["train_items_per_s_per_process"]) and phi >= max(prow["train_items_per_s_per_process"])
    for bad in (["--concurrent", "0"], ["--block", "0"], ["--repeat", "0"]):
        with pytest.raises(SystemExit):
            main(["bench", "train", *bad])
    from ser.bench_train import specs

    sp = {s.name: s for s in specs()}  # the Bonnefoy budget is counted in steps: 16,940 over 38 batches per epoch
    assert sp["cnn_blstm_attention"].epochs_at_paper_budget() == -(-16940 // 38)
    assert sp["parallel_cnn_lstm/as_published"].epochs_at_paper_budget() == 100
    assert "cnn_blstm_attention/as_published" in sp


@pytest.fixture()
def private_cache(tmp_path, monkeypatch):
    """Smoke results go to the cache: point it at a fresh folder so they can be found. Its features and
    numba folders are the session's (links): what the runs compute there is not what these tests check."""
    from core.config import cache_dir

    (tmp_path / "cache").mkdir()
    for sub in ("features", "numba"):
        (tmp_path / "cache" / sub).symlink_to(cache_dir(sub), target_is_directory=True)
    monkeypatch.setenv("SER_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("SER_PROFILE", "smoke")
    return tmp_path / "cache"


FANOUT_RUNS = ["emotionnet", "wavelet_cnn_lstm-emodb-si"]


def _fanout_args(out: Path) -> list[str]:
    return ["reproduce", "--profile", "smoke", *[a for r in FANOUT_RUNS for a in ("--only", r)], "--out", str(out)]


def test_the_benchmark_profiles_where_a_training_step_goes(tmp_path, capsys):
    """--profile: each model's step split by kind of operation, shares summing to one; a batch norm at full
    resolution shows up as its own kind (it counts no FLOPs, so the fraction of peak cannot show it)."""
    import json

    import torch
    import torch.nn as nn

    from ser.bench_train import op_shares

    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.MaxPool2d(2), nn.Flatten(),
                        nn.Linear(8 * 16 * 16, 3))  # fmt: skip
    shares = op_shares(net, torch.randn(16, 1, 32, 32), torch.randint(0, 3, (16,)))
    assert {"convolution", "batch_norm", "pooling"} <= set(shares) and sum(shares.values()) == pytest.approx(1)
    assert list(shares.values()) == sorted(shares.values(), reverse=True)
    out = tmp_path / "prof.json"
    assert main(["bench", "train", "--model", "emotionnet", "--repeat", "1", "--profile", "--out", str(out)]) == 0
    (row,) = json.loads(out.read_text())["models"]
    assert sum(row["op_shares"].values()) == pytest.approx(1) and "matmul" in row["op_shares"]
    assert "share of a training step's CPU time by kind of operation" in capsys.readouterr().out


def test_two_smoke_runs_on_a_two_worker_local_dask_cluster(tmp_path, private_cache, capsys):
    """`--workers 2`: both runs execute as Dask tasks; the client writes their records and notebooks."""
    from ser.paths import RESULTS_DIR

    before = sorted(p.read_bytes() for p in RESULTS_DIR.rglob("*.json"))
    assert main([*_fanout_args(tmp_path / "nb"), "--workers", "2"]) == 0
    out = capsys.readouterr().out
    assert "2 runs on tcp://" in out and "(2 workers)" in out
    assert "run 1 of 2 done" in out and "run 2 of 2 done" in out and "2 of 2 runs done" in out
    for name in FANOUT_RUNS:
        assert (tmp_path / "nb" / f"{name}.ipynb").is_file()
    recs = {p.parent.name for p in (private_cache / "results").rglob("*.json") if p.parent.name != "splits"}
    assert recs == {"emotionnet", "wavelet_cnn_lstm"}
    for p in (private_cache / "results").rglob("*.json"):
        text = p.read_text()
        assert "ser-run-" not in text  # the worker's private folder is gone from the records
        assert json.loads(text)["params"]["results_dir"] is None
    assert sorted(p.read_bytes() for p in RESULTS_DIR.rglob("*.json")) == before  # smoke: nothing committed changes


def test_runs_go_to_an_existing_scheduler(tmp_path, private_cache, capsys):
    """`--scheduler`: the runs are sent to a cluster the user started (here one on localhost)."""
    from distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, host="127.0.0.1", dashboard_address=None) as cluster:
        code = main(["reproduce", "--profile", "smoke", "--only", "emotionnet", "--out", str(tmp_path / "nb"),
                     "--scheduler", cluster.scheduler_address])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0 and f"1 runs on {cluster.scheduler_address} (1 workers)" in out
    assert (tmp_path / "nb" / "emotionnet.ipynb").is_file()
    assert any((private_cache / "results" / "emotionnet").glob("*.json"))


def test_the_client_lands_a_task_where_a_local_run_would_have_written(tmp_path, monkeypatch):
    from ser.fanout import land

    monkeypatch.setenv("SER_CACHE", str(tmp_path / "cache"))
    priv = "/tmp/ser-run-abc/results/emotionnet"
    rec = {"params": {"results_dir": priv, "record": True}, "split_file": f"{priv}/splits/s.csv"}
    result = {
        "name": "emotionnet", "paper": "emotionnet", "ok": False, "error": "boom", "tmp": priv,
        "notebook": json.dumps({"cells": [priv]}).encode(),
        "files": {"r.json": json.dumps(rec).encode(), "splits/s.csv": b"utt_id,part\\n"},
    }  # fmt: skip
    written = land(result, {"profile": "smoke", "record": True}, tmp_path / "nb")
    dest = tmp_path / "cache" / "results" / "emotionnet"
    assert {p.name for p in written} == {"r.json", "s.csv", "emotionnet.failed.ipynb"}
    got = json.loads((dest / "r.json").read_text())
    assert got["params"]["results_dir"] is None and got["split_file"] == f"{dest}/splits/s.csv"
    assert priv not in (tmp_path / "nb" / "emotionnet.failed.ipynb").read_text()
    assert not (tmp_path / "nb" / "emotionnet.ipynb").exists()  # a failed run never replaces the executed notebook


def test_executed_notebooks_of_one_paper_get_distinct_titles():
    from ser.fanout import retitle

    nb = json.dumps({"cells": [{"cell_type": "code", "source": []},
                               {"cell_type": "markdown", "source": ["# Title\n", "\n", "text"]}]})  # fmt: skip
    once = retitle(nb, "paper-random")
    assert json.loads(once)["cells"][1]["source"] == ["# Title (paper-random)\n", "\n", "text"]
    assert retitle(once, "paper-random") == once  # idempotent


def test_the_default_is_two_one_thread_workers_only_for_several_runs_on_two_cores():
    from ser.cli import default_workers

    assert default_workers(5, cores=2) == 2 and default_workers(5, cores=16) == 5 and default_workers(20, 16) == 8
    assert default_workers(1, cores=2) == 1 and default_workers(5, cores=1) == 1


def test_gpu_script_runs_without_a_gpu_and_says_when_a_step_failed(tmp_path):
    """scripts/gpu_check.sh, prepared for a lent GPU, checked here on the CPU: the benchmark file
    lands in $OUT, the BAVED arms say why they were skipped, and a failed benchmark makes the
    script's exit status non-zero (the later steps still run)."""
    import json
    import os
    import subprocess
    import sys

    (tmp_path / "data" / "eyase").mkdir(parents=True)  # EYASE carried, BAVED and RAVDESS not
    env = {**os.environ, "PY": sys.executable, "DEVICE": "cpu", "MODELS": "emotionnet", "THREADS": "1",
           "OUT": str(tmp_path / "out"), "GPU_DATA": str(tmp_path / "data"), "DRY": "1"}  # fmt: skip
    proc = subprocess.run(["bash", "scripts/gpu_check.sh"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    res = json.loads((tmp_path / "out" / "train-bench-cpu.json").read_text())
    assert [r["model"] for r in res["models"]] == ["emotionnet"] and res["device"].startswith("cpu")
    log = (tmp_path / "out" / "arms.log").read_text().splitlines()
    planned = [line.split()[3].rstrip(":") for line in log if line.startswith("would run")]
    # one job per fold, as_published and clean on the same fold side by side, for the corpus carried only
    assert planned[:4] == [f"eyase-{arm}-fold{f}" for f in (0, 1) for arm in ("as_published", "clean")]
    assert len(planned) == 15 and "eyase-speaker-fold4" in planned
    assert "-p arm clean -p corpus eyase -p protocol kfold -p studies False -y {folds: [0]}" in log[1]
    assert "baved-clean-fold0 skipped: no " in "\n".join(log)

    env["MODELS"], env["OUT"] = "no_such_model", str(tmp_path / "out2")
    proc = subprocess.run(["bash", "scripts/gpu_check.sh"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)  # fmt: skip
    assert proc.returncode == 1, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "the benchmark failed" in (tmp_path / "out2" / "bench.log").read_text()
    assert (tmp_path / "out2" / "arms.log").exists()  # step 2 still ran (here: its dry plan)


def test_the_gpu_script_runs_the_owed_jobs_written_here(tmp_path):
    """`ser reproduce --owed --gpu-jobs .gpu-data/JOBS` writes what is still owed; the script runs that list
    (a lease then never repeats folds that have landed)."""
    import os
    import subprocess
    import sys

    from ser.owed import gpu_jobs, standing

    decl = {"paper": "arabemonet", "notebook": "papers/arabemonet.ipynb", "parameters": {"seed": {}, "folds": {}},
            "targets": [{"name": "eyase-clean", "issue": 15, "runs": "eyase-kfold5-clean-main-paper-fold*",
                         "seeds": 1, "folds": [0, 1], "params": {"arm": "clean", "corpus": "eyase"}}]}  # fmt: skip
    landed = {"paper": "arabemonet", "run": "eyase-kfold5-clean-main-paper-fold0", "seeds": [0], "fold": 0,
              "profile": "paper", "budget": {"paper_budget": True}, "duration_s": 80.0, "metrics": {}}  # fmt: skip
    jobs = gpu_jobs(standing(decl, [landed], per_fold=True))
    assert (
        jobs
        == 'arabemonet:eyase:arabemonet-eyase-clean-seed0-fold1:-y "{arm: clean, corpus: eyase, seed: 0, folds: [1]}"'
    )
    (tmp_path / "data" / "eyase").mkdir(parents=True)
    (tmp_path / "data" / "JOBS").write_text(jobs + "\n")
    env = {**os.environ, "PY": sys.executable, "DEVICE": "cpu", "MODELS": "emotionnet", "THREADS": "1",
           "OUT": str(tmp_path / "out"), "GPU_DATA": str(tmp_path / "data"), "DRY": "1"}  # fmt: skip
    proc = subprocess.run(["bash", "scripts/gpu_check.sh"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert (tmp_path / "out" / "arms.log").read_text().splitlines() == [
        "would run arabemonet arabemonet-eyase-clean-seed0-fold1: -y {arm: clean, corpus: eyase, seed: 0, folds: [1]}"
    ]
    assert not (tmp_path / "out" / "commit.log").exists()  # no commit file: records name git's commit

    # the commit file, written beside the call, holds the commit and a digest of the code; there, the same
    # code keeps the commit, other code makes it "-unverified"; an empty JOBS file runs nothing
    commit = subprocess.run(["bash", "scripts/gpu_check.sh", "commit"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=60).stdout.split()  # fmt: skip
    assert len(commit) == 2 and len(commit[1]) == 16 and (tmp_path / "data" / "COMMIT").read_text().split() == commit
    (tmp_path / "data" / "JOBS").write_text("\n")
    env["MODELS"] = "no_such_model"  # the benchmark fails at once: this part is about the commit and the jobs
    for digest, out in ((commit[1], "out3"), ("0" * 16, "out4")):
        (tmp_path / "data" / "COMMIT").write_text(f"{commit[0]} {digest}\n")
        env["OUT"] = str(tmp_path / out)
        subprocess.run(["bash", "scripts/gpu_check.sh"], cwd=ROOT, env=env, capture_output=True, timeout=300)
        assert (tmp_path / out / "arms.log").read_text().splitlines() == [
            f"nothing owed: {tmp_path / 'data'}/JOBS is empty"
        ]
    assert not (tmp_path / "out3" / "commit.log").exists()
    unverified = commit[0].removesuffix("-dirty") + "-unverified"
    assert (tmp_path / "out4" / "commit.log").read_text().strip().endswith(f"records name {unverified}")


def test_a_run_that_is_up_to_date_is_not_run_again(tmp_path, monkeypatch):
    """ser reproduce skips a run whose executed notebook completed with the same parameters, whose
    notebook is unchanged, and whose results name a clean commit with the same core/ as HEAD."""
    import json
    import subprocess

    import papermill

    from ser.cli import up_to_date
    from ser.paths import notebook_of

    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    params = {"profile": "smoke", "protocols": ["random"], "record": True}
    nb = json.loads(notebook_of("emotionnet").read_text())
    nb["metadata"]["papermill"] = {
        "parameters": params,
        "start_time": "2026-01-01T10:00",
        "end_time": "2026-01-01T11:00",
    }
    (tmp_path / "emotionnet.ipynb").write_text(json.dumps(nb))
    rec = {"paper": "emotionnet", "created": "2026-01-01T10:30:00", "git_commit": head, "profile": "smoke",
           "params": {}, "arm": "paper_text", "duration_s": 1.0, "run": "x"}  # fmt: skip
    assert "up to date" in up_to_date("emotionnet", "emotionnet", params, tmp_path, [rec])
    assert up_to_date("emotionnet", "emotionnet", params | {"seeds": [1]}, tmp_path, [rec]) is None
    assert up_to_date("emotionnet", "emotionnet", params, tmp_path, [rec | {"git_commit": head + "-dirty"}]) is None
    assert (
        up_to_date("emotionnet", "emotionnet", params, tmp_path, [rec | {"git_commit": head + "-unverified"}]) is None
    )
    # a lent GPU's run wrote its results elsewhere (then landed): where they went is not a parameter of the run
    nb["metadata"]["papermill"]["parameters"] = params | {"results_dir": "/tmp/gpu-arms/results/emotionnet"}
    (tmp_path / "emotionnet.ipynb").write_text(json.dumps(nb))
    assert "up to date" in up_to_date("emotionnet", "emotionnet", params, tmp_path, [rec])
    nb["metadata"]["papermill"]["parameters"] = params
    (tmp_path / "emotionnet.ipynb").write_text(json.dumps(nb))
    assert (
        up_to_date("emotionnet", "emotionnet", params, tmp_path, [rec | {"git_commit": "157d43c"}]) is None
    )  # core/ changed since
    assert up_to_date("emotionnet", "emotionnet", params, tmp_path, []) is None  # no results to tie it to
    nb["cells"][-1]["source"] = "print('changed')"
    (tmp_path / "other.ipynb").write_text(json.dumps(nb))
    assert up_to_date("emotionnet", "other", params, tmp_path, [rec]) is None  # the notebook changed since
    # end to end: ser reproduce leaves it alone unless --redo
    calls = []
    monkeypatch.setattr(papermill, "execute_notebook", lambda nb, out, parameters, **kw: calls.append(parameters))
    monkeypatch.setattr("ser.results.read_results", lambda *a, **k: [rec])
    nb["cells"] = json.loads(notebook_of("emotionnet").read_text())["cells"]
    nb["metadata"]["papermill"]["parameters"] = {"profile": "smoke", "record": True}
    (tmp_path / "emotionnet.ipynb").write_text(json.dumps(nb))
    main(["reproduce", "--only", "emotionnet", "--profile", "smoke", "--out", str(tmp_path)])
    assert calls == []
    main(["reproduce", "--only", "emotionnet", "--profile", "smoke", "--out", str(tmp_path), "--redo"])
    assert calls == [{"profile": "smoke", "record": True}]
    (tmp_path / "emotionnet.failed.ipynb").write_text("{}")
    assert up_to_date("emotionnet", "emotionnet", params, tmp_path, [rec]) is None


def test_each_dask_worker_gets_its_own_numba_cache(tmp_path, monkeypatch):
    """Two workers compiling librosa's functions into one numba cache at once corrupted it (every later
    process died loading it): on a worker, kernels get a cache of that worker's own, under the user's
    cache when one is set, and a second run on the same worker reuses it."""
    import os
    import types

    import distributed

    from ser import fanout

    monkeypatch.setenv("SER_CACHE", str(tmp_path))
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.setattr(distributed, "get_worker", lambda: types.SimpleNamespace(name=1))
    fanout._private_jit_cache()
    assert os.environ["NUMBA_CACHE_DIR"] == str(tmp_path / "numba" / "worker-1")
    assert (tmp_path / "numba" / "worker-1").is_dir()
    fanout._private_jit_cache()  # the worker's next run
    assert os.environ["NUMBA_CACHE_DIR"] == str(tmp_path / "numba" / "worker-1")
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "mine"))
    fanout._private_jit_cache()
    assert os.environ["NUMBA_CACHE_DIR"] == str(tmp_path / "mine" / "worker-1")
    monkeypatch.setattr(distributed, "get_worker", lambda: types.SimpleNamespace(name=2))
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "mine"))
    fanout._private_jit_cache()
    assert os.environ["NUMBA_CACHE_DIR"] == str(tmp_path / "mine" / "worker-2")


def test_private_numba_cache_rejects_a_path_as_owner(tmp_path, monkeypatch):
    from core.config import private_numba_cache

    monkeypatch.setenv("SER_CACHE", str(tmp_path))
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    for bad in ("", "a/b", ".."):
        with pytest.raises(ValueError, match="plain folder name"):
            private_numba_cache(bad)


def test_each_test_worker_compiles_into_its_own_numba_cache():
    """Under the README's `pytest -n 2` each worker, and every kernel it starts, has a numba cache of
    its own (two workers compiling librosa into one folder crashed every later test process on CI);
    a one-process run leaves numba's default alone."""
    import os

    worker = os.environ.get("PYTEST_XDIST_WORKER")
    cache = os.environ.get("NUMBA_CACHE_DIR", "")
    if worker:
        assert Path(cache).name == f"pytest-{worker}" and Path(cache).is_dir()
    else:
        assert "pytest-gw" not in cache
