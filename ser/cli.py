"""Command line: ``ser reproduce``, ``ser download`` and ``ser book``.

``ser reproduce --profile cpu`` executes every paper notebook with papermill
into ``book/replications/`` (which the book shows) and writes results files;
``ser book`` builds the site with ``jupyter-book build book/``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from ser import declaration
from ser.paths import BOOK_DIR, REPLICATIONS_DIR, REPO_ROOT, notebook_of

# Notebooks of the book that are not a paper's (no declaration): the corpora overview.
BOOK_NOTEBOOKS: dict[str, list[tuple[str, dict]]] = {"corpora": [("corpora", {})]}


def book_runs() -> dict[str, list[tuple[str, dict]]]:
    """Runs of the book per paper, from the declarations: (executed notebook name, parameters).
    A run whose parameters name a profile is pinned to it: it runs when named with ``--only``, or
    when ``--profile`` is that one."""
    runs = {paper: [(r["name"], r["params"]) for r in d.get("runs", [])] for paper, d in declaration.load_all().items()}
    return dict(sorted((runs | BOOK_NOTEBOOKS).items()))


def reproduce(
    profile: str, papers: list[str] | None, corpus: str | None, out_dir: Path, only: list[str] | None = None
) -> None:
    """Execute the registered notebooks of ``papers`` (all by default); ``only`` keeps the runs whose
    executed notebook is named there (with or without ``.ipynb``)."""
    import papermill as pm

    runs = book_runs()
    unknown = sorted(set(papers or []) - set(runs))
    if unknown:
        raise SystemExit(f"unknown paper(s) {unknown}; known: {sorted(runs)}")
    wanted = {o.removesuffix(".ipynb") for o in only or []}
    known_runs = {name for entries in runs.values() for name, _ in entries}
    if wanted - known_runs:
        raise SystemExit(f"unknown run(s) {sorted(wanted - known_runs)}; known: {sorted(known_runs)}")
    selected = []  # (paper, run name, parameters)
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
    out_dir.mkdir(parents=True, exist_ok=True)
    if any(_reads_baved(paper, params) for paper, _, params in selected):
        from core.data import load_corpus

        load_corpus("baved", download=True)  # the one corpus with a public archive: fetch it if it is missing
    for paper, name, params in selected:
        notebook, executed = notebook_of(paper), out_dir / f"{name}.ipynb"
        print(f"[reproduce] {paper}: {notebook.relative_to(REPO_ROOT)} {params} -> {executed}", flush=True)
        pm.execute_notebook(str(notebook), str(executed), parameters=params, cwd=str(REPO_ROOT), progress_bar=True)


def _defaults(paper: str) -> dict:
    from ser.run import notebook_defaults

    return notebook_defaults(paper)


def _reads_baved(paper: str, params: dict) -> bool:
    """Whether a run reads BAVED: named in its parameters, or by the notebook's default corpora."""
    merged = {**_defaults(paper), **params}
    return merged.get("corpus") == "baved" or "baved" in (merged.get("corpora") or [])


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["bench"]:  # its options belong to ser.bench
        from ser.bench import main as bench_main

        return bench_main(argv[1:])
    parser = argparse.ArgumentParser(prog="ser", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("reproduce", help="run the paper notebooks at a profile")
    r.add_argument("--profile", choices=("paper", "cpu", "smoke"), default="cpu")
    r.add_argument("--paper", action="append", help="only this paper (repeatable)")
    r.add_argument("--corpus", default=None, help="override each notebook's corpus")
    r.add_argument(
        "--only", action="append", help="only this run, named as its executed notebook, e.g. arabemonet-baved-kfold"
    )
    r.add_argument("--out", type=Path, default=REPLICATIONS_DIR)
    d = sub.add_parser("download", help="download a corpus that has a public archive")
    d.add_argument("corpus", choices=("baved",))
    d.add_argument("--root", default=None, help="data root (default: $SER_DATA or the user cache)")
    sub.add_parser("book", help="build the site: jupyter-book build book/")
    sub.add_parser(
        "bench",
        help="speed ratios: extraction x real time, cache and channels-last speed-ups "
        "(ser bench --help for its options)",
    )
    args = parser.parse_args(argv)
    if args.cmd == "reproduce":
        reproduce(args.profile, args.paper, args.corpus, args.out, args.only)
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
