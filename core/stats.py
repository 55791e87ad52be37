"""Statistics: corpus descriptions, intervals over runs, bootstrap intervals and paired comparisons."""

from __future__ import annotations

import math

import pandas as pd
import soundfile as sf


def with_durations(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` plus a ``seconds`` column read from the file headers (no decoding)."""
    return df.assign(seconds=[sf.info(p).duration for p in df["path"]])


# A clip whose RMS level is below this (dB relative to full scale) is counted as near-silent.
SILENT_DBFS = -60.0


def rms_dbfs(path: str) -> float:
    """RMS level of a clip in dB relative to full scale (channels averaged; ``-inf`` for digital
    silence), decoded at its own rate."""
    import numpy as np

    x, _ = sf.read(path, dtype="float32", always_2d=True)
    power = float(np.mean(np.square(x.mean(axis=1), dtype=np.float64))) if x.size else 0.0
    return 10 * float(np.log10(power)) if power > 0 else float("-inf")


def with_levels(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` plus ``rms_dbfs``, each clip's RMS level (decodes every file)."""
    return df.assign(rms_dbfs=[rms_dbfs(p) for p in df["path"]])


def summary(df: pd.DataFrame) -> dict:
    """One row of corpus statistics (``df`` must have ``seconds``; with ``rms_dbfs`` the count of
    near-silent clips, below :data:`SILENT_DBFS`, is added)."""
    counts = df["label_name"].value_counts()
    row = {
        "corpus": df["corpus"].iloc[0],
        "files": len(df),
        "speakers": df["speaker"].nunique(),
        "female / male speakers": "{} / {}".format(
            *(df.groupby("gender")["speaker"].nunique().reindex(["f", "m"], fill_value=0))
        ),
        "classes": df["label_name"].nunique(),
        "hours": round(df["seconds"].sum() / 3600, 2),
        "median s": round(float(df["seconds"].median()), 2),
        "min s": round(float(df["seconds"].min()), 2),
        "max s": round(float(df["seconds"].max()), 2),
        "smallest / largest class": f"{counts.min()} / {counts.max()}",
    }
    if "rms_dbfs" in df:
        row[f"near-silent clips (< {SILENT_DBFS:g} dBFS)"] = int((df["rms_dbfs"] < SILENT_DBFS).sum())
    return row


def mean_interval(values, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and a Student-t interval over independent runs (seeds or folds): ``(mean, low, high)``;
    the interval is ``nan`` with fewer than two values."""
    import numpy as np
    from scipy import stats as st

    v = np.asarray(list(values), dtype=float)
    if len(v) == 0:
        return float("nan"), float("nan"), float("nan")
    m = float(v.mean())
    if len(v) < 2:
        return m, float("nan"), float("nan")
    half = float(st.t.ppf(0.5 + level / 2, len(v) - 1) * v.std(ddof=1) / np.sqrt(len(v)))
    return m, m - half, m + half


def difference_interval(a, b, level: float = 0.95) -> tuple[float, float, float]:
    """Mean of ``a`` minus mean of ``b`` with a Welch t interval: ``(difference, low, high)``."""
    import numpy as np
    from scipy import stats as st

    a, b = np.asarray(list(a), dtype=float), np.asarray(list(b), dtype=float)
    if len(a) == 0 or len(b) == 0:
        return float("nan"), float("nan"), float("nan")
    d = float(a.mean() - b.mean())
    if len(a) < 2 or len(b) < 2:
        return d, float("nan"), float("nan")
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    se = float(np.sqrt(va + vb))
    if se == 0:
        return d, d, d
    dof = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    half = float(st.t.ppf(0.5 + level / 2, dof) * se)
    return d, d - half, d + half


def _cluster_index(groups, rng, n_boot: int):
    """Row indices of ``n_boot`` cluster-bootstrap resamples: whole groups drawn with replacement."""
    import numpy as np

    groups = np.asarray(groups)
    uniq, inverse = np.unique(groups, return_inverse=True)
    members = [np.flatnonzero(inverse == g) for g in range(len(uniq))]
    for _ in range(n_boot):
        picks = rng.integers(0, len(uniq), len(uniq))
        yield np.concatenate([members[g] for g in picks])


# Fewest test speakers for a speaker-resampling interval: with fewer, resampling speakers gives a
# degenerate interval (two speakers: three possible resamples), so clips are resampled and the
# interval only speaks for these speakers.
MIN_SPEAKERS = 10


def resampling_unit(groups) -> tuple[object, str]:
    """Speakers when the test part holds at least :data:`MIN_SPEAKERS` (clips of one speaker are not
    independent), else clips, conditional on the speakers present: ``(groups or None, unit)``."""
    import numpy as np

    if groups is None:
        return None, "clips"
    n = len(np.unique(np.asarray(groups)))
    if n >= MIN_SPEAKERS:
        return np.asarray(groups), "speakers"
    return None, f"clips (conditional on {n} test speaker{'s' if n != 1 else ''})"


def bootstrap_interval(
    y_true, y_pred, metric, groups=None, n_boot: int = 1000, level: float = 0.95, seed: int = 0
) -> tuple[float, float, float]:
    """``metric(y_true, y_pred)`` with a percentile bootstrap interval: ``(value, low, high)``.

    With ``groups`` holding :data:`MIN_SPEAKERS` speakers or more, whole speakers are resampled;
    otherwise clips (see :func:`resampling_unit`).
    """
    import numpy as np

    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    value = float(metric(y_true, y_pred))
    groups, _ = resampling_unit(groups)
    rng = np.random.default_rng(seed)
    if groups is None:
        idx = (rng.integers(0, len(y_true), len(y_true)) for _ in range(n_boot))
    else:
        idx = _cluster_index(groups, rng, n_boot)
    draws = np.array([metric(y_true[i], y_pred[i]) for i in idx], dtype=float)
    low, high = np.nanquantile(draws, [(1 - level) / 2, (1 + level) / 2])
    return value, float(low), float(high)


def paired_difference(
    correct_a, correct_b, groups=None, n_boot: int = 2000, level: float = 0.95, seed: int = 0, mcnemar: bool = True
) -> dict:
    """Accuracy of A minus accuracy of B on the same test items, with a paired bootstrap interval
    (speakers resampled when ``groups`` holds enough of them) and McNemar's exact test (valid when
    every item appears once; callers pooling several splits pass ``mcnemar=False``).

    Returns ``{difference, low, high, p_mcnemar, a_only, b_only, n, unit, word}``; ``word`` is
    ``better`` / ``worse`` when the interval excludes zero, else ``no detectable difference``.
    """
    import numpy as np
    from scipy.stats import binomtest

    a, b = np.asarray(correct_a, dtype=float), np.asarray(correct_b, dtype=float)
    if a.shape != b.shape or a.size == 0:
        raise ValueError("paired_difference needs two equal, non-empty vectors of per-item correctness")
    d = a - b
    groups, unit = resampling_unit(groups)
    rng = np.random.default_rng(seed)
    idx = (
        (rng.integers(0, len(d), len(d)) for _ in range(n_boot))
        if groups is None
        else _cluster_index(groups, rng, n_boot)
    )
    draws = np.array([d[i].mean() for i in idx])
    low, high = (float(q) for q in np.quantile(draws, [(1 - level) / 2, (1 + level) / 2]))
    a_only, b_only = int(((a == 1) & (b == 0)).sum()), int(((a == 0) & (b == 1)).sum())
    p = (binomtest(a_only, a_only + b_only, 0.5).pvalue if a_only + b_only else 1.0) if mcnemar else float("nan")
    word = "better" if low > 0 else "worse" if high < 0 else "no detectable difference"
    return {
        "difference": float(d.mean()),
        "low": low,
        "high": high,
        "p_mcnemar": float(p),
        "a_only": a_only,
        "b_only": b_only,
        "n": int(d.size),
        "unit": unit,
        "word": word,
    }


# A training loss of at least this fraction of ln(K) has learned nothing that lasted. The committed runs
# keep clear of it on both sides (tests/test_claims.py checks that none ends between 0.9 and 0.95 ln(K)).
CHANCE_FRACTION = 0.95


def at_chance(train_loss: list[float], n_classes: int) -> bool:
    """Whether a cross-entropy training curve ended at the chance level: every one of its last three
    epochs (after the first three) at or above ``CHANCE_FRACTION`` of ln(K). Such a run has collapsed
    to (near) constant predictions, even when early stopping kept weights of its first epochs that
    tell two classes apart."""
    chance = math.log(max(n_classes, 2))
    return len(train_loss) > 3 and min(train_loss[-3:]) >= CHANCE_FRACTION * chance
