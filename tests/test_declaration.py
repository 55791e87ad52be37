"""Paper declarations: schema errors name the file and the key, parameters agree with the
notebooks, arms apply to defaults and refuse silent conflicts."""

from __future__ import annotations

import copy

import pytest
import yaml

from ser import declaration
from ser.declaration import DeclarationError, load, load_all, validate_declaration
from ser.params import ParameterError
from ser.paths import PAPERS_DIR
from ser.run import notebook_defaults, resolve_params

DECLS = load_all()
RUNNABLE = sorted(p for p, d in DECLS.items() if declaration.runnable(d))


def test_every_paper_has_a_notebook_and_a_declaration():
    notebooks = {p.stem for p in PAPERS_DIR.glob("*.ipynb")} - {"corpora"}
    assert notebooks == set(DECLS)
    assert RUNNABLE == sorted(DECLS), "every paper declares parameters, profiles and arms"


@pytest.mark.parametrize("paper", RUNNABLE)
def test_declared_parameters_are_the_notebooks(paper):
    decl, defaults = DECLS[paper], notebook_defaults(paper)
    assert set(defaults) == set(decl["parameters"]) | set(declaration.COMMON_PARAMETERS)
    # the defaults themselves pass validation, and so does every arm and every run of the book
    params, arm = resolve_params(decl, defaults, defaults)
    assert arm == decl["default_arm"]
    for name in decl["arms"]:
        resolve_params(decl, {**defaults, "arm": name}, defaults)
    for run in decl["runs"]:
        resolve_params(decl, {**defaults, **run["params"]}, defaults)


def _decl() -> dict:
    return copy.deepcopy(DECLS["parallel_cnn_lstm"])


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda d: d.update(budgets={}), "top level: Additional properties are not allowed ('budgets'"),
        (lambda d: d["profiles"]["cpu"].update(epochs_max=3), "profiles: paper, cpu and smoke must set the same"),
        (lambda d: d["profiles"].pop("smoke"), "profiles: 'smoke' is a required property"),
        (lambda d: d["parameters"]["lr"].update(minimum=0), "parameters/lr: Additional properties"),
        (lambda d: d["parameters"]["lr"].update(type="number"), "parameters/lr/type"),
        (lambda d: d["arms"]["paper_text"].update(params={"lrr": 0.1}), "arms/paper_text/params: unknown parameter"),
        (lambda d: d.update(default_arm="nope"), "default_arm 'nope' is not one of arms"),
        (lambda d: d["runs"].append(dict(d["runs"][0])), "runs: duplicate names"),
        (lambda d: d["claims"][0].update(valu=1), "claims/0: Additional properties"),
    ],
)
def test_schema_errors_name_the_file_and_the_key(edit, message):
    d = _decl()
    edit(d)
    with pytest.raises(DeclarationError) as err:
        validate_declaration(d, "parallel_cnn_lstm.yaml")
    assert str(err.value).startswith("parallel_cnn_lstm.yaml: ") and message in str(err.value)


def test_unknown_key_lists_the_allowed_ones():
    d = _decl()
    d["arms"]["paper_text"]["note"] = "x"
    with pytest.raises(DeclarationError, match="allowed keys: about, params"):
        validate_declaration(d, "x.yaml")


def test_missing_declaration_names_the_known_papers(tmp_path):
    with pytest.raises(DeclarationError, match="no declaration for paper 'nope'.*parallel_cnn_lstm"):
        load("nope")


def test_file_name_must_match_the_paper(tmp_path):
    (tmp_path / "other.yaml").write_text(yaml.safe_dump(_decl()))
    with pytest.raises(DeclarationError, match="'paper' is 'parallel_cnn_lstm', expected 'other'"):
        load("other", tmp_path)


def test_an_arm_sets_defaults_and_refuses_a_conflicting_override():
    d = _decl()
    d["arms"]["fast"] = {"about": "a test arm", "params": {"lr": 0.1, "protocol": "speaker"}}
    defaults = notebook_defaults("parallel_cnn_lstm")
    params, arm = resolve_params(d, {**defaults, "arm": "fast"}, defaults)
    assert arm == "fast" and params["lr"] == 0.1 and params["protocol"] == "speaker"
    # the same value as the arm's is no conflict; another one is, and the message says which
    assert resolve_params(d, {**defaults, "arm": "fast", "lr": 0.1}, defaults)[0]["lr"] == 0.1
    with pytest.raises(ParameterError, match="parameter 'lr'=0.02 conflicts with arm 'fast'"):
        resolve_params(d, {**defaults, "arm": "fast", "lr": 0.02}, defaults)
    with pytest.raises(ParameterError, match="unknown arm 'slow'"):
        resolve_params(d, {**defaults, "arm": "slow"}, defaults)


def test_a_budget_in_steps_raises_the_epochs_to_reach_it():
    """One helper for the step ceiling (the notebook, the claims' budget check and the benchmark use it)."""
    from ser.declaration import epochs_for_steps, steps_per_epoch

    assert steps_per_epoch(2710, 32) == 85 and steps_per_epoch(2720, 32) == 85 and steps_per_epoch(2721, 32) == 86
    assert epochs_for_steps(20, 16940, 27104, 32) == 20  # 847 steps per epoch: the profile's 20 epochs suffice
    assert epochs_for_steps(35, 16940, 1200, 32) == 446  # 38 per epoch: 446 x 38 = 16,948 >= 16,940 > 445 x 38
    assert epochs_for_steps(35, None, 1200, 32) == 35
    with pytest.raises(ValueError, match="no optimizer step from 0 training items"):
        epochs_for_steps(35, 16940, 0, 32)


def test_a_run_of_some_seeds_or_folds_is_at_the_budget_of_each():
    """Seeds and folds count runs, not the budget of each run: one fold of the paper's five at the
    paper's epochs is at the paper's budget (a queue can run fold by fold); fewer epochs are not."""
    from ser.declaration import RUN_SHAPE, covers

    paper = {"epochs": 100, "patience": 10, "folds": [0, 1, 2, 3, 4], "study_folds": [0, 1, 2, 3, 4], "seeds": [0, 1]}
    assert RUN_SHAPE == {"seeds", "folds", "study_folds"}
    assert covers(paper | {"folds": [3], "study_folds": [3], "seeds": [7]}, paper)
    assert not covers(paper | {"folds": [3], "epochs": 99}, paper)
    assert not covers({"epochs": 100, "patience": 10, "per_class": 8}, paper | {"per_class": None})
