"""The whole trainer at two commits: one paper's notebook run at each, for a few epochs, and its seconds per epoch.

``ser bench ab --paper wavelet_cnn_lstm -y '{corpus: emodb, folds: [0], studies: false}' --out F`` checks out
the two commits (``--before``, default issue 14's baseline, and ``--after``, default ``HEAD``) as git worktrees,
runs the notebook at each with the same parameters and ``epochs``, each side with its own feature cache (filled
by a one-epoch warm-up first), one torch thread, and writes ``before``, ``after`` and their ratio. ``--mode pair``
(default) runs the two sides at the same time, so that a change of load touches both; ``alone`` one after the
other, the after side first. Seconds per epoch are the records' fit time (training and validation, as
``History.seconds``) over the epochs they ran, summed over every record a side wrote. The step-level speed-ups of
``ser bench train`` time the last change to the step; this times every change since the baseline at once.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import yaml

DEFAULT_BEFORE = "c28e7ff"  # the commit just before the first training benchmark: issue 14's baseline
SIDES = ("before", "after")


class ABError(RuntimeError):
    """A side could not run (an unknown commit, a failed notebook, no record written)."""


def _git(repo: Path, *args: str) -> str:
    out = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True)
    if out.returncode:
        raise ABError(f"git {' '.join(args)}: {out.stderr.strip()}")
    return out.stdout.strip()


def side_env(work: Path, tree: Path, data_root: str | None) -> dict[str, str]:
    """The environment of one side: its own tree first on the path, its own caches (numba's too: two
    processes compiling librosa into one cache at once corrupt it, see ``core.config.private_numba_cache``),
    one thread (the variables ``ser reproduce``'s workers set)."""
    from ser.fanout import THREAD_VARS

    env = dict(os.environ)
    env.update(
        PYTHONPATH=str(tree),
        SER_CACHE=str(work / "cache"),
        XDG_CACHE_HOME=str(work / "xdg"),
        NUMBA_CACHE_DIR=str(work / "numba"),
    )
    env.update(dict.fromkeys(THREAD_VARS, "1"))
    if data_root:
        env["SER_DATA"] = data_root
    return env


def side_command(tree: Path, paper: str, params: dict, epochs: int, results: Path, out_nb: Path) -> list[str]:
    """The papermill call of one side: ``params`` plus ``epochs`` and a results folder of its own."""
    p = dict(params) | {"epochs": epochs, "results_dir": str(results)}
    return [sys.executable, "-m", "papermill", "--cwd", str(tree), str(tree / "papers" / f"{paper}.ipynb"),
            str(out_nb), "-y", yaml.safe_dump(p, default_flow_style=True), "--no-progress-bar"]  # fmt: skip


def summarize(results: Path) -> dict:
    """Seconds per epoch, epochs and first accuracy over every record under ``results``."""
    recs = [json.loads(f.read_text()) for f in sorted(results.rglob("*.json"))]
    recs = [r for r in recs if isinstance(r.get("history"), dict) and r["history"].get("val_loss")]
    if not recs:
        raise ABError(f"no record with a learning curve under {results}")
    seconds = sum(r["history"]["seconds"] for r in recs)
    epochs = sum(len(r["history"]["val_loss"]) for r in recs)
    per_epoch = [s for r in recs for s in (r["history"].get("epoch_seconds") or [])]
    return {
        "s_per_epoch": seconds / epochs,
        "epochs_run": epochs,
        "epoch_seconds": per_epoch or None,  # (records before the per-epoch times have none)
        "n_train": recs[0]["history"].get("train_items") or None,
        "records": [r.get("run", "") for r in recs],
        "device": recs[0].get("device", ""),
        "accuracy": recs[0].get("metrics", {}).get("accuracy"),
    }


def timing_budget(profile: str | None, epochs: int) -> dict:
    """The ``budget`` block of an A/B file: a few epochs per side to time the trainer, never a result."""
    return {"profile": profile, "epochs": epochs, "paper_budget": False,
            "purpose": "timing: each side trains this many epochs to measure seconds per epoch; no result"}  # fmt: skip


Runner = Callable[[list[str], dict[str, str], Path], "subprocess.Popen"]


def _popen(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(cmd, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)


def _wait(procs: dict[str, tuple[subprocess.Popen, Path]]) -> dict[str, float]:
    """Wait for every side; the time each ended; a failed side is an error that names its log."""
    ended: dict[str, float] = {}
    while len(ended) < len(procs):
        for side, (p, log) in procs.items():
            if side not in ended and p.poll() is not None:
                ended[side] = time.time()
                if p.returncode:
                    for q, _ in procs.values():
                        if q.poll() is None:
                            q.kill()
                    tail = log.read_text()[-1500:] if log.exists() else ""
                    raise ABError(f"the {side} side's notebook failed (rc {p.returncode}); its log {log}:\n{tail}")
        time.sleep(0.5)
    return ended


def ab(
    paper: str,
    params: dict,
    before: str = DEFAULT_BEFORE,
    after: str = "HEAD",
    epochs: int = 3,
    mode: str = "pair",
    repo: Path | None = None,
    data_root: str | None = None,
    work: Path | None = None,
    runner: Runner = _popen,
    progress: Callable[[str], None] = print,
) -> dict:
    """Run ``paper``'s notebook at ``before`` and ``after`` (see the module) and return the comparison."""
    if epochs < 1:
        raise ValueError(f"epochs must be at least 1, got {epochs}")
    if mode not in ("pair", "alone"):
        raise ValueError(f"mode must be 'pair' or 'alone', got {mode!r}")
    repo = Path(repo or Path(__file__).resolve().parents[1])
    if not (repo / "papers" / f"{paper}.ipynb").exists():
        raise ABError(f"no notebook papers/{paper}.ipynb in {repo}")
    commits = {"before": _git(repo, "rev-parse", before), "after": _git(repo, "rev-parse", after)}
    own_work = work is None  # a folder of our own is removed after a success (a failure keeps its logs)
    work = Path(work or tempfile.mkdtemp(prefix="ser-ab-"))
    trees: dict[str, Path] = {}
    try:
        for side in SIDES:
            trees[side] = work / side / "tree"
            _git(repo, "worktree", "add", "--detach", str(trees[side]), commits[side])
        order = [list(SIDES)] if mode == "pair" else [["after"], ["before"]]

        def stage(name: str, n_epochs: int) -> dict[str, float]:
            ended: dict[str, float] = {}
            for group in order:
                procs = {}
                for side in group:
                    d = work / side
                    shutil.rmtree(d / "cache" / "checkpoints", ignore_errors=True)  # never resume a warm-up
                    res = d / f"{name}-results"
                    cmd = side_command(trees[side], paper, params, n_epochs, res, d / f"{name}.ipynb")
                    log = d / f"{name}.log"
                    procs[side] = (runner(cmd, side_env(d, trees[side], data_root), log), log)
                progress(f"{name}: {' and '.join(group)} side(s) running ({n_epochs} epoch(s))")
                ended |= _wait(procs)
            return ended

        stage("warmup", 1)  # fills each side's feature cache
        load = os.getloadavg()[0]
        start = time.time()
        ended = stage("timed", epochs)
        out = {side: {"commit": commits[side]} | summarize(work / side / "timed-results") for side in SIDES}
    finally:
        for tree in trees.values():
            subprocess.run(["git", "-C", str(repo), "worktree", "remove", "--force", str(tree)], capture_output=True)
    if own_work:  # the two sides' feature caches can take hundreds of MB
        shutil.rmtree(work, ignore_errors=True)
    arm = params.get("arm") or "paper_text"
    lag = ended["before"] - ended["after"] + 0.0 if mode == "pair" else 0.0
    return {
        "model": f"{paper}/{arm}",
        "corpus": params.get("corpus") or ",".join(params.get("corpora", [])),
        "profile": params.get("profile"),
        "params": params,
        "seed": params.get("seed", 0),
        "epochs": epochs,
        "budget": timing_budget(params.get("profile"), epochs),
        "threads": 1,
        "concurrent": 2 if mode == "pair" else 1,
        "mode": mode,
        "device": out["after"]["device"],
        "load_average_at_start": round(load, 2),
        "started": datetime.fromtimestamp(start, UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "wall_s": round(max(ended.values()) - start, 1),
        "lag_s": round(lag, 1),  # pair: the before side ended this much later (< 0: earlier) and ran alone meanwhile
        "before": out["before"],
        "after": out["after"],
        "speedup": out["before"]["s_per_epoch"] / out["after"]["s_per_epoch"],
    }


def main(argv: list[str] | None = None) -> int:
    import argparse

    p = argparse.ArgumentParser(prog="ser bench ab", description=__doc__.splitlines()[0])
    p.add_argument("--paper", required=True, help="the notebook, e.g. wavelet_cnn_lstm")
    p.add_argument("-y", "--params", default="{}", help="papermill parameters as YAML (epochs is set by --epochs)")
    p.add_argument("--before", default=DEFAULT_BEFORE, help=f"the earlier commit (default {DEFAULT_BEFORE})")
    p.add_argument("--after", default="HEAD", help="the later commit (default HEAD)")
    p.add_argument("--epochs", type=int, default=3, help="epochs timed on each side (default 3)")
    p.add_argument("--mode", choices=["pair", "alone"], default="pair", help="the sides at once (default) or in turn")
    p.add_argument("--data-root", default=None, help="corpora (default $SER_DATA)")
    p.add_argument("--conditions", default="", help="a sentence on the machine's state, kept in the file")
    p.add_argument("--out", type=Path, default=None, help="write the result as JSON (ab-*.json under bench/)")
    a = p.parse_args(argv)
    params = yaml.safe_load(a.params) or {}
    if not isinstance(params, dict):
        p.error(f"-y must be a YAML mapping, got {a.params!r}")
    if "epochs" in params:
        p.error("set the epochs with --epochs, not in -y")
    try:
        res = ab(a.paper, params, a.before, a.after, a.epochs, a.mode, data_root=a.data_root)
    except (ABError, ValueError) as err:
        print(f"ser bench ab: {err}", file=sys.stderr)
        return 2
    res["conditions"] = a.conditions
    b, f = res["before"], res["after"]
    print(f"{res['model']}: {b['s_per_epoch']:.1f} s per epoch at {b['commit'][:7]}, {f['s_per_epoch']:.1f} at "
          f"{f['commit'][:7]}: {res['speedup']:.2f}x ({res['mode']})")  # fmt: skip
    if a.out:
        from core.io import write_json

        write_json(a.out, res)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
