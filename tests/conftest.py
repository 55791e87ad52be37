from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def data_root() -> Path:
    root = os.environ.get("SER_DATA")
    if not root or not Path(root).is_dir():
        pytest.fail("SER_DATA must point at the shared corpora (e.g. ../shared/data) for the test suite")
    return Path(root)


def write_tone(
    path: Path, sr: int = 16000, seconds: float = 1.0, channels: int = 1, freq: float = 440.0, amplitude: float = 0.3
) -> np.ndarray:
    """Write a sine tone (identical on every channel) and return the mono signal."""
    t = np.arange(int(sr * seconds)) / sr
    mono = (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    data = np.repeat(mono[:, None], channels, axis=1)
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, data, sr, subtype="PCM_16")
    return mono


def run_notebook(nb: Path, tmp_path: Path, *, out_name: str = "out.ipynb", **parameters) -> list[dict]:
    """Execute a paper's notebook with papermill into ``tmp_path / out_name`` (from the repository root), its
    results written to ``tmp_path / "res"`` unless ``results_dir`` is given; return the records it wrote.
    ``out_name`` is not a notebook parameter; papermill's errors (a bad parameter's) propagate."""
    import papermill as pm

    from ser.results import read_results

    res = Path(parameters.setdefault("results_dir", str(tmp_path / "res")))
    pm.execute_notebook(str(nb), str(tmp_path / out_name), progress_bar=False, cwd=str(REPO), parameters=parameters)
    return read_results(res)
