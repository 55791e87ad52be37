"""The book's {measured} role: numbers in prose computed from the results records."""

import pytest

from ser.measured import MeasuredError, answer, chapter_paper, parse, select


def _rec(run, arm, acc, protocol="sd3", profile="paper", diverged=False, seeds=(0,), **metrics):
    return {"paper": "p", "run": run, "arm": arm, "protocol": protocol, "profile": profile, "corpus": "emodb",
            "seeds": list(seeds), "metrics": {"accuracy": acc, **metrics}, "params": {"lr": 0.1},
            "history": {"diverged": diverged, "best_epoch": 4}, "_file": f"/r/{run}.json",
            "budget": {"paper_budget": True}}  # fmt: skip


RECS = [
    _rec("a-fold1", "as_published", 0.776),
    _rec("a-fold0", "as_published", 0.710),
    _rec("a-fold2", "as_published", 0.794),
    _rec("c-fold0", "clean", 0.636),
    _rec("c-fold1", "clean", 0.748),
    _rec("c-fold2", "clean", 0.673),
    _rec("t-0", None, 0.243, protocol="si3", diverged=True),
]


def test_values_means_counts_and_the_leak_come_from_the_records():
    assert answer("arm=as_published show=values", RECS, "p") == (
        "71.0, 77.6 and 79.4",
        ["a-fold0.json", "a-fold1.json", "a-fold2.json"],
    )  # in the order of the files' names, not of the list
    assert answer("arm=as_published", RECS, "p")[0] == "76.0"
    assert answer("arm=clean|as_published show=n", RECS, "p")[0] == "6"
    assert answer("protocol=sd3 show=leak", RECS, "p")[0] == "+7.4 [-4.4, +19.3]"  # Welch t
    short = [r | {"budget": {"paper_budget": False}} for r in RECS]  # below the paper's budget: as the arms table,
    with pytest.raises(MeasuredError, match="add budget=below"):  # no leak of the published number unless asked
        answer("protocol=sd3 show=leak", short, "p")
    assert answer("protocol=sd3 show=leak budget=below", short, "p")[0] == "+7.4 [-4.4, +19.3]"
    with pytest.raises(MeasuredError, match="budget takes only 'below'"):
        answer("protocol=sd3 show=leak budget=any", RECS, "p")
    assert answer("arm=paper_text show=values diverged=yes", RECS, "p")[0] == "24.3"  # no arm: paper_text
    assert answer("run=c-fold* show=range", RECS, "p")[0] == "63.6 to 74.8"
    assert answer("arm=clean show=mean_sd digits=2", RECS, "p")[0].startswith("68.57 ± ")
    assert answer("run=a-fold0 metric=history.best_epoch add=1 digits=0", RECS, "p")[0] == "5"
    assert answer("run=a-fold0 params.lr=0.1 show=n", RECS, "p")[0] == "1"
    assert answer("arm=as_published show=same", RECS[:1] + RECS[:1], "p")[0] == "77.6"
    with pytest.raises(MeasuredError, match="runs differ"):
        answer("arm=clean show=same", RECS, "p")
    hist = [_rec("h", "clean", 0.5) | {"history": {"val_acc": [0.1, 0.3, 0.2]}}]
    assert answer("metric=history.val_acc of=max", hist, "p")[0] == "30.0"  # a fraction: in %
    assert answer("metric=history.val_acc of=len digits=0", hist, "p")[0] == "3"
    assert answer("history.best_epoch=4 show=n", RECS, "p")[0] == "7" and not select(RECS, {"history.best_epoch": "5"})
    interval = answer("arm=as_published show=interval", RECS, "p")[0]
    assert interval.startswith("76.0 [") and interval.endswith("]")


def test_a_query_without_evidence_or_with_a_typo_is_an_error():
    with pytest.raises(MeasuredError, match="matches no results record"):
        answer("arm=speaker", RECS, "p")
    # "how many of these runs diverged" may be none, but only where the runs it counts among exist
    assert answer("arm=clean diverged=yes show=n", RECS, "p") == ("0", ["c-fold0.json", "c-fold1.json", "c-fold2.json"])
    assert answer("arm=clean classes=1 show=n", RECS, "p")[0] == "0"
    for query in ("arm=speaker diverged=yes show=n", "arm=clean diverged=yes show=values"):
        with pytest.raises(MeasuredError, match="matches no results record"):
            answer(query, RECS, "p")
    with pytest.raises(MeasuredError, match="unknown key 'prtocol'"):
        parse("prtocol=sd3")
    with pytest.raises(MeasuredError, match="not key=value"):
        parse("as_published")
    with pytest.raises(MeasuredError, match="'metric' is given twice"):
        parse("metric=accuracy metric=history.best_epoch")
    with pytest.raises(MeasuredError, match="of must be one of"):
        parse("of=median")
    with pytest.raises(MeasuredError, match="show must be one of"):
        parse("show=median")
    with pytest.raises(MeasuredError, match="no numeric 'macro_f1'"):
        answer("arm=clean metric=macro_f1", RECS, "p")
    with pytest.raises(MeasuredError, match="needs as_published and clean runs"):
        answer("arm=clean show=leak", RECS, "p")


def test_a_chapter_queries_its_own_paper_by_default():
    assert chapter_paper("chapters/wavelet_cnn_lstm") == "wavelet_cnn_lstm" and chapter_paper("intro") is None
    assert parse("arm=x", "p") == {"paper": "p", "arm": "x"} and parse("paper=q arm=x", "p")["paper"] == "q"


def test_every_measured_number_in_the_book_resolves_against_the_committed_records():
    """Each {measured} query in the book's pages answers from papers/results (the build fails on one that
    does not; this says which, without building)."""
    import re
    from pathlib import Path

    from ser.measured import chapter_paper
    from ser.results import read_results

    book = Path(__file__).resolve().parent.parent / "book"
    records = read_results()
    found = 0
    for page in sorted(book.rglob("*.md")):
        if "_build" in page.parts or "_generated" in page.parts:
            continue
        docname = page.relative_to(book).with_suffix("").as_posix()
        for query in re.findall(r"\{measured\}`([^`]+)`", page.read_text()):
            answer(query, records, chapter_paper(docname))
            found += 1
    assert found >= 50  # the chapters state their numbers this way


def test_queries_count_diverged_runs_as_the_tables_do_and_sort_folds_naturally():
    """A collapsed run (one class predicted for every clip) is diverged whatever its stored flag; the leak
    leaves diverged runs out and stays within one corpus, protocol and profile; fold10 comes after fold2;
    numbers match however they are written; a metric whose scale is unclear must say it."""
    collapsed = _rec("c-fold3", "clean", 0.25) | {"confusion": [[3, 0], [9, 0]]}
    recs = [*RECS, collapsed]
    assert answer("diverged=yes show=n", recs, "p")[0] == "2"  # the stored flag and the collapse
    # still improving as the tables count it: a stored flag beside an early stop is not
    falling = {"val_loss": [1.0 - 0.01 * i for i in range(20)], "still_improving": True, "diverged": False}
    late = [
        _rec("i0", "clean", 0.5) | {"history": falling},
        _rec("i1", "clean", 0.5) | {"history": falling | {"stopped_early": True}},
    ]
    assert answer("improving=yes show=n", late, "p")[0] == "1"
    assert answer("improving=no show=values", late, "p")[0] == "50.0"
    assert answer("history.still_improving=True show=n", late, "p")[0] == "2"  # the raw flag counts both
    assert answer("protocol=sd3 show=leak", recs, "p")[0] == "+7.4 [-4.4, +19.3]"  # the collapse left out
    with pytest.raises(MeasuredError, match="one corpus, protocol and profile"):
        answer("arm=as_published|clean show=leak", [*RECS, _rec("c-cpu", "clean", 0.5, profile="cpu")], "p")
    folds = [_rec(f"r-fold{i}", "clean", i / 100) for i in (10, 2, 1)]
    assert answer("show=values", folds, "p")[0] == "1.0, 2.0 and 10.0"
    lr = [_rec("x", "clean", 0.5) | {"params": {"lr": 0.0001, "train": {"epochs": 100}}}]
    assert answer("params.lr=1e-4 params.train.epochs=100 show=n", lr, "p")[0] == "1"
    with pytest.raises(MeasuredError, match="is 'knn_acc' a fraction"):
        answer("metric=knn_acc", [_rec("k", "clean", 0.5, knn_acc=0.7)], "p")
    assert answer("metric=knn_acc scale=100", [_rec("k", "clean", 0.5, knn_acc=0.7)], "p")[0] == "70.0"
    # how many classes a model predicted on its test items, from its confusion matrix
    two = _rec("two-fold0", "clean", 0.3) | {"confusion": [[3, 0, 0], [1, 0, 4], [0, 0, 5]]}
    assert answer("classes=2 show=values", [*recs, two], "p")[0] == "30.0"
    assert answer("classes=1|2 show=n", [*recs, two], "p")[0] == "2"  # records without a matrix never match


def test_vs_baseline_sets_each_run_beside_the_best_baseline_on_its_own_split():
    recs = [r | {"split_file": f"s/{r['run']}.csv"} for r in RECS[:3]]
    base = [{"split_file": f"s/{r['run']}.csv", "fold": None, "best": {"accuracy": a}}
            for r, a in zip(recs, (0.80, 0.70, 0.90), strict=True)]  # fmt: skip
    q = "paper=p arm=as_published vs=baseline"
    # runs sorted by name: fold0 0.710 (baseline 0.70), fold1 0.776 (0.80), fold2 0.794 (0.90)
    assert answer(q + " show=values", recs, baselines=base)[0] == "-1.0, 2.4 and 10.6"
    assert answer(q + " show=positive", recs, baselines=base)[0] == "2 of 3"
    with pytest.raises(MeasuredError, match="no baseline on the split of a-fold2.json"):
        answer(q, recs, baselines=base[:2])
    with pytest.raises(MeasuredError, match="vs takes 'baseline' or 'arm:<name>'"):
        answer("paper=p vs=model", recs, baselines=base)
    with pytest.raises(MeasuredError, match="no baseline reports"):
        answer(q + " metric=recall/x scale=1", [r | {"metrics": {"recall/x": 0.5}} for r in recs], baselines=base)


def test_vs_arm_pairs_each_run_with_the_other_arms_run_on_the_same_split():
    """as_published minus clean fold by fold (same split file), signed, with a paired interval; a run
    whose split the other arm never ran on is an error, never a silent drop."""
    recs = [r | {"split_file": f"s/fold{r['run'][-1]}.csv"} for r in RECS[:6]]
    q = "paper=p arm=as_published vs=arm:clean"
    # fold0 0.710 - 0.636, fold1 0.776 - 0.748, fold2 0.794 - 0.673
    assert answer(q + " show=values", recs)[0] == "+7.4, +2.8 and +12.1"
    assert answer(q + " show=interval", recs)[0] == "+7.4 [-4.1, +19.0]"
    assert answer(q + " show=sd", recs)[0] == "4.7"  # unsigned
    other = [r | {"protocol": "si3"} if r["arm"] == "clean" else r for r in recs]  # another protocol: no twin
    with pytest.raises(MeasuredError, match="no run of arm 'clean' with 'accuracy' on the split of a-fold0.json"):
        answer(q, other)
    with pytest.raises(MeasuredError, match="vs takes"):
        answer("paper=p vs=arm:", recs)
    with pytest.raises(MeasuredError, match="use vs=baseline"):
        answer(q + " show=positive", recs)


def test_twin_keeps_the_folds_both_arms_ran_and_pairs_a_study_with_the_same_study(tmp_path):
    """While one arm lacks folds, ``twin=clean`` keeps the folds it has (vs=arm alone refuses); with two
    configurations per split the twin is the one the query's params filters select, and an unfiltered
    pair of twins on one split is an error, not whichever came last."""
    recs = [r | {"split_file": f"s/fold{r['run'][-1]}.csv"} for r in RECS[:6]]
    short = [r for r in recs if r["run"] != "c-fold2"]  # clean has not run fold 2 yet
    q = "paper=p arm=as_published vs=arm:clean"
    with pytest.raises(MeasuredError, match="no run of arm 'clean'"):
        answer(q, short)
    assert answer(q + " twin=clean show=values", short)[0] == "+7.4 and +2.8"
    assert answer("paper=p arm=as_published twin=clean show=n", short)[0] == "2"
    assert answer("paper=p arm=as_published twin=clean show=values", short)[0] == "71.0 and 77.6"
    assert answer("paper=p arm=as_published show=n", short)[0] == "3"
    with pytest.raises(MeasuredError, match="no run of arm 'speaker'"):
        answer("paper=p arm=as_published twin=speaker", short)
    with pytest.raises(MeasuredError, match="pairs with another arm"):
        answer(q + " twin=speaker", short)
    with pytest.raises(MeasuredError, match="drop twin"):
        answer("paper=p show=leak twin=clean", short)
    # a second configuration (a study at another learning rate) on every split, as the wavelet runs are
    study = [r | {"run": r["run"] + "-lr", "params": {"lr": 0.001, "config": "lr"}} for r in recs]
    main = [r | {"params": {"lr": 0.1, "config": "main"}} for r in recs]
    study = [r | {"metrics": {"accuracy": r["metrics"]["accuracy"] - 0.1}} if r["arm"] == "clean" else r for r in study]
    both = main + study
    with pytest.raises(MeasuredError, match="two runs of arm 'clean' on the test items of a-fold0.json"):
        answer(q, both)
    assert answer(q + " params.config=main show=values", both)[0] == "+7.4, +2.8 and +12.1"
    assert answer(q + " params.config=lr show=values", both)[0] == "+17.4, +12.8 and +22.1"
    # a per-epoch list becomes one number per run the same way for the twin (of=max on both sides)
    hist = [r | {"history": {"val_acc": [0.1, r["metrics"]["accuracy"], 0.2]}} for r in recs]
    assert answer(q + " metric=history.val_acc of=max show=values", hist)[0] == "+7.4, +2.8 and +12.1"
    # one k-fold split file holds every fold (ArabEmoNet's): the fold tells the test parts apart
    kfile = tmp_path / "kfold5.csv"
    kfile.write_text("utt_id,part,seed,protocol\n" + "".join(f"u{i},{i % 3},0,kfold3\n" for i in range(9)))
    kfold = [r | {"split_file": str(kfile), "fold": int(r["run"][-1])} for r in RECS[:6]]
    assert answer(q + " show=values", kfold)[0] == "+7.4, +2.8 and +12.1"


def test_arms_pair_by_the_utterances_they_test_on_and_by_seed(tmp_path):
    """``clean`` writes its own split file (its validation part comes out of the training part) with the
    same test part as ``as_published``: the two pair by test items; another seed, or another test part,
    does not pair."""

    def split(name, rows):
        path = tmp_path / name
        path.write_text("utt_id,part,seed,protocol\n" + "".join(f"{u},{p},0,sd3\n" for u, p in rows))
        return str(path)

    pub = split("pub.csv", [("a", "train"), ("b", "train"), ("c", "test"), ("d", "test")])
    cln = split("cln.csv", [("a", "train"), ("b", "val"), ("d", "test"), ("c", "test")])
    other = split("other.csv", [("a", "train"), ("b", "train"), ("c", "test"), ("e", "test")])
    a, c = RECS[1] | {"split_file": pub}, RECS[3] | {"split_file": cln}
    q = "paper=p arm=as_published vs=arm:clean show=values"
    assert answer(q, [a, c])[0] == "+7.4"
    with pytest.raises(MeasuredError, match="no run of arm 'clean'"):
        answer(q, [a, c | {"seeds": [1]}])
    with pytest.raises(MeasuredError, match="no run of arm 'clean'"):
        answer(q, [a, c | {"split_file": other}])


def test_vs_baseline_refuses_partial_accuracies_and_positive_needs_it():
    metrics = {"accuracy/anger": 0.5, "accuracy/peak_heldout": 0.9}
    recs = [r | {"split_file": "s.csv", "labels": ["anger"], "metrics": metrics} for r in RECS[:1]]
    base = [{"split_file": "s.csv", "fold": None, "best": {"accuracy": 0.8}}]
    for metric in ("accuracy/anger", "accuracy/peak_heldout"):
        with pytest.raises(MeasuredError, match="whole test part"):
            answer(f"paper=p vs=baseline metric={metric}", recs, baselines=base)
    with pytest.raises(MeasuredError, match="add vs=baseline"):
        answer("paper=p show=positive", recs, baselines=base)


def test_the_baved_chapters_per_seed_sentence_holds_on_the_committed_records():
    """parallel_cnn_lstm.md: on each seed with all three arms, clean minus speaker exceeds as_published minus clean."""
    from ser.results import read_results

    acc = {}
    for r in read_results():
        if (
            r["paper"] == "parallel_cnn_lstm"
            and r["profile"] == "paper"
            and r.get("arm") in ("as_published", "clean", "speaker")
        ):
            if r["params"].get("lr") == 0.05:
                acc[(r["arm"], r["seeds"][0])] = r["metrics"]["accuracy"]
    seeds = [s for s in range(10) if all((a, s) in acc for a in ("as_published", "clean", "speaker"))]
    assert len(seeds) >= 3
    for s in seeds:
        assert acc[("clean", s)] - acc[("speaker", s)] > acc[("as_published", s)] - acc[("clean", s)], s
