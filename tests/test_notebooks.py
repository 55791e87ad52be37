"""Papermill-level checks: bad parameters fail fast with a clear message."""

from __future__ import annotations

from pathlib import Path

import papermill as pm
import pytest

from tests.conftest import run_notebook

NB = Path(__file__).resolve().parent.parent / "papers" / "parallel_cnn_lstm.ipynb"
PAPERS = NB.parent
BAD_PARAMETERS = [
    ("parallel_cnn_lstm", {"lrr": 0.02}, "unknown parameter 'lrr'. Did you mean 'lr'"),
    ("parallel_cnn_lstm", {"lr": "fast"}, "parameter 'lr' must be float"),
    ("parallel_cnn_lstm", {"protocol": "loso"}, "parameter 'protocol' must be one of"),
    ("parallel_cnn_lstm", {"corpus": "kedas"}, "parameter 'corpus'='kedas' is invalid"),
    ("parallel_cnn_lstm", {"seeds": [0, -1]}, "parameter 'seeds'"),
    ("arabemonet", {"kernal": 5}, "unknown parameter 'kernal'. Did you mean 'kernel'"),
    ("arabemonet", {"kernel": 4}, "kernel 4 is even: give its padding"),
    ("arabemonet", {"kernel": 0}, "parameter 'kernel'=0 is invalid"),
    ("arabemonet", {"noise_copies": 2}, "noise_copies needs a fixed `duration`"),
    ("arabemonet", {"arm": "as_publishd"}, "unknown arm 'as_publishd'"),
    ("arabemonet", {"protocol": "loso"}, "parameter 'protocol' must be one of"),
    ("arabemonet", {"folds": [5]}, "parameter 'folds'"),
    ("arabemonet", {"corpus": "ksuemotions"}, "parameter 'corpus'='ksuemotions' is invalid"),
    ("arabemonet", {"profile": "smoke", "configs": ["k4"]}, "configs ['k4'] are not among"),
    ("wavelet_cnn_lstm", {"wavelet": "haar"}, "parameter 'wavelet'='haar' is invalid"),
    ("wavelet_cnn_lstm", {"protocol": "loso"}, "parameter 'protocol' must be one of"),
    ("wavelet_cnn_lstm", {"folds": [3]}, "parameter 'folds'"),
    ("wavelet_cnn_lstm", {"pool": "min"}, "parameter 'pool' must be one of"),
    ("wavelet_cnn_lstm", {"lstm_unit": 64}, "Did you mean 'lstm_units'"),
    ("wavelet_cnn_lstm", {"profile": "smoke", "configs": ["lr0.01"]}, "configs ['lr0.01'] are not among"),
    ("cnn_blstm_attention", {"corpora": ["eyase"]}, "parameter 'corpora'"),
    ("cnn_blstm_attention", {"experiments": ["vgg"]}, "parameter 'experiments'"),
    ("cnn_blstm_attention", {"protocol": "loso"}, "parameter 'protocol' must be one of"),
    ("cnn_blstm_attention", {"time_shif": 0.2}, "Did you mean 'time_shift'"),
]


# the first case of each notebook goes through papermill and a kernel, end to end; the others run the
# notebook's cells in this process (the same code, a second each instead of a kernel's start)
THROUGH_PAPERMILL = {next(i for i, c in enumerate(BAD_PARAMETERS) if c[0] == nb) for nb, _, _ in BAD_PARAMETERS}


def _cells_until_error(notebook: str, params: dict, max_cells: int = 12) -> BaseException | None:
    """Execute the notebook's code cells here, ``params`` assigned right after its parameters cell (where
    papermill injects them), until one raises; return that exception (None if the first cells pass)."""
    import jupytext
    import matplotlib

    nb = jupytext.read(PAPERS / f"{notebook}.py")
    namespace: dict = {"__name__": "__main__"}
    cells = [c for c in nb.cells if c.cell_type == "code"][:max_cells]
    try:
        with matplotlib.rc_context():  # the notebook's plot style stays in the notebook
            for cell in cells:
                source = "\n".join(ln for ln in cell.source.splitlines() if not ln.lstrip().startswith(("%", "!")))
                exec(compile(source, f"{notebook}.py", "exec"), namespace)
                if "parameters" in cell.metadata.get("tags", []):
                    namespace.update(params)
    except Exception as err:  # noqa: BLE001 (the test inspects whatever the notebook raised)
        return err
    return None


@pytest.mark.parametrize("case", range(len(BAD_PARAMETERS)), ids=lambda i: "-".join(map(str, BAD_PARAMETERS[i][:2])))
def test_bad_parameters(tmp_path, monkeypatch, case):
    """Unknown names, wrong types and bad values stop a notebook at once with a message naming them."""
    notebook, params, message = BAD_PARAMETERS[case]
    if case in THROUGH_PAPERMILL:
        with pytest.raises(pm.PapermillExecutionError) as err:
            pm.execute_notebook(
                str(PAPERS / f"{notebook}.ipynb"), str(tmp_path / "out.ipynb"), parameters=params,
                progress_bar=False, cwd=str(PAPERS.parent),
            )  # fmt: skip
        assert message in str(err.value)
        return
    monkeypatch.chdir(PAPERS.parent)
    error = _cells_until_error(notebook, params)
    assert error is not None, f"{notebook} ran its first cells with {params}"
    assert message in str(error)


@pytest.mark.parametrize("notebook", sorted(PAPERS.glob("*.ipynb")), ids=lambda p: p.stem)
def test_paired_script_in_sync(notebook):
    import jupytext

    nb = jupytext.read(notebook)
    script = jupytext.read(notebook.with_suffix(".py"))
    assert [c.source for c in nb.cells] == [c.source for c in script.cells]
    assert any("parameters" in c.metadata.get("tags", []) for c in nb.cells)


def test_overrides_reach_the_run(tmp_path):
    """`papermill ... -p lr 0.02 -p protocol speaker` runs, and the results file records the override."""
    (rec,) = run_notebook(
        NB, tmp_path, lr=0.02, protocol="speaker", seeds=[3], profile="smoke", results_dir=str(tmp_path / "res")
    )
    assert rec["params"]["lr"] == 0.02 and rec["protocol"] == "speaker" and rec["seeds"] == [3]
    assert rec["profile"] == "smoke" and rec["claim_ids"] == ["lr0.02-acc", "lr0.02-loss"]
    assert (tmp_path / "res" / "splits" / "baved-speaker-seed3.csv").is_file()
