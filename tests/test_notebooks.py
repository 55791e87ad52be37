"""Papermill-level checks: bad parameters fail fast with a clear message."""

from __future__ import annotations

from pathlib import Path

import papermill as pm
import pytest

NB = Path(__file__).resolve().parent.parent / "papers" / "parallel_cnn_lstm.ipynb"


@pytest.mark.parametrize(
    "params, message",
    [
        ({"lrr": 0.02}, "unknown parameter 'lrr'. Did you mean 'lr'"),
        ({"lr": "fast"}, "parameter 'lr' must be float"),
        ({"protocol": "loso"}, "parameter 'protocol' must be one of"),
        ({"corpus": "kedas"}, "unknown corpus 'kedas'"),
        ({"seeds": [0, -1]}, "parameter 'seeds'"),
    ],
)
def test_bad_parameters(tmp_path, params, message):
    with pytest.raises(pm.PapermillExecutionError) as err:
        pm.execute_notebook(
            str(NB), str(tmp_path / "out.ipynb"), parameters=params, progress_bar=False, cwd=str(NB.parent.parent)
        )
    assert message in str(err.value)


@pytest.mark.parametrize("notebook", sorted(NB.parent.glob("*.ipynb")), ids=lambda p: p.stem)
def test_paired_script_in_sync(notebook):
    import jupytext

    nb = jupytext.read(notebook)
    script = jupytext.read(notebook.with_suffix(".py"))
    assert [c.source for c in nb.cells] == [c.source for c in script.cells]
    assert any("parameters" in c.metadata.get("tags", []) for c in nb.cells)


def test_overrides_reach_the_run(tmp_path):
    """`papermill ... -p lr 0.02 -p protocol speaker` runs, and the results file records the override."""
    from core.results import read_results

    pm.execute_notebook(
        str(NB),
        str(tmp_path / "out.ipynb"),
        progress_bar=False,
        cwd=str(NB.parent.parent),
        parameters={
            "lr": 0.02,
            "protocol": "speaker",
            "seeds": [3],
            "profile": "smoke",
            "results_dir": str(tmp_path / "res"),
        },
    )
    (rec,) = read_results(tmp_path / "res")
    assert rec["params"]["lr"] == 0.02 and rec["protocol"] == "speaker" and rec["seeds"] == [3]
    assert rec["profile"] == "smoke" and rec["claim_ids"] == ["lr0.02-acc", "lr0.02-loss"]
    assert (tmp_path / "res" / "splits" / "baved-speaker-seed3.csv").is_file()
