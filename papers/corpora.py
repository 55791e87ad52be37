# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # The corpora
#
# Which corpus each paper used, which of them we have, what stands in for the others, and
# what the corpora we have look like: classes, speakers and durations. Read from the
# data root when `ser reproduce` runs this notebook.

# %% tags=["parameters"]
data_root = None  # None: $SER_DATA, else the user cache
profile = None  # accepted for symmetry with the paper notebooks; the statistics are the same at every profile

# %% tags=["remove-cell"]
from ser.params import from_spec, validate

_ = validate(
    {"data_root": data_root, "profile": profile},
    {
        "data_root": from_spec({"type": "str|null", "help": "folder holding the corpora"}),
        "profile": from_spec({"type": "str|null", "choices": ["paper", "cpu", "smoke", None], "help": "run profile"}),
    },
)

# %%
import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from IPython.display import Markdown, display

from core import data, stats
from ser import claims

sns.set_theme(style="whitegrid")

# %% [markdown]
# ## Who used what
#
# The corpus each paper reports on, whether it is available here, the stand-in its claims are
# compared against when it is not (the declaration's `substitute`), and the other corpora its runs
# use. Every result on a stand-in is labelled a substitution.

# %%
ALSO_RUN_ON = {  # corpora the chapters also run a paper on, beside the compared stand-in
    "kedas": "baved, ravdess, emodb (EmotionNet); baved (ArabEmoNet)",
    "ksuemotions": "baved",
    "combined6": "ravdess + tess pooled, tess alone, and cross-corpus between them (two of the six are here)",
}
rows = []
_here = set(data.available_corpora(data_root))
for reg in claims.load_registry().values():
    for corpus in sorted({c["corpus"] for c in reg["claims"]}):
        here = corpus in _here and corpus != "emodb"
        rows.append(
            {
                "paper": reg["title"],
                "corpus in the paper": corpus,
                "available here": "yes" if here else ("2-second copy" if corpus == "emodb" else "no"),
                "claims compared on": corpus
                if here
                else reg.get("substitute", {}).get(corpus, corpus if corpus in _here else "none"),
                "also run on": "" if here else ALSO_RUN_ON.get(corpus, ""),
            }
        )
display(pd.DataFrame(rows))

# %% [markdown]
# ## The corpora we have
#
# Counted from the files each time this notebook runs. The last column counts near-silent clips
# (RMS level below -60 dB relative to full scale), which would carry no emotion to learn: a
# damaged copy shows up there first.

# %%
frames = {
    name: stats.with_levels(stats.with_durations(data.load_corpus(name, root=data_root)))
    for name in data.available_corpora(data_root)
}
display(pd.DataFrame([stats.summary(df) for df in frames.values()]).set_index("corpus"))
for name, c in ((n, data.CORPORA[n]) for n in frames):
    display(
        Markdown(
            f"- **{name}**: {c.title}. Source: {c.source}. Cite: {c.citation}" + (f" *{c.notes}*" if c.notes else "")
        )
    )

# %%
fig, axes = plt.subplots(1, len(frames), figsize=(4.2 * len(frames), 3.6))
for ax, (name, df) in zip(axes, frames.items(), strict=True):
    order = list(data.CORPORA[name].labels)
    sns.countplot(data=df, y="label_name", hue="gender", order=order, ax=ax)
    ax.set(title=name, xlabel="utterances", ylabel="")
plt.tight_layout()
plt.show()

# %%
fig, axes = plt.subplots(1, len(frames), figsize=(4.2 * len(frames), 3.2))
for ax, (name, df) in zip(axes, frames.items(), strict=True):
    sns.histplot(df["seconds"], bins=30, ax=ax)
    ax.set(title=f"{name}: clip length", xlabel="seconds")
plt.tight_layout()
plt.show()

# %%
fig, axes = plt.subplots(1, len(frames), figsize=(4.2 * len(frames), 3.2))
for ax, (name, df) in zip(axes, frames.items(), strict=True):
    per = df.groupby("speaker").size().sort_values(ascending=False)
    ax.bar(range(len(per)), per.to_numpy())
    ax.set(title=f"{name}: {len(per)} speakers", xlabel="speaker (sorted)", ylabel="utterances")
plt.tight_layout()
plt.show()

# %% [markdown]
# BAVED's speakers contribute very unequal amounts (a few speakers recorded dozens of
# takes), and EYASE has only six speakers: a speaker-independent split of EYASE tests on one
# or two voices, so its spread over seeds is large. The EmoDB copy is exactly 2.0 s per clip
# because its publisher cut or padded every utterance; results on it are marked as a substitution.
