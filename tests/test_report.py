"""The generated book pages take their numbers from the results files."""

from __future__ import annotations

from core.report import comparison_page, runs_page, write_pages
from core.results import make_record, write_result


def _write(tmp_path, seed, acc):
    rec = make_record(
        paper="parallel_cnn_lstm",
        claim_ids=["lr0.05-acc"],
        corpus="baved",
        protocol="random",
        profile="cpu",
        seeds=[seed],
        metrics={"accuracy": acc},
        params={},
        duration_s=60.0,
    )
    write_result(rec, tmp_path / "papers" / "results" / "parallel_cnn_lstm", f"s{seed}")


def test_comparison_reads_values_from_results(tmp_path):
    for seed, acc in enumerate([0.5, 0.6, 0.7]):
        _write(tmp_path, seed, acc)
    page = comparison_page(tmp_path / "papers" / "results", tmp_path / "_static")
    row = next(line for line in page.splitlines() if line.startswith("| lr0.05-acc "))
    assert "96.91 %" in row and "60.00 ± 10.00 (n=3)" in row and "-36.91" in row and "not reproduced" in row
    assert (tmp_path / "_static" / "claims_scatter.png").stat().st_size > 1000
    # every registered paper has a section, including those not yet run
    for title in ("EmotionNet", "ArabEmoNet", "Wavelet", "CNN/LSTM family"):
        assert title in page
    loss_row = next(line for line in page.splitlines() if line.startswith("| test-loss "))
    assert "| 0.2085 |" in loss_row  # claimed values are shown as printed, not re-rounded


def test_runs_page_and_write_pages(tmp_path):
    _write(tmp_path, 0, 0.5)
    assert "50.00" in runs_page(tmp_path / "papers" / "results")
    book = tmp_path / "book"
    book.mkdir()
    paths = write_pages(book, tmp_path / "papers" / "results")
    assert {"comparison.md", "runs.md", "status.md", "parallel_cnn_lstm.md"} <= {p.name for p in paths}
    assert (book / "_generated" / "status.md").read_text().startswith("| paper |")
    assert (book / "_generated" / "parallel_cnn_lstm.md").exists()
