"""Land results written elsewhere (a lent GPU's ``results_dir``, ``scripts/gpu_check.sh``) in the book's results.

``ser land DIR`` copies each record under ``DIR/<paper>/`` to ``papers/results/<paper>/``. A record names the
split file its run wrote, by the path it had there (``/tmp/gpu-arms/results/<paper>/splits/...``); landing
points it at the same file in the book (``papers/results/<paper>/splits/...``), which must hold the same bytes
(or, if the book has no such file yet, is copied from ``DIR``), and keeps the path it ran with as
``split_file_as_run``. Nothing else in a record changes: its numbers, device and commit stay as written.
A record whose name is taken by a different one is refused, and nothing is written until every record checks.

``--pages DIR`` also makes each executed notebook in ``DIR`` that completed a page of the book: copied to
``book/replications/<name>.ipynb`` with its run name in its title, and declared as a run (pinned to its
profile) in the paper's declaration and ``_toc.yml``. ``<name>`` is the notebook's name, prefixed with the
paper's where it lacks it. A notebook cut short (no end time) or failed is named and left out.
"""

from __future__ import annotations

import json
from pathlib import Path

from core.io import atomic_write
from ser.paths import RESULTS_DIR, repo_relative
from ser.results import NOT_RECORDS, REQUIRED, write_result


class LandError(ValueError):
    """A record cannot land: its split file is missing or differs, or its name is taken by another record."""


def _plan(source: Path, results_dir: Path) -> list[tuple[Path, dict, Path | None, Path | None]]:
    """Every record under ``source`` checked: (destination, record to write, split to copy from, to)."""
    plan = []
    files = sorted(p for p in source.glob("*/*.json") if p.parent.name not in NOT_RECORDS)
    if not files:
        raise LandError(f"{source} holds no records (<paper>/<run>.json); give the results_dir the runs wrote to")
    for path in files:
        rec = json.loads(path.read_text())
        paper = path.parent.name
        missing = [k for k in REQUIRED if k not in rec]
        if missing:
            raise LandError(f"{path}: not a results record (it lacks {missing})")
        if rec.get("paper") != paper:
            raise LandError(f"{path}: a record of paper {rec.get('paper')!r} in the folder of {paper!r}")
        copy_from = copy_to = None
        if split := rec.get("split_file"):
            name = Path(split).name
            here, there = results_dir / paper / "splits" / name, source / paper / "splits" / name
            if not there.is_file():
                raise LandError(f"{path}: its split file {split} is not in {there.parent}; land it with its splits")
            if here.is_file() and here.read_bytes() != there.read_bytes():
                raise LandError(
                    f"{path}: {there} differs from the book's {here}; a run on other splits cannot land beside "
                    "the book's runs under the same split name"
                )
            if not here.is_file():
                copy_from, copy_to = there, here
            if repo_relative(here) != split:  # written elsewhere: point it at the book's copy, keep where it ran
                rec = rec | {
                    "split_file": repo_relative(here),
                    "split_file_as_run": rec.get("split_file_as_run", split),
                }
        dest = results_dir / paper / path.name
        if dest.exists() and json.loads(dest.read_text()) != rec:
            raise LandError(f"{dest} exists and holds another record; not overwritten")
        plan.append((dest, rec, copy_from, copy_to))
    return plan


def _write(plan: list[tuple[Path, dict, Path | None, Path | None]]) -> list[Path]:
    """Write what :func:`_plan` checked: new split files, then new records; return the files written."""
    written = []
    for dest, rec, copy_from, copy_to in plan:
        if copy_from is not None and copy_to is not None and not copy_to.exists():
            with atomic_write(copy_to, "wb") as fh:
                fh.write(copy_from.read_bytes())
            written.append(copy_to)
        if not dest.exists():
            written.append(write_result(rec, dest.parent, dest.stem))
    return written


def land(source: str | Path, results_dir: str | Path = RESULTS_DIR) -> list[Path]:
    """Copy the records under ``source`` into ``results_dir`` (see the module); return the files written."""
    return _write(_plan(Path(source), Path(results_dir)))  # every record checked before any file is written


def baselines_owed(records: list[dict], baselines: list[dict]) -> list[str]:
    """The ``ser baselines`` command for each split of ``records`` that has no reference baseline yet (the
    book sets every run beside the best standard baseline on its own split)."""
    from ser.baselines import baseline_for

    owed = {
        (rec["paper"], Path(rec["split_file"]).stem)
        for rec in records
        if rec.get("split_file") and baseline_for(rec, baselines) is None
    }
    return [f"ser baselines --paper {paper} --split '{stem}'" for paper, stem in sorted(owed)]


def _plan_pages(pages: Path, root: Path) -> tuple[list[tuple[str, str, dict, Path, str, bool]], list[str]]:
    """Every notebook in ``pages`` checked: (paper, run name, parameters, page, text, whether it is already in
    the book as declared, so that landing it changes nothing) of those that become pages, and the notebooks
    left out with why."""
    import yaml

    from ser.fanout import retitle

    plan, left_out = [], []
    for nb_path in sorted(pages.glob("*.ipynb")):
        try:
            raw = nb_path.read_text()
            pm = json.loads(raw).get("metadata", {}).get("papermill", {})
        except (json.JSONDecodeError, UnicodeDecodeError):
            left_out.append(f"{nb_path.name}: not a readable notebook (cut while it was written?)")
            continue
        if pm.get("exception") or not pm.get("end_time"):
            left_out.append(f"{nb_path.name}: {'failed' if pm.get('exception') else 'cut short (no end time)'}")
            continue
        paper = Path(pm.get("input_path", "")).stem
        decl_path = root / "papers" / "claims" / f"{paper}.yaml"
        if not paper or not decl_path.is_file():
            raise LandError(f"{nb_path}: ran {pm.get('input_path')!r}, not a paper's notebook")
        name = nb_path.stem if nb_path.stem.startswith(f"{paper}-") else f"{paper}-{nb_path.stem}"
        params = {k: v for k, v in pm.get("parameters", {}).items() if k not in ("results_dir", "record")}
        declared = {r["name"]: r["params"] for r in yaml.safe_load(decl_path.read_text()).get("runs", [])}
        if name in declared and declared[name] != params:
            raise LandError(f"{nb_path}: run {name} is declared with other parameters ({declared[name]})")
        text = retitle(raw, name)
        dest = root / "book" / "replications" / f"{name}.ipynb"
        if dest.exists() and dest.read_text() != text:
            raise LandError(f"{dest} exists and holds another page; not overwritten")
        plan.append((paper, name, params, dest, text, dest.exists() and name in declared))
    return plan, left_out


def _write_pages(plan: list[tuple[str, str, dict, Path, str, bool]], root: Path) -> list[str]:
    from ser.owed import declare

    for paper, name, params, dest, text, _ in plan:
        if not dest.exists():
            with atomic_write(dest) as fh:
                fh.write(text)
        declare(paper, name, params, root)
    return [plan_row[1] for plan_row in plan]


def land_pages(pages: str | Path, root: Path | None = None) -> tuple[list[str], list[str]]:
    """Make each completed notebook in ``pages`` a declared page of the book (see the module); return the run
    names landed and the notebooks left out, with why. Every page is checked before any is written."""
    from ser.paths import REPO_ROOT

    root = root or REPO_ROOT
    plan, left_out = _plan_pages(Path(pages), root)
    return _write_pages(plan, root), left_out


def main(source: str, results_dir: str | None = None, pages: str | None = None) -> int:
    """``ser land``: check every record and page, then write them; print each file written."""
    from ser.paths import REPO_ROOT

    try:
        record_plan = _plan(Path(source), Path(results_dir or RESULTS_DIR))  # records and pages checked before
        page_plan, left_out = _plan_pages(Path(pages), REPO_ROOT) if pages else ([], [])  # anything is written
        present = {row[1] for row in page_plan if row[5]}
        written = _write(record_plan)
        landed = _write_pages(page_plan, REPO_ROOT)
    except (LandError, ValueError) as err:
        raise SystemExit(f"ser land: {err}") from err
    for p in written:
        print(f"landed {repo_relative(p)}")
    print(f"{len(written)} file(s) written" + ("" if written else ": every record was already there"))
    for name in landed:
        if name not in present:
            print(f"page replications/{name} declared")
    if present:
        print(f"{len(present)} page(s) already in the book, as declared: unchanged")
    for why in left_out:
        print(f"not a page: {why}")
    from ser.baselines import read_baselines

    for cmd in baselines_owed([rec for _, rec, _, _ in record_plan], read_baselines()):
        print(f"no reference baseline on this split yet: {cmd}")
    return 0
