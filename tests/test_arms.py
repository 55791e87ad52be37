"""Arms side by side: intervals, the leak in points, and the basis of each number."""

from __future__ import annotations

import math

import numpy as np
import pytest

from core.stats import difference_interval, mean_interval
from ser.arms import arm_rows, arms_table, leak_size, mean_spread
from ser.claims import by_configuration


def _rec(arm, acc, profile="paper", leak=None, epochs=100, diverged=False, paper_budget=True):
    metrics = {"accuracy": acc} | ({"leak/sibling_in_train": leak} if leak is not None else {})
    return {
        "arm": arm,
        "protocol": "random",
        "profile": profile,
        "metrics": metrics,
        "history": {"val_loss": [1.0] * epochs, "diverged": diverged, "still_improving": False},
        "budget": {"paper_budget": paper_budget},
    }


def test_mean_interval_matches_the_t_distribution():
    m, lo, hi = mean_interval([1.0, 2.0, 3.0])
    assert m == 2.0 and hi - m == pytest.approx(4.302653 * 1.0 / math.sqrt(3), rel=1e-6)
    assert math.isnan(mean_interval([5.0])[1])


def test_difference_interval_is_welch():
    d, lo, hi = difference_interval([10, 11, 12], [1, 2, 3])
    assert d == 9 and lo < 9 < hi
    assert difference_interval([1, 1], [1, 1]) == (0.0, 0.0, 0.0)


def test_mean_spread_shows_an_unclipped_interval_two_values_or_the_mean_alone():
    half = 4.302653 * 1.0 / math.sqrt(3)
    assert mean_spread([98.0, 99.0, 100.0]) == f"99.0 [{99 - half:.1f}, {99 + half:.1f}]"  # past 100: not clipped
    assert mean_spread([80.0, 84.0]) == "82.0 (80.0 and 84.0)"
    assert mean_spread([-1.25, 3.0], "{:+.2f}".format) == "+0.88 (-1.25 and +3.00)"
    assert mean_spread([61.7]) == "61.7" and mean_spread([]) == "–"


def test_by_configuration_splits_a_configuration_by_the_settings_that_differ_only():
    def rec(arm, config, lr, scheduler="plateau"):
        return {"arm": arm, "params": {"config": config, "lr": lr, "scheduler": scheduler}}

    runs = [rec("clean", "main", 0.05), rec("clean", "main", 0.1), rec("clean", "main", 0.05), rec("clean", "k3", 0.05)]
    runs += [rec("as_published", "main", 0.05, None)]
    groups = by_configuration(runs, lambda r: (r["arm"],))
    assert {k: len(g) for k, g in groups.items()} == {
        ("clean", "main", "lr 0.05"): 2,
        ("clean", "main", "lr 0.1"): 1,
        ("clean", "k3", ""): 1,  # one run: nothing differs
        ("as_published", "main", ""): 1,  # its scheduler differs from no other run of its group
    }


def test_arm_rows_and_leak():
    recs = [_rec("as_published", a, leak=0.96) for a in (0.97, 0.96, 0.98)]
    recs += [_rec("clean", a, leak=0.0) for a in (0.80, 0.82, 0.78)]
    recs += [_rec("clean", 0.4, profile="cpu", epochs=15, paper_budget=False)]
    rows = arm_rows(recs)
    pub = rows[(rows["arm"] == "as_published")].iloc[0]
    assert pub["n"] == 3 and pub["mean"] == pytest.approx(97.0) and pub["leak"] == pytest.approx(96.0)
    d, lo, hi = leak_size(rows, "paper")
    assert d == pytest.approx(17.0) and lo < 17 < hi
    assert math.isnan(leak_size(rows, "cpu")[0])  # no as_published run at cpu
    table = arms_table(recs)
    assert "**+17.0 points**" in table and "| clean | random | cpu | 1 | 40.0 | – | no | 15 |" in table
    # below the paper's budget the difference is not called a leak
    short = [_rec("as_published", 0.7, profile="cpu", paper_budget=False), recs[-1]]
    assert "No leak size at the `cpu` profile" in arms_table(short) and "points**" not in arms_table(short)
    # the note on noisy copies in the test part is BAVED's: only records that score the originals get it
    assert "noisy copies" not in table
    recs[0]["metrics"]["accuracy/originals"] = 0.95
    assert "noisy copies" in arms_table(recs)


def test_records_without_arm_are_the_papers_text():
    rows = arm_rows([{"protocol": "random", "profile": "cpu", "metrics": {"accuracy": 0.5}}])
    assert rows["arm"].tolist() == ["paper_text"]


def test_pools_and_cross_corpus_runs_get_their_own_rows_and_leak():
    """Records on the stand-in and on a pool that includes it: a corpus column, and the leak measured
    within one corpus (never as_published on one corpus minus clean on another)."""
    recs = [_rec("as_published", a, leak=0.1) | {"corpus": "ravdess+tess"} for a in (0.90, 0.92)]
    recs += [_rec("clean", a) | {"corpus": "ravdess+tess"} for a in (0.80, 0.82)]
    recs += [_rec("clean", a) | {"corpus": "ravdess"} for a in (0.40, 0.42)]
    rows = arm_rows(recs)
    assert sorted(rows["corpus"]) == ["ravdess", "ravdess+tess", "ravdess+tess"]
    assert math.isnan(leak_size(rows, "paper", corpus="ravdess")[0])
    assert leak_size(rows, "paper", corpus="ravdess+tess")[0] == pytest.approx(10.0)
    table = arms_table(recs)
    assert "| arm | corpus | protocol |" in table and "| clean | ravdess | random | paper | 2 | 41.0 |" in table
    assert "Leak at the `paper` profile on `ravdess+tess`: as published minus clean = **+10.0 points**" in table
    # 10 % of test items with a copy in training cannot make a 10-point gap on their own... but 10 >= 10: no caveat
    assert "can account directly" not in table
    recs[0]["metrics"]["leak/sibling_in_train"] = recs[1]["metrics"]["leak/sibling_in_train"] = 0.023
    assert "Only 2.3 % of the `as_published` test items have a copy in training" in arms_table(recs)
    one = [recs[0], recs[2]]  # one run per arm: no interval, and the caveat says why
    assert "One run in an arm: no interval" in arms_table(one)
    assert "| arm | protocol |" in arms_table(recs[:2])  # one corpus: no corpus column


def test_readings_are_compared_with_the_base_reading_split_by_split():
    """Differences pair runs on the same split file; unpaired seeds and diverged runs stay out."""
    from ser.arms import readings_table

    def rec(arm, seed, acc, diverged=False, corpus="eyase"):
        r = _rec(arm, acc, diverged=diverged) | {"corpus": corpus, "split_file": f"s/{corpus}-random-seed{seed}.csv"}
        return r | {"run": f"{corpus}-{arm}-{seed}"}

    recs = [rec("paper_text", s, a) for s, a in enumerate((0.50, 0.60, 0.70))]
    recs += [rec("rec_mean", s, a) for s, a in enumerate((0.55, 0.66, 0.74))]
    recs += [rec("rec_mean", 3, 0.99)]  # a seed paper_text has not run: in the mean, not in the difference
    recs += [rec("kl_001", 0, 0.2, diverged=True)]
    text = readings_table(recs)
    lines = {ln.split("|")[1].strip(): ln for ln in text.splitlines()[2:]}
    assert list(lines) == ["paper_text", "kl_001", "rec_mean"]  # the base first
    diff = mean_interval([5.0, 6.0, 4.0])
    assert f"+{diff[0]:.1f} [{diff[1]:+.1f}, {diff[2]:+.1f}] (3)" in lines["rec_mean"]
    assert "| 4 |" in lines["rec_mean"] and lines["kl_001"].rstrip().endswith("| 1 | 0 |")  # diverged, improving
    recs[3]["history"] = {"val_loss": [1.0, 0.5], "diverged": False, "still_improving": True}
    lines = {ln.split("|")[1].strip(): ln for ln in readings_table(recs).splitlines()[2:]}
    assert lines["rec_mean"].rstrip().endswith("| 0 | 1 |")  # a reading still improving says so
    assert "No `paper`-profile runs" in readings_table([r | {"profile": "cpu"} for r in recs])


def test_two_runs_of_a_reading_on_one_split_both_count_and_pair_with_nothing():
    """A study beside the main run on the same split: both in the mean (neither silently dropped), and
    that split out of the paired difference, since neither is the one twin."""
    from ser.arms import readings_table

    def rec(arm, seed, acc, study=""):
        r = _rec(arm, acc) | {"corpus": "eyase", "split_file": f"s/eyase-random-seed{seed}.csv"}
        return r | {"run": f"eyase-{arm}-{seed}{study}"}

    recs = [rec("paper_text", s, a) for s, a in enumerate((0.50, 0.60, 0.70))]
    recs += [rec("rec_mean", s, a) for s, a in enumerate((0.55, 0.66, 0.74))]
    recs += [rec("rec_mean", 0, 0.95, study="-lr")]
    line = next(ln for ln in readings_table(recs).splitlines() if ln.startswith("| rec_mean"))
    assert "| 4 |" in line  # all four runs in the mean
    assert f"{mean_interval([55.0, 66.0, 74.0, 95.0])[0]:.1f}" in line
    assert "(6.0 and 4.0) (2)" in line.replace("+", "")  # seeds 1 and 2 pair; seed 0 has two runs


def test_test_items_reads_a_kfold_files_fold_and_a_per_fold_files_test_part(tmp_path):
    """k-fold files hold fold numbers in ``part``: each fold is its own test part; a per-fold file's
    ``test`` part is its test part whatever its fold; the same items give the same digest."""
    from ser.arms import test_items

    kfold = tmp_path / "k.csv"
    kfold.write_text("utt_id,part,seed,protocol\na,0,0,k\nb,0,0,k\nc,1,0,k\nd,1,0,k\n")
    per_fold = tmp_path / "f1.csv"
    per_fold.write_text("utt_id,part,seed,protocol\na,train,0,k\nb,val,0,k\nd,test,0,k\nc,test,0,k\n")
    k0, k1 = test_items(str(kfold), 0), test_items(str(kfold), 1)
    assert k0 and k1 and k0 != k1
    assert test_items(str(per_fold), 1) == k1  # c and d, in any order
    assert test_items(str(tmp_path / "missing.csv"), 0) is None
    per_fold.write_text("utt_id,part,seed,protocol\na,test,0,k\nb,test,0,k\nc,train,0,k\nd,train,0,k\n")
    assert test_items(str(per_fold), 1) == k0  # rewritten: read again, not a stale cache


def test_an_interval_is_never_clipped_and_two_runs_show_their_values():
    """A t interval on two runs spans most of the scale: the rows give the two values instead; with three or
    more the interval is shown as computed, past 100 % if so, never clipped to look like a real bound."""
    two = arm_rows([_rec("clean", a) for a in (0.804, 0.845)]).iloc[0]
    assert np.isnan(two["low"]) and two["interval"] == "two runs: their values"
    assert two["values"] == pytest.approx([80.4, 84.5])
    three = arm_rows([_rec("clean", a) for a in (0.95, 0.99, 1.0)]).iloc[0]
    assert three["high"] > 100.0 and three["low"] < 95.0  # as computed
    assert "two runs: 80.4 and 84.5" in arms_table([_rec("clean", a) for a in (0.804, 0.845)])


def test_diverged_runs_are_counted_and_left_out_of_the_mean():
    rows = arm_rows([_rec("speaker", 0.279), _rec("speaker", 0.144, diverged=True)])
    r = rows.iloc[0]
    assert r["n"] == 1 and r["n_runs"] == 2 and r["diverged"] == 1 and r["mean"] == pytest.approx(27.9)
    every = arm_rows([_rec("speaker", 0.144, diverged=True), _rec("speaker", 0.143, diverged=True)]).iloc[0]
    assert every["n"] == 2 and every["diverged"] == 2  # all diverged: shown, as diverged, never hidden


def test_no_leak_is_computed_from_runs_that_all_diverged():
    recs = [_rec("as_published", 0.243, diverged=True) for _ in range(3)]
    recs += [_rec("clean", 0.243, diverged=True) for _ in range(3)]
    assert math.isnan(leak_size(arm_rows(recs), "paper")[0])
    assert "Leak at the" not in arms_table(recs)


def test_the_leak_is_measured_within_one_protocol():
    """Arms run under two protocols (e.g. speaker-dependent and speaker-independent folds): one leak per
    protocol, never as_published under one minus clean under the other."""
    recs = [_rec("as_published", a) | {"protocol": "sd3"} for a in (0.76, 0.80)]
    recs += [_rec("clean", a) | {"protocol": "sd3"} for a in (0.66, 0.70)]
    recs += [_rec("as_published", a) | {"protocol": "si3"} for a in (0.60, 0.64)]
    recs += [_rec("clean", a) | {"protocol": "si3"} for a in (0.40, 0.44)]
    rows = arm_rows(recs)
    assert leak_size(rows, "paper", protocol="sd3")[0] == pytest.approx(10.0)
    assert leak_size(rows, "paper", protocol="si3")[0] == pytest.approx(20.0)
    table = arms_table(recs)
    assert "protocol `sd3`: as published minus clean = **+10.0 points**" in table
    assert "protocol `si3`: as published minus clean = **+20.0 points**" in table


def test_no_leak_between_an_arm_at_the_budget_and_one_below_it_and_the_table_names_left_out_runs():
    def rec(arm, acc, budget):
        return {"paper": "p", "arm": arm, "corpus": "c", "protocol": "random", "profile": "paper",
                "metrics": {"accuracy": acc}, "budget": {"paper_budget": budget},
                "history": {"train_loss": [1.0, 0.5], "val_loss": [1.0, 0.6]}}  # fmt: skip

    reg = {"paper": "p", "profiles": {"paper": {"epochs": 10}}}
    recs = [rec("as_published", 0.50, True)] + [rec("as_published", 0.3, False) for _ in range(5)]
    recs += [rec("clean", 0.47, False)]
    rows = arm_rows(recs, "accuracy", registry=reg)
    assert all(math.isnan(v) for v in leak_size(rows, "paper"))  # at the budget against below it: two recipes
    assert "| 1 (+5 below budget, left out) |" in arms_table(recs, registry=reg)
    recs[-1]["budget"]["paper_budget"] = True
    assert leak_size(arm_rows(recs, "accuracy", registry=reg), "paper")[0] == pytest.approx(3.0)
