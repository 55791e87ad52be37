"""The generated book pages take their numbers from the results files."""

from __future__ import annotations

from ser.report import comparison_page, runs_page, write_pages
from ser.results import make_record, write_result


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
    assert "96.91 %" in row and "60.00 ± 10.00 (n=3)" in row and "-36.91" in row
    assert "inconclusive: reduced budget" in row and "paper_text, cpu (below the paper's budget)" in row
    assert (tmp_path / "_static" / "claims_scatter.png").stat().st_size > 1000
    # every registered paper has a section, including those not yet run
    for title in ("EmotionNet", "ArabEmoNet", "Wavelet", "CNN/LSTM family"):
        assert title in page
    loss_row = next(line for line in page.splitlines() if line.startswith("| test-loss "))
    assert "| 0.2085 |" in loss_row  # claimed values are shown as printed, not re-rounded


def test_a_value_on_fewer_folds_says_so_rather_than_below_budget():
    """Records at the paper's budget that cover fewer folds than its protocol are a reduced protocol, and
    the cell says which shortfall it is."""
    import pandas as pd

    from ser.report import _profiles

    row = dict(profile="paper", arm="as_published", speaker_profile="", paper_budget=False)
    folds = _profiles(pd.Series(row | dict(at_budget=True, all_folds=False)))
    assert folds.endswith("(not every fold of the paper's protocol)")
    assert _profiles(pd.Series(row | dict(at_budget=False, all_folds=True))).endswith("(below the paper's budget)")
    assert _profiles(pd.Series(row | dict(paper_budget=True, at_budget=True, all_folds=True))) == "as_published, paper"


def test_runs_page_and_write_pages(tmp_path):
    _write(tmp_path, 0, 0.5)
    assert "50.00" in runs_page(tmp_path / "papers" / "results")
    book = tmp_path / "book"
    book.mkdir()
    paths = write_pages(book, tmp_path / "papers" / "results")
    assert {"comparison.md", "runs.md", "status.md", "parallel_cnn_lstm.md"} <= {p.name for p in paths}
    assert (book / "_generated" / "status.md").read_text().startswith("| paper |")
    assert (book / "_generated" / "parallel_cnn_lstm.md").exists()


def test_runs_summary_groups_configurations_and_studies(tmp_path):
    from ser.claims import load_registry
    from ser.report import runs_summary, summary_metrics

    recs = []
    for acc in (0.4, 0.6):
        recs.append(
            make_record(
                paper="arabemonet",
                claim_ids=[],
                corpus="eyase",
                substitution="eyase substitutes KSUEmotions",
                protocol="kfold5",
                profile="cpu",
                seeds=[0],
                metrics={"accuracy": acc, "macro_f1": acc - 0.1, "accuracy/angry": 0.9},
                params={"config": "main"},
                duration_s=1.0,
                labels=["angry", "happy"],
            )
        )
    study = {"accuracy/k3": 0.25, "macro_f1/k3": 0.2, "accuracy/angry": 0.9}
    recs.append({**recs[0], "metrics": study, "params": {"config": "k3"}})
    recs.append({**recs[0], "profile": "smoke", "params": {"config": "k5"}})  # smoke runs are not shown
    table = runs_summary(recs, "arabemonet")
    lines = [line for line in table.splitlines() if line.startswith("| eyase")]
    assert (
        lines[0]
        == "| eyase (substitution) | kfold5 | paper_text | main | 2 | 50.0 ± 14.1 | 40.0 ± 14.1 | 0 | 0 | no | cpu |"
    )
    assert lines[1] == "| eyase (substitution) | kfold5 | paper_text | k3 | 1 | 25.0 | 20.0 | 0 | 0 | no | cpu |"
    assert len(lines) == 2
    # arms, learning rates and budgets are never averaged together; a collapsed run is left out of the mean
    collapsed = {"accuracy": 0.2, "macro_f1": 0.1}
    more = [
        {**recs[0], "arm": "as_published", "metrics": {"accuracy": 0.9, "macro_f1": 0.9}},
        {**recs[0], "arm": "clean", "params": {"config": "main", "lr": 0.1}},
        {**recs[0], "arm": "clean", "params": {"config": "main", "lr": 0.01}},
        {**recs[0], "arm": "clean", "params": {"config": "main", "lr": 0.01}, "metrics": collapsed,
         "confusion": [[3, 0], [4, 0]]},
    ]  # fmt: skip
    table = runs_summary(more, "arabemonet")
    lines = [line.split(" | ")[2:10] for line in table.splitlines() if line.startswith("| eyase")]
    assert lines == [
        ["as_published", "main", "1", "90.0", "90.0", "0", "0", "no"],
        ["clean", "main (lr 0.01)", "2", "40.0", "30.0", "1", "0", "no"],
        ["clean", "main (lr 0.1)", "1", "40.0", "30.0", "0", "0", "no"],
    ]
    # runs at and below the paper's budget are separate rows; a still-improving run is counted where it is
    # in the mean (a diverged one is not)
    rising = {"val_loss": [1.0, 0.5], "diverged": False, "still_improving": True}
    paper = {"profile": "paper", "arm": "clean", "params": {"config": "main", "train": {"lr": 0.01}}}
    staged = [
        {**recs[0], **paper, "budget": {"paper_budget": True}, "history": rising},
        {**recs[0], **paper, "budget": {"paper_budget": True}},
        {**recs[0], **paper, "budget": {"paper_budget": True}, "history": rising | {"diverged": True}},
        {**recs[0], **paper, "budget": {"paper_budget": False}},
    ]
    lines = [line.split(" | ")[2:10] for line in runs_summary(staged, "arabemonet").splitlines()]
    assert [ln for ln in lines if ln[:2] == ["clean", "main"]] == [
        ["clean", "main", "3", "40.0 ± 0.0", "30.0 ± 0.0", "1", "1", "yes"],
        ["clean", "main", "1", "40.0", "30.0", "0", "0", "no"],
    ]  # the lr in params.train is one setting for all: no label
    assert runs_summary(recs, "emotionnet").startswith("No results files yet")
    assert summary_metrics(load_registry("cnn_blstm_attention")["cnn_blstm_attention"]) == (
        "accuracy",
        "macro_f1",
        "weighted_f1",
    )
    assert summary_metrics(load_registry("arabemonet")["arabemonet"]) == ("accuracy", "macro_f1")


def test_a_chapters_typed_percentages_are_claims_or_chance():
    """A reproduced number is never typed by hand: outside its {measured} queries, every 'x.y %' a
    chapter writes is a number of that paper's declaration (a claim, or a note on one) or a chance level."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    chance = {f"{100 / k:.1f}" for k in range(2, 11)}

    def numbers(text: str) -> set[float]:
        """Every whole number token of a text (not a piece of one: '0.05' gives 0.05 only), as percentages
        too (a fraction 0.7474 is 74.74 %), rounded to 6 places."""
        values = {float(t) for t in re.findall(r"(?<![\d.])\d+(?:\.\d+)?(?![\d.])", text)}
        return {round(v, 6) for v in values} | {round(100 * v, 6) for v in values}

    assert 50.0 not in numbers("p: 0.05, lr: 1e-3") and 74.74 in numbers("acc: 0.7474") and 93.53 in numbers("93.53")
    chapters = sorted((root / "book" / "chapters").glob("*.md"))
    seen = 0
    for chapter in chapters:
        declared = numbers((root / "papers" / "claims" / f"{chapter.stem}.yaml").read_text())
        prose = re.sub(r"\{[a-z]+\}`[^`]*`", "", chapter.read_text())
        for number in re.findall(r"(\d+\.\d+) ?%", prose):
            seen += 1
            assert number in chance or round(float(number), 6) in declared, (
                f"{chapter.name}: {number} % is typed in the prose but is neither a declared number of the "
                "paper nor a chance level; state a reproduced number with a {measured} query"
            )
    assert len(chapters) == 5 and seen >= 20  # the chapters do quote the claims they test


def test_run_status_says_when_a_notebook_is_stale_or_failed(tmp_path):
    import json
    import shutil

    from ser.paths import REPLICATIONS_DIR, notebook_of
    from ser.report import run_status_page

    reps = tmp_path / "replications"
    reps.mkdir()
    shutil.copy(REPLICATIONS_DIR / "emotionnet.ipynb", reps / "emotionnet.ipynb")  # ran before the code moved
    fresh = json.loads(notebook_of("parallel_cnn_lstm").read_text())
    fresh["metadata"]["papermill"] = {"start_time": "2026-11-30T10:00:00", "end_time": "2026-11-30T10:30:00",
                                      "duration": 1800.0, "parameters": {"profile": "cpu"}}  # fmt: skip
    (reps / "parallel_cnn_lstm-random.ipynb").write_text(json.dumps(fresh))
    (reps / "parallel_cnn_lstm-random.failed.ipynb").write_text("{}")
    page = run_status_page(tmp_path, [])
    row = {line.split("|")[1].strip(): line for line in page.splitlines() if line.startswith("| [")}
    assert "changed since it ran" in row["[emotionnet](replications/emotionnet)"]
    fresh_row = row["[parallel_cnn_lstm-random](replications/parallel_cnn_lstm-random)"]
    assert "| unchanged |" in fresh_row and "failed" in fresh_row and "| 30 |" in fresh_row
    assert "| parallel_cnn_lstm-speaker | parallel_cnn_lstm | paper_text | cpu | not yet |" in page


def test_csv_downloads_are_written(tmp_path):
    for seed, acc in enumerate([0.5, 0.6]):
        _write(tmp_path, seed, acc)
    book = tmp_path / "book"
    book.mkdir()
    write_pages(book, tmp_path / "papers" / "results")
    runs = (book / "_static" / "runs.csv").read_text().splitlines()
    assert runs[0].startswith("paper,corpus,substitution,protocol,arm,profile") and len(runs) == 3
    assert "lr0.05-acc" in (book / "_static" / "claims.csv").read_text()


def test_evidence_links_every_file_behind_a_claim_and_flags_dirty_commits():
    import pandas as pd
    import pytest

    from ser.paths import REPO_ROOT
    from ser.report_evidence import commit_text, evidence_table, paper_links

    rec_file = next((REPO_ROOT / "papers/results/parallel_cnn_lstm").glob("*-paper-seed0.json"))
    rec = {"_file": str(rec_file), "arm": "clean", "profile": "paper", "seeds": [0],
           "git_commit": "abc1234567890-dirty",
           "split_file": "papers/results/parallel_cnn_lstm/splits/baved-random-clean-seed0.csv"}  # fmt: skip
    t = pd.DataFrame([{"claim": "c1", "source": "Table 2", "files": [str(rec_file)]},
                      {"claim": "c2", "source": "§3", "files": []}])  # fmt: skip
    md = evidence_table(t, [rec], [])
    assert f"</../papers/results/parallel_cnn_lstm/{rec_file.name}>" in md
    assert "</../papers/results/parallel_cnn_lstm/splits/baved-random-clean-seed0.csv>" in md
    assert "c2" not in md  # nothing reproduced, nothing to link
    assert commit_text("abc1234567890-dirty") == "`abc1234567` **(dirty: uncommitted code)**"
    assert commit_text("abc1234567890") == "`abc1234567`"
    assert "https://doi.org/10.1/x" in paper_links({"links": {"doi": "10.1/x"}})
    with pytest.raises(ValueError, match="outside the repository"):
        evidence_table(t.iloc[:1].assign(files=[["/tmp/elsewhere.json"]]), [rec | {"_file": "/tmp/elsewhere.json"}], [])


def test_every_declaration_names_where_to_read_the_paper():
    import pytest
    import yaml

    from ser.declaration import DECLARATIONS_DIR, DeclarationError, validate_declaration

    src = yaml.safe_load((DECLARATIONS_DIR / "emotionnet.yaml").read_text())
    validate_declaration(src, "emotionnet")
    for bad in ({"venue": "somewhere"}, {"doi": "not-a-doi"}, {"page": "http://insecure"}):
        with pytest.raises(DeclarationError, match="links"):
            validate_declaration(src | {"links": bad}, "emotionnet")
    with pytest.raises(DeclarationError, match="links"):
        validate_declaration({k: v for k, v in src.items() if k != "links"}, "emotionnet")


def test_figures_plot_intervals_by_arm_and_name_what_they_leave_out(tmp_path):
    import math

    import pandas as pd
    import pytest
    from scipy import stats as st

    from ser.report import _arm_points, _missing_headlines, gap_figure, scatter

    row = {"paper": "p", "claim": "c", "unit": "%", "metric": "accuracy", "claimed": 90.0, "arm": "as_published",
           "n": 3, "mean": 80.0, "std": 2.0, "clean_n": 1, "clean_mean": 70.0, "clean_std": math.nan,
           "speaker_n": 0, "speaker_mean": math.nan, "speaker_std": math.nan, "diverged": 0, "all_diverged": False,
           "status": "x"}  # fmt: skip
    pts = _arm_points(pd.DataFrame([row])).set_index("arm")
    assert set(pts.index) == {"as run", "clean"}  # no speaker-independent run, no point
    assert pts.loc["as run", "half"] == pytest.approx(st.t.ppf(0.975, 2) * 2.0 / math.sqrt(3))
    assert math.isnan(pts.loc["clean", "half"])  # one run: no interval, drawn hollow
    regs = {"p": {"claims": [{"id": "c", "headline": True}]}}
    assert scatter(pd.DataFrame([row]), tmp_path / "s.png") and (tmp_path / "s.png").stat().st_size > 0
    assert gap_figure(pd.DataFrame([row]), regs, tmp_path / "g.png") and (tmp_path / "g.png").stat().st_size > 0
    dead = row | {"diverged": 3, "all_diverged": True, "clean_n": 0}
    assert _missing_headlines(pd.DataFrame([dead]), regs) == " Not shown: p: c (all main runs diverged)."
    assert _arm_points(pd.DataFrame([dead])).empty
    # three diverged runs of another arm do not hide three healthy ones
    assert set(_arm_points(pd.DataFrame([row | {"diverged": 3}]))["arm"]) == {"as run", "clean"}
    # a column whose own runs all diverged has no point; the others keep theirs, and nothing is named missing
    mixed = row | {"all_diverged": True, "clean_all_diverged": False}
    assert set(_arm_points(pd.DataFrame([mixed]))["arm"]) == {"clean"}
    assert _missing_headlines(pd.DataFrame([mixed]), regs) == ""
    clean_dead = row | {"n": 0, "clean_n": 2, "clean_all_diverged": True}
    assert _missing_headlines(pd.DataFrame([clean_dead]), regs) == " Not shown: p: c (all clean runs diverged)."
    # two runs: no t bar (it would span most of the scale), a filled marker
    two = _arm_points(pd.DataFrame([row | {"n": 2}])).set_index("arm")
    assert math.isnan(two.loc["as run", "half"]) and two.loc["as run", "n"] == 2


def test_speed_page_sets_measured_runs_beside_the_benchmark(tmp_path):
    """A record's seconds per epoch (its median epoch where it keeps each epoch's time, else fit seconds of
    all sittings over epochs) is compared with the benchmark's estimate of that epoch (training items at the
    training speed, validation items from its split file at the evaluation speed), from the idlest file
    of its model, thread count and runs at once; resumed runs without epoch times are not judged."""
    import json

    from ser.report_speed import bench_model_of, speed_page

    model = {"model": "parallel_cnn_lstm/as_published", "params": 1, "gflop_fwd_per_item": 0.1,
             "train_items_per_s": 50.0, "train_fraction_of_peak": 0.1, "eval_items_per_s": 100.0,
             "s_per_epoch": 1.0, "paper_fit_minutes": 1.0, "speedup_epoch": 1.2}  # fmt: skip
    bench = {"device": "cpu: x, 2 cores, torch threads 1", "threads": 1, "deterministic": True,
             "matmul_peak_gflops": 100.0, "models": [model]}  # fmt: skip
    (tmp_path / "train-a.json").write_text(json.dumps(bench | {"load_average_at_start": 0.1}))
    compiled = {"compile_s": 30.0, "compiled_train_items_per_s": 5.0, "speedup_step_compiled": 0.5}
    busy = bench | {"load_average_at_start": 3.0, "models": [model | {"train_items_per_s": 10.0} | compiled]}
    (tmp_path / "train-b.json").write_text(json.dumps(busy))
    (tmp_path / "split.csv").write_text("utt_id,part\n" + "".join(f"u{i},{p}\n" for i, p in enumerate(
        ["train"] * 100 + ["val"] * 50 + ["test"] * 7)))  # fmt: skip

    def rec(run, seconds, resumed=0, arm="clean"):
        return {"paper": "parallel_cnn_lstm", "arm": arm, "run": run, "params": {}, "n_train": 100,
                "device": "cpu: x, torch threads 1",
                "history": {"val_loss": [1.0] * 10, "seconds": seconds, "resumed_from_epoch": resumed}}  # fmt: skip

    pair = bench | {"load_average_at_start": 0.5, "concurrent": 2, "models": [model | {"train_items_per_s": 40.0}]}
    (tmp_path / "train-c.json").write_text(json.dumps(pair))
    recs = [rec("fast", 25.0), rec("slow", 100.0), rec("resumed", 25.0, resumed=3), rec("text", 1.0, arm="x")]
    beside = rec("beside", 25.0) | {"split_file": "split.csv"}  # loads of ~2 on one thread: beside a second run
    # one epoch held up for 100 s (a pause): the median epoch does not see it, the mean would
    beside["history"] |= {"load_average": [1.9, 2.2, None] + [2.0] * 7, "epoch_seconds": [3.0] * 9 + [100.0]}
    recs.append(beside)
    # a run with the corrected allocator and no NaN fill is set beside a benchmark file with those settings
    (tmp_path / "train-d.json").write_text(json.dumps(bench | {"load_average_at_start": 0.05, "models": [
        model | {"train_items_per_s": 100.0}], "filled_uninitialized_memory": False}))  # fmt: skip
    new = rec("new", 25.0) | {"determinism": {"filled_uninitialized_memory": False}}
    new["history"] |= {"epoch_seconds": [2.0] * 10, "train_items": 100, "val_items": 100}
    recs.append(new)
    crowded = rec("crowded", 25.0)  # three processes on the machine: no benchmark of that: listed, not judged
    crowded["history"]["load_average"] = [3.0] * 10
    recs.append(crowded)
    # another processor: judged against no benchmark of another machine, however alike the rest
    elsewhere = new | {"run": "elsewhere", "device": "cpu: y [AVX512], 2 cores, torch threads 1"}
    recs.append(elsewhere)
    assert bench_model_of(recs[0]) == "parallel_cnn_lstm/as_published"
    assert bench_model_of(recs[3]) == "parallel_cnn_lstm/paper_text"  # no such benchmark row: not listed
    page = speed_page(tmp_path, recs, root=tmp_path)
    lines = [ln for ln in page.splitlines() if ln.startswith("| ") and "s per epoch |" not in ln]
    rows = {ln.split("|")[1].strip(): ln for ln in lines}
    # 100 / 50 items/s with no split file: the validation pass is unknown, so no verdict
    assert "| 100 + ? | 2.5 (mean) | 2.0 | 1.25 | validation size unknown: not judged |" in rows["fast"]
    assert "not recorded" in rows["fast"]
    assert "| 100 + 100 | 2.0 (median) | 2.0 | 1.00 | yes |" in rows["new"]  # 100/100 + 100/100 from train-d
    # 100 / 40 + 50 / 100 = 3.0 s from the two-at-once file; judged although resumed: it kept its epochs
    assert "| 2 | 10 | 100 + 50 | 3.0 (median) | 3.0 | 1.00 | yes |" in rows["beside"]
    assert "| 10.0 (mean) | 2.0 | 5.00 | validation size unknown: not judged |" in rows["slow"]
    assert "resumed: not judged" in rows["resumed"] and "text" not in rows
    assert (
        "| 3 | 10 |" in rows["crowded"] and "| – | – | no benchmark of 3 process(es) at 1 thread(s)" in rows["crowded"]
    )
    assert "no benchmark of 1 process(es) at 1 thread(s) on cpu: y [AVX512]" in rows["elsewhere"]
    # an instruction set is compared only where both sides recorded one (files before 2026-12-02 did not)
    from ser.report_speed import estimate_rows, read_benches

    benches = read_benches(tmp_path)
    isa = new | {"device": "cpu: x [AVX512], 2 cores, torch threads 1"}
    assert estimate_rows([isa], benches, tmp_path)[0]["within 25 %"] == "yes"
    other = [b | {"device": "cpu: x [AVX2], 2 cores, torch threads 1"} for b in benches]
    assert "no benchmark" in estimate_rows([isa], other, tmp_path)[0]["within 25 %"]
    assert "## train-a" in page and "## train-b" in page
    # the summary counts judged rows only (resumed, unknown-size and unmatched ones are not in it)
    assert "shared the machine: 1 of 1 judged within 25 % of the estimate (measured / estimate 1.00-1.00)" in page
    assert "that do not: 1 of 1 judged" in page
    assert page.count("torch.compile: items/s") == 1 and "| 5.0 (0.50x; 30 s) |" in page  # only the file that has it


def test_a_gpu_file_says_its_peak_is_float32_so_tf32_convolutions_can_pass_it(tmp_path):
    import json

    from ser.report_speed import speed_page

    row = {"model": "arabemonet/as_published", "params": 1, "gflop_fwd_per_item": 16.0, "train_items_per_s": 1523.0,
           "train_fraction_of_peak": 1.43, "eval_items_per_s": 7335.0, "s_per_epoch": 0.9, "paper_fit_minutes": 1.5,
           "speedup_epoch": 1.0}  # fmt: skip
    gpu = {"device": "cuda: NVIDIA H200", "threads": 8, "torch": "2.11.0+cu130", "matmul_peak_gflops": 50871.0,
           "load_average_at_start": 0.34, "deterministic": True}  # fmt: skip
    (tmp_path / "train-cuda.json").write_text(json.dumps(gpu | {"models": [row]}))
    page = speed_page(tmp_path, [], root=tmp_path)
    assert "| 143.0 |" in page  # the measured fraction is shown as measured
    assert "float32 matrix product with TF32 off (50.9 TFLOP/s)" in page and "arabemonet/as_published did." in page


def test_speed_page_sets_the_whole_trainer_then_and_now(tmp_path):
    """An ``ab-*.json`` file (one model's notebook at two commits, side by side) gets its own table with the
    ratio of seconds per epoch; without one the section is absent."""
    import json

    from ser.report_speed import trainer_ab

    assert trainer_ab(tmp_path) == ""
    side = {"n_train": 3096, "epoch_seconds": None}
    (tmp_path / "ab-x.json").write_text(json.dumps({
        "model": "parallel_cnn_lstm/paper_text", "epochs": 3, "device": "cpu: AMD EPYC", "conditions": "idle",
        "before": side | {"commit": "c28e7ff3301", "s_per_epoch": 120.0},
        "after": side | {"commit": "abcdef12345", "s_per_epoch": 48.0},
    }))  # fmt: skip
    text = trainer_ab(tmp_path)
    assert "## The whole trainer, then and now" in text
    row = "| ab-x.json | parallel_cnn_lstm/paper_text | c28e7ff | abcdef1 | 3 | 3,096 / 3,096 | 120.0 | 48.0 | 2.50 |"
    assert row in text


def test_verdict_box_sets_each_arm_beside_the_claim():
    """The chapter's opening table: main arm, clean, speakers held out and cross-corpus each with
    mean, interval and basis; the leak in points; the verdict of the one rule."""
    import pandas as pd

    from ser.report import verdict_box

    reg = {"paper": "p", "claims": [{"id": "c", "metric": "accuracy", "value": 96.0, "unit": "%", "corpus": "baved",
                                    "protocol": "random", "source": "Table 1", "headline": True}],
           "profiles": {"paper": {"epochs": 10}}}  # fmt: skip

    def rec(arm, acc, protocol="random", corpus="baved", profile="paper"):
        return {"paper": "p", "arm": arm, "claim_ids": ["c"], "corpus": corpus, "protocol": protocol,
                "profile": profile, "metrics": {"accuracy": acc}, "history": {"val_loss": [1.0] * 10},
                "budget": {"paper_budget": profile == "paper"}}  # fmt: skip

    recs = [rec("as_published", a) for a in (0.95, 0.97)] + [rec("clean", a) for a in (0.80, 0.84)]
    recs += [rec("clean", 0.5, profile="cpu"), rec("speaker", 0.5, protocol="speaker")]
    recs += [rec("clean", 0.3, protocol="cross", corpus="baved-to-eyase")]
    table = pd.DataFrame([{"paper": "p", "claim": "c", "status": "reproduced only with the leak"}])
    box = verdict_box(recs, reg, table)
    cells = [c.strip() for c in box.splitlines()[2].split("|")[1:-1]]
    assert cells[0].startswith("`c`: 96 % on baved (Table 1)")
    assert cells[1] == "96.0 (95.0 and 97.0) (2 runs; paper)"  # two runs: their values, no t interval
    assert cells[2] == "82.0 (80.0 and 84.0) (2 runs; paper)"  # the cpu run is not mixed in
    assert cells[3] == "50.0 (1 run; paper)" and cells[4] == "30.0 (1 run; paper; baved-to-eyase)"
    assert cells[5].startswith("+14.0 [") and cells[5].endswith("(paper)")
    assert cells[6] == "–" and cells[7] == "reproduced only with the leak"
    # both cross-corpus directions are shown, each with its own basis (a collapsed one says so)
    back = rec("clean", 0.2, protocol="cross", corpus="eyase-to-baved")
    back["history"] |= {"diverged": True, "still_improving": False}
    box = verdict_box([*recs, back], reg, table)
    cells = [c.strip() for c in box.splitlines()[2].split("|")[1:-1]]
    assert cells[4] == "30.0 (1 run; paper; baved-to-eyase); all diverged (1 run; paper; eyase-to-baved)"
    # the budget note of the leak reads the claim's protocol only: arms below budget under another
    # protocol do not mark it (they once did)
    short = [rec(a, 0.6, protocol="speaker") | {"budget": {"paper_budget": False}} for a in ("as_published", "clean")]
    box = verdict_box([*recs, *short], reg, table)
    cells = [c.strip() for c in box.splitlines()[2].split("|")[1:-1]]
    assert cells[5].startswith("+14.0 [") and cells[5].endswith("(paper)"), cells[5]
    # as the arms table: arms below the paper's budget give no leak size, and the cell says why
    below = [r | {"budget": {"paper_budget": False}} for r in recs]
    cells = [c.strip() for c in verdict_box(below, reg, table).splitlines()[2].split("|")[1:-1]]
    assert cells[5] == "– (an arm below the paper's budget)"
    # still-improving runs in the pair are counted in the cell
    rising = {"val_loss": [1.0] * 10, "still_improving": True, "diverged": False}
    growing = [r | {"history": rising} if r["arm"] == "clean" else r for r in recs]
    cells = [c.strip() for c in verdict_box(growing, reg, table).splitlines()[2].split("|")[1:-1]]
    assert "2 of 4 runs still improving" in cells[5], cells[5]
    # arms on the claim's corpus and on a pool that holds it: a row each, the claim's corpus first, never mixed
    pool = [rec(a, v, corpus="baved+eyase") for a, v in (("as_published", 0.70), ("clean", 0.60), ("clean", 0.62))]
    lines = verdict_box([*recs, *pool], reg, table).splitlines()
    first, second = ([c.strip() for c in ln.split("|")[1:-1]] for ln in lines[2:4])
    assert lines[0].split("|")[2].strip() == "trained and tested on" and lines[4] == ""
    assert first[1] == "`baved`" and first[2] == "96.0 (95.0 and 97.0) (2 runs; paper)"
    assert first[6].startswith("+14.0 [") and first[8] == "reproduced only with the leak"
    assert second[1] == "`baved+eyase`" and second[2] == "70.0 (1 run; paper; baved+eyase)"
    assert second[3] == "61.0 (60.0 and 62.0) (2 runs; paper; baved+eyase)" and second[4] == "–"
    assert second[6].startswith("+9.0") and second[6].endswith("(paper; baved+eyase)")
    assert second[8] == "– (the rule reads `baved` alone)"
    # a pool's other corpus run alone gets its own row too (RAVDESS + TESS's TESS); a corpus in no pool stays out
    alone = [
        rec("as_published", 0.99, corpus="eyase"),
        rec("clean", 0.98, corpus="eyase"),
        rec("clean", 0.1, corpus="z"),
    ]
    lines = verdict_box([*recs, *pool, *alone], reg, table).splitlines()
    assert [ln.split("|")[2].strip() for ln in lines[2:5]] == ["`baved`", "`baved+eyase`", "`eyase`"] and lines[5] == ""
    third = [c.strip() for c in lines[4].split("|")[1:-1]]
    assert third[2] == "99.0 (1 run; paper; eyase)" and third[3] == "98.0 (1 run; paper; eyase)"
    assert third[8] == "– (the rule reads `baved` alone)"
    # arms on pools only: the verdict (of the claim's corpus, whatever ran there) still shows, on the first row
    pools = [r | {"corpus": "baved+x"} for r in recs[:4]] + pool
    lines = verdict_box(pools, reg, table).splitlines()
    assert [ln.split("|")[2].strip() for ln in lines[2:4]] == ["`baved+eyase`", "`baved+x`"]
    assert lines[2].split("|")[9].strip() == "reproduced only with the leak"
    assert lines[3].split("|")[9].strip() == "– (the rule reads `baved` alone)"


def test_verdict_box_shows_every_headline_claim_in_declared_order():
    """The wavelet paper's Table 6 has four headline numbers on two corpora; the box once showed the first
    alone (EmoDB, a substitution), hiding RAVDESS, the paper's own corpus. Each headline claim gets its
    rows, in the order declared, under one main-arm column; a claim whose own protocol holds speakers
    out says its *speakers held out* cell is its *clean* cell."""
    import pandas as pd

    from ser.report import verdict_box

    claim = {"metric": "accuracy", "unit": "%", "source": "Table 6", "headline": True}
    reg = {"paper": "p", "profiles": {"paper": {"epochs": 10}},
           "claims": [claim | {"id": "b-si", "value": 92.0, "corpus": "ravdess", "protocol": "si3"},
                      {"id": "x", "metric": "accuracy", "value": 50.0, "unit": "%", "corpus": "ravdess",
                       "protocol": "sd3", "source": "§4"},
                      claim | {"id": "a-sd", "value": 95.0, "corpus": "ravdess", "protocol": "sd3"},
                      claim | {"id": "gone", "value": 89.0, "corpus": "iemocap", "protocol": "si3"}]}  # fmt: skip

    def rec(arm, acc, protocol):
        return {"paper": "p", "arm": arm, "claim_ids": ["b-si", "a-sd", "x"], "corpus": "ravdess", "protocol": protocol,
                "profile": "paper", "metrics": {"accuracy": acc}, "history": {"val_loss": [1.0] * 10},
                "budget": {"paper_budget": True}}  # fmt: skip

    recs = [rec("as_published", 0.70, "sd3"), rec("clean", 0.60, "sd3"), rec("clean", 0.40, "si3")]
    table = pd.DataFrame([{"paper": "p", "claim": c, "status": s} for c, s in
                          (("b-si", "not reproduced"), ("a-sd", "reproduced only with the leak"),
                           ("gone", "data unavailable"))])  # fmt: skip
    lines = verdict_box(recs, reg, table).splitlines()
    assert [c.strip() for c in lines[0].split("|")[1:3]] == ["claim", "as published (`as_published`)"]
    rows = [[c.strip() for c in ln.split("|")[1:-1]] for ln in lines[2:5]]
    assert lines[5] == "" and [r[0].split(":")[0] for r in rows] == ["`b-si`", "`a-sd`", "`gone`"]
    assert rows[0][1] == "–" and rows[0][2] == "40.0 (1 run; paper)" and rows[0][3] == "as *clean*"
    assert rows[0][7] == "not reproduced"
    assert rows[1][1] == "70.0 (1 run; paper)" and rows[1][2] == "60.0 (1 run; paper)"
    assert rows[1][3] == "40.0 (1 run; paper)" and rows[1][7] == "reproduced only with the leak"
    assert rows[2][1:3] == ["–", "–"] and rows[2][7] == "data unavailable"
    assert "Corpora: `ravdess`; `iemocap` (not available here)." in lines[6] and "result in *clean*" in lines[6]
    # each claim keeps its own main arm, chosen on runs of its metric: an as_published run at another learning rate
    # (its own metric only) does not hide a claim's paper_text result; where claims differ the column says so
    text_only = [recs[0] | {"arm": "paper_text"}, *recs[1:]]
    other_lr = {**recs[0], "metrics": {"accuracy/lr0.001": 0.65}}
    lines = verdict_box([*text_only, other_lr], reg, table).splitlines()
    assert lines[0].split("|")[2].strip() == "paper text (`paper_text`)"
    assert lines[3].split("|")[2].strip() == "70.0 (1 run; paper)"
    mixed = [rec("as_published", 0.70, "sd3"), rec("paper_text", 0.50, "si3")]
    mixed[1]["claim_ids"] = ["b-si"]
    mixed[0]["claim_ids"] = ["a-sd"]
    lines = verdict_box(mixed, reg, table).splitlines()
    assert lines[0].split("|")[2].strip() == "as run"
    assert [ln.split("|")[2].strip() for ln in lines[2:5]] == [
        "`paper_text`: 50.0 (1 run; paper)", "`as_published`: 70.0 (1 run; paper)", "–"]  # fmt: skip
    assert "*As run*: the authors' code" in lines[6]
    # a claim on a pool gets a row per corpus; a claim where nothing ran is trained and tested on nothing
    pool = [rec("clean", 0.5, "sd3") | {"corpus": "ravdess+tess"}]
    lines = verdict_box([*recs, *pool], reg, table).splitlines()
    assert lines[0].split("|")[2].strip() == "trained and tested on"
    assert [ln.split("|")[2].strip() for ln in lines[2:7]] == [
        "`ravdess`", "`ravdess+tess`", "`ravdess`", "`ravdess+tess`", "–"]  # fmt: skip
    assert [ln.split("|")[1].strip()[:7] for ln in lines[2:7]] == ["`b-si`:", "″", "`a-sd`:", "″", "`gone`:"]


def test_a_cross_corpus_pair_fills_the_cross_corpus_cell_only():
    """A run trained on EmoDB and tested on RAVDESS answers the EmoDB claim in its cross-corpus cell: it
    neither brings RAVDESS's own runs in as rows of the EmoDB claim (a pool's corpora do come in) nor reads
    as 1 of 3 folds (across corpora one fold is a seed's whole protocol)."""
    import pandas as pd

    from ser.report import verdict_box

    reg = {"paper": "p", "profiles": {"paper": {"epochs": 10, "folds": [0, 1, 2]}},
           "claims": [{"id": "e", "metric": "accuracy", "value": 93.0, "unit": "%", "corpus": "emodb",
                       "protocol": "sd3", "source": "Table 6", "headline": True}]}  # fmt: skip

    def rec(corpus, acc, fold, protocol="sd3"):
        return {"paper": "p", "arm": "clean", "claim_ids": ["e"], "corpus": corpus, "protocol": protocol,
                "profile": "paper", "metrics": {"accuracy": acc}, "history": {"val_loss": [1.0] * 10},
                "budget": {"paper_budget": True}, "fold": fold}  # fmt: skip

    own = [rec("emodb", 0.6 + f / 100, f) for f in (0, 1, 2)]
    others = [rec("ravdess", 0.5, f) for f in (0, 1, 2)]
    cross = [rec("emodb-to-ravdess", 0.30, 0, "cross"), rec("emodb-to-ravdess", 0.32, 0, "cross")]
    table = pd.DataFrame([{"paper": "p", "claim": "e", "status": "not reproduced"}])
    lines = verdict_box([*own, *others, *cross], reg, table).splitlines()
    header = [c.strip() for c in lines[0].split("|")[1:-1]]
    rows = [[c.strip() for c in ln.split("|")[1:-1]] for ln in lines[2:] if ln.startswith("|")]
    assert len(rows) == 1 and "trained and tested on" not in header  # no RAVDESS row under the EmoDB claim
    cell = rows[0][header.index("cross-corpus")]
    assert cell == "31.0 (30.0 and 32.0) (2 runs; paper; emodb-to-ravdess)", cell
    assert "of 3 folds" not in cell and rows[0][header.index("clean")].startswith("61.0")


def test_verdict_box_names_one_stand_in_once():
    """ArabEmoNet's two headline claims (KSUEmotions, KEDAS) both read EYASE: the note says so once."""
    import pandas as pd

    from ser.report import verdict_box

    claim = {"metric": "accuracy", "unit": "%", "source": "Table 2", "headline": True, "protocol": "kfold5"}
    reg = {"paper": "p", "profiles": {"paper": {"epochs": 10}}, "substitute": {"ksu": "eyase", "kedas": "eyase"},
           "claims": [claim | {"id": "a", "value": 91.0, "corpus": "ksu"},
                      claim | {"id": "b", "value": 99.0, "corpus": "kedas"}]}  # fmt: skip
    table = pd.DataFrame([{"paper": "p", "claim": c, "status": "substituted corpus"} for c in "ab"])
    note = verdict_box([], reg, table).splitlines()[5]
    assert note.endswith("Corpus `eyase`, standing in for `ksu` and `kedas`."), note


def test_arms_tables_of_headline_claims_by_corpus_and_metric(tmp_path):
    """Headline claims on one corpus and metric share one arms table; each group's learning-curves figure has
    its own file, named to match the ignored ``book/_static/*-curves.png`` (two groups on one corpus once shared
    a file name)."""
    from ser.report import headline_arms

    claim = {"unit": "%", "source": "Table 6", "headline": True, "protocol": "sd3"}
    reg = {"paper": "p", "profiles": {"paper": {"epochs": 10}},
           "claims": [claim | {"id": "r1", "value": 95.0, "corpus": "ravdess", "metric": "accuracy"},
                      claim | {"id": "e1", "value": 93.0, "corpus": "emodb", "metric": "accuracy"},
                      claim | {"id": "e2", "value": 87.0, "corpus": "emodb", "metric": "accuracy", "protocol": "si3"},
                      claim | {"id": "e3", "value": 90.0, "corpus": "emodb", "metric": "macro_f1"}]}  # fmt: skip

    def rec(corpus, protocol, acc):
        return {"paper": "p", "arm": "clean", "claim_ids": ["e1", "r1", "e2", "e3"], "corpus": corpus,
                "protocol": protocol, "profile": "paper", "metrics": {"accuracy": acc, "macro_f1": acc},
                "history": {"val_loss": [1.0, 0.9], "val_acc": [0.5, 0.6]},
                "budget": {"paper_budget": True}}  # fmt: skip

    recs = [rec("emodb", "sd3", 0.6), rec("emodb", "si3", 0.5), rec("ravdess", "sd3", 0.4)]
    text = headline_arms(recs, reg, tmp_path)
    intros = [ln for ln in text.splitlines() if ln.startswith("The headline claim")]
    assert [ln.split(" on `")[1][:7] for ln in intros] == ["ravdess", "emodb` ", "emodb` "]
    assert intros[1].startswith("The headline claims `e1` (93 %, Table 6) and `e2` (87 %, Table 6)")
    assert "| clean | si3 | paper | 1 |" in text.split(intros[1])[1].split(intros[2])[0]  # both protocols
    figures = sorted(p.name for p in tmp_path.glob("*.png"))
    assert len(figures) == 3 and all(f.startswith("p-") and f.endswith("-curves.png") for f in figures), figures
    # a claim on a corpus we do not have, with no stand-in, says so instead of an empty table
    reg["claims"].append(claim | {"id": "i1", "value": 89.0, "corpus": "iemocap", "metric": "accuracy"})
    text = headline_arms(recs, reg, tmp_path)
    assert text.endswith("The headline claim `i1`: `iemocap` is not available here, and no corpus stands in for it.\n")


def test_verdict_box_sets_the_clean_splits_baseline_beside_the_leaky_ones():
    """A standard recipe gains from a split's leak too: where the main arm is the authors' code, the
    baseline cell names each arm's splits, the clean arm's beside the leaky ones (it once showed the
    leaky split's 94.5 % alone, under a header that did not say which split)."""
    import pandas as pd

    from ser.report import verdict_box

    reg = {"paper": "p", "claims": [{"id": "c", "metric": "accuracy", "value": 96.0, "unit": "%", "corpus": "baved",
                                    "protocol": "random", "source": "Table 1", "headline": True}],
           "profiles": {"paper": {"epochs": 10}}}  # fmt: skip

    def rec(arm, acc, split):
        return {"paper": "p", "arm": arm, "claim_ids": ["c"], "corpus": "baved", "protocol": "random",
                "profile": "paper", "metrics": {"accuracy": acc}, "history": {"val_loss": [1.0] * 10},
                "budget": {"paper_budget": True}, "split_file": split}  # fmt: skip

    def base(split, acc):
        return {"split_file": split, "best": {"features": "mfcc_stats", "classifier": "rbf_svm", "accuracy": acc,
                                              "accuracy_low": acc - 0.02, "accuracy_high": acc + 0.02}}  # fmt: skip

    recs = [rec("as_published", 0.95, "leaky0"), rec("clean", 0.80, "clean0"), rec("clean", 0.84, "clean1")]
    table = pd.DataFrame([{"paper": "p", "claim": "c", "status": "reproduced only with the leak"}])
    header = [c.strip() for c in verdict_box(recs, reg, table).splitlines()[0].split("|")[1:-1]]
    assert header[6] == "best baseline, same splits"
    cell = lambda box: [c.strip() for c in box.splitlines()[2].split("|")[1:-1]][6]  # noqa: E731
    assert cell(verdict_box(recs, reg, table)) == "–"  # no baseline records given
    both = [base("leaky0", 0.945), base("clean0", 0.82), base("clean1", 0.84)]
    assert cell(verdict_box(recs, reg, table, both)) == (
        "`as_published` split: 94.5 (1 split; mfcc_stats + rbf_svm); "
        "`clean` splits: 83.0 (82.0 and 84.0) (2 splits; mfcc_stats + rbf_svm)"
    )
    # a pool's row gets its own splits' baseline (none without one: the claim corpus's is never repeated),
    # and the first row the cross-corpus directions' (each corpus's row once showed the claim corpus's or none)
    pool = [rec("clean", 0.7, "pool0") | {"corpus": "baved+eyase"}]
    lines = verdict_box(recs + pool, reg, table, both).splitlines()
    assert (
        lines[2].split("|")[8].strip().startswith("`as_published` split: 94.5")
        and lines[3].split("|")[8].strip() == "–"
    )
    cross = [rec("clean", 0.3, "cross0") | {"corpus": "baved-to-eyase", "protocol": "cross"}]
    more = both + [base("pool0", 0.66), base("cross0", 0.25)]
    lines = verdict_box(recs + pool + cross, reg, table, more).splitlines()
    first = lines[2].split("|")[8].strip()
    assert first.endswith("; cross-corpus `baved-to-eyase` split: 25.0 (1 split; mfcc_stats + rbf_svm)")
    assert lines[3].split("|")[8].strip() == "`clean` split: 66.0 (1 split; mfcc_stats + rbf_svm)"
    # a paper read from its text has no leaky arm: one entry, named by its arm
    text = [r | {"arm": "paper_text"} for r in recs[:1]]
    assert cell(verdict_box(text, reg, table, both)) == "`paper_text` split: 94.5 (1 split; mfcc_stats + rbf_svm)"


def test_verdict_box_says_when_a_cell_has_fewer_seeds_than_its_issue_asks():
    import pandas as pd

    from ser.report import verdict_box

    reg = {"paper": "p", "notebook": "papers/p.ipynb", "parameters": {"seeds": {}},
           "claims": [{"id": "c", "metric": "accuracy", "value": 96.0, "unit": "%", "corpus": "baved",
                       "protocol": "random", "source": "Table 1", "headline": True}],
           "profiles": {"paper": {"epochs": 10}},
           "targets": [{"name": "ap", "issue": 15, "runs": "ap-seed*", "seeds": 5, "params": {}},
                       {"name": "cl", "issue": 15, "runs": "cl-seed*", "seeds": 2, "params": {}}]}  # fmt: skip

    TAG = {"as_published": "ap", "clean": "cl"}  # noqa: N806

    def rec(arm, acc, seed):
        return {"paper": "p", "arm": arm, "claim_ids": ["c"], "corpus": "baved", "protocol": "random",
                "profile": "paper", "metrics": {"accuracy": acc}, "history": {"val_loss": [1.0] * 10},
                "budget": {"paper_budget": True}, "seeds": [seed], "run": f"{TAG[arm]}-seed{seed}"}  # fmt: skip

    recs = [rec("as_published", 0.95, s) for s in (0, 1, 2)] + [rec("clean", 0.8, s) for s in (0, 1)]
    table = pd.DataFrame([{"paper": "p", "claim": "c", "status": "reproduced"}])
    cells = [c.strip() for c in verdict_box(recs, reg, table).splitlines()[2].split("|")[1:-1]]
    assert cells[1].endswith("(3 runs; paper; 3 of the 5 seeds its issue asks)")
    assert cells[2].endswith("(2 runs; paper)")  # its target is complete: nothing to add
    # a cell whose runs were still improving at their end says so: no verdict rests on them unsaid
    falling = {"val_loss": [1.0 - 0.01 * i for i in range(20)], "still_improving": True, "diverged": False}
    recs[3]["history"] = falling
    cells = [c.strip() for c in verdict_box(recs, reg, table).splitlines()[2].split("|")[1:-1]]
    assert cells[2].endswith("(2 runs; paper; 1 still improving at the end)")
    recs[4]["history"] = falling
    cells = [c.strip() for c in verdict_box(recs, reg, table).splitlines()[2].split("|")[1:-1]]
    assert cells[2].endswith("(2 runs; paper; still improving at the end)")
    assert cells[1].endswith("(3 runs; paper; 3 of the 5 seeds its issue asks)")


def test_learning_curves_take_any_number_of_arms(tmp_path):
    """EmotionNet's six readings at two protocols and two profiles make 24 groups of curves (more than
    a ten-colour palette: the book build once failed there)."""
    from ser.report import curves_figure

    recs = [
        {"arm": f"arm{a}", "protocol": p, "profile": q, "history": {"val_acc": [0.5, 0.6], "val_loss": [1.0, 0.9]}}
        for a in range(6)
        for p in ("random", "speaker")
        for q in ("paper", "cpu")
    ]
    assert curves_figure(recs, tmp_path / "c.png") and (tmp_path / "c.png").stat().st_size > 0


def test_arms_at_another_learning_rate_get_their_own_table():
    """Runs that also trained at a conventional rate (metrics ``accuracy/lr<rate>``, e.g. the wavelet paper's
    0.001 beside its 0.1) get the arms again at that rate with the leak there; a baseline named ``lr``
    (logistic regression, ``accuracy/lr``) is no learning rate."""
    from ser.report import other_lr_arms

    head = {"id": "c", "metric": "accuracy"}
    reg = {"paper": "p", "claims": [], "profiles": {"paper": {"epochs": 10}}}

    def rec(arm, acc, lr_acc, corpus="emodb", protocol="sd3"):
        return {"paper": "p", "arm": arm, "claim_ids": [], "corpus": corpus, "protocol": protocol,
                "profile": "paper", "metrics": {"accuracy/lr0.001": lr_acc, "accuracy/lr": 0.5},
                "history": {"val_loss": [1.0, 0.9]}, "budget": {"paper_budget": True}}  # fmt: skip

    recs = [rec("as_published", a, b) for a, b in ((0.2, 0.80), (0.2, 0.76))]
    recs += [rec("clean", a, b) for a, b in ((0.2, 0.70), (0.2, 0.66))]
    recs += [rec("clean", 0.2, 0.10, protocol="si3")]  # another protocol than the headline's: left out
    head_recs = [r for r in recs if r["protocol"] == "sd3"]
    text = other_lr_arms(recs, head, reg, head_recs)
    assert text.count("| as_published |") == 1 and text.count("| clean |") == 1 and "learning rate 0.001" in text
    assert "| clean | sd3 | paper | 2 | 68.0 |" in text and "**+10.0 points**" in text
    assert "not the paper's setting" in text and "accuracy/lr`" not in text
    assert other_lr_arms(recs, head, reg, []) == ""


def test_the_speakers_column_takes_the_clean_arm_on_speaker_folds_where_no_speaker_arm_exists():
    """A paper whose clean arm itself ran speaker-independent folds (the wavelet paper's si3) fills the
    verdict box's *speakers held out* column with it; a declared ``speaker`` arm comes first."""
    import pandas as pd

    from ser.report import _speaker_arm

    rows = pd.DataFrame({"arm": ["as_published", "clean", "clean"], "protocol": ["sd3", "sd3", "si3"]})
    assert _speaker_arm(rows) == "clean"
    assert _speaker_arm(rows.iloc[:2]) == "paper_text"  # clean on sd3 only: no speakers held out
    assert _speaker_arm(pd.concat([rows, pd.DataFrame({"arm": ["speaker"], "protocol": ["speaker"]})])) == "speaker"
    assert _speaker_arm(pd.DataFrame()) == "paper_text"


def test_speed_table_says_where_a_profiled_step_goes():
    """A benchmark file made with --profile adds a column of the step's largest kinds of operation."""
    from ser.report_speed import bench_table

    model = {"model": "m", "params": 1, "gflop_fwd_per_item": 0.1, "train_items_per_s": 50.0,
             "train_fraction_of_peak": 0.1, "eval_items_per_s": 100.0, "s_per_epoch": 1.0,
             "paper_fit_minutes": 1.0, "speedup_epoch": 1.2}  # fmt: skip
    res = {"_file": "train-x.json", "device": "cpu: x", "threads": 1, "matmul_peak_gflops": 100.0,
           "deterministic": True, "load_average_at_start": 0.1, "models": [model]}  # fmt: skip
    assert "where a step goes" not in bench_table(res)
    shares = {"convolution": 0.5, "batch_norm": 0.3, "pooling": 0.1, "other": 0.06, "random": 0.04}
    text = bench_table(res | {"models": [model | {"op_shares": shares}]})
    assert "| where a step goes |" in text and "| convolution 50 %, batch_norm 30 %, pooling 10 %, other 6 % |" in text


def test_two_runs_show_their_values_not_a_t_interval():
    """A t interval on two runs spans most of the scale (and was once clipped to [0, 100] to hide it)."""
    import pandas as pd

    from ser.report import _t_interval

    row = {"n": 2, "mean": 49.0, "std": pd.Series([53.8, 44.2]).std(), "unit": "%"}
    assert _t_interval(pd.Series(row)) == "49.00 (44.20 and 53.80; 2 runs)"
    three = _t_interval(pd.Series(row | {"n": 3}))
    assert three.startswith("49.00 [") and three.endswith("(3 runs)")


def test_the_scorecard_reason_names_what_keeps_a_verdict_back():
    import pandas as pd

    from ser.report import _why

    base = {"unit": "%", "metric": "accuracy", "arm": "as_published", "profile": "paper", "tolerance": 2.0,
            "diverged": 5, "main_diverged": 1, "improving": 2}  # fmt: skip
    note = "as published, with the authors' leaks; the clean arm gives no word yet on whether the number needs x"
    why = _why(pd.Series(base | {"status": "reproduced", "reason": f"a; {note}", "verdict_note": note}))
    assert "; 1 run(s) diverged" in why and "5 run(s)" not in why  # the reproduced column's own count
    assert "2 still improving at the end" in why and "the clean arm gives no word yet" in why
    met = "the claim is met only with the 1 diverged run(s) left out (with them the mean is 50), and a verdict"
    why = _why(pd.Series(base | {"status": "diverged: no verdict", "reason": f"2 diverged run(s) x; {met}",
                                 "verdict_note": met}))  # fmt: skip
    assert why.startswith("the claim is met only with the 1 diverged run(s) left out")
    sub = base | {"status": "substituted corpus", "corpus_used": "ravdess", "claimed_corpus": "combined6",
                  "main_diverged": 0, "improving": 0, "paper_budget": True}  # fmt: skip
    assert _why(pd.Series(sub)) == "combined6 is not available; ran on ravdess"
    why = _why(pd.Series(sub | {"paper_budget": False, "arm": "paper_text", "profile": "cpu"}))
    assert why == "combined6 is not available; ran on ravdess; paper_text, cpu (below the paper's budget)"


def test_the_baselines_page_model_column_never_mixes_arms_budgets_or_configurations():
    from ser.report_baselines import _model_wa

    def rec(arm, acc, profile="paper", config="main", lr=0.05, budget=True, diverged=False):
        return {"paper": "parallel_cnn_lstm", "arm": arm, "profile": profile, "metrics": {"accuracy": acc},
                "params": {"config": config, "lr": lr}, "budget": {"paper_budget": budget},
                "history": {"diverged": diverged, "still_improving": False}}  # fmt: skip

    runs = [rec("clean", 0.80), rec("clean", 0.82), rec("clean", 0.84), rec("as_published", 0.96)]
    runs += [rec("clean", 0.5, lr=0.1), rec("clean", 0.7, config="k3"), rec("clean", 0.6, profile="cpu")]
    runs += [rec("clean", 0.3, budget=False)]
    cell = _model_wa(runs)
    assert cell.startswith("82.0 [") and "(3; `clean`, paper, lr 0.05)" in cell, cell
    assert "5 other run(s)" in cell
    # a setting whose runs all diverged never beats one that trained; two runs show their values
    dead = [rec("clean", 0.2, lr=0.1, diverged=True)] * 3
    cell = _model_wa(dead + [rec("clean", 0.80), rec("clean", 0.84)])
    assert cell.startswith("82.0 (80.0 and 84.0) (2; `clean`, paper, lr 0.05)"), cell
    assert _model_wa(dead) == "all 3 runs diverged (`clean`, paper)" and _model_wa([]) == "–"


def test_the_baselines_summary_sets_the_model_beside_the_baseline_on_its_own_splits():
    from ser.report_baselines import summary_table

    def base(i, acc):
        best = {"ua": acc, "accuracy": acc, "features": "egemaps", "classifier": "svm"}
        return {"paper": "parallel_cnn_lstm", "corpus": "baved", "protocol": "random",
                "split_file": f"nowhere/s{i}.csv", "fold": None, "best": best}  # fmt: skip

    def rec(i, acc, diverged=False):
        return {"paper": "parallel_cnn_lstm", "arm": "clean", "profile": "paper", "claim_ids": ["x"],
                "split_file": f"nowhere/s{i}.csv", "metrics": {"accuracy": acc}, "params": {"config": "main"},
                "budget": {"paper_budget": True},
                "history": {"diverged": diverged, "still_improving": False}}  # fmt: skip

    bases = [base(0, 0.80), base(1, 0.90), base(2, 0.70), base(3, 0.60)]
    runs = [rec(0, 0.75), rec(1, 0.85), rec(2, 0.65), rec(3, 0.2, diverged=True)]
    row = summary_table(bases, runs).iloc[0]
    assert row["splits"] == 4 and row["baseline WA"].startswith("75.0 [")
    assert (
        row["replicated model WA (runs)"].startswith("75.0 [")
        and "(3; `clean`, paper, 1 diverged" in (row["replicated model WA (runs)"])
    )
    assert row["baseline WA on the model's splits"].startswith("80.0 [") and row[
        "baseline WA on the model's splits"
    ].endswith("(3)")  # the diverged run's split is not the comparison's


def test_the_baselines_summary_counts_the_runs_of_a_split_saved_under_two_names(tmp_path):
    """Two arms saving one split under two names: the row counts the runs under both names (it counted
    only the first name's, and so showed the one leaky-arm run where three clean runs had trained)."""
    from ser.report_baselines import distinct, summary_table

    def base(name, acc=0.6):
        best = {"ua": acc, "accuracy": acc, "features": "egemaps", "classifier": "svm"}
        return {"paper": "parallel_cnn_lstm", "corpus": "baved", "protocol": "random",
                "split_file": str(tmp_path / name), "fold": None, "best": best}  # fmt: skip

    def rec(name, arm, acc, diverged=False):
        return {"paper": "parallel_cnn_lstm", "arm": arm, "profile": "paper", "claim_ids": ["x"],
                "split_file": str(tmp_path / name), "metrics": {"accuracy": acc}, "params": {"config": "main"},
                "budget": {"paper_budget": True},
                "history": {"diverged": diverged, "still_improving": False}}  # fmt: skip

    for name, text in (("a-as_published.csv", "one"), ("a-clean.csv", "one"), ("b-clean.csv", "two")):
        (tmp_path / name).write_text(text)
    bases = [base("a-as_published.csv"), base("a-clean.csv"), base("b-clean.csv", 0.8)]
    runs = [rec("a-as_published.csv", "as_published", 0.1, diverged=True)]
    runs += [rec("a-clean.csv", "clean", 0.70), rec("b-clean.csv", "clean", 0.74)]
    assert len(distinct(bases)) == 2  # the two names of one split count once
    row = summary_table(bases, runs).iloc[0]
    assert row["splits"] == 2
    cell = row["replicated model WA (runs)"]
    assert cell.startswith("72.0 (70.0 and 74.0) (2; `clean`, paper)") and "1 other run(s)" in cell, cell
    assert row["baseline WA on the model's splits"] == "70.0 (60.0 and 80.0) (2)"
    # a setting whose one run diverged says so in the singular
    dead = summary_table(bases[:1], runs[:1]).iloc[0]["replicated model WA (runs)"]
    assert dead == "its one run diverged (`as_published`, paper)", dead


def test_the_comparison_baseline_cell_shows_two_splits_as_values():
    import pandas as pd

    from ser.report import _baseline_cell

    row = {"baseline_n": 2, "baseline_mean": 83.0, "baseline_low": 70.3, "baseline_high": 95.7, "unit": "%"}
    assert _baseline_cell(pd.Series(row | {"baseline_values": [82.0, 84.0]})) == "83.00 (82.00 and 84.00) (n=2)"
    # three splits: the t interval over the splits' values, never clipped to 100
    three = _baseline_cell(pd.Series(row | {"baseline_n": 3, "baseline_values": [95.0, 99.0, 100.0]}))
    assert three == "98.00 [91.43, 104.57] (n=3)"
    # one split: the baseline's own bootstrap interval over its test items, as given
    one = _baseline_cell(pd.Series(row | {"baseline_n": 1, "baseline_values": [83.0]}))
    assert one == "83.00 [70.30, 95.70] (n=1)"


def test_a_pool_or_cross_corpus_pair_has_its_corpora_fingerprints_combined(data_root, monkeypatch):
    """Records of ``emodb-to-ravdess`` carry both corpora's fingerprints combined, and the corpora table
    compares them with the copies on the build machine (it said "not available" for any pool)."""
    from core.data import combine_fingerprints, fingerprint, load_corpus
    from ser.report import current_fingerprints

    monkeypatch.setenv("SER_DATA", str(data_root))
    fps = {c: fingerprint(load_corpus(c, root=data_root)) for c in ("emodb", "ravdess")}
    here = current_fingerprints({"emodb-to-ravdess", "ravdess", "kedas+ravdess"})
    assert here["emodb-to-ravdess"] == combine_fingerprints(fps) and here["ravdess"] == fps["ravdess"]
    assert here["kedas+ravdess"] is None  # a corpus of it is not on this machine
    assert combine_fingerprints(fps) != combine_fingerprints(dict(reversed(fps.items())))  # the pair is ordered
    assert combine_fingerprints(fps)["files"] == 535 + 1440 and combine_fingerprints(fps)["parts"] == fps
    # an older record of a pool hashed its pooled clips alone: shown as such, never flagged as another version
    from ser.report import corpus_versions

    old = {"_file": "old.json", "corpus": "emodb-to-ravdess", "corpus_fingerprint": {"files": 1702, "sha256": "ab" * 8}}
    new = {"_file": "new.json", "corpus": "emodb-to-ravdess", "corpus_fingerprint": combine_fingerprints(fps)}
    other = {**new, "_file": "other.json", "corpus_fingerprint": {**combine_fingerprints(fps), "sha256": "cd" * 8}}
    table, labels = corpus_versions([old, new, other], here)
    assert labels == {
        "old.json": "abababab",
        "new.json": here["emodb-to-ravdess"]["sha256"][:8],
        "other.json": "⚠️ cdcdcdcd",
    }
    assert "1702 files, abababab (of the pooled clips) (1)" in table
