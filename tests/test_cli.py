from __future__ import annotations

import pytest

from core.cli import RUNS, main


def test_unknown_paper_is_rejected(tmp_path):
    with pytest.raises(SystemExit, match="unknown paper"):
        main(["reproduce", "--paper", "nope", "--out", str(tmp_path)])


def test_every_registered_run_points_at_an_existing_notebook():
    from core.config import REPO_ROOT

    for runs in RUNS.values():
        for notebook, executed, params in runs:
            assert (REPO_ROOT / notebook).is_file(), notebook
            assert executed.endswith(".ipynb") and isinstance(params, dict)


def test_bad_profile(capsys):
    with pytest.raises(SystemExit):
        main(["reproduce", "--profile", "fast"])
    assert "invalid choice" in capsys.readouterr().err


def test_bench_reports_ratios(tmp_path, data_root):
    import json

    out = tmp_path / "bench.json"
    assert main(["bench", "--corpus", "eyase", "--files", "3", "--root", str(data_root), "--out", str(out)]) == 0
    res = json.loads(out.read_text())
    assert res["files"] == 3 and res["lld_x_realtime"] > 0 and res["logmel_cache_speedup"] > 1
    assert (
        res["wavelet_cwt_x_realtime"] > 0
        and res["wavelet_cache_speedup"] > 1
        and res["spectrogram_image_x_realtime"] > 0
    )
