from __future__ import annotations

import json
import re

import numpy as np
import pytest

from ser.results import REQUIRED, make_record, read_results, summarize, write_result


def _rec(seed, acc, protocol="random"):
    return make_record(
        paper="p",
        claim_ids=["c1"],
        corpus="baved",
        protocol=protocol,
        profile="cpu",
        seeds=[seed],
        metrics={"accuracy": acc},
        params={"lr": 0.05},
        duration_s=1.234,
        confusion=np.eye(2, dtype=int),
    )


def test_round_trip(tmp_path):
    path = write_result(_rec(0, 0.9), tmp_path, "run0")
    back = read_results(tmp_path)[0]
    assert back["metrics"] == {"accuracy": 0.9} and back["confusion"] == [[1, 0], [0, 1]]
    for key in REQUIRED:
        assert key in back
    assert back["git_commit"] and back["device"] and back["versions"]["torch"]
    # the processor with the instruction set torch's kernels use: machines of one model name differ in it
    assert re.match(r"(cpu: .+ \[[A-Z0-9_]+\]|cuda: .+), ", back["device"] + ", ")
    assert json.loads(path.read_text())["duration_s"] == 1.23
    assert not list(tmp_path.glob("*.tmp"))


def test_missing_fields_and_unstorable_values(tmp_path):
    rec = _rec(0, 0.9)
    del rec["seeds"]
    with pytest.raises(ValueError, match="seeds"):
        write_result(rec, tmp_path, "x")
    bad = _rec(0, 0.9)
    bad["params"]["f"] = object()
    with pytest.raises(TypeError, match="cannot store"):
        write_result(bad, tmp_path, "y")
    assert list(tmp_path.iterdir()) == []  # nothing half-written


def test_summary_mean_std_n(tmp_path):
    for s, a in enumerate([0.8, 0.9, 1.0]):
        write_result(_rec(s, a), tmp_path, f"r{s}")
    write_result(_rec(0, 0.5, "speaker"), tmp_path, "s0")
    table = summarize(read_results(tmp_path)).set_index("protocol")
    assert table.loc["random", "mean"] == pytest.approx(0.9)
    assert table.loc["random", "std"] == pytest.approx(0.1)
    assert table.loc["random", "n"] == 3 and table.loc["speaker", "n"] == 1


def test_git_commit_dirty_only_for_code(tmp_path):
    import subprocess

    from ser.results import git_commit

    def git(*args):
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    git("init", "-q")
    (tmp_path / "code.py").write_text("a = 1\n")
    (tmp_path / "papers" / "results").mkdir(parents=True)
    (tmp_path / "papers" / "results" / "r.json").write_text("{}\n")
    git("add", "-A")
    git("-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "x")
    assert not git_commit(tmp_path).endswith("-dirty")
    (tmp_path / "papers" / "results" / "r.json").write_text('{"a": 1}\n')  # a run rewrote its output
    assert not git_commit(tmp_path).endswith("-dirty")
    (tmp_path / "code.py").write_text("a = 2\n")
    assert git_commit(tmp_path).endswith("-dirty")
    assert git_commit(tmp_path / "nowhere") == "unknown"


def test_a_copy_sent_to_a_gpu_names_the_commit_it_was_sent_from(tmp_path, monkeypatch):
    """The .git that travels with a lent GPU's copy of the tree can be older than the tree: the commit the
    sending side wrote (dirty where it had uncommitted changes) is what the records name."""
    from ser.results import git_commit

    monkeypatch.setenv("SER_GIT_COMMIT", "3eb8fe5-dirty")
    assert git_commit(tmp_path) == "3eb8fe5-dirty"
    monkeypatch.setenv("SER_GIT_COMMIT", "")
    assert git_commit(tmp_path) == "unknown"


def test_reader_names_a_corrupt_file(tmp_path):
    from ser.results import ResultsError

    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "broken.json").write_text('{"paper": "x", ')
    with pytest.raises(ResultsError, match=r"broken.json cannot be read"):
        read_results(tmp_path)


def test_reader_names_missing_keys_and_non_records(tmp_path):
    from ser.results import ResultsError

    (tmp_path / "a.json").write_text('{"paper": "x"}')
    with pytest.raises(ResultsError, match=r"a.json lacks \['claim_ids'"):
        read_results(tmp_path)
    (tmp_path / "a.json").write_text("[1, 2]")
    with pytest.raises(ResultsError, match="not a record"):
        read_results(tmp_path)


def test_a_copied_record_is_refused_not_counted_twice(tmp_path):
    from ser.results import ResultsError

    rec = _rec(0, 0.9)
    write_result(rec, tmp_path / "p", "run-seed0")
    (tmp_path / "p" / "run-seed0 (copy).json").write_text((tmp_path / "p" / "run-seed0.json").read_text())
    with pytest.raises(ResultsError, match="hold the same run"):
        read_results(tmp_path)


def test_benchmark_files_are_not_records(tmp_path):
    (tmp_path / "bench").mkdir()
    (tmp_path / "bench" / "cpu.json").write_text('{"threads": 1}')
    assert read_results(tmp_path) == []


def test_records_state_the_determinism_settings_they_ran_with():
    from core.train import seed_everything
    from ser.results import make_record

    seed_everything(0)
    rec = make_record(paper="p", claim_ids=[], corpus="c", protocol="random", profile="smoke", seeds=[0],
                      metrics={}, params={}, duration_s=0.0)  # fmt: skip
    d = rec["determinism"]
    assert d["deterministic_algorithms"] and d["cudnn_deterministic"] and not d["cudnn_benchmark"]
    assert d["cublas_workspace_config"] and d["torch_threads"] >= 1
