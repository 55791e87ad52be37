"""Markdown helpers shared by the book's generated pages."""

from __future__ import annotations

import pandas as pd


def md_table(df: pd.DataFrame) -> str:
    """A pipe table of ``df`` (``|`` inside cells escaped)."""
    cols = list(df.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for _, r in df.iterrows():
        lines.append("| " + " | ".join(str(r[c]).replace("|", "\\|") for c in cols) + " |")
    return "\n".join(lines)
