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

from core.config import REPO_ROOT

# Runs of the book per paper: (name of the executed copy in book/replications/, papermill parameters);
# each executes papers/<paper>.ipynb. A run whose parameters name a profile is pinned to it: it runs
# when named with --only, or when --profile is that one.
RUNS: dict[str, list[tuple[str, dict]]] = {
    "arabemonet": [
        ("arabemonet-eyase-kfold", {"corpus": "eyase", "protocol": "kfold"}),
        ("arabemonet-eyase-speaker", {"corpus": "eyase", "protocol": "speaker", "studies": False}),
        ("arabemonet-baved-kfold", {"corpus": "baved", "protocol": "kfold", "studies": False}),
        ("arabemonet-baved-speaker", {"corpus": "baved", "protocol": "speaker", "studies": False}),
    ],
    "cnn_blstm_attention": [
        ("cnn_blstm_attention-random", {"protocol": "random"}),
        ("cnn_blstm_attention-speaker", {"protocol": "speaker"}),
        (
            "cnn_blstm_attention-random-paper",
            {"protocol": "random", "experiments": ["headline"], "profile": "paper"},
        ),
    ],
    "corpora": [("corpora", {})],
    "emotionnet": [("emotionnet", {})],
    "parallel_cnn_lstm": [
        ("parallel_cnn_lstm-random", {"protocol": "random"}),
        ("parallel_cnn_lstm-speaker", {"protocol": "speaker"}),
    ],
    "wavelet_cnn_lstm": [
        ("wavelet_cnn_lstm-emodb-sd", {"corpus": "emodb", "protocol": "sd", "study_lr": 0.001}),
        ("wavelet_cnn_lstm-emodb-si", {"corpus": "emodb", "protocol": "si", "studies": False}),
        ("wavelet_cnn_lstm-ravdess-sd", {"corpus": "ravdess", "protocol": "sd", "studies": False}),
        ("wavelet_cnn_lstm-ravdess-si", {"corpus": "ravdess", "protocol": "si", "studies": False}),
    ],
}


def notebook_of(paper: str) -> Path:
    """The source notebook every run of ``paper`` executes."""
    return REPO_ROOT / "papers" / f"{paper}.ipynb"


_OWN_PARAMS = {"cnn_blstm_attention": ("corpora",)}  # notebooks that take a list of corpora
_BAVED_BY_DEFAULT = {"parallel_cnn_lstm", "emotionnet"}  # notebooks whose default corpora include BAVED


def reproduce(
    profile: str, papers: list[str] | None, corpus: str | None, out_dir: Path, only: list[str] | None = None
) -> None:
    """Execute the registered notebooks of ``papers`` (all by default); ``only`` keeps the runs whose
    executed notebook is named there (with or without ``.ipynb``)."""
    import papermill as pm

    unknown = sorted(set(papers or []) - set(RUNS))
    if unknown:
        raise SystemExit(f"unknown paper(s) {unknown}; known: {sorted(RUNS)}")
    wanted = {o.removesuffix(".ipynb") for o in only or []}
    known_runs = {name for runs in RUNS.values() for name, _ in runs}
    if wanted - known_runs:
        raise SystemExit(f"unknown run(s) {sorted(wanted - known_runs)}; known: {sorted(known_runs)}")
    selected = []  # (paper, run name, parameters)
    for paper in papers or list(RUNS):
        for name, params in RUNS[paper]:
            if wanted and name not in wanted:
                continue
            if not wanted and params.get("profile", profile) != profile:
                continue  # pinned to another profile
            override = (
                {}
                if not corpus
                else {"corpora": [corpus]}
                if "corpora" in _OWN_PARAMS.get(paper, ())
                else {"corpus": corpus}
            )
            selected.append((paper, name, {"profile": profile, **params, **override}))
    out_dir.mkdir(parents=True, exist_ok=True)
    if any(_reads_baved(paper, params) for paper, _, params in selected):
        from core.data import load_corpus

        load_corpus("baved", download=True)  # the one corpus with a public archive: fetch it if it is missing
    for paper, name, params in selected:
        notebook, executed = notebook_of(paper), out_dir / f"{name}.ipynb"
        print(f"[reproduce] {paper}: {notebook.relative_to(REPO_ROOT)} {params} -> {executed}", flush=True)
        pm.execute_notebook(str(notebook), str(executed), parameters=params, cwd=str(REPO_ROOT), progress_bar=True)


def _reads_baved(paper: str, params: dict) -> bool:
    """Whether a run reads BAVED: named in its parameters, or by the notebook's default corpora."""
    if "corpus" in params or "corpora" in params:
        return params.get("corpus") == "baved" or "baved" in params.get("corpora", [])
    return paper in _BAVED_BY_DEFAULT


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["bench"]:  # its options belong to core.bench
        from core.bench import main as bench_main

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
    r.add_argument("--out", type=Path, default=REPO_ROOT / "book" / "replications")
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
        return subprocess.call(["jupyter-book", "build", str(REPO_ROOT / "book"), "-W", "-n", "--keep-going"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
