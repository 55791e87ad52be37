"""Evidence one click away: for every claim of a paper, the results files, split files, baseline
records and commits behind its reproduced numbers, as links served with the site, and the paper's
own public page (DOI, proceedings or the authors' code).

Links are Sphinx ``{download}`` references, so the build copies every linked file into the site and
fails (warnings are errors) when one is missing.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ser.baselines import baseline_for
from ser.markdown import md_table
from ser.paths import REPO_ROOT

LINK_NAMES = {"doi": "DOI", "page": "paper", "code": "authors' code"}


def paper_links(reg: dict) -> str:
    """One line naming where the paper (and the authors' code) can be read."""
    links = reg.get("links") or {}
    parts = []
    if links.get("doi"):
        parts.append(f"DOI [{links['doi']}](https://doi.org/{links['doi']})")
    for key in ("page", "code"):
        if links.get(key):
            parts.append(f"{LINK_NAMES[key]}: <{links[key]}>")
    if links.get("venue"):
        parts.append(links["venue"])
    return "**The paper:** " + ("; ".join(parts) or "no public page recorded") + "."


def _download(path: str | Path, text: str, root: Path = REPO_ROOT) -> str:
    """A ``{download}`` link to a file under ``root`` (the folder holding ``book/``), valid from
    any page: the path is written from the book folder."""
    path = Path(path).resolve()
    if not path.is_relative_to(root.resolve()):
        raise ValueError(f"{path} is outside the repository; the site can only serve repository files")
    return f"{{download}}`{text} </../{path.relative_to(root.resolve()).as_posix()}>`"


def commit_text(commit: str) -> str:
    """A short commit, with *dirty* spelled out when the code had uncommitted changes."""
    short = commit.removesuffix("-dirty")[:10]
    return f"`{short}`" + (" **(dirty: uncommitted code)**" if commit.endswith("-dirty") else "")


def _label(rec: dict) -> str:
    """A short name of a model record: arm, protocol, profile, seeds (and fold)."""
    seeds = ",".join(str(s) for s in rec.get("seeds", []))
    fold = f", fold {rec['fold']}" if rec.get("fold") is not None else ""
    return f"{rec.get('arm') or 'main'}, {rec.get('protocol')}, {rec.get('profile')}, seed {seeds}{fold}"


def evidence_table(t: pd.DataFrame, records: list[dict], baselines: list[dict], root: Path = REPO_ROOT) -> str:
    """Markdown: one row per claim of one paper with reproduced numbers: its results files, their
    split files, the baseline records on the same splits and the commits that wrote them (paths
    under ``root``, the folder holding ``book/`` and ``papers/``)."""
    by_file = {r["_file"]: r for r in records}
    rows = []
    for _, row in t.iterrows():
        recs = [by_file[f] for f in row["files"] if f in by_file]
        if not recs:
            continue
        splits = dict.fromkeys(r["split_file"] for r in recs if r.get("split_file"))
        bases = {b["_file"]: b for r in recs if (b := baseline_for(r, baselines)) is not None}
        commits = dict.fromkeys(r["git_commit"] for r in recs)
        rows.append(
            {
                "claim": f"{row['claim']} ({row['source']})",
                "results files": "<br>".join(_download(r["_file"], _label(r), root) for r in recs),
                "split files": "<br>".join(
                    _download(root / s, Path(s).stem, root) for s in splits if (root / s).exists()
                )
                or "–",
                "baseline records": "<br>".join(_download(f, Path(f).stem, root) for f in bases) or "–",
                "commits": ", ".join(commit_text(c) for c in commits),
            }
        )
    if not rows:
        return "No results files answer this paper's claims yet.\n"
    return (
        md_table(pd.DataFrame(rows))
        + "\n\nEach link downloads the file the number was read from; the commit is the code that wrote it "
        "(*dirty*: the working tree had uncommitted changes).\n"
    )


def paper_evidence(
    reg: dict, t: pd.DataFrame, records: list[dict], baselines: list[dict], root: Path = REPO_ROOT
) -> str:
    """The evidence block of a chapter: the paper's public page, then :func:`evidence_table`."""
    return paper_links(reg) + "\n\n" + evidence_table(t, records, baselines, root)
