"""The repository's layout: where paper notebooks, declarations, results and the book live."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
PAPERS_DIR = REPO_ROOT / "papers"
RESULTS_DIR = PAPERS_DIR / "results"
BOOK_DIR = REPO_ROOT / "book"
REPLICATIONS_DIR = BOOK_DIR / "replications"
# Run outputs: rewriting them during a run does not make the code that produced them differ.
OUTPUT_PATHS = ("papers/results", "book/replications")


def notebook_of(paper: str) -> Path:
    """The source notebook every run of ``paper`` executes."""
    return PAPERS_DIR / f"{paper}.ipynb"


def declaration_of(paper: str) -> Path:
    """The declaration file of ``paper``: claims, profiles, arms, parameters and runs."""
    return PAPERS_DIR / f"{paper}.yaml"


def repo_relative(path: str | Path) -> str:
    """``path`` relative to the repository (POSIX style) when inside it, else absolute."""
    path = Path(path).resolve()
    return path.relative_to(REPO_ROOT).as_posix() if path.is_relative_to(REPO_ROOT) else str(path)
