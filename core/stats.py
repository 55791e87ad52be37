"""Descriptive statistics of corpora: durations, classes, speakers."""

from __future__ import annotations

import pandas as pd
import soundfile as sf


def with_durations(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` plus a ``seconds`` column read from the file headers (no decoding)."""
    return df.assign(seconds=[sf.info(p).duration for p in df["path"]])


def summary(df: pd.DataFrame) -> dict:
    """One row of corpus statistics (``df`` must have ``seconds``)."""
    counts = df["label_name"].value_counts()
    return {
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
