"""``ser land``: records a lent GPU wrote elsewhere join the book's results, their split files pointed at the
book's identical copy, nothing else changed, and nothing half-landed when one record cannot."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ser.land import LandError, land
from ser.results import REQUIRED


def _record(source: Path, name: str, split: str = "a-seed0.csv", **kw) -> dict:
    rec = {k: None for k in REQUIRED} | {"paper": "p", "seeds": [0], "claim_ids": [], "metrics": {"accuracy": 0.6}}
    rec |= {"device": "cuda: NVIDIA H200", "split_file": f"/tmp/gpu-arms/results/p/splits/{split}"} | kw
    (source / "p").mkdir(parents=True, exist_ok=True)
    (source / "p" / f"{name}.json").write_text(json.dumps(rec))
    return rec


def test_a_record_lands_with_its_split_pointed_at_the_books_copy_and_nothing_else_changed(tmp_path):
    source, book = tmp_path / "gpu", tmp_path / "results"
    rec = _record(source, "r-fold0")
    (source / "p" / "splits").mkdir()
    (source / "p" / "splits" / "a-seed0.csv").write_text("utt_id,part\nx,test\n")
    written = land(source, book)
    assert sorted(p.name for p in written) == ["a-seed0.csv", "r-fold0.json"]  # the book had no such split: copied
    landed = json.loads((book / "p" / "r-fold0.json").read_text())
    assert landed.pop("split_file") == str((book / "p" / "splits" / "a-seed0.csv").resolve())
    assert landed.pop("split_file_as_run") == rec.pop("split_file")
    assert landed == rec  # numbers, device and the rest exactly as the run wrote them
    assert land(source, book) == []  # landing again writes nothing

    # a record from a checkout of the book (a worktree's papers/results) already names the book's split: unchanged
    worktree = tmp_path / "worktree"
    mine = _record(worktree, "r-fold3", split_file=str((book / "p" / "splits" / "a-seed0.csv").resolve()))
    (worktree / "p" / "splits").mkdir()
    (worktree / "p" / "splits" / "a-seed0.csv").write_text("utt_id,part\nx,test\n")
    assert [p.name for p in land(worktree, book)] == ["r-fold3.json"]
    assert json.loads((book / "p" / "r-fold3.json").read_text()) == mine

    _record(source, "r-fold0", metrics={"accuracy": 0.9})  # another record under a name the book holds
    with pytest.raises(LandError, match="holds another record"):
        land(source, book)


def test_a_split_that_differs_from_the_books_or_is_missing_lands_nothing(tmp_path):
    source, book = tmp_path / "gpu", tmp_path / "results"
    _record(source, "r-fold0")
    _record(source, "r-fold1")
    with pytest.raises(LandError, match="is not in"):
        land(source, book)
    (source / "p" / "splits").mkdir()
    (source / "p" / "splits" / "a-seed0.csv").write_text("utt_id,part\nx,test\n")
    (book / "p" / "splits").mkdir(parents=True)
    (book / "p" / "splits" / "a-seed0.csv").write_text("utt_id,part\nx,train\n")
    with pytest.raises(LandError, match="differs from the book's"):
        land(source, book)
    assert sorted(p.name for p in (book / "p").iterdir()) == ["splits"]  # neither record was written
    with pytest.raises(LandError, match="holds no records"):
        land(tmp_path / "empty", book)
    (source / "p" / "splits" / "a-seed0.csv").write_text("utt_id,part\nx,train\n")  # now the book's own
    (source / "p" / "r-fold1.json").write_text(json.dumps({"paper": "p", "metrics": {}}))  # not a record
    with pytest.raises(LandError, match="not a results record"):
        land(source, book)
    assert sorted(p.name for p in (book / "p").iterdir()) == ["splits"]  # r-fold0, which checks, was not written


def test_ser_land_is_a_command(tmp_path, capsys):
    from ser.cli import main

    with pytest.raises(SystemExit, match="ser land: .* holds no records"):
        main(["land", str(tmp_path)])


def _notebook(path: Path, end: str | None, **params) -> None:
    pm = {"input_path": "papers/arabemonet.ipynb", "exception": None, "end_time": end,
          "parameters": params | {"results_dir": "/tmp/gpu-arms/results/arabemonet", "record": True}}  # fmt: skip
    cell = {"cell_type": "markdown", "metadata": {}, "source": ["# ArabEmoNet\n", "\n", "text"]}
    path.write_text(json.dumps({"cells": [cell], "metadata": {"papermill": pm}, "nbformat": 4, "nbformat_minor": 5}))


def test_completed_notebooks_become_declared_pages_and_a_cut_one_does_not(tmp_path):
    import shutil

    import yaml

    from ser.land import _plan_pages, land_pages
    from ser.paths import REPO_ROOT

    root = tmp_path / "repo"
    (root / "papers" / "claims").mkdir(parents=True)
    (root / "book" / "replications").mkdir(parents=True)
    shutil.copy(REPO_ROOT / "papers" / "claims" / "arabemonet.yaml", root / "papers" / "claims")
    shutil.copy(REPO_ROOT / "_toc.yml", root)
    pages = tmp_path / "gpu"
    pages.mkdir()
    params = {"arm": "clean", "corpus": "eyase", "profile": "paper", "folds": [4], "studies": False}
    _notebook(pages / "eyase-clean-fold4.ipynb", "2026-12-04T13:35:30", **params)
    _notebook(pages / "eyase-as_published-fold4.ipynb", None, **params | {"arm": "as_published"})
    in_book = lambda: [row[5] for row in _plan_pages(pages, root)[0]]  # noqa: E731
    assert in_book() == [False]
    landed, left_out = land_pages(pages, root)
    assert landed == ["arabemonet-eyase-clean-fold4"]
    # landed once, it is in the book as declared: `ser land` then says so instead of "declared" again
    # (the same page with other parameters is an error, below)
    assert in_book() == [True]
    assert left_out == ["eyase-as_published-fold4.ipynb: cut short (no end time)"]
    page = json.loads((root / "book" / "replications" / "arabemonet-eyase-clean-fold4.ipynb").read_text())
    assert page["cells"][0]["source"][0] == "# ArabEmoNet (arabemonet-eyase-clean-fold4)\n"
    runs = {
        r["name"]: r["params"] for r in yaml.safe_load((root / "papers/claims/arabemonet.yaml").read_text())["runs"]
    }
    assert runs["arabemonet-eyase-clean-fold4"] == params  # as it ran, less where its results went
    assert "- file: replications/arabemonet-eyase-clean-fold4" in (root / "_toc.yml").read_text()
    assert land_pages(pages, root)[0] == ["arabemonet-eyase-clean-fold4"]  # again: nothing changes
    assert (root / "_toc.yml").read_text().count("arabemonet-eyase-clean-fold4\n") == 1
    _notebook(pages / "eyase-clean-fold4.ipynb", "2026-12-04T13:35:30", **params | {"seed": 1})
    with pytest.raises(LandError, match="declared with other parameters"):
        land_pages(pages, root)
    _notebook(pages / "eyase-clean-fold4.ipynb", "2026-12-04T13:35:30", **params)
    (pages / "eyase-speaker-fold0.ipynb").write_text('{"cells": [')  # caught half-written in the archive
    assert (
        land_pages(pages, root)[1][-1]
        == "eyase-speaker-fold0.ipynb: not a readable notebook (cut while it was written?)"
    )
    (root / "book" / "replications" / "arabemonet-eyase-clean-fold4.ipynb").write_text("{}")
    with pytest.raises(LandError, match="holds another page"):
        land_pages(pages, root)


def test_landing_names_the_splits_still_without_a_reference_baseline():
    from ser.land import baselines_owed

    def rec(split, fold=0):
        return {"paper": "p", "split_file": f"papers/results/p/splits/{split}.csv", "fold": fold}

    records = [rec("a-seed0-fold0"), rec("b-seed0-fold1", 1), {"paper": "p"}]  # the last has no split
    done = [{"split_file": "papers/results/p/splits/a-seed0-fold0.csv", "fold": 0}]
    assert baselines_owed(records, done) == ["ser baselines --paper p --split 'b-seed0-fold1'"]
    assert (
        baselines_owed(records, done + [{"split_file": "papers/results/p/splits/b-seed0-fold1.csv", "fold": 1}]) == []
    )
