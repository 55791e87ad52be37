"""Fan-out of ``ser reproduce`` over Dask: each run of the book is one task (one papermill run).

A worker executes the notebook with its results going to a private temporary folder (seeded with
a copy of the paper's committed records, which some notebooks read), and sends back the executed
notebook and every file the run wrote. The client writes them (:func:`land`), so two workers never
write the same file and workers on other machines need no shared disk: each needs the repository
and the data root (``SER_DATA``). Workers run one thread each; on a machine with GPUs each worker
is pinned to one device.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def _pin_device() -> None:
    """On a worker of a machine with GPUs, show the kernel one device, by the worker's number (a
    ``LocalCluster`` numbers its workers; elsewhere a name ending in a number, ``--name gpu-1``; a
    worker started with ``CUDA_VISIBLE_DEVICES`` keeps it)."""
    try:
        from distributed import get_worker

        name = get_worker().name
    except (ImportError, ValueError):
        return
    import re

    import torch

    n = torch.cuda.device_count()
    number = name if isinstance(name, int) else (int(m.group(1)) if (m := re.search(r"(\d+)$", str(name))) else None)
    if n and "CUDA_VISIBLE_DEVICES" not in os.environ and number is not None:
        os.environ["CUDA_VISIBLE_DEVICES"] = str(number % n)


def _private_jit_cache() -> None:
    """On a Dask worker, give the kernels it starts a numba cache of their own
    (:func:`core.config.private_numba_cache`): two workers that compiled librosa's functions into one
    cache at once corrupted it and every later process died loading it. Runs one after another on a
    worker reuse its cache; a cache the user set (``NUMBA_CACHE_DIR``) holds one folder per worker."""
    try:
        from distributed import get_worker

        name = get_worker().name
    except (ImportError, ValueError):
        return
    from core.config import private_numba_cache

    private_numba_cache(f"worker-{name}")


def execute_run(paper: str, name: str, params: dict[str, Any]) -> dict[str, Any]:
    """Run one notebook on this machine (from this machine's checkout of the repository) into a
    private folder and return what it produced:
    ``{name, paper, ok, error, seconds, notebook (bytes), files {relative path: bytes}, tmp}``."""
    import papermill as pm

    from ser.paths import REPO_ROOT, notebook_of

    repo_root, notebook = str(REPO_ROOT), str(notebook_of(paper))

    for var in THREAD_VARS:
        os.environ[var] = "1"  # one thread per worker: the kernel inherits it
    _pin_device()
    _private_jit_cache()
    tmp = Path(tempfile.mkdtemp(prefix="ser-run-")).resolve()  # records store resolved paths
    res = tmp / "results" / paper
    committed = Path(repo_root) / "papers" / "results" / paper
    if committed.is_dir():
        shutil.copytree(committed, res)
    res.mkdir(parents=True, exist_ok=True)
    before = {p: p.read_bytes() for p in res.rglob("*") if p.is_file()}
    out_nb = tmp / f"{name}.ipynb"
    ok, error, start = True, "", time.perf_counter()
    try:
        pm.execute_notebook(
            notebook, str(out_nb), parameters={**params, "results_dir": str(res)}, cwd=repo_root, progress_bar=False
        )
    except Exception as err:  # noqa: BLE001 - reported to the client, which decides
        ok, error = False, f"{type(err).__name__}: {(str(err).strip().splitlines() or [''])[-1]}"
    files = {
        p.relative_to(res).as_posix(): p.read_bytes()
        for p in res.rglob("*")
        if p.is_file() and before.get(p) != p.read_bytes()
    }
    out = {
        "name": name,
        "paper": paper,
        "ok": ok,
        "error": error,
        "seconds": time.perf_counter() - start,
        "notebook": out_nb.read_bytes() if out_nb.exists() else None,
        "files": files,
        "tmp": str(res),
    }
    shutil.rmtree(tmp, ignore_errors=True)
    return out


def retitle(notebook_text: str, name: str) -> str:
    """The executed notebook of run ``name`` with the run's name added to its title (the first
    heading), so that the book's pages of several runs of one notebook have distinct titles."""
    try:
        nb = json.loads(notebook_text)
    except json.JSONDecodeError:
        return notebook_text  # not a notebook (nothing to retitle)
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "markdown":
            continue
        as_list = isinstance(cell["source"], list)
        src = "".join(cell["source"]) if as_list else cell["source"]
        first, nl, rest = src.partition("\n")
        if first.startswith("# ") and not first.endswith(f"({name})"):
            src = f"{first} ({name}){nl}{rest}"
            cell["source"] = src.splitlines(keepends=True) if as_list else src
        break
    return json.dumps(nb, indent=1, ensure_ascii=False) + ("\n" if notebook_text.endswith("\n") else "")


def land(result: dict[str, Any], params: dict[str, Any], out_dir: Path, retitled: bool = False) -> list[Path]:
    """Write a finished task's files where a run on this machine would have written them, with its
    private folder replaced by that place in records and notebook; a failed run keeps the previous
    executed notebook and saves its own as ``<name>.failed.ipynb``. Returns the paths written."""
    from core.io import atomic_write
    from ser.paths import repo_relative
    from ser.run import results_destination

    dest = results_destination(result["paper"], params)
    shown = repo_relative(dest)
    written = []
    for rel, data in result["files"].items():
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        text = data.decode() if rel.endswith((".json", ".csv")) else None
        if text is not None:
            text = text.replace(result["tmp"], shown)
            if rel.endswith(".json"):
                rec = json.loads(text)
                if isinstance(rec, dict) and isinstance(rec.get("params"), dict):
                    rec["params"]["results_dir"] = params.get("results_dir")
                text = json.dumps(rec, indent=1, sort_keys=True) + "\n"
        with atomic_write(target, "w" if text is not None else "wb") as fh:
            fh.write(data if text is None else text)
        written.append(target)
    if result["notebook"] is not None:
        target = out_dir / f"{result['name']}{'' if result['ok'] else '.failed'}.ipynb"
        out_dir.mkdir(parents=True, exist_ok=True)
        with atomic_write(target) as fh:
            text = result["notebook"].decode().replace(result["tmp"], shown)
            fh.write(retitle(text, result["name"]) if retitled else text)
        written.append(target)
    return written


def run_on_dask(
    selected: list[tuple[str, str, dict]],
    out_dir: Path,
    workers: int = 2,
    scheduler: str | None = None,
    heartbeat_s: float = 30.0,
    retitle_runs: frozenset[str] = frozenset(),
) -> list[tuple[str, str]]:
    """Execute ``selected`` runs as Dask tasks (a ``LocalCluster`` of ``workers`` one-thread processes,
    or the cluster at ``scheduler``), each retried once on failure; write each result as it lands and
    print progress at least every ``heartbeat_s``; the executed notebooks of ``retitle_runs`` get their run's
    name in their title (:func:`retitle`). Returns ``(name, reason)`` of the runs that failed."""
    from distributed import Client, LocalCluster

    cluster = None
    if scheduler is None:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
    client = Client(scheduler or cluster)
    import uuid

    token = uuid.uuid4().hex[:8]  # task keys unique to this call, on a shared scheduler too
    try:
        start, attempts, failed = time.perf_counter(), {}, []
        by_future = {}
        for paper, name, params in selected:
            fut = client.submit(execute_run, paper, name, params, key=f"{name}-1-{token}", retries=1)
            by_future[fut] = (paper, name, params)
            attempts[name] = 1
        done_n, pending = 0, set(by_future)
        print(f"[reproduce] {len(selected)} runs on {client.scheduler.address} "
              f"({len(client.scheduler_info()['workers'])} workers)", flush=True)  # fmt: skip
        last_word = time.perf_counter()
        while pending:
            finished = {f for f in pending if f.done()}
            if not finished and time.perf_counter() - last_word < heartbeat_s:
                time.sleep(0.5)
                continue
            pending -= finished
            last_word = time.perf_counter()
            elapsed = (time.perf_counter() - start) / 60
            for fut in finished:
                paper, name, params = by_future.pop(fut)
                try:
                    result = fut.result()
                except Exception as err:  # noqa: BLE001 - a worker lost twice: report, go on
                    failed.append((name, f"{type(err).__name__}: {err}"))
                    done_n += 1
                    continue
                if not result["ok"] and attempts[name] == 1:
                    attempts[name] = 2
                    print(f"[reproduce] {name} failed ({result['error']}); retrying once", flush=True)
                    retry = client.submit(execute_run, paper, name, params, key=f"{name}-2-{token}")
                    by_future[retry] = (paper, name, params)
                    pending.add(retry)
                    continue
                try:
                    land(result, params, out_dir, retitled=name in retitle_runs)
                except OSError as err:  # a full disk, a permission: this run is lost, the others go on
                    result = result | {"ok": False, "error": f"writing its files failed: {err}"}
                done_n += 1
                if not result["ok"]:
                    failed.append((name, result["error"]))
                word = "done" if result["ok"] else "FAILED"
                print(f"[reproduce] run {done_n} of {len(selected)} {word}: {name} "
                      f"({result['seconds'] / 60:.1f} min; {elapsed:.1f} min so far)", flush=True)  # fmt: skip
            if not finished:
                running = ", ".join(sorted(n for _, n, _ in by_future.values()))
                print(f"[reproduce] {elapsed:.1f} min: {done_n} of {len(selected)} done; running or queued: {running}",
                      flush=True)  # fmt: skip
        return failed
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
