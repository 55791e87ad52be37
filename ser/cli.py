"""Command line: ``ser reproduce``, ``ser verdicts``, ``ser download`` and ``ser book``.

``ser reproduce --profile cpu`` executes every paper notebook with papermill
into ``book/replications/`` (which the book shows) and writes results files;
``ser book`` builds the site with ``jupyter-book build book/``.
"""

from __future__ import annotations

import argparse
import functools
import subprocess
import sys
import time
from pathlib import Path

from ser import declaration
from ser.paths import BOOK_DIR, REPLICATIONS_DIR, REPO_ROOT, RESULTS_DIR, notebook_of

# Notebooks of the book that are not a paper's (no declaration): the corpora overview.
BOOK_NOTEBOOKS: dict[str, list[tuple[str, dict]]] = {"corpora": [("corpora", {})]}


def book_runs() -> dict[str, list[tuple[str, dict]]]:
    """Runs of the book per paper, from the declarations: (executed notebook name, parameters).
    A run whose parameters name a profile is pinned to it: it runs when named with ``--only``, or
    when ``--profile`` is that one."""
    runs = {paper: [(r["name"], r["params"]) for r in d.get("runs", [])] for paper, d in declaration.load_all().items()}
    return dict(sorted((runs | BOOK_NOTEBOOKS).items()))


# What a plain `ser reproduce` reruns: the book's flagship claim (BAVED, 96.91 %), whose corpus has a
# public archive, at the `cpu` profile in under an hour on 2 cores; the rest of the book is the
# committed evidence until `--all` (or `--paper`, `--only`) asks for more.
FLAGSHIP = ("parallel_cnn_lstm-random",)


def select_runs(
    profile: str,
    papers: list[str] | None = None,
    corpus: str | None = None,
    only: list[str] | None = None,
    everything: bool = True,
) -> list[tuple[str, str, dict]]:
    """The runs ``ser reproduce`` would execute: ``(paper, run name, papermill parameters)``; with
    no ``papers`` or ``only`` and ``everything`` False, the :data:`FLAGSHIP` runs."""
    if not papers and not only and not everything:
        only = list(FLAGSHIP)
    runs = book_runs()
    unknown = sorted(set(papers or []) - set(runs))
    if unknown:
        raise SystemExit(f"unknown paper(s) {unknown}; known: {sorted(runs)}")
    wanted = {o.removesuffix(".ipynb") for o in only or []}
    known_runs = {name for entries in runs.values() for name, _ in entries}
    if wanted - known_runs:
        raise SystemExit(f"unknown run(s) {sorted(wanted - known_runs)}; known: {sorted(known_runs)}")
    selected = []
    for paper in papers or list(runs):
        for name, params in runs[paper]:
            if wanted and name not in wanted:
                continue
            if not wanted and params.get("profile", profile) != profile:
                continue  # pinned to another profile
            override = {}
            if corpus:
                override = {"corpora": [corpus]} if "corpora" in _defaults(paper) else {"corpus": corpus}
            record = {"record": True} if paper not in BOOK_NOTEBOOKS else {}  # the book's runs are recorded
            selected.append((paper, name, {"profile": profile, **params, **override, **record}))
    return selected


def readme_times() -> str:
    """The Markdown block of the README that states run times, from the recorded durations (so it is
    never typed by hand; a test checks the README holds the current one)."""
    from ser.results import read_results

    records = read_results()
    rows = []
    for label, profile, everything in (
        ("`ser reproduce` (the flagship run)", "cpu", False),
        ("`ser reproduce --all`", "cpu", True),
        ("`ser reproduce --all --profile paper`", "paper", True),
    ):
        selected = select_runs(profile, everything=everything)
        est = [last_run(p, params, records) for p, _, params in selected]
        known = sum(e for e, gpu in est if e is not None and not gpu)
        on_gpu = [(e, gpu) for e, gpu in est if e is not None and gpu]
        missing = sum(e is None for e, _ in est)
        note = f" ({missing} of them never recorded yet)" if missing else ""
        gpus = ", ".join(sorted({g for _, gpu in on_gpu for g in gpu}))
        gpu_note = (
            f" (and {len(on_gpu)} run(s) timed only on a GPU, {gpus}: {sum(e for e, _ in on_gpu) / 60:.0f} min there)"
            if on_gpu
            else ""
        )
        rows.append(f"| {label} | {len(selected)}{note} | {known / 3600:.1f} h{gpu_note} |")
    return "\n".join(
        [
            "| command | runs | summed recorded durations of the committed runs |",
            "|---|---|---|",
            *rows,
        ]
    )


def corpora_of(paper: str, params: dict) -> list[str]:
    """The corpora a run reads (trained and tested on): named in its parameters, else the notebook's defaults."""
    if paper in BOOK_NOTEBOOKS:
        return []
    merged = {**_defaults(paper), **params}
    train = [merged["corpus"]] if merged.get("corpus") else list(merged.get("corpora") or [])
    test = [merged["test_corpus"]] if merged.get("test_corpus") else list(merged.get("test_corpora") or [])
    return train + [c for c in test if c not in train]


@functools.cache
def _default_arm(paper: str) -> str | None:
    return declaration.load(paper).get("default_arm") if paper not in BOOK_NOTEBOOKS else None


def last_run(paper: str, params: dict, records: list[dict]) -> tuple[float | None, list[str]]:
    """The recorded duration of the last execution of this run (the summed durations of the newest commit's
    records of that paper and profile whose parameters include the run's; None if none) and the GPUs it
    was timed on (its seconds are then not CPU seconds)."""
    from ser.results import ran_on_gpu  # here: ser.results loads pandas, which `ser --help` need not wait for

    profile = params.get("profile", "cpu")
    keys = {k: v for k, v in params.items() if k not in ("profile", "record")}
    # a run that names no arm runs the declaration's default one: another arm's records are not its own
    default_arm = _default_arm(paper)
    mine = [
        r
        for r in records
        if r["paper"] == paper
        and r["profile"] == profile
        and all(r["params"].get(k, r.get(k)) == v for k, v in keys.items() if k != "arm")
        and r.get("arm", "paper_text") == keys.get("arm", default_arm or r.get("arm", "paper_text"))
    ]
    if not mine:
        return None, []
    newest = max(mine, key=lambda r: r.get("created", ""))["git_commit"]
    last = [r for r in mine if r["git_commit"] == newest]
    return float(sum(r["duration_s"] for r in last)), sorted({str(r["device"]) for r in last if ran_on_gpu(r)})


def estimate_seconds(paper: str, params: dict, records: list[dict]) -> float | None:
    """The recorded duration of the last execution of this run (:func:`last_run`); None if none."""
    return last_run(paper, params, records)[0]


def timed_on_gpu(paper: str, params: dict, records: list[dict]) -> list[str]:
    """The GPUs the last execution of this run was timed on (:func:`last_run`)."""
    return last_run(paper, params, records)[1]


def plan(selected: list[tuple[str, str, dict]], workers: int = 1) -> str:
    """Text: each selected run with its arm, profile, corpora (present or not) and estimated time."""
    from core.data import available_corpora
    from ser.results import read_results

    records = read_results()
    here = set(available_corpora())
    lines = [f"{'#':>3}  {'run':<42} {'arm':<13} {'profile':<8} {'corpora':<28} {'estimate':>9}"]
    total, gpu_total, unknown = 0.0, 0.0, 0
    for k, (paper, name, params) in enumerate(selected, 1):
        corpora = corpora_of(paper, params)
        missing = [c for c in corpora if c not in here]
        shown = ", ".join(c + (" (missing)" if c in missing else "") for c in corpora) or "-"
        est, gpu = last_run(paper, params, records)
        if gpu:  # GPU seconds are not what this machine will take: counted apart
            gpu_total += est or 0.0
        else:
            total += est or 0.0
        unknown += est is None
        arm = params.get("arm") or (declaration.load(paper)["default_arm"] if paper not in BOOK_NOTEBOOKS else "-")
        when = f"{est / 60:.0f} min" + (" GPU" if gpu else "") if est is not None else "unknown"
        lines.append(f"{k:>3}  {name:<42} {arm:<13} {params['profile']:<8} {shown:<28} {when:>9}")
    lines.append(
        f"{len(selected)} runs; estimated {total / 3600:.1f} h from recorded durations"
        + (f" ({unknown} without a recorded duration)" if unknown else "")
        + (f", and {gpu_total / 60:.0f} min of runs timed on a GPU (marked GPU; far longer here)" if gpu_total else "")
        + (
            f"; at best {total / 3600 / workers:.1f} h on {workers} workers, if they do not share cores (on 2 cores "
            "2 workers measured 1.16-1.3x faster, not 2x)"
            if workers > 1
            else ""
        )
    )
    return "\n".join(lines)


def default_workers(n_runs: int, cores: int | None = None) -> int:
    """One one-thread worker per core (at most 8, at most one per run) when there are several runs
    and at least 2 cores: on 2 cores, two one-thread trainings ran about 1.3x the epochs per hour of
    one two-thread training in our measurement (BAVED model); else one run at a time with every core."""
    import os

    cores = (os.cpu_count() or 1) if cores is None else cores
    return min(n_runs, cores, 8) if n_runs > 1 and cores >= 2 else 1


def preflight(
    selected: list[tuple[str, str, dict]], check_data: bool = True
) -> tuple[list[tuple[str, str, dict]], list[tuple[str, str]]]:
    """Check every run before any starts: its parameters (``--corpus`` included) against the paper's
    declaration, and every corpus it reads (present, complete per its manifest and file count;
    BAVED, which has a public archive, is downloaded when missing). Returns the runnable runs and
    ``(name, reason)`` of the runs skipped because their data is unavailable. Bad parameters stop
    everything with the run's name."""
    from core.data import CorpusMismatchError, CorpusNotFoundError, get_corpus, load_corpus
    from ser.params import ParameterError
    from ser.run import notebook_defaults, resolve_params

    for paper, name, params in selected:
        if paper in BOOK_NOTEBOOKS:
            continue
        try:
            resolve_params(declaration.load(paper), {**notebook_defaults(paper), **params}, notebook_defaults(paper))
        except ParameterError as err:
            raise SystemExit(f"run {name}: {err}") from None
    status: dict[str, str | None] = {}
    if not check_data:  # the corpora are on the workers' machines, not here
        return list(selected), []
    for corpus in sorted({c for paper, _, params in selected for c in corpora_of(paper, params)}):
        try:
            load_corpus(corpus, download=get_corpus(corpus).downloadable)
            status[corpus] = None
        except (CorpusNotFoundError, CorpusMismatchError, ValueError) as err:
            status[corpus] = str(err)
    runnable, skipped = [], []
    for paper, name, params in selected:
        bad = [c for c in corpora_of(paper, params) if status.get(c)]
        if bad:
            skipped.append((name, f"not run: data unavailable ({'; '.join(str(status[c]) for c in bad)})"))
        else:
            runnable.append((paper, name, params))
    return runnable, skipped


def up_to_date(paper: str, name: str, params: dict, out_dir: Path, records: list[dict]) -> str | None:
    """Why run ``name`` need not run again, or None: its executed notebook in ``out_dir`` completed
    with the same parameters, the paper's notebook has not changed since (code cells), and nothing
    under ``core/`` changed between the clean commit its results files name and ``HEAD``."""
    import json

    from ser.report import code_cells

    path = out_dir / f"{name}.ipynb"
    if not path.exists() or (out_dir / f"{name}.failed.ipynb").exists():
        return None
    try:
        nb = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None  # not a notebook that completed
    pm_meta = nb.get("metadata", {}).get("papermill", {})
    ran = {k: v for k, v in (pm_meta.get("parameters") or {}).items() if k != "results_dir"}  # where, not what
    if pm_meta.get("exception") or ran != {k: v for k, v in params.items() if k != "results_dir"}:
        return None
    if code_cells(nb) != code_cells(json.loads(notebook_of(paper).read_text())):
        return None
    start, end = pm_meta.get("start_time") or "", pm_meta.get("end_time") or ""
    commits = {
        r.get("git_commit", "") for r in records if r["paper"] == paper and start <= r.get("created", "") <= end + "~"
    }
    if len(commits) != 1 or not next(iter(commits)) or next(iter(commits)).endswith(("-dirty", "-unverified")):
        return None  # no results to tie it to a commit, several commits, or uncommitted (or unverified) code
    commit = next(iter(commits))
    diff = subprocess.run(["git", "diff", "--quiet", commit, "HEAD", "--", "core"], cwd=REPO_ROOT, capture_output=True)
    if diff.returncode != 0:
        return None  # the library changed since (or the commit is unknown here)
    return f"up to date (ran at {commit[:10]}; nothing under core/ changed since)"


def reproduce(
    profile: str,
    papers: list[str] | None,
    corpus: str | None,
    out_dir: Path,
    only: list[str] | None = None,
    plan_only: bool = False,
    workers: int | None = 1,
    scheduler: str | None = None,
    everything: bool = True,
    redo: bool = False,
) -> int:
    """Execute the registered notebooks of ``papers`` (all by default); ``only`` keeps the runs whose
    executed notebook is named there (with or without ``.ipynb``). Prints the plan, checks every run's
    parameters and corpora (runs whose data is unavailable are skipped, with the reason), then runs
    them one after the other here, or as Dask tasks (``workers`` > 1: a local cluster; ``scheduler``:
    an existing one; :mod:`ser.fanout`). A failed run keeps the previously executed notebook (the
    failed copy is saved beside it as ``<name>.failed.ipynb``), the other runs go on, and the return
    code is 1."""
    import time

    import papermill as pm

    selected = select_runs(profile, papers, corpus, only, everything)
    print(plan(selected, workers or default_workers(len(selected))), flush=True)
    if plan_only:
        return 0
    out_dir.mkdir(parents=True, exist_ok=True)
    if not redo:  # a long queue is worked through over several sittings: what is done stays done
        from ser.results import read_results

        records = read_results(RESULTS_DIR)
        done = {
            name: why for paper, name, params in selected if (why := up_to_date(paper, name, params, out_dir, records))
        }
        for name, why in done.items():
            print(f"[reproduce] {name}: {why}; --redo runs it again", flush=True)
        selected = [s for s in selected if s[1] not in done]
    selected, skipped = preflight(selected, check_data=scheduler is None)
    if scheduler is not None:
        print("[reproduce] corpora are checked on the workers (each needs SER_DATA): not here", flush=True)
    if workers is None:
        workers = default_workers(len(selected))
    for name, why in skipped:
        print(f"[reproduce] {name}: {why}", flush=True)
    failed, start = [], time.perf_counter()
    if workers > 1 or scheduler:
        from ser.fanout import run_on_dask

        several = frozenset(name for paper, name, _ in selected if len(book_runs().get(paper, [])) > 1)
        failed = (
            run_on_dask(selected, out_dir, workers=workers, scheduler=scheduler, retitle_runs=several)
            if selected
            else []
        )
        selected_n = len(selected)
    else:
        selected_n = len(selected)
        for k, (paper, name, params) in enumerate(selected, 1):
            notebook, executed = notebook_of(paper), out_dir / f"{name}.ipynb"
            running = out_dir / f".{name}.running.ipynb"
            elapsed = (time.perf_counter() - start) / 60
            print(f"[reproduce] run {k} of {len(selected)} ({elapsed:.0f} min so far): {name} {params}", flush=True)
            try:
                pm.execute_notebook(
                    str(notebook), str(running), parameters=params, cwd=str(REPO_ROOT), progress_bar=True
                )
            except Exception as err:  # noqa: BLE001 - any failure of one run is reported, the others go on
                if running.exists():
                    running.replace(out_dir / f"{name}.failed.ipynb")
                failed.append(
                    (name, f"{type(err).__name__}: {str(err).strip().splitlines()[-1] if str(err).strip() else ''}")
                )
                print(f"[reproduce] run {name} FAILED; {executed.name} is kept as it was", flush=True)
                continue
            if running.exists():
                from ser.fanout import retitle

                if len(book_runs().get(paper, [])) > 1:  # several pages from one notebook: tell them apart
                    running.write_text(retitle(running.read_text(), name))
                running.replace(executed)
    wall = (time.perf_counter() - start) / 60
    print(f"[reproduce] {selected_n - len(failed)} of {selected_n} runs done in {wall:.1f} min"
          + (f"; {len(skipped)} skipped for missing data" if skipped else ""), flush=True)  # fmt: skip
    for name, why in failed:
        print(f"[reproduce] failed: {name}: {why}", flush=True)
    for name, why in skipped:
        print(f"[reproduce] skipped: {name}: {why}", flush=True)
    return 1 if failed else 0


def run_owed(owed: list, limit: int | None, out_dir: Path, workers: int | None, plan_only: bool) -> int:
    """``ser reproduce --owed --run``: declare the owed runs (:func:`ser.owed.queue`, at most ``limit``) as
    runs of the book, execute them at the paper profile with :func:`reproduce`, and take back the
    declaration of each one that left no executed notebook, also when interrupted. One such queue runs
    at a time (a lock file in ``out_dir``): two would train the same seeds and edit the same files."""
    import os

    from ser.owed import declare, queue, undeclare

    todo = queue(owed, limit)
    if not todo:
        print("[owed] nothing owed", flush=True)
        return 0
    if plan_only:
        for _paper, name, params in todo:
            print(f"[owed] would run {name} {params}", flush=True)
        return 0
    out_dir.mkdir(parents=True, exist_ok=True)
    lock = out_dir / ".owed.lock"
    try:
        fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        print(f"[owed] another `ser reproduce --owed --run` holds {lock}; if none is running, delete it", flush=True)
        return 2
    os.write(fd, f"{os.getpid()}\n".encode())
    os.close(fd)
    declared: list[tuple[str, str]] = []
    try:
        for paper, name, params in todo:
            declare(paper, name, params)
            declared.append((paper, name))
        return reproduce("paper", None, None, out_dir, [name for _, name in declared], workers=workers, redo=True)
    finally:
        for paper, name in declared:
            if not (out_dir / f"{name}.ipynb").exists():
                undeclare(paper, name)
                print(f"[owed] {name} left no executed notebook: its declaration is taken back", flush=True)
        lock.unlink(missing_ok=True)


def _defaults(paper: str) -> dict:
    from ser.run import notebook_defaults

    return notebook_defaults(paper)


def _check_papers(parser: argparse.ArgumentParser, given: list[str] | None) -> None:
    """A usage error naming the known papers when ``--paper`` names one without a declaration."""
    known = declaration.load_all()
    unknown = sorted(set(given or []) - set(known))
    if unknown:
        parser.error(f"unknown paper(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")


def baselines_cmd(args: argparse.Namespace) -> int:
    """``ser baselines``: list or run the baseline jobs, then print a one-line status per split."""
    from core.baselines import CLASSIFIERS, FEATURE_SETS
    from ser import baselines

    for given, allowed, what in (
        (args.features, FEATURE_SETS, "feature set"),
        (args.classifiers, CLASSIFIERS, "classifier"),
    ):
        bad = sorted(set(given or []) - set(allowed))
        if bad:
            print(f"unknown {what} {', '.join(bad)}; choose from {', '.join(allowed)}", file=sys.stderr)
            return 2
    baselines.ensure_reference_splits(data_root=args.data_root)
    not_runnable: list[tuple[Path, str]] = []
    selected = baselines.jobs(papers=args.paper, pattern=args.split, skipped=not_runnable)
    for f, why in not_runnable:
        print(f"{f.parent.parent.name:<22} {f.stem:<44} not run: {why}")
    if not selected:
        print(f"no split files match --paper {args.paper} --split {args.split!r}", file=sys.stderr)
        return 2
    if args.list:
        for j in selected:
            print(f"{j.paper:<22} {j.name:<44} {j.corpus:<8} {j.protocol:<8} "
                  f"{'recorded' if j.out_path().exists() else 'missing'}")  # fmt: skip
        return 0
    start = time.perf_counter()
    statuses = baselines.run_all(
        selected, skip_existing=not args.force, feature_sets=args.features, classifiers=args.classifiers,
        data_root=args.data_root, workers=args.workers,
    )  # fmt: skip
    for st in statuses:
        if st["status"] == "done":
            print(f"{st['paper']:<22} {st['job']:<44} {st['best']:<24} UA {st['ua']:.3f}  WA {st['accuracy']:.3f}")
        else:
            print(f"{st['paper']:<22} {st['job']:<44} not run: {st['reason']}")
    wall = time.perf_counter() - start
    print(f"{len(statuses)} split(s) in {wall:.0f} s ({len(selected) - len(statuses)} already recorded)")
    if args.bench:
        baselines.write_bench(args.bench, statuses, wall, args.workers)
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["bench"]:  # its options belong to ser.bench
        from ser.bench import main as bench_main

        return bench_main(argv[1:])
    from importlib.metadata import PackageNotFoundError, version

    try:
        ver = version("ser-replications")
    except PackageNotFoundError:
        ver = "unknown"
    parser = argparse.ArgumentParser(
        prog="ser",
        description=__doc__.splitlines()[0],
        epilog="examples: ser reproduce --plan | ser reproduce --only parallel_cnn_lstm-random | ser book | "
        "ser bench train --model emotionnet",
    )
    parser.add_argument("--version", action="version", version=f"ser-replications {ver}")
    sub = parser.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser(
        "reproduce",
        help="run the paper notebooks of the book at a profile (prints its plan first)",
        description="Execute the runs of the book (declared in papers/claims/<paper>.yaml) with papermill into "
        "book/replications/, recording their results in papers/results/.",
        epilog="examples: ser reproduce (the flagship run); ser reproduce --all --plan; "
        "ser reproduce --paper arabemonet; ser reproduce --only wavelet_cnn_lstm-ravdess-si --profile smoke; "
        "ser reproduce --list; "
        "ser reproduce --workers 2; ser reproduce --scheduler tcp://10.0.0.5:8786",
    )
    r.add_argument("--profile", choices=("paper", "cpu", "smoke"), default=None, help="budget profile (default cpu)")
    r.add_argument("--paper", action="append", help="only this paper (repeatable)")
    r.add_argument("--corpus", default=None, help="override each notebook's corpus")
    r.add_argument(
        "--only", action="append", help="only this run, named as its executed notebook, e.g. arabemonet-baved-kfold"
    )
    r.add_argument("--out", type=Path, default=REPLICATIONS_DIR, help="folder of the executed notebooks")
    r.add_argument("--plan", action="store_true", help="print the runs, corpora and estimated times, run nothing")
    r.add_argument(
        "--all",
        action="store_true",
        help="every run of the book at the profile (default without --paper or --only: the flagship, "
        f"{', '.join(FLAGSHIP)})",
    )
    r.add_argument(
        "--workers",
        type=int,
        default=None,
        help="runs at once on a local Dask cluster of one-thread workers; 1: one run at a time, here, with all "
        "cores (default: one worker per core, at most 8, when there are several runs and at least 2 cores; on 2 "
        "cores two one-thread runs trained about 1.3x more epochs per hour than one two-thread run; else 1)",
    )
    r.add_argument(
        "--scheduler",
        default=None,
        help="address of an existing Dask scheduler (e.g. tcp://10.0.0.5:8786) to send the runs to; each worker "
        "needs this repository and the data root (SER_DATA)",
    )
    r.add_argument("--list", action="store_true", help="list every run of the book (paper, arm, profile) and exit")
    r.add_argument(
        "--owed",
        action="store_true",
        help="list what the open issues ask to be run at the paper's budget (each paper's `targets`) against the "
        "committed results, with the papermill command of every seed still missing, and exit",
    )
    r.add_argument(
        "--run",
        action="store_true",
        help="with --owed: run the owed runs at the paper profile, one target after another in turns, each "
        "declared as a run of the book (a page under its chapter); a run that fails is taken back",
    )
    r.add_argument("--max", type=int, default=None, help="with --owed --run: at most this many runs")
    r.add_argument(
        "--gpu-jobs",
        type=Path,
        default=None,
        help="with --owed: also write the owed runs (with --per-fold, one per fold) as scripts/gpu_check.sh's JOBS "
        "to this file (.gpu-data/JOBS travels with the corpora), so that a GPU lease runs only what is owed",
    )
    r.add_argument(
        "--target",
        action="append",
        help="with --owed: only the targets of this name (a glob, e.g. 'table2-*'; repeatable)",
    )
    r.add_argument(
        "--per-fold",
        action="store_true",
        help="with --owed: owe a seed of a cross-validated target as one run per fold (a run that ends within "
        "one sitting; the seed counts once every fold has run) instead of one run of all its folds",
    )
    r.add_argument(
        "--redo",
        action="store_true",
        help="run again the runs that are up to date (executed notebook completed with the same parameters, "
        "notebook and core/ unchanged since the commit of its results); by default they are skipped",
    )
    d = sub.add_parser("download", help="download a corpus that has a public archive")
    d.add_argument("corpus", choices=("baved", "tess"))
    d.add_argument("--root", default=None, help="data root (default: $SER_DATA or the user cache)")
    sub.add_parser("book", help="build the site: jupyter-book build book/")
    v = sub.add_parser(
        "verdicts",
        help="each paper's headline claims beside what the committed results measured, arm by arm, and its verdict",
        description="Read the committed results files as the book does and print, for each paper, its headline "
        "claims beside the as-published, clean, speaker-independent and cross-corpus results (means with 95 % "
        "intervals, runs and profile), the leak in points, the best baseline and the verdict, then how many of "
        "its claims have each status. Nothing is run.",
        epilog="examples: ser verdicts; ser verdicts --paper parallel_cnn_lstm --claims",
    )
    v.add_argument("--paper", action="append", help="only this paper (repeatable)")
    v.add_argument("--claims", action="store_true", help="also one line per claim: claimed, reproduced, status, why")
    b = sub.add_parser(
        "baselines",
        help="reference baselines (eGeMAPS, ComParE, MFCC, LLD x SVM, LR, RF) on every split file of the book",
        description="For every split file under papers/results/<paper>/splits (each fold of a k-fold file), fit "
        "the reference baselines on its training part, choose C and the best feature set and classifier on its "
        "validation part, and write one record to papers/results/baselines/<paper>/. Existing records are kept "
        "unless --force.",
        epilog="examples: ser baselines --list; ser baselines --paper emotionnet --workers 2; "
        "ser baselines --split 'emodb-*' --features egemaps --force",
    )
    b.add_argument("--paper", action="append", help="only the splits of this paper (repeatable)")
    b.add_argument("--split", default="*", help="only split files whose name matches this glob (default all)")
    b.add_argument("--features", action="append", help="feature set (repeatable; default all)")
    b.add_argument("--classifiers", action="append", help="classifier (repeatable; default all)")
    b.add_argument("--workers", type=int, default=2, help="parallel processes, one thread each (default 2)")
    b.add_argument("--force", action="store_true", help="rerun splits that already have a record")
    b.add_argument("--list", action="store_true", help="list the splits and whether each has a record, run nothing")
    b.add_argument("--data-root", default=None, help="data root (default: $SER_DATA or the user cache)")
    b.add_argument("--bench", type=Path, default=None, help="also write the timing of this call to a JSON file")
    ld = sub.add_parser(
        "land",
        help="copy results written elsewhere (a lent GPU's results_dir) into papers/results",
        description="Copy each record under DIR/<paper>/ into papers/results/<paper>/, pointing its split file at "
        "the book's copy (which must hold the same bytes; the path it ran with is kept as split_file_as_run). "
        "Nothing else in a record changes. A name taken by another record is refused; nothing is written "
        "unless every record checks.",
        epilog="example: tar -xzf arms.tar.gz -C /tmp/gpu1; ser land /tmp/gpu1/results --pages /tmp/gpu1",
    )
    ld.add_argument("source", help="the results_dir the runs wrote to (holding <paper>/<run>.json)")
    ld.add_argument(
        "--pages",
        default=None,
        help="also make each completed executed notebook in this folder a declared page of the book "
        "(book/replications/<name>.ipynb, its run name in its title)",
    )
    sub.add_parser(
        "bench",
        help="speed ratios: extraction x real time, cache and channels-last speed-ups "
        "(ser bench --help for its options)",
    )
    args = parser.parse_args(argv)
    if args.cmd == "reproduce" and args.list:
        for paper, entries in book_runs().items():
            arm_default = declaration.load(paper)["default_arm"] if paper not in BOOK_NOTEBOOKS else "-"
            for name, params in entries:
                print(f"{name:<44} {paper:<22} arm {params.get('arm', arm_default):<13} "
                      f"profile {params.get('profile', '(any)')}")  # fmt: skip
        return 0
    owed_only = args.cmd == "reproduce" and (
        args.run or args.max is not None or args.per_fold or args.target or args.gpu_jobs
    )
    if owed_only and not args.owed:
        parser.error("--run, --max, --per-fold, --target and --gpu-jobs go with --owed")
    if args.cmd == "reproduce" and args.owed:
        if args.only or args.corpus or args.all or args.redo or args.scheduler:
            parser.error(
                "--owed takes --paper, --target, --run, --max, --per-fold, --gpu-jobs, --plan, --workers and --out only"
            )
        if args.profile not in (None, "paper"):
            parser.error("owed runs are at the paper profile: drop --profile")
        if args.max is not None and args.max < 1:
            parser.error("--max must be at least 1")
        if args.workers is not None and args.workers < 1:
            parser.error("--workers must be at least 1")
        from ser.owed import queue, report, standing_all
        from ser.results import read_results

        _check_papers(parser, args.paper)
        owed = standing_all(read_results(RESULTS_DIR), args.paper, per_fold=args.per_fold)
        if args.target:
            import fnmatch

            owed = [o for o in owed if any(fnmatch.fnmatchcase(o.name, g) for g in args.target)]
            if not owed:
                parser.error(f"no target matches {', '.join(args.target)}; `ser reproduce --owed` lists them")
        print(report(owed))
        if args.gpu_jobs:
            from core.io import atomic_write
            from ser.owed import gpu_jobs

            with atomic_write(args.gpu_jobs) as fh:
                fh.write(gpu_jobs(owed, args.max) + "\n")
            print(f"wrote {args.gpu_jobs}: the JOBS of scripts/gpu_check.sh, {len(queue(owed, args.max))} run(s)")
        if not args.run:
            return 0
        return run_owed(owed, args.max, args.out, args.workers, args.plan)
    if args.cmd == "reproduce":
        if args.workers is not None and args.workers < 1:
            parser.error("--workers must be at least 1")
        return reproduce(
            args.profile or "cpu",
            args.paper,
            args.corpus,
            args.out,
            args.only,
            plan_only=args.plan,
            workers=args.workers,
            scheduler=args.scheduler,
            everything=args.all,
            redo=args.redo,
        )
    elif args.cmd == "baselines":
        return baselines_cmd(args)
    elif args.cmd == "verdicts":
        from ser.report import verdicts_text

        _check_papers(parser, args.paper)
        print(verdicts_text(args.paper, args.claims))
    elif args.cmd == "land":
        from ser.land import main as land_main

        return land_main(args.source, pages=args.pages)
    elif args.cmd == "download":
        from core.data import load_corpus

        df = load_corpus(args.corpus, root=args.root, download=True)
        print(f"{args.corpus}: {len(df)} files ready")
    elif args.cmd == "book":
        jb = Path(sys.executable).with_name("jupyter-book")  # works without activating the environment
        return subprocess.call(
            [str(jb) if jb.exists() else "jupyter-book", "build", str(BOOK_DIR), "-W", "-n", "--keep-going"]
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
