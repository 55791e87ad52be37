"""Results files: one JSON per run, written atomically, read back for the book.

A record holds paper, claim ids, corpus (and whether it substitutes the
paper's), protocol, profile, seed(s), metrics, parameters, duration, device,
library versions and the git commit it ran from.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from core.io import atomic_write
from ser.paths import OUTPUT_PATHS, REPO_ROOT, RESULTS_DIR, repo_relative  # noqa: F401  (repo_relative re-exported)

REQUIRED = (
    "paper",
    "claim_ids",
    "corpus",
    "protocol",
    "profile",
    "seeds",
    "metrics",
    "params",
    "duration_s",
    "device",
    "versions",
    "git_commit",
)


def git_commit(repo: Path = REPO_ROOT) -> str:
    """``HEAD`` commit, suffixed ``-dirty`` if tracked files other than run outputs
    (:data:`OUTPUT_PATHS`) differ from it; ``unknown`` outside git. ``$SER_GIT_COMMIT``, where set, is
    taken instead: ``scripts/gpu_check.sh`` sets it to the commit a lent GPU's copy of the tree was sent
    from, since the ``.git`` that travels with that copy can be older than the tree."""
    if os.environ.get("SER_GIT_COMMIT"):
        return os.environ["SER_GIT_COMMIT"]
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, check=True
        ).stdout.strip()
        exclude = [f":(exclude){p}" for p in OUTPUT_PATHS]
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", ".", *exclude],
            cwd=repo,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        return sha + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def ran_on_gpu(rec: dict) -> bool:
    """Whether a record (or benchmark file) was timed on a GPU: its ``device`` is :func:`device_info`'s
    ``cuda: <name>``. Its seconds are then not what a CPU takes."""
    return str(rec.get("device", "")).startswith("cuda")


def device_info() -> str:
    import torch

    if torch.cuda.is_available():
        return f"cuda: {torch.cuda.get_device_name(0)}"
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    # the instruction set torch's kernels use (AVX2, AVX512, ...): one model name covers machines of several
    # generations, whose speeds (and float sums) differ
    isa = torch.backends.cpu.get_cpu_capability()
    return f"cpu: {cpu} [{isa}], {os.cpu_count()} cores, torch threads {torch.get_num_threads()}"


def determinism_info() -> dict[str, Any]:
    """The settings that decide whether a rerun gives the same numbers (see
    :func:`core.train.seed_everything`): deterministic kernels, cuDNN flags, the cuBLAS workspace
    and the torch thread count (a different count may change float sums)."""
    import torch

    from core.train import freed_memory_kept

    return {
        "deterministic_algorithms": torch.are_deterministic_algorithms_enabled(),
        "warn_only": torch.is_deterministic_algorithms_warn_only_enabled(),
        "cudnn_deterministic": bool(torch.backends.cudnn.deterministic),
        "cudnn_benchmark": bool(torch.backends.cudnn.benchmark),
        "cublas_workspace_config": os.environ.get("CUBLAS_WORKSPACE_CONFIG"),
        "torch_threads": torch.get_num_threads(),
        "flush_denormal": bool((torch.tensor([1e-40]) * 1.0).item() == 0.0),  # subnormals flushed to zero
        "kept_freed_memory": freed_memory_kept(),  # glibc keeps freed blocks mapped (speed only)
        "filled_uninitialized_memory": bool(torch.utils.deterministic.fill_uninitialized_memory),  # NaN guard
    }


def versions() -> dict[str, str]:
    import librosa
    import numpy
    import sklearn
    import torch

    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": numpy.__version__,
        "librosa": librosa.__version__,
        "sklearn": sklearn.__version__,
        "pandas": pd.__version__,
    }


def make_record(
    *,
    paper: str,
    claim_ids: list[str],
    corpus: str,
    protocol: str,
    profile: str,
    seeds: list[int],
    metrics: dict[str, Any],
    params: dict[str, Any],
    duration_s: float,
    substitution: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """Assemble a results record with the environment fields filled in."""
    rec = {
        "paper": paper,
        "claim_ids": list(claim_ids),
        "corpus": corpus,
        "substitution": substitution,
        "protocol": protocol,
        "profile": profile,
        "seeds": list(seeds),
        "metrics": metrics,
        "params": params,
        "duration_s": round(float(duration_s), 2),
        "device": device_info(),
        "determinism": determinism_info(),
        "versions": versions(),
        "git_commit": git_commit(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    rec.update(extra)
    return rec


def write_result(record: dict[str, Any], directory: str | Path, name: str) -> Path:
    """Validate and write ``record`` to ``directory/name.json`` atomically."""
    missing = [k for k in REQUIRED if k not in record]
    if missing:
        raise ValueError(f"results record lacks {missing}")
    path = Path(directory) / f"{name}.json"
    text = json.dumps(record, indent=1, sort_keys=True, default=_jsonable) + "\n"  # fails before any file is touched
    with atomic_write(path) as fh:
        fh.write(text)
    return path


def _jsonable(o: Any) -> Any:
    import numpy as np

    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"cannot store {type(o).__name__} in a results file")


class ResultsError(ValueError):
    """A results file is unreadable, not a record, or repeats another record."""


# Folders under the results root that hold other JSON (benchmarks) or records read on their own
# (baselines, :mod:`ser.baselines`), not model run records.
NOT_RECORDS = ("bench", "baselines")


def run_identity(rec: dict[str, Any]) -> tuple:
    """What makes two records the same run: paper, corpus, protocol, arm, profile, seeds, fold, split
    file and the full parameters. Two files with one identity would be counted twice in every mean."""
    return (
        rec["paper"],
        rec["corpus"],
        rec["protocol"],
        rec.get("arm", "paper_text"),
        rec["profile"],
        tuple(rec["seeds"]),
        rec.get("fold"),
        rec.get("split_file"),
        json.dumps(rec["params"], sort_keys=True, default=str),
    )


def read_results(directory: str | Path = RESULTS_DIR, paper: str | None = None) -> list[dict[str, Any]]:
    """All records under ``directory`` (recursively), optionally for one paper.

    Every JSON file outside :data:`NOT_RECORDS` folders must be a record: a file that does not
    parse, is not an object or lacks a required key is an error naming the file and the keys, and
    two files with one :func:`run_identity` (a backup or a renamed copy) are an error naming both.
    Nothing is skipped silently.
    """
    directory = Path(directory)
    recs, seen = [], {}
    for p in sorted(directory.rglob("*.json")):
        if any(part in NOT_RECORDS for part in p.relative_to(directory).parts[:-1]):
            continue
        try:
            rec = json.loads(p.read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
            raise ResultsError(f"results file {p} cannot be read: {err}; restore it from git or delete it") from None
        if not isinstance(rec, dict):
            raise ResultsError(f"results file {p} is not a record (a JSON object), got {type(rec).__name__}")
        missing = [k for k in REQUIRED if k not in rec]
        if missing:
            raise ResultsError(f"results file {p} lacks {missing}; it is not a complete results record")
        key = run_identity(rec)
        if key in seen:
            raise ResultsError(
                f"results files {seen[key]} and {p} hold the same run (paper, corpus, protocol, arm, profile, "
                "seeds, fold and parameters); keep one, or every mean would count it twice"
            )
        seen[key] = p
        if paper is None or rec["paper"] == paper:
            rec["_file"] = str(p)
            recs.append(rec)
    return recs


def summarize(
    records: list[dict[str, Any]], metric: str = "accuracy", by: tuple[str, ...] = ("corpus", "protocol", "profile")
) -> pd.DataFrame:
    """Mean, std (ddof=1) and n of ``metric`` over seeds, grouped by ``by``."""
    rows = [
        {**{k: r.get(k) for k in by}, "claim_ids": ",".join(r["claim_ids"]), "value": r["metrics"][metric]}
        for r in records
        if metric in r["metrics"]
    ]
    if not rows:
        return pd.DataFrame(columns=[*by, "claim_ids", "mean", "std", "n"])
    df = pd.DataFrame(rows)
    g = df.groupby([*by, "claim_ids"], dropna=False)["value"]
    return g.agg(mean="mean", std="std", n="count").reset_index()


def run_name(rec: dict, missing: str = "") -> str:
    """A record's run name (records written before the ``run`` field existed: their file's name)."""
    return rec.get("run") or Path(rec.get("_file", missing)).stem
