"""Reference baselines: features on real clips, the no-test-leak rules, paired comparisons, records."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from core import baselines as B
from core.stats import bootstrap_interval, paired_difference
from tests.conftest import write_tone

EXPECTED_DIMS = {"egemaps": 88, "compare": 6373, "mfcc_stats": 160, "lld124": 124}


@pytest.fixture(scope="module")
def emodb(data_root):
    from core.data import load_corpus

    return load_corpus("emodb", root=data_root)


@pytest.mark.parametrize("name", list(B.FEATURE_SETS))
def test_feature_sets_on_real_clips(emodb, name):
    paths = emodb["path"].iloc[:3].tolist()
    x = B.functionals(paths, name, cache=False, progress=False)
    assert x.shape == (3, EXPECTED_DIMS[name])
    assert np.isfinite(x).all()
    assert not np.allclose(x[0], x[1])  # different clips, different vectors


def test_odd_but_valid_audio_gives_a_row(tmp_path):
    stereo = tmp_path / "stereo.wav"
    write_tone(stereo, sr=44100, seconds=1.0, channels=2)
    short = tmp_path / "short.wav"
    write_tone(short, seconds=0.02)
    silent = tmp_path / "silent.wav"
    write_tone(silent, amplitude=0.0)
    for name in ("egemaps", "mfcc_stats"):
        x = B.functionals([stereo, short, silent], name, cache=False, progress=False)
        assert x.shape == (3, EXPECTED_DIMS[name])
        assert np.isfinite(x[0]).all()


def test_unknown_feature_set_and_classifier_are_named():
    with pytest.raises(ValueError, match="unknown feature set 'gemaps'"):
        B.FunctionalsConfig("gemaps")
    with pytest.raises(ValueError, match="unknown classifier 'svm'"):
        B.make_classifier("svm", 1.0)


def _toy(n=90, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 3
    x = rng.normal(size=(n, 6))
    x[:, 0] += 2.0 * y
    part = np.array((["train"] * 6 + ["val"] * 2 + ["test"] * 2) * (n // 10))
    return x, y, part


def _guard(matrix):
    """The hook: fails if a matrix given to a ``fit`` carries the test sentinel."""
    if (np.abs(matrix) > 1e8).any():
        raise AssertionError("a test row reached fit")


def _counting(calls):
    def hook(matrix):
        calls.append(len(matrix))
        _guard(matrix)

    return hook


def test_no_test_row_reaches_any_fit():
    x, y, part = _toy()
    x[part == "test", 1] = 1e9  # the sentinel
    calls = []
    rows, best = B.evaluate_split({"toy": x}, y, part, hook=_counting(calls))
    assert len(rows) == len(B.CLASSIFIERS)
    assert len(calls) >= len(B.CLASSIFIERS) and min(calls) > 0  # the guard saw every classifier's fits
    # and the guard does fire when a test row is fitted on
    with pytest.raises(AssertionError, match="test row"):
        B.select_and_fit(x, y, np.where(part == "test", "train", part), "logreg", hook=_guard)


def test_what_is_fitted_and_chosen_does_not_depend_on_test_features():
    x, y, part = _toy()
    te = part == "test"
    other = x.copy()
    other[te] = np.random.default_rng(5).normal(50.0, 30.0, size=(te.sum(), x.shape[1]))
    for kind in B.CLASSIFIERS:
        a, b = B.select_and_fit(x, y, part, kind), B.select_and_fit(other, y, part, kind)
        assert (a["c"], a["val_ua"]) == (b["c"], b["val_ua"])
        scale_a, scale_b = a["model"].prep.named_steps["scale"], b["model"].prep.named_steps["scale"]
        assert np.array_equal(scale_a.mean_, scale_b.mean_) and np.array_equal(scale_a.scale_, scale_b.scale_)
        if a["model"].kernels is not None:
            assert a["model"].kernels.gamma == b["model"].kernels.gamma
        assert (a["model"].predict(x[part == "val"]) == b["model"].predict(x[part == "val"])).all()


def test_inner_folds_never_see_the_test_rows_either():
    x, y, part = _toy()
    part = np.where(part == "val", "train", part)  # no validation part: inner folds choose C
    x[part == "test", 1] = 1e9
    calls = []
    fit = B.select_and_fit(x, y, part, "linear_svm", hook=_counting(calls), groups=np.arange(len(y)) % 5)
    assert len(calls) > 3  # three inner folds per C, then the refit: the guard saw them all
    assert fit["selection"] == "3 inner folds of the training part grouped by speaker"
    assert (fit["model"].predict(x[part == "train"]) == y[part == "train"]).mean() > 0.6


@pytest.mark.parametrize("kind", ["linear_svm", "rbf_svm"])
def test_precomputed_kernels_match_scikit_learn(kind):
    from sklearn.svm import SVC

    x, y, part = _toy()
    fit = B.select_and_fit(x, y, part, kind)
    tr = part == "train"
    z = fit["model"].prep.transform(x)
    ref = SVC(kernel="linear" if kind == "linear_svm" else "rbf", C=fit["c"], gamma="scale").fit(z[tr], y[tr])
    assert (ref.predict(z) == fit["model"].predict(x)).all()


def test_choices_do_not_depend_on_test_labels():
    x, y, part = _toy()
    rows_a, best_a = B.evaluate_split({"toy": x, "noise": np.random.default_rng(1).normal(size=x.shape)}, y, part)
    y_scrambled = y.copy()
    te = np.flatnonzero(part == "test")
    y_scrambled[te] = (y[te] + 1) % 3
    rows_b, best_b = B.evaluate_split(
        {"toy": x, "noise": np.random.default_rng(1).normal(size=x.shape)}, y_scrambled, part
    )
    assert [(r["features"], r["classifier"], r["c"], r["val_ua"]) for r in rows_a] == [
        (r["features"], r["classifier"], r["c"], r["val_ua"]) for r in rows_b
    ]
    assert (best_a["features"], best_a["classifier"]) == (best_b["features"], best_b["classifier"])
    assert best_a["accuracy"] != best_b["accuracy"]  # the test labels did change what is reported


def test_bootstrap_resamples_speakers_only_when_there_are_enough():
    from core.stats import MIN_SPEAKERS

    y = np.array([0, 1] * 100)
    acc = lambda a, b: (a == b).mean()  # noqa: E731
    pred = y.copy()
    pred[:100] = 1 - pred[:100]  # the first half of the speakers all wrong, the rest all right
    many = np.repeat(np.arange(2 * MIN_SPEAKERS), 200 // (2 * MIN_SPEAKERS))
    clips = bootstrap_interval(y, pred, acc, groups=None)
    speakers = bootstrap_interval(y, pred, acc, groups=many)
    assert clips[0] == speakers[0] == 0.5
    assert speakers[2] - speakers[1] > clips[2] - clips[1]  # clustered: much wider than 200 clips suggest
    two = np.repeat(["A", "B"], 100)
    assert bootstrap_interval(y, pred, acc, groups=two) == clips  # two speakers: clips, conditional on them
    from core.stats import resampling_unit

    assert resampling_unit(two)[1] == "clips (conditional on 2 test speakers)"
    assert resampling_unit(many)[1] == "speakers"


def test_paired_difference_words():
    a = np.ones(60)
    b = np.r_[np.ones(20), np.zeros(40)]
    better = paired_difference(a, b)
    assert better["word"] == "better" and better["a_only"] == 40 and better["b_only"] == 0
    assert better["p_mcnemar"] < 1e-6
    assert paired_difference(b, a)["word"] == "worse"
    same = paired_difference(a, a)
    assert same["word"] == "no detectable difference" and same["p_mcnemar"] == 1.0
    with pytest.raises(ValueError, match="equal"):
        paired_difference(a, b[:10])


def test_baselines_on_a_split_file_end_to_end(tmp_path, emodb, data_root):
    """Smoke: a split file of 10 clips per class, two cheap feature sets, a record written and read,
    and a model record with predictions compared item by item."""
    from core.experiment import subsample
    from core.splits import random_split, save_split
    from ser import baselines as SB

    sub = subsample(emodb, 10, seed=0)
    split_dir = tmp_path / "results" / "toy_paper" / "splits"
    save_split(random_split(sub, (0.6, 0.2, 0.2), 0), split_dir / "emodb-random-seed0.csv",
                            seed=0, protocol="random")  # fmt: skip
    (job,) = SB.jobs(tmp_path / "results")
    assert (job.corpus, job.protocol, job.seed, job.fold) == ("emodb", "random", 0, None)
    out_root = tmp_path / "baselines"
    status = SB.run_all([job], out_root, feature_sets=["mfcc_stats", "lld124"], data_root=str(data_root))
    assert status[0]["status"] == "done"
    (rec,) = SB.read_baselines(out_root)
    assert rec["best"]["features"] in ("mfcc_stats", "lld124") and rec["n_test"] == len(rec["predictions"]["pred"])
    assert rec["best"]["accuracy_low"] <= rec["best"]["accuracy"] <= rec["best"]["accuracy_high"]
    assert rec["budget"]["profile"] == "baseline" and rec["budget"]["paper_budget"] is None
    assert len(rec["table"]) == 2 * len(B.CLASSIFIERS)  # mfcc_stats and lld124 run every classifier
    # a second call skips the recorded split
    assert SB.run_all([job], out_root, feature_sets=["mfcc_stats"], data_root=str(data_root)) == []
    # a model record on the same split, right on every item: "better" or no detectable difference, never worse
    p = rec["predictions"]
    model = {
        "split_file": rec["split_file"],
        "predictions": {"utt_id": p["utt_id"], "true": p["true"], "pred": p["true"]},
    }
    got = SB.beside([model], [rec], "accuracy")
    assert got["n"] == 1 and got["paired"]["word"] in ("better", "no detectable difference")
    assert got["paired"]["difference"] == pytest.approx(1 - rec["best"]["accuracy"])
    old = {"split_file": rec["split_file"]}
    assert SB.beside([old], [rec])["reason"].startswith("the model records keep no per-item predictions")
    assert json.loads(json.dumps(rec, default=str))  # a plain JSON record


def test_a_split_with_noisy_copies_in_test_is_not_run(tmp_path, emodb):
    from ser import baselines as SB

    ids = emodb["utt_id"].iloc[:6].tolist()
    split = pd.DataFrame({
        "utt_id": ids + [f"{ids[0]}#copy1"], "part": ["train"] * 4 + ["val", "test", "test"], "seed": 0,
        "protocol": "random",
    })  # fmt: skip
    f = tmp_path / "p" / "splits" / "emodb-random-as_published-seed0.csv"
    f.parent.mkdir(parents=True)
    split.to_csv(f, index=False)
    (job,) = SB.jobs(tmp_path)
    with pytest.raises(SB.NotRunnable, match="noisy copies"):
        SB.parts_for(job, emodb)


def test_pooled_and_cross_corpus_splits_are_named_as_their_runs(tmp_path, capsys):
    """A pool (``ravdess+tess``) and a cross-corpus split (``ravdess-to-tess``: no test corpus in training)
    get a job named as the model records name their corpus; only a k-fold file over several corpora is
    skipped, with the reason (``ser baselines --list`` once failed with a traceback on such splits)."""
    from core.data import corpus_parts
    from ser import baselines as SB
    from ser.cli import main

    d = tmp_path / "p" / "splits"
    d.mkdir(parents=True)
    rows = {
        "ravdess+tess-random-seed0.csv": (
            ["ravdess/a", "tess/b", "ravdess/c", "tess/d"],
            ["train", "train", "val", "test"],
        ),
        "ravdess-to-tess-cross-seed0.csv": (["ravdess/a", "ravdess/c", "tess/b"], ["train", "val", "test"]),
        "ravdess+tess-folds-seed0.csv": (["ravdess/a", "tess/b"], ["0", "1"]),
    }  # fmt: skip
    for name, (ids, parts) in rows.items():
        pd.DataFrame({"utt_id": ids, "part": parts, "seed": 0, "protocol": "random"}).to_csv(d / name, index=False)
    skipped: list = []
    got = {j.split_file.name: j.corpus for j in SB.jobs(tmp_path, skipped=skipped)}
    assert got == {
        "ravdess+tess-random-seed0.csv": "ravdess+tess",
        "ravdess-to-tess-cross-seed0.csv": "ravdess-to-tess",
    }
    assert [f.name for f, _ in skipped] == ["ravdess+tess-folds-seed0.csv"] and "k-fold" in skipped[0][1]
    assert corpus_parts("ravdess-to-tess") == ["ravdess", "tess"] == corpus_parts("ravdess+tess")
    assert main(["baselines", "--list", "--paper", "cnn_blstm_attention"]) == 0
    assert "ravdess-to-tess-cross-oversampled-seed1-clean" in capsys.readouterr().out


def test_cross_corpus_baseline_trains_on_one_corpus_and_tests_on_the_other(tmp_path, data_root):
    """End to end on a few clips: the seven shared emotions, training and validation on RAVDESS, every
    test item from TESS; a pooled split with noisy copies in its test part is not run."""
    from core.data import combine_seven, load_corpus
    from ser import baselines as SB

    pool = combine_seven({c: load_corpus(c, root=data_root) for c in ("ravdess", "tess")})
    pick = pd.concat([g.head(3) for _, g in pool.groupby(["corpus", "label_name"])])
    part = np.where(pick["corpus"] == "tess", "test", "train")
    part[np.flatnonzero(part == "train")[::3]] = "val"
    d = tmp_path / "res" / "toy" / "splits"
    d.mkdir(parents=True)
    pd.DataFrame({"utt_id": pick["utt_id"], "part": part, "seed": 0, "protocol": "cross"}).to_csv(
        d / "ravdess-to-tess-cross-seed0.csv", index=False
    )
    (job,) = SB.jobs(tmp_path / "res")
    rec = SB.run_job(job, feature_sets=["mfcc_stats"], classifiers=["linear_svm"], data_root=str(data_root))
    assert rec["corpus"] == "ravdess-to-tess" and rec["n_test"] == int((part == "test").sum())
    assert all(u.startswith("tess/") for u in rec["predictions"]["utt_id"])
    assert set(rec["predictions"]["true"]) <= set(pick["label_name"]) and len(set(rec["predictions"]["true"])) == 7
    # the fingerprint of the pair is its two whole corpora's, as a model record's on the same pair
    from core.data import combine_fingerprints, fingerprint

    both = {c: fingerprint(load_corpus(c, root=data_root)) for c in ("ravdess", "tess")}
    assert rec["corpus_fingerprint"] == combine_fingerprints(both)
    leaky = pd.DataFrame({"utt_id": list(pick["utt_id"]) + [pick["utt_id"].iloc[-1] + "#copy1"],
                          "part": list(np.where(part == "test", "train", part)[:-1]) + ["test", "test"],
                          "seed": 0, "protocol": "random"})  # fmt: skip
    leaky.to_csv(d / "ravdess+tess-random-seed0.csv", index=False)
    job = next(j for j in SB.jobs(tmp_path / "res") if j.corpus == "ravdess+tess")
    with pytest.raises(SB.NotRunnable, match="pools several corpora"):
        SB.parts_for(job, SB.load_meta(job.corpus, str(data_root)))


def test_a_pool_reads_each_corpus_features_from_its_own_cached_matrix(monkeypatch, data_root):
    """Features of a pool or cross-corpus split come from each corpus's whole list of clips (the list its
    one-corpus splits cache), never from the pool's concatenated list, and land on the right rows."""
    from core import baselines as B
    from core.data import combine_seven, load_corpus
    from ser import baselines as SB

    calls = []

    def fake(paths, name, **kw):
        calls.append(list(paths))
        return np.array([[float(hash(p) % 9973), len(p)] for p in paths])

    monkeypatch.setattr(B, "functionals", fake)
    whole = {c: load_corpus(c, root=data_root) for c in ("ravdess", "tess")}
    pool = combine_seven(whole)
    feats = SB.split_features(pool, pool.iloc[::7], ["mfcc_stats"], data_root=str(data_root))["mfcc_stats"]
    assert calls == [whole["ravdess"]["path"].tolist(), whole["tess"]["path"].tolist()]
    assert np.array_equal(feats, fake(pool["path"].iloc[::7].tolist(), "mfcc_stats"))
    calls.clear()
    one = SB.split_features(whole["tess"], whole["tess"].iloc[::5], ["mfcc_stats"])["mfcc_stats"]
    assert calls == [whole["tess"]["path"].tolist()] and len(one) == len(whole["tess"].iloc[::5])


def test_cli_lists_the_book_splits_and_rejects_unknown_names(capsys):
    from ser import baselines as SB
    from ser.cli import main

    assert main(["baselines", "--list", "--paper", "wavelet_cnn_lstm"]) == 0
    listed = capsys.readouterr().out.splitlines()
    n_files = len(list((SB.RESULTS_DIR / "wavelet_cnn_lstm" / "splits").glob("*.csv")))
    assert len(listed) == n_files >= 12 and all(line.startswith("wavelet_cnn_lstm") for line in listed)
    assert main(["baselines", "--features", "gemaps"]) == 2
    assert "unknown feature set gemaps" in capsys.readouterr().err
    assert main(["baselines", "--split", "no-such-split"]) == 2


def _baseline_record(split_file, acc, fold=None):
    best = {
        "features": "egemaps",
        "classifier": "rbf_svm",
        "accuracy": acc,
        "accuracy_low": acc - 0.05,
        "accuracy_high": acc + 0.05,
        "ua": acc,
        "ua_low": acc - 0.05,
        "ua_high": acc + 0.05,
        "macro_f1": acc,
    }
    return {"split_file": split_file, "fold": fold, "best": best}


def test_claim_rows_carry_the_baseline_in_the_claims_unit():
    from ser.claims import baseline_columns

    claim = {"metric": "accuracy", "unit": "%"}
    records = [{"split_file": f"s{i}.csv", "metrics": {"accuracy": 0.9 + i / 100}} for i in range(3)]
    baselines = [_baseline_record(f"s{i}.csv", 0.6 + i / 100) for i in range(3)]
    cols = baseline_columns(claim, records, baselines)
    assert cols["baseline_n"] == 3 and cols["baseline_mean"] == pytest.approx(61.0)
    assert cols["vs_baseline"] == "better (over splits)" and cols["vs_baseline_diff"] == pytest.approx(30.0)
    # a macro-F1 claim is never paired on accuracy
    f1 = baseline_columns(
        {"metric": "macro_f1", "unit": ""}, [r | {"metrics": {"macro_f1": 0.5}} for r in records], baselines
    )
    assert f1["vs_baseline"].endswith("(over splits)") and f1["vs_baseline_diff"] == pytest.approx(0.5 - 0.61)
    assert baseline_columns({"metric": "f1/happy", "unit": ""}, records, baselines)["baseline_n"] == 0
    assert baseline_columns(claim, records, None)["baseline_n"] == 0
    # a k-fold baseline matches the model record's fold only
    folded = [_baseline_record("k.csv", 0.5, fold=0), _baseline_record("k.csv", 0.7, fold=1)]
    rec = {"split_file": "k.csv", "fold": 1, "metrics": {"accuracy": 0.8}}
    assert baseline_columns(claim, [rec], folded)["baseline_mean"] == pytest.approx(70.0)


def test_paired_comparison_needs_the_same_items_and_pools_speakers():
    from ser.baselines import beside

    ids = [f"u{i}" for i in range(40)]
    spk = [f"s{i % 4}" for i in range(40)]
    base = _baseline_record("a.csv", 0.5) | {
        "predictions": {"utt_id": ids, "speaker": spk, "true": ["x"] * 40, "pred": ["x", "y"] * 20}
    }
    model = {"split_file": "a.csv", "metrics": {"accuracy": 1.0},
             "predictions": {"utt_id": ids, "true": ["x"] * 40, "pred": ["x"] * 40}}  # fmt: skip
    got = beside([model], [base])
    assert got["paired"]["difference"] == pytest.approx(0.5) and got["paired"]["a_only"] == 20
    short = model | {"predictions": {k: v[:-1] for k, v in model["predictions"].items()}}
    assert beside([short], [base])["reason"] == "the model's and the baseline's test parts hold different items"
    # two model records on one split: McNemar is not computed on the doubled items
    assert np.isnan(beside([model, model], [base])["paired"]["p_mcnemar"])


def test_a_kfold_split_with_noisy_copies_is_not_run(tmp_path, emodb):
    from ser import baselines as SB

    ids = emodb["utt_id"].iloc[:10].tolist()
    split = pd.DataFrame(
        {"utt_id": ids + [f"{ids[0]}#copy1"], "part": [0, 1] * 5 + [0], "seed": 0, "protocol": "kfold2"}
    )
    f = tmp_path / "p" / "splits" / "emodb-kfold2-seed0.csv"
    f.parent.mkdir(parents=True)
    split.to_csv(f, index=False)
    jobs = SB.jobs(tmp_path)
    assert [j.fold for j in jobs] == [0, 1]
    with pytest.raises(SB.NotRunnable, match="noisy copies"):
        SB.parts_for(jobs[0], emodb)


def test_copy_snrs_keep_the_draws_of_the_recorded_runs():
    """The committed as_published runs drew one integer SNR per clip from rng([seed, 2]): the helper
    the notebook and the baselines share must give the same draws, or reruns change silently."""
    from core.features import copy_noise_seed, copy_snrs

    want = np.random.default_rng([3, 2]).integers(15, 30, size=50).astype(float)
    np.testing.assert_array_equal(copy_snrs(50, 3, [15, 29]), want)
    assert 15 <= copy_snrs(500, 0, [15, 29]).min() and copy_snrs(500, 0, [15, 29]).max() == 29
    assert copy_snrs(4, 0, None, 20) == 20.0 and copy_noise_seed(7, 1) == 7 and copy_noise_seed(7, 2) == 1007
    with pytest.raises(ValueError, match="snr_range or awgn_snr_db"):
        copy_snrs(4, 0)


def test_functionals_of_noisy_copies_are_seeded_and_differ(emodb):
    paths = emodb["path"].iloc[:2].tolist()
    clean = B.functionals(paths, "mfcc_stats", cache=False, progress=False)
    noisy = B.functionals(paths, "mfcc_stats", noise_snr_db=[20.0, 25.0], noise_seed=1, cache=False, progress=False)
    again = B.functionals(paths, "mfcc_stats", noise_snr_db=[20.0, 25.0], noise_seed=1, cache=False, progress=False)
    other = B.functionals(paths, "mfcc_stats", noise_snr_db=[20.0, 25.0], noise_seed=2, cache=False, progress=False)
    np.testing.assert_array_equal(noisy, again)  # seeded
    assert not np.allclose(noisy, clean) and not np.allclose(noisy, other)
    lld = B.functionals(paths[:1], "lld124", noise_snr_db=20.0, cache=False, progress=False)
    assert lld.shape == (1, 124)
    assert not np.allclose(lld, B.functionals(paths[:1], "lld124", cache=False, progress=False))


def test_a_leaky_split_is_run_on_rebuilt_copies_when_its_recipe_is_recorded(tmp_path, emodb, data_root):
    """The as_published split (copies of every clip before the split): with the model record that
    made it, the baselines train and test on originals and copies alike and state the leak."""
    from core.experiment import subsample
    from core.splits import random_split, with_copies
    from ser import baselines as SB
    from ser.paths import repo_relative

    sub = subsample(emodb, 8, seed=0)
    items = with_copies(sub, 2)
    split = random_split(items, (0.6, 0.2, 0.2), 0).assign(seed=0, protocol="random")
    folder = tmp_path / "results" / "toy_paper"
    f = folder / "splits" / "emodb-random-as_published-seed0.csv"
    f.parent.mkdir(parents=True)
    split.to_csv(f, index=False)
    (job,) = SB.jobs(tmp_path / "results")
    with pytest.raises(SB.NotRunnable, match="no model record says how they were made"):
        SB.parts_for(job, emodb, SB.noise_recipe(job))
    model = {"paper": "toy_paper", "corpus": "emodb", "protocol": "random", "arm": "as_published", "profile": "paper",
             "seeds": [0], "metrics": {"accuracy": 0.9}, "params": {"noise_copies": 2, "snr_range": [15, 29]},
             "split_file": repo_relative(f), "run": "toy"}  # fmt: skip
    from ser import results

    results.write_result(results.make_record(claim_ids=[], duration_s=1.0, **model), folder, "toy")
    recipe = SB.noise_recipe(job)
    assert recipe["n_copies"] == 2 and recipe["snr_range"] == [15, 29] and recipe["run"] == "toy"
    rows, part = SB.parts_for(job, emodb, recipe)
    assert len(rows) == len(items) and set(rows["copy"]) == {0, 1, 2}
    rec = SB.run_job(job, feature_sets=["mfcc_stats"], classifiers=["linear_svm"], data_root=str(data_root))
    assert any("#copy" in u for u in rec["predictions"]["utt_id"])
    assert rec["leak"]["sibling_in_train"] > 0.5  # most test items have a twin in training
    assert rec["noisy_copies"]["noise_on"] == "raw" and rec["noisy_copies"]["n_copies"] == 2
    assert 0 < rec["leak"]["n_test_originals"] < rec["n_test"]
    # the copies' rows hold the noisy features, not the clean ones
    feats = SB.split_features(emodb, rows, ["mfcc_stats"], recipe)["mfcc_stats"]
    orig = rows.index[rows["copy"] == 0][0]
    twin = rows.index[rows["source"] == rows.loc[orig, "utt_id"]].drop(orig)
    assert len(twin) and not np.allclose(feats[orig], feats[twin[0]])


def test_the_leak_table_sets_a_leaky_baseline_beside_its_clean_twin():
    from ser import report_baselines as RB

    def rec(name: str, acc: float, leak: dict | None = None) -> dict:
        best = {"features": "egemaps", "classifier": "rbf_svm", "accuracy": acc, "accuracy_low": acc - 0.05,
                "accuracy_high": acc + 0.05, "interval_unit": "speakers"}  # fmt: skip
        r = {"paper": "p", "corpus": "baved", "protocol": "random", "seeds": [0], "best": best,
             "split_file": f"papers/results/p/splits/{name}.csv", "fold": None}  # fmt: skip
        return r | ({"leak": leak} if leak else {})

    leaky = rec("baved-random-as_published-seed0", 0.93, {"sibling_in_train": 0.95, "accuracy_originals": 0.9})
    clean = rec("baved-random-clean-seed0", 0.80)
    other = rec("baved-random-seed0", 0.70)  # the paper_text arm: not the twin
    models = [
        {"split_file": leaky["split_file"], "metrics": {"accuracy": 0.95}, "claim_ids": ["c"], "profile": "paper"},
        {"split_file": clean["split_file"], "metrics": {"accuracy": 0.84}, "claim_ids": ["c"], "profile": "paper"},
    ]
    assert RB.clean_twin(leaky, [leaky, other, clean]) is clean
    (row,) = RB.leak_table([leaky, other, clean], models).to_dict("records")
    assert row["what the leak gives the baseline (points)"] == "+13.0"
    assert row["model WA: leaky split / clean split"] == "95.0 (paper) / 84.0 (paper)"
    assert row["test items with a twin in training"] == "95.0"
    # leaky splits count in no mean
    assert leaky not in RB.distinct([leaky, clean, other])
    assert RB.leak_table([clean, other], models).empty


def test_run_intervals_match_the_metrics_and_take_speakers_from_the_baseline():
    from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score

    from ser import baselines as SB

    rng = np.random.default_rng(0)
    n = 240
    ids = [f"c/{i}" for i in range(n)]
    spk = [f"s{i % 12}" for i in range(n)]
    true = rng.choice(["a", "b", "c"], n)
    pred = np.where(rng.random(n) < 0.7, true, rng.choice(["a", "b", "c"], n))
    ids[0] = "c/0#copy1"  # a noisy copy takes its original's speaker
    model = {"split_file": "s.csv", "predictions": {"utt_id": ids, "true": list(true), "pred": list(pred)}}
    base_pred = {"utt_id": ["c/0", *ids[1:]], "speaker": spk, "true": list(true), "pred": list(true)}
    base = {"split_file": "s.csv", "fold": None, "predictions": base_pred}
    assert SB.speakers_of(model, [base]) == spk
    got = SB.run_intervals(model, [base], n_boot=200)
    assert got["unit"] == "speakers" and got["n"] == n
    assert got["accuracy"][0] == pytest.approx(accuracy_score(true, pred))
    assert got["ua"][0] == pytest.approx(balanced_accuracy_score(true, pred))
    assert got["macro_f1"][0] == pytest.approx(f1_score(true, pred, average="macro"))
    for key in ("accuracy", "ua", "macro_f1"):
        assert got[key][1] < got[key][0] < got[key][2]
    # without a baseline on the split, speakers are unknown: clips are resampled, and it says so
    assert SB.run_intervals(model, [], n_boot=50)["unit"] == "clips (speakers not known)"
    assert SB.run_intervals({"metrics": {}}, []) is None


def test_an_older_run_gets_a_clip_interval_from_its_confusion_matrix():
    from ser import baselines as SB

    rec = {"confusion": [[101, 13, 3], [47, 63, 25], [5, 16, 114]]}
    got = SB.run_intervals(rec, [], n_boot=300)
    assert got["n"] == 387 and got["unit_short"] == "clips" and "confusion matrix" in got["unit"]
    assert got["accuracy"][0] == pytest.approx((101 + 63 + 114) / 387)
    assert got["ua"][0] == pytest.approx(np.mean([101 / 117, 63 / 135, 114 / 135]))
    assert got["accuracy"][1] < got["accuracy"][0] < got["accuracy"][2]
    assert SB.run_intervals({"confusion": [[0, 0], [0, 0]]}, []) is None


def test_a_run_with_few_test_speakers_resamples_clips_and_says_so():
    from ser import baselines as SB

    n = 200
    true = ["a", "b"] * (n // 2)
    pred = ["a"] * n
    ids = [f"c/{i}" for i in range(n)]
    spk = ["s1" if i < n // 2 else "s2" for i in range(n)]
    model = {"split_file": "s.csv", "predictions": {"utt_id": ids, "true": true, "pred": pred}}
    base = {
        "split_file": "s.csv",
        "fold": None,
        "predictions": {"utt_id": ids, "speaker": spk, "true": true, "pred": true},
    }
    got = SB.run_intervals(model, [base])
    assert got["unit"] == "clips (conditional on 2 test speakers)" and got["unit_short"] == "clips"
    assert 0.4 < got["accuracy"][1] < 0.5 < got["accuracy"][2] < 0.6  # a clip interval, not [0, 1]


def test_each_pool_process_compiles_into_its_own_numba_cache(tmp_path, monkeypatch):
    """`ser baselines --workers 2` computes librosa features in two processes at once: each gets its
    own numba cache folder (one shared folder written at once was corrupted and crashed later runs)."""
    import multiprocessing
    import os

    from ser import baselines as SB

    monkeypatch.setenv("SER_CACHE", str(tmp_path))
    slots = multiprocessing.get_context("spawn").Value("i", 0)
    seen = []
    for _ in range(2):
        monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
        SB._own_numba_cache(slots)
        seen.append(os.environ["NUMBA_CACHE_DIR"])
    assert seen == [str(tmp_path / "numba" / "baselines-0"), str(tmp_path / "numba" / "baselines-1")]
