from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.data import load_corpus
from core.splits import (
    assert_speaker_disjoint,
    kfold,
    load_split,
    make_split,
    parts,
    random_split,
    save_split,
    speaker_kfold,
    speaker_split,
)

CORPORA = ["baved", "ravdess", "eyase", "emodb"]


@pytest.fixture(scope="module")
def corpora(data_root):
    return {c: load_corpus(c, root=data_root) for c in CORPORA}


@pytest.mark.parametrize("fractions", [(0.8, 0.1, 0.1), (0.7, 0.15, 0.15)])
@pytest.mark.parametrize("corpus", CORPORA)
def test_random_split_is_stratified(corpora, corpus, fractions):
    df = corpora[corpus]
    split = random_split(df, fractions, seed=3)
    sizes = split["part"].value_counts(normalize=True)
    for part, f in zip(("train", "val", "test"), fractions, strict=True):
        assert sizes[part] == pytest.approx(f, abs=0.01)
    overall = df["label"].value_counts(normalize=True)
    for _, piece in parts(df, split).items():
        # every class within 2 points of its overall share (stratification)
        share = piece["label"].value_counts(normalize=True).reindex(overall.index, fill_value=0)
        assert (share - overall).abs().max() < 0.02


@pytest.mark.parametrize("corpus", CORPORA)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_speaker_split_has_no_overlap(corpora, corpus, seed):
    df = corpora[corpus]
    split = speaker_split(df, (0.8, 0.1, 0.1), seed)
    p = parts(df, split)
    spk = {k: set(v["speaker"]) for k, v in p.items()}
    assert not (spk["train"] & spk["val"]) and not (spk["train"] & spk["test"]) and not (spk["val"] & spk["test"])
    assert all(len(v) > 0 for v in p.values())
    assert len(p["train"]) > 0.5 * len(df)


def test_speaker_split_sizes_on_baved(corpora):
    df = corpora["baved"]
    sizes = speaker_split(df, (0.8, 0.1, 0.1), 0)["part"].value_counts(normalize=True)
    assert sizes["test"] == pytest.approx(0.1, abs=0.02) and sizes["val"] == pytest.approx(0.1, abs=0.02)


@pytest.mark.parametrize("corpus", CORPORA)
def test_folds(corpora, corpus):
    df = corpora[corpus]
    k = 3 if corpus == "eyase" else 5
    f = kfold(df, k, seed=0)
    assert sorted(f["part"].unique()) == list(range(k)) and len(f) == len(df)
    g = speaker_kfold(df, k, seed=0)
    assert_speaker_disjoint(df, g)
    assert sorted(g["part"].unique()) == list(range(k))


def test_overlap_is_detected():
    df = pd.DataFrame({"utt_id": ["a", "b"], "speaker": ["s", "s"]})
    with pytest.raises(AssertionError, match="speakers in more than one part"):
        assert_speaker_disjoint(df, pd.DataFrame({"utt_id": ["a", "b"], "part": ["train", "test"]}))


def test_save_load_roundtrip_and_determinism(corpora, tmp_path):
    df = corpora["eyase"]
    a = make_split(df, "speaker", 7)
    assert a.equals(make_split(df, "speaker", 7))
    path = save_split(a, tmp_path / "s.csv", seed=7, protocol="speaker")
    back = load_split(path)
    assert set(back.columns) == {"utt_id", "part", "seed", "protocol"}
    assert (back["seed"] == 7).all()
    merged = a.merge(back, on="utt_id", suffixes=("", "_b"))
    assert len(merged) == len(df) and (merged["part"] == merged["part_b"]).all()
    assert not list(tmp_path.glob("*.tmp"))


def test_bad_arguments(corpora):
    df = corpora["eyase"]
    with pytest.raises(ValueError, match="fractions"):
        random_split(df, (0.8, 0.3, 0.1))
    with pytest.raises(ValueError, match="protocol"):
        make_split(df, "leave-one-out", 0)
    alone = pd.DataFrame({"utt_id": list("ab"), "speaker": list("xx"), "label": [0, 1]})
    with pytest.raises(ValueError, match="at least 2 speakers"):
        speaker_split(alone)
    assert np.all(kfold(df, 3, 0)["part"].value_counts() > 150)


def test_two_speakers_train_on_one_and_test_on_the_other():
    """TESS has two speakers: the speaker-independent protocol trains (and validates) on one and tests
    on the other; the seed picks which; the validation part keeps the label shares."""
    from core.splits import two_speaker_split

    df = pd.DataFrame({"utt_id": [f"u{i}" for i in range(80)], "speaker": ["OAF"] * 40 + ["YAF"] * 40,
                       "label": [i % 4 for i in range(80)]})  # fmt: skip
    for seed, test_spk in ((0, "OAF"), (1, "YAF")):
        split = speaker_split(df, (0.7, 0.15, 0.15), seed)
        m = df.merge(split, on="utt_id")
        assert set(m.loc[m["part"] == "test", "speaker"]) == {test_spk}
        assert set(m.loc[m["part"] != "test", "speaker"]) == {"OAF", "YAF"} - {test_spk}
        val = m[m["part"] == "val"]
        assert 5 <= len(val) <= 8 and val["label"].nunique() == 4
    assert two_speaker_split(df, 0.15, 3).equals(two_speaker_split(df, 0.15, 3))
    with pytest.raises(ValueError, match="exactly 2 speakers"):
        two_speaker_split(df.assign(speaker="X"))


def test_cross_corpus_split_tests_on_the_other_corpus():
    from core.splits import cross_corpus_split

    df = pd.DataFrame({"utt_id": [f"u{i}" for i in range(60)], "corpus": ["ravdess"] * 40 + ["tess"] * 20,
                       "label": [i % 4 for i in range(60)]})  # fmt: skip
    m = df.merge(cross_corpus_split(df, ["tess"], 0.25, 0), on="utt_id")
    assert set(m.loc[m["part"] == "test", "corpus"]) == {"tess"} and (m["corpus"] == "tess").sum() == 20
    assert set(m.loc[m["part"] != "test", "corpus"]) == {"ravdess"} and (m["part"] == "val").sum() == 10
    with pytest.raises(ValueError, match="needs clips"):
        cross_corpus_split(df, ["emodb"])


def test_a_pool_is_split_by_speaker_corpus_by_corpus():
    """RAVDESS-like (24 speakers of 52) pooled with TESS-like (2 speakers of 1,400): every part holds
    both corpora, in about their shares, and no speaker is in two parts, for every seed."""
    rows = [(f"r{s}_{i}", "ravdess", f"ravdess_{s}", i % 7) for s in range(24) for i in range(52)]
    rows += [(f"t{s}_{i}", "tess", f"tess_{s}", i % 7) for s in range(2) for i in range(1400)]
    df = pd.DataFrame(rows, columns=["utt_id", "corpus", "speaker", "label"])
    for seed in range(5):
        m = df.merge(make_split(df, "speaker", seed, (0.7, 0.15, 0.15)), on="utt_id")
        for part in ("train", "val", "test"):
            assert set(m.loc[m["part"] == part, "corpus"]) == {"ravdess", "tess"}, (seed, part)
        test_spk = set(m.loc[m["part"] == "test", "speaker"])
        assert test_spk and not test_spk & set(m.loc[m["part"] != "test", "speaker"])
        rav = m[m["corpus"] == "ravdess"]
        assert rav.groupby("speaker")["part"].nunique().max() == 1  # RAVDESS: fully speaker-disjoint
        assert 0.1 < (m["part"] == "test").mean() < 0.6


def test_cross_corpus_split_validates_on_every_class_of_a_tiny_corpus():
    """10 % of 36 clips is 4, fewer than 6 classes: the validation part then takes one clip of each class,
    balanced or not (a stratified 4 of an imbalanced 36 could all be of one class)."""
    from sklearn.model_selection import train_test_split

    from core.splits import cross_corpus_split

    for labels in ([i % 6 for i in range(36)], [0] * 26 + [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]):
        df = pd.DataFrame({"utt_id": [f"u{i}" for i in range(72)], "corpus": ["emodb"] * 36 + ["ravdess"] * 36,
                           "label": labels + [i % 6 for i in range(36)]})  # fmt: skip
        for seed in range(3):
            m = df.merge(cross_corpus_split(df, ["ravdess"], 0.1, seed), on="utt_id")
            val = m[m["part"] == "val"]
            assert len(val) == 6 and val["label"].nunique() == 6 and set(val["corpus"]) == {"emodb"}
            assert (m["part"] == "train").sum() == 30 and set(m.loc[m["part"] == "test", "corpus"]) == {"ravdess"}
    # where 10 % holds every class, the split is the stratified one the runs made before the tiny case existed
    big = pd.DataFrame(
        {"utt_id": [f"e{i}" for i in range(360)], "corpus": "emodb", "label": [i % 6 for i in range(360)]}
    )
    big = pd.concat([big, df.iloc[36:]], ignore_index=True)
    m = big.merge(cross_corpus_split(big, ["ravdess"], 0.1, 7), on="utt_id")
    _, val = train_test_split(big.iloc[:360], test_size=0.1, random_state=7, stratify=big["label"].iloc[:360])
    assert sorted(m.loc[m["part"] == "val", "utt_id"]) == sorted(val["utt_id"])
