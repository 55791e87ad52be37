"""Train/validation/test splits and folds, random or speaker-independent.

Every split is a DataFrame ``utt_id, part`` (``part`` in train/val/test, or a
fold number) that can be saved to a small CSV with its seed and protocol, so
that every model in a comparison uses exactly the same partition.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold, train_test_split

from core.io import atomic_write

PARTS = ("train", "val", "test")


def _check_fractions(fractions: Sequence[float]) -> tuple[float, float, float]:
    if len(fractions) != 3 or any(f <= 0 for f in fractions) or abs(sum(fractions) - 1) > 1e-6:
        raise ValueError(f"fractions must be three positive numbers summing to 1, got {list(fractions)}")
    return tuple(float(f) for f in fractions)  # type: ignore[return-value]


def random_split(
    df: pd.DataFrame, fractions: Sequence[float] = (0.8, 0.1, 0.1), seed: int = 0, stratify: str | None = "label"
) -> pd.DataFrame:
    """Stratified random train/val/test split (speakers may appear in several parts)."""
    f_train, f_val, f_test = _check_fractions(fractions)
    strat = df[stratify] if stratify else None
    rest, test = train_test_split(df, test_size=f_test, random_state=seed, stratify=strat)
    strat_rest = rest[stratify] if stratify else None
    train, val = train_test_split(rest, test_size=f_val / (f_train + f_val), random_state=seed, stratify=strat_rest)
    return _assemble(df, {"train": train, "val": val, "test": test})


def speaker_split(
    df: pd.DataFrame, fractions: Sequence[float] = (0.8, 0.1, 0.1), seed: int = 0, speaker: str = "speaker"
) -> pd.DataFrame:
    """Speaker-independent split: every speaker's utterances go to exactly one part.

    Speakers are shuffled with ``seed``; each joins test, then validation, while
    that part is below its share of utterances and would not exceed it by more
    than 10 %; all other speakers train. A corpus of two speakers (TESS) is split by
    :func:`two_speaker_split`: one speaker is the test part, the other trains and validates.
    """
    _, f_val, f_test = _check_fractions(fractions)
    counts = df.groupby(speaker).size()
    if len(counts) == 2:
        return two_speaker_split(df, f_val / (1 - f_test), seed, speaker)
    if len(counts) < 2:
        raise ValueError(f"a speaker-independent split needs at least 2 speakers, got {len(counts)}")
    order = np.random.default_rng(seed).permutation(counts.index.to_numpy())
    quota = {"test": f_test * len(df), "val": f_val * len(df)}
    filled = {"test": 0, "val": 0}
    assign: dict[str, str] = {}
    for spk in order:
        n = int(counts[spk])
        # a speaker joins the first held-out part it fits into (10 % slack), else train
        target = next(
            (
                p
                for p in ("test", "val")
                if filled[p] < quota[p] and (filled[p] + n <= 1.1 * quota[p] or filled[p] == 0)
            ),
            "train",
        )
        assign[spk] = target
        if target != "train":
            filled[target] += n
    for p in ("test", "val"):
        if filled[p] == 0:  # tiny corpora: give the part the smallest training speaker
            spk = min((s for s in order if assign[s] == "train"), key=lambda s: counts[s])
            assign[spk] = p
    if all(v != "train" for v in assign.values()):
        raise ValueError("speaker_split left no speaker for training; use more speakers or smaller fractions")
    split = pd.DataFrame({"utt_id": df["utt_id"].to_numpy(), "part": df[speaker].map(assign).to_numpy()})
    assert_speaker_disjoint(df, split, speaker)
    return split


def random_holdout(df: pd.DataFrame, test_fraction: float = 0.2, seed: int = 0) -> pd.DataFrame:
    """Speaker-dependent hold-out: a stratified random ``test_fraction`` is the test part and a
    stratified 10 % of the rest (at least one item per class) the validation part."""
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    idx = np.arange(len(df))
    _, test_idx = train_test_split(idx, test_size=test_fraction, random_state=seed, stratify=df["label"])
    folds = pd.DataFrame({"utt_id": df["utt_id"].to_numpy(), "part": np.isin(idx, test_idx).astype(int)})
    return pd.DataFrame({"utt_id": df["utt_id"].to_numpy(), "part": cv_parts(df, folds, 1, seed=seed)})


def gender_pair_split(
    df: pd.DataFrame, fold: int, seed: int = 0, speaker: str = "speaker", gender: str = "gender"
) -> pd.DataFrame:
    """Fold ``fold`` of a speaker-independent protocol that holds out one female and one male
    speaker per fold (Sayed et al., §3.5.2): speakers of each gender are shuffled with ``seed``
    and fold ``i`` tests on the ``i``-th pair, so folds never share test speakers. A stratified
    10 % of the other speakers' utterances is the validation part (early stopping); the paper
    reports on its held-out pair and names no separate validation set."""
    spk_gender = df.groupby(speaker)[gender].agg(lambda g: g.iloc[0])
    if (df.groupby(speaker)[gender].nunique() > 1).any():
        raise ValueError("gender_pair_split: a speaker has more than one gender label")
    rng = np.random.default_rng(seed)
    by_gender = {g: list(rng.permutation(sorted(spk_gender[spk_gender == g].index))) for g in ("f", "m")}
    n_pairs = min(len(v) for v in by_gender.values())
    if not 0 <= fold < n_pairs - 1:
        raise ValueError(
            f"gender_pair_split: fold {fold} is out of range: {n_pairs} female/male speaker pairs allow "
            f"folds 0..{n_pairs - 2} (one pair must stay for training)"
        )
    test = {by_gender["f"][fold], by_gender["m"][fold]}
    folds = pd.DataFrame({"utt_id": df["utt_id"].to_numpy(), "part": df[speaker].isin(test).astype(int).to_numpy()})
    split = pd.DataFrame({"utt_id": df["utt_id"].to_numpy(), "part": cv_parts(df, folds, 1, seed=seed)})
    assert_speaker_disjoint(df, split.assign(part=split["part"] == "test"), speaker)  # test vs the rest
    return split


def kfold(df: pd.DataFrame, k: int = 5, seed: int = 0, stratify: str = "label") -> pd.DataFrame:
    """Stratified k-fold: ``part`` is the fold (0..k-1) in which the utterance is tested."""
    skf = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    fold = np.empty(len(df), dtype=int)
    for i, (_, test_idx) in enumerate(skf.split(np.zeros(len(df)), df[stratify])):
        fold[test_idx] = i
    return pd.DataFrame({"utt_id": df["utt_id"].to_numpy(), "part": fold})


def speaker_kfold(
    df: pd.DataFrame, k: int = 5, seed: int = 0, stratify: str = "label", speaker: str = "speaker"
) -> pd.DataFrame:
    """Speaker-independent stratified k-fold (no speaker in two folds)."""
    sgkf = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
    fold = np.empty(len(df), dtype=int)
    for i, (_, test_idx) in enumerate(sgkf.split(np.zeros(len(df)), df[stratify], df[speaker])):
        fold[test_idx] = i
    split = pd.DataFrame({"utt_id": df["utt_id"].to_numpy(), "part": fold})
    assert_speaker_disjoint(df, split, speaker)
    return split


def cv_parts(
    df: pd.DataFrame, folds: pd.DataFrame, test_fold: int, seed: int = 0, val_fraction: float = 0.1
) -> np.ndarray:
    """``'train'/'val'/'test'`` per row of ``df`` for one fold of a k-fold split: the fold is the
    test part and a stratified ``val_fraction`` of the other folds (drawn with ``seed``) is the
    validation part for early stopping. With speaker folds the test part stays speaker-disjoint
    from train and val."""
    fold = df["utt_id"].map(folds.set_index("utt_id")["part"]).to_numpy()
    if np.isnan(fold.astype(float)).any():
        raise ValueError("cv_parts: some utterances have no fold")
    part = np.where(fold == test_fold, "test", "train").astype(object)
    rest = np.flatnonzero(part == "train")
    if not len(rest) or rest.size == len(df):
        raise ValueError(f"cv_parts: fold {test_fold} is empty or holds everything")
    labels = df["label"].to_numpy()[rest]
    n_val = max(len(np.unique(labels)), int(round(val_fraction * len(rest))))  # one per class at least
    _, val_idx = train_test_split(rest, test_size=n_val, random_state=seed, stratify=labels)
    part[val_idx] = "val"
    return part.astype(str)


def assert_speaker_disjoint(df: pd.DataFrame, split: pd.DataFrame, speaker: str = "speaker") -> None:
    """Raise AssertionError if any speaker appears in two parts of ``split``."""
    merged = df[["utt_id", speaker]].merge(split, on="utt_id", validate="one_to_one")
    parts_per_speaker = merged.groupby(speaker)["part"].nunique()
    leaking = parts_per_speaker[parts_per_speaker > 1]
    assert leaking.empty, f"speakers in more than one part: {list(leaking.index)[:5]}"


def make_split(
    df: pd.DataFrame, protocol: str, seed: int, fractions: Sequence[float] = (0.8, 0.1, 0.1)
) -> pd.DataFrame:
    """``protocol='random'`` (stratified) or ``'speaker'`` (speaker-independent; a pool of several
    corpora is split corpus by corpus, :func:`pooled_speaker_split`)."""
    if protocol == "random":
        return random_split(df, fractions, seed)
    if protocol == "speaker":
        if "corpus" in df.columns and df["corpus"].nunique() > 1:
            return pooled_speaker_split(df, fractions, seed)
        return speaker_split(df, fractions, seed)
    raise ValueError(f"unknown protocol {protocol!r}; use 'random' or 'speaker'")


def save_split(split: pd.DataFrame, path: str | Path, *, seed: int, protocol: str) -> Path:
    """Write the split as CSV (``utt_id, part, seed, protocol``), atomically."""
    path = Path(path)
    out = split.assign(seed=seed, protocol=protocol).sort_values("utt_id")
    with atomic_write(path) as fh:
        out.to_csv(fh, index=False)
    return path


def load_split(path: str | Path) -> pd.DataFrame:
    """Read a split CSV written by :func:`save_split`."""
    return pd.read_csv(path, dtype={"utt_id": str})


def parts(df: pd.DataFrame, split: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Return ``{'train': df_train, 'val': ..., 'test': ...}`` in ``df``'s row order."""
    part = part_of(df, split)
    return {p: df[part == p] for p in PARTS}


def two_speaker_split(
    df: pd.DataFrame, val_fraction: float = 0.15, seed: int = 0, speaker: str = "speaker", stratify: str = "label"
) -> pd.DataFrame:
    """Train on one speaker, test on the other: the only speaker-independent protocol two speakers
    allow (TESS). ``seed`` picks the test speaker (even seeds the first in sorted order, odd the
    second); a stratified ``val_fraction`` of the training speaker's clips is the validation part,
    so the validation part shares its speaker with training (it cannot be otherwise)."""
    speakers = sorted(df[speaker].unique())
    if len(speakers) != 2:
        raise ValueError(f"two_speaker_split needs exactly 2 speakers, got {len(speakers)}")
    if not 0 < val_fraction < 1:
        raise ValueError(f"val_fraction must be in (0, 1), got {val_fraction}")
    test_spk = speakers[seed % 2]
    test = df[df[speaker] == test_spk]
    rest = df[df[speaker] != test_spk]
    train, val = train_test_split(rest, test_size=val_fraction, random_state=seed, stratify=rest[stratify])
    return _assemble(df, {"train": train, "val": val, "test": test})


def pooled_speaker_split(
    df: pd.DataFrame, fractions: Sequence[float] = (0.8, 0.1, 0.1), seed: int = 0, corpus: str = "corpus"
) -> pd.DataFrame:
    """Speaker-independent split of a pool of corpora: each corpus is split by its own speakers
    (:func:`speaker_split`) and the parts are joined, so every part holds every corpus in about its
    share (a two-speaker corpus validates on its training speaker, :func:`two_speaker_split`).
    Splitting the pool as one lets a corpus of few large speakers (TESS: two speakers of 1,400
    clips) fill a whole part, and the test part then holds one corpus only."""
    pieces = [speaker_split(g, fractions, seed) for _, g in df.groupby(corpus, sort=True)]
    split = pd.concat(pieces, ignore_index=True).set_index("utt_id").loc[df["utt_id"].to_numpy()].reset_index()
    # no test speaker trains or validates (a two-speaker corpus validates on its training speaker)
    m = df[["utt_id", "speaker"]].merge(split, on="utt_id")
    assert not set(m.loc[m["part"] == "test", "speaker"]) & set(m.loc[m["part"] != "test", "speaker"])
    return split


def cross_corpus_split(
    df: pd.DataFrame, test_corpora: Sequence[str], val_fraction: float = 0.15, seed: int = 0, corpus: str = "corpus"
) -> pd.DataFrame:
    """Train on some corpora, test on others: every clip of ``test_corpora`` is the test part, a
    stratified ``val_fraction`` of the other corpora's clips the validation part (one clip of each
    class where that fraction is fewer clips than classes), the rest trains."""
    is_test = df[corpus].isin(list(test_corpora))
    if not is_test.any() or is_test.all():
        raise ValueError(f"cross_corpus_split needs clips of {list(test_corpora)} and of other corpora")
    if not 0 < val_fraction < 1:
        raise ValueError(f"val_fraction must be in (0, 1), got {val_fraction}")
    rest = df[~is_test]
    if math.ceil(val_fraction * len(rest)) < rest["label"].nunique():  # a tiny corpus: one clip of each class
        val = rest.groupby("label", group_keys=False).sample(n=1, random_state=seed)
        train = rest.drop(index=val.index)
    else:
        train, val = train_test_split(rest, test_size=val_fraction, random_state=seed, stratify=rest["label"])
    return _assemble(df, {"train": train, "val": val, "test": df[is_test]})


def _assemble(df: pd.DataFrame, pieces: dict[str, pd.DataFrame]) -> pd.DataFrame:
    part = pd.Series("", index=df.index)
    for name, piece in pieces.items():
        part[piece.index] = name
    return pd.DataFrame({"utt_id": df["utt_id"].to_numpy(), "part": part.to_numpy()})


def with_copies(df: pd.DataFrame, n_copies: int) -> pd.DataFrame:
    """``df`` followed by ``n_copies`` augmented copies of every row: copy ``k`` has the utt_id
    ``<utt_id>#copy<k>``; ``source`` names the original and ``copy`` is 0 for it."""
    parts = [df.assign(source=df["utt_id"], copy=0)]
    for k in range(1, n_copies + 1):
        parts.append(df.assign(source=df["utt_id"], copy=k, utt_id=df["utt_id"] + f"#copy{k}"))
    return pd.concat(parts, ignore_index=True)


def sibling_leak(items: pd.DataFrame, part: np.ndarray | pd.Series) -> float:
    """Share of test items whose original or another copy of it (same ``source``) is in training:
    0 when copies are made after the split; near 1 when they are split apart."""
    part = np.asarray(part)
    in_train = set(items.loc[part == "train", "source"])
    test_sources = items.loc[part == "test", "source"]
    return float(test_sources.isin(in_train).mean()) if len(test_sources) else 0.0


def part_of(df: pd.DataFrame, split: pd.DataFrame) -> np.ndarray:
    """The part (or fold) of every row of ``df`` in ``split``, in ``df``'s order; an utterance
    missing from the split is an error."""
    part = df["utt_id"].map(split.set_index("utt_id")["part"])
    if part.isna().any():
        raise ValueError(f"{int(part.isna().sum())} utterances are missing from the split")
    return part.to_numpy()
