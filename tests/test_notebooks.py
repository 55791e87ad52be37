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


def test_paired_script_in_sync():
    import jupytext

    nb = jupytext.read(NB)
    script = jupytext.read(NB.with_suffix(".py"))
    assert [c.source for c in nb.cells] == [c.source for c in script.cells]
    assert any("parameters" in c.metadata.get("tags", []) for c in nb.cells)
