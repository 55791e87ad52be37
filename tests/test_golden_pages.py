"""Golden test: the book's generated pages, rebuilt from a fixed set of committed results files
(``tests/golden/results-files.txt``) and the paper declarations, must equal the copies in
``tests/golden/``. New results files do not change it; a change to the page code, to a
declaration or to one of those files does.

Regenerate on purpose (after a change meant to alter a page) with
``SER_REGEN_GOLDEN=1 pytest tests/test_golden_pages.py`` (which fails when it changed a page), review
the diff, and rerun without it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from ser.report import write_pages

GOLDEN = Path(__file__).parent / "golden"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> dict[str, str]:
    tmp = tmp_path_factory.mktemp("golden")
    for rel in (GOLDEN / "results-files.txt").read_text().split():
        (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / rel, tmp / rel)
    results = tmp / "papers" / "results"
    book = tmp / "book"
    book.mkdir()
    written = write_pages(book, results)
    # the explorer embeds a megabyte of JavaScript; its table is checked in the browser test instead
    return {
        p.relative_to(book).as_posix().replace("/", "__"): p.read_text()
        for p in written
        if p.suffix == ".md" and p.name != "explore.md"
    }


def test_every_golden_page_is_generated(pages):
    if os.environ.get("SER_REGEN_GOLDEN"):
        GOLDEN.mkdir(exist_ok=True)
        before = {p.name: p.read_text() for p in GOLDEN.glob("*.md")}
        for old in GOLDEN.glob("*.md"):
            old.unlink()
        for name, text in pages.items():
            (GOLDEN / name).write_text(text)
        if before != pages:  # a regeneration is never a pass: the diff is for a person to review
            changed = sorted(n for n in before.keys() | pages.keys() if before.get(n) != pages.get(n))
            pytest.fail(
                f"regenerated {len(changed)} golden page(s): review `git diff tests/golden`, then rerun "
                f"without SER_REGEN_GOLDEN ({', '.join(changed[:5])}{' ...' if len(changed) > 5 else ''})"
            )
    assert sorted(pages) == sorted(p.name for p in GOLDEN.glob("*.md"))


@pytest.mark.parametrize("name", sorted(p.name for p in GOLDEN.glob("*.md")))
def test_page_equals_golden(pages, name):
    assert pages[name] == (GOLDEN / name).read_text(), f"{name} differs from tests/golden/{name}"
