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
