"""`ser bench ab`: the trainer at two commits, with a fake notebook runner (the real one takes minutes)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from ser.bench_ab import ABError, ab, main, summarize
from ser.report_speed import trainer_ab


def _record(path: Path, seconds: float, epochs: int, per_epoch: bool = True, acc: float = 0.5) -> None:
    hist = {"seconds": seconds, "val_loss": [1.0] * epochs, "train_items": 40}
    if per_epoch:
        hist["epoch_seconds"] = [seconds / epochs] * epochs
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps({"run": path.stem, "history": hist, "device": "cpu: test", "metrics": {"accuracy": acc}})
    )


def test_summarize_is_fit_time_over_epochs_summed_over_records(tmp_path):
    _record(tmp_path / "a.json", 30.0, 3)
    _record(tmp_path / "sub" / "b.json", 10.0, 2, per_epoch=False)  # a record from before per-epoch times
    (tmp_path / "splits.json").write_text("{}")  # not a record: ignored
    s = summarize(tmp_path)
    assert s["s_per_epoch"] == pytest.approx(40.0 / 5) and s["epochs_run"] == 5
    assert s["epoch_seconds"] == [10.0, 10.0, 10.0] and s["accuracy"] == 0.5
    with pytest.raises(ABError, match="no record with a learning curve"):
        summarize(tmp_path / "sub" / "none")


@pytest.fixture
def repo(tmp_path):
    """A git repository of two commits with a notebook file."""
    r = tmp_path / "repo"
    (r / "papers").mkdir(parents=True)
    (r / "papers" / "toy.ipynb").write_text("{}")
    git = ["git", "-C", str(r), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git[:3], "init", "-q"], check=True)
    for msg in ("old", "new"):
        (r / "papers" / "toy.py").write_text(msg)
        subprocess.run([*git, "add", "-A"], check=True)
        subprocess.run([*git, "commit", "-qm", msg], check=True)
    return r


class _Done:
    def __init__(self, rc: int) -> None:
        self.returncode = rc

    def poll(self) -> int:
        return self.returncode

    def kill(self) -> None:  # pragma: no cover (already ended)
        pass


def _fake_runner(seconds: dict[str, float], fail: str | None = None, calls: list | None = None):
    """Writes one record per call as the notebook would: the old tree's epochs take seconds['old'] each."""

    def run(cmd, env, log):
        tree = Path(cmd[cmd.index("--cwd") + 1])
        params = yaml.safe_load(cmd[cmd.index("-y") + 1])
        side = (tree / "papers" / "toy.py").read_text()
        log.write_text(f"{side} ran\n")
        if calls is not None:
            calls.append((side, params, env))
        if side == fail:
            return _Done(1)
        _record(Path(params["results_dir"]) / "r.json", seconds[side] * params["epochs"], params["epochs"])
        return _Done(0)

    return run


def test_ab_runs_both_commits_with_the_same_parameters_and_own_caches(repo, tmp_path):
    calls: list = []
    res = ab("toy", {"corpus": "c", "profile": "cpu"}, before="HEAD~1", epochs=3, repo=repo, work=tmp_path / "w",
             runner=_fake_runner({"old": 6.0, "new": 2.0}, calls=calls), progress=lambda _: None)  # fmt: skip
    assert res["speedup"] == pytest.approx(3.0) and res["before"]["s_per_epoch"] == pytest.approx(6.0)
    assert res["model"] == "toy/paper_text" and res["mode"] == "pair" and res["epochs"] == 3
    assert res["budget"]["paper_budget"] is False and res["budget"]["epochs"] == 3  # a timing run, never a result
    # a warm-up epoch then the timed epochs, on each side, with the same parameters otherwise
    assert sorted((s, p["epochs"]) for s, p, _ in calls) == [("new", 1), ("new", 3), ("old", 1), ("old", 3)]
    assert all(p["corpus"] == "c" and p["profile"] == "cpu" for _, p, _ in calls)
    caches = {s: env["SER_CACHE"] for s, _, env in calls}
    assert caches["old"] != caches["new"] and all(env["OMP_NUM_THREADS"] == "1" for *_, env in calls)
    numba = {s: env["NUMBA_CACHE_DIR"] for s, _, env in calls}
    assert numba["old"] != numba["new"]  # never one numba cache for two processes at once
    assert (tmp_path / "w" / "after" / "timed.log").exists()  # a folder given by the caller is kept
    # the worktrees are gone afterwards
    listed = subprocess.run(["git", "-C", str(repo), "worktree", "list"], capture_output=True, text=True).stdout
    assert len(listed.strip().splitlines()) == 1


def test_a_failed_side_is_a_clear_error_naming_its_log(repo, tmp_path):
    with pytest.raises(ABError, match=r"(?s)the before side.s notebook failed \(rc 1\).*old ran"):
        ab("toy", {}, before="HEAD~1", repo=repo, work=tmp_path / "w", runner=_fake_runner({"new": 1.0}, fail="old"),
           progress=lambda _: None)  # fmt: skip
    with pytest.raises(ABError, match="no notebook papers/nope.ipynb"):
        ab("nope", {}, repo=repo, work=tmp_path / "w2")
    with pytest.raises(ABError, match="git rev-parse"):
        ab("toy", {}, before="no-such-commit", repo=repo, work=tmp_path / "w3")
    with pytest.raises(ValueError, match="epochs must be at least 1"):
        ab("toy", {}, epochs=0, repo=repo)


def test_the_command_line_refuses_epochs_in_the_parameters(capsys):
    with pytest.raises(SystemExit):
        main(["--paper", "toy", "-y", "{epochs: 3}"])
    assert "set the epochs with --epochs" in capsys.readouterr().err


def test_the_speed_page_shows_an_ab_file_with_its_measured_conditions(repo, tmp_path):
    res = ab("toy", {}, before="HEAD~1", epochs=2, repo=repo, work=tmp_path / "w",
             runner=_fake_runner({"old": 5.0, "new": 4.0}), progress=lambda _: None)  # fmt: skip
    res["conditions"] = "a test"
    bench = tmp_path / "bench"
    bench.mkdir()
    (bench / "ab-toy-pair.json").write_text(json.dumps(res))
    md = trainer_ab(bench)
    row = next(line for line in md.splitlines() if line.startswith("| ab-toy-pair.json"))
    assert "| 5.0 | 4.0 | 1.25 |" in row and "a test; the two sides at the same time, started" in row
    assert "| 40 / 40 |" in row


def test_a_folder_of_its_own_is_removed_after_a_success_and_kept_after_a_failure(repo, tmp_path, monkeypatch):
    import tempfile

    made = []

    def mkdtemp(prefix=""):
        made.append(tmp_path / f"own{len(made)}")
        made[-1].mkdir()
        return str(made[-1])

    monkeypatch.setattr(tempfile, "mkdtemp", mkdtemp)
    ab("toy", {}, before="HEAD~1", epochs=1, repo=repo, runner=_fake_runner({"old": 2.0, "new": 1.0}),
       progress=lambda _: None)  # fmt: skip
    assert not made[0].exists()  # its feature caches and logs are gone
    with pytest.raises(ABError):
        ab(
            "toy",
            {},
            before="HEAD~1",
            repo=repo,
            runner=_fake_runner({"new": 1.0}, fail="old"),
            progress=lambda _: None,
        )
    assert (made[1] / "before" / "warmup.log").exists()  # the failed side's log is kept for the error it names
