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
# # EmotionNet: a VAE and a classifier on 124 low-level descriptors
#
# Replication of Belhadj, Mazouz and Djeridi (2025), *EmotionNet: A Novel Hybrid Deep Learning
# Model for Arabic Speech Emotion Recognition* (ETASR). A variational auto-encoder learns a
# 32-dimensional latent code of a 124-dimensional vector of low-level descriptors (LLDs); a small
# classifier reads the code. On KEDAS the paper reports **93.99 % test accuracy** and a test loss
# of 0.2085 (Table III), ahead of LR, SVM, RF, k-NN and SERDNN (Table IV).
#
# **KEDAS is not available here.** This notebook runs the method on EYASE (Arabic, 4 classes,
# the closest match), BAVED, RAVDESS and the 2-second EmoDB copy. Every number below is
# therefore a **substitution**, not a test of the paper's claim on its own data. Users who own
# KEDAS can pass its feature CSV with `-p features_csv path.csv`, which is how the paper loaded it.

# %% tags=["parameters"]
corpora = ["eyase", "baved", "ravdess", "emodb"]  # substitutes for KEDAS, each labelled as such
data_root = None  # None: $SER_DATA, else the user cache
protocols = ["random", "speaker"]  # "random": the paper's stratified 70/15/15; "speaker": speaker-independent 70/15/15
lr = 0.001  # Adam (Table II)
batch_size = 32  # Table II
epochs = None  # None: from the profile (paper and cpu: 100, as Table II)
patience = 10  # early stopping on validation loss (§III.D)
seeds = None  # None: the profile's seeds ([0, 1, 2]; smoke: [0])
profile = None  # "paper", "cpu" or "smoke"; None: $SER_PROFILE, else "cpu"
units = 256  # classifier dense units: 256 (§II.C) or 128 (§III.C)
dropout = 0.3  # classifier dropout: 0.3 (§II.C, Table II) or 0.5 (§III.C)
latent = 32  # Table II
kl_max = 0.1  # Table II: KL weight annealed 0 -> 0.1 over the first 10 % of epochs
decoder = [128, 256, 512]  # decoder hidden layers: [128, 256, 512] (§II.B.2) or [64, 128, 256, 512] (§III.C)
rec_reduction = "sum"  # reconstruction error over the 124 features: "sum" (eq. 4) or "mean" (Keras' mse)
keras_defaults = False  # True: TensorFlow's defaults (§III.E): Glorot init, Adam eps 1e-7, Keras' class weights
init = None  # "torch" or "keras" (Glorot-uniform kernels, zero biases); None: from keras_defaults
adam_eps = None  # Adam's epsilon; None: 1e-7 (TensorFlow's) with keras_defaults, else 1e-8 (PyTorch's)
class_weight_norm = None  # "weights" (PyTorch) or "batch" (Keras' class_weight); None: from keras_defaults
scale_fit = "train"  # min-max scaler fitted on "train" rows, or on "all" rows before the split (§III.B's order)
baselines = True  # LR, SVM, RF, k-NN, MLP, SERDNN (our DNN) and EmotionNet without its VAE
features_csv = None  # path to a CSV of 124 feature columns plus a label column (e.g. KEDAS); replaces `corpora`
label_column = "label"  # name of the label column in features_csv
results_dir = None  # None: see `record`
record = False  # True: write results to papers/results/ (as `ser reproduce` does); False: to the cache
arm = None  # None: the declaration's default arm ("paper_text")

# %% [markdown]
# The run context checks these parameters against the paper's declaration
# (`papers/claims/emotionnet.yaml`), applies the arm, and sets the budget of the profile.

# %%
from dataclasses import replace
from functools import partial

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from IPython.display import Markdown, display

from core import evaluate, features, splits
from core.baselines import run_baselines
from core.experiment import flat_metrics, train_and_test
from core.models import EmotionNet, PlainDNN, count_parameters
from core.models.emotionnet import framework_defaults
from core.train import TrainConfig
from ser.arms import readings_table
from ser.run import open_run

run = open_run("emotionnet", globals())
pd.set_option("display.max_rows", 200)
pd.set_option("display.max_columns", 50)
EPOCHS, SEEDS = run.budget["epochs"], run.budget["seeds"]
# TensorFlow's three defaults together (keras_defaults) or one at a time; None: PyTorch's
FRAMEWORK = framework_defaults(keras_defaults, init=init, adam_eps=adam_eps, class_weight_norm=class_weight_norm)
INIT, ADAM_EPS, CW_NORM = FRAMEWORK["init"], FRAMEWORK["adam_eps"], FRAMEWORK["class_weight_norm"]
# KEDAS class names used by the claims, for the classes a stand-in corpus shares
ALIASES = {
    "sad": "sadness",
    "sadness": "sadness",
    "fearful": "fear",
    "fear": "fear",
    "anger": "angry",
    "happiness": "happy",
}
display(
    Markdown(
        run.header() + f" Patience {patience}, seeds {SEEDS}, classifier {units} units / dropout {dropout}, "
        f"decoder {decoder}, reconstruction error {rec_reduction}med over features, final KL weight {kl_max}, "
        f"min-max scaler fitted on {'the training rows' if scale_fit == 'train' else 'all rows before the split'}; "
        f"{INIT} initialisation, Adam epsilon {ADAM_EPS:g}, class-weighted cross-entropy divided by the "
        f"{'batch size' if CW_NORM == 'batch' else 'sum of the batch weights'}."
    )
)

# %% [markdown]
# ## Features: our 124 low-level descriptors
#
# The paper names the families (MFCCs, pitch, intensity, prosody) but not the 124 columns, so
# `core.features.LLD_NAMES` defines them: MFCC 1-13 means and standard deviations, the same for
# their deltas, delta-delta means, F0 statistics from YIN over voiced frames, the voiced fraction,
# RMS intensity statistics, zero-crossing rate, spectral centroid/bandwidth/roll-off/flatness,
# 7 spectral-contrast bands, 12 chroma means, duration, onset rate, pause fraction, local jitter
# and shimmer, spectral flux, F0 and RMS deltas, spectral slope and entropy. Rows with NaN or inf
# are dropped and counted, as the paper does; min-max scaling is fitted on the training part only
# (the paper does not say which; fitting on all rows would leak test statistics).


# %%
def load_dataset(name: str) -> tuple[pd.DataFrame, np.ndarray]:
    """Metadata and raw (unscaled) 124-column features of a corpus, or of the user's CSV."""
    if features_csv is not None:
        table = pd.read_csv(features_csv)
        if label_column not in table:
            raise ValueError(f"features_csv {features_csv} has no column {label_column!r}; pass -p label_column NAME")
        cols = [c for c in table.columns if c not in (label_column, "speaker")]
        if len(cols) != 124:
            raise ValueError(f"features_csv {features_csv} has {len(cols)} feature columns, expected 124")
        codes, names = pd.factorize(table[label_column], sort=True)
        meta = pd.DataFrame(
            {
                "utt_id": [f"row{i}" for i in range(len(table))],
                "label": codes,
                "label_name": np.asarray(names)[codes],
                "speaker": table["speaker"].astype(str) if "speaker" in table else "unknown",
            }
        )
        return meta, table[cols].to_numpy(dtype=np.float64)
    meta = run.load_corpus(name)
    return meta, features.extract_lld(meta["path"])


datasets, dropped = {}, {}
names = ["csv"] if features_csv is not None else corpora
for name in names:
    meta, raw = load_dataset(name)
    finite = np.isfinite(raw).all(axis=1)
    print(
        f"{name}: {len(meta)} utterances, {int((~finite).sum())} dropped for NaN/inf, "
        f"{meta['speaker'].nunique()} speakers, classes {sorted(meta['label_name'].unique())}"
    )
    datasets[name] = (meta[finite].reset_index(drop=True), raw[finite])
    dropped[name] = int((~finite).sum())
if features_csv is not None and "speaker" in protocols and datasets["csv"][0]["speaker"].nunique() < 3:
    raise ValueError("the speaker protocol needs a 'speaker' column in features_csv; use -p protocols '[\"random\"]'")

# %%
first_meta, first_raw = next(iter(datasets.values()))
scaled_all = features.MinMaxScaler().fit(first_raw).transform(first_raw)
order = np.argsort(first_raw.std(0) / (np.abs(first_raw.mean(0)) + 1e-9))[::-1][:20]
fig, ax = plt.subplots(figsize=(10, 3.5))
sns.boxplot(data=pd.DataFrame(scaled_all[:, order], columns=np.array(features.LLD_NAMES)[order]), ax=ax, fliersize=1)
ax.set(title=f"{next(iter(datasets))}: the 20 most variable descriptors after min-max scaling", ylabel="scaled")
ax.tick_params(axis="x", rotation=70)
plt.tight_layout()
plt.show()

# %% [markdown]
# ## Training and evaluation
#
# For every corpus, protocol and seed: a stratified 70/15/15 split (or a speaker-independent one),
# min-max scaling fitted on the training rows, then EmotionNet with the compound loss of eq. 11
# (MSE x 1.0 + cross-entropy x 1.5 + annealed KL + L2 0.01 on the classifier's dense layer), Adam
# 1e-3, batch 32, class weights inverse to frequency, up to 100 epochs with early stopping on the
# validation loss (patience 10) restoring the best weights. The baselines use the same features
# and split. The test part is scored once per model.


# %%
def make_emotionnet(n_classes: int, use_vae: bool = True):
    return lambda: EmotionNet(
        n_features=124,
        n_classes=n_classes,
        latent=latent,
        units=units,
        dropout=dropout,
        kl_max=kl_max,
        use_vae=use_vae,
        decoder=tuple(decoder),
        rec_reduction=rec_reduction,
        init=INIT,
        class_weight_norm=CW_NORM,
    )


print(f"EmotionNet parameters (5 classes): {count_parameters(make_emotionnet(5)()):,}")
# one training set-up for every model, corpus and protocol; only the seed changes
TRAIN = TrainConfig(
    lr=lr, epochs=EPOCHS, batch_size=batch_size, patience=patience, class_weights=True, channels_last=False,
    adam_eps=ADAM_EPS,
)  # fmt: skip
runs = []
for name, (meta, raw) in datasets.items():
    labels = sorted(meta["label_name"].unique(), key=lambda n: meta.loc[meta["label_name"] == n, "label"].iloc[0])
    y = meta["label"].to_numpy()
    corpus_tag = "csv" if features_csv is not None else name
    substitution = None if features_csv is not None else f"{name} substitutes KEDAS (not available)"
    for protocol in protocols:
        for seed in SEEDS:
            split = (
                splits.random_split(meta, (0.7, 0.15, 0.15), seed)
                if protocol == "random"
                else splits.speaker_split(meta, (0.7, 0.15, 0.15), seed)
            )
            split_path = run.save_split(split, f"{corpus_tag}-{protocol}-seed{seed}", seed=seed, protocol=protocol)
            part = splits.part_of(meta, split)
            x = features.MinMaxScaler().fit(raw[part == "train"] if scale_fit == "train" else raw).transform(raw)
            cfg = replace(TRAIN, seed=seed)
            out = train_and_test(make_emotionnet(len(labels)), x, y, part, cfg, labels, ids=meta.utt_id)
            metrics = flat_metrics(out, aliases=ALIASES)
            extra = {}
            if baselines:
                ablation = train_and_test(make_emotionnet(len(labels), use_vae=False), x, y, part, cfg, labels)
                dnn = train_and_test(partial(PlainDNN, 124, len(labels)), x, y, part, cfg, labels)
                metrics.update(flat_metrics(ablation, "no_vae"))
                metrics.update(flat_metrics(dnn, "serdnn"))
                classic = run_baselines(
                    x[part == "train"], y[part == "train"], x[part == "test"], y[part == "test"], seed
                )
                for b, m in classic.items():
                    metrics.update({f"{k}/{b}": v for k, v in m.items()})
                extra = {"ablation_history": ablation.history.to_dict(), "serdnn_history": dnn.history.to_dict()}
            run.record_output(
                f"{corpus_tag}-{protocol}{run.arm_tag}-{run.profile}-seed{seed}",
                out,
                metrics=metrics,
                config={
                    "train": cfg.to_dict(),
                    "lld": features.LLDConfig().__dict__,
                    "model": {"init": INIT, "class_weight_norm": CW_NORM},
                },
                corpus=corpus_tag,
                substitution=substitution,
                protocol=protocol,
                seeds=[seed],
                split_file=split_path,
                labels=labels,
                # the budget has no patience: the paper's own (a parameter) stops training
                stopping=f"early stopping on validation loss, patience {patience}",
                n_dropped_nonfinite=dropped[name],
                **extra,
            )
            runs.append(
                {
                    "corpus": corpus_tag,
                    "protocol": protocol,
                    "seed": seed,
                    "out": out,
                    "metrics": metrics,
                    "labels": labels,
                }
            )
            print(
                f"{corpus_tag} {protocol} seed {seed}: EmotionNet accuracy {out.metrics['accuracy']:.4f}, "
                f"loss {out.metrics['loss']:.3f}, best epoch {out.history.best_epoch + 1}"
            )

# %% [markdown]
# ## Table III: EmotionNet per class
#
# Mean over seeds of precision, recall and F1 per class on the test part, in the layout of
# Table III, for each corpus and protocol.

# %%
for (corpus_tag, protocol), group in pd.DataFrame(runs).groupby(["corpus", "protocol"], sort=False):
    per = pd.concat([r.per_class.assign(seed=s) for r, s in zip(group["out"], group["seed"], strict=True)])
    table3 = per.groupby("class", sort=False)[["precision", "recall", "f1", "support"]].mean().round(3)
    summary = pd.DataFrame(
        {k: [np.mean([o.metrics[k] for o in group["out"]])] for k in ("accuracy", "weighted_f1", "loss")}
    ).round(4)
    display(Markdown(f"**{corpus_tag}, {protocol} split** ({len(group)} seeds; substitution for KEDAS)"))
    display(table3)
    display(summary)

# %% [markdown]
# ## Table IV: baselines on the same features and splits
#
# Accuracy and macro F1, mean ± standard deviation over seeds. *SERDNN* is our plain DNN
# (256-128-64, dropout 0.3): the source paper gives no layers for it. *EmotionNet without VAE* is
# the ablation the authors propose (§IV.B): the same encoder and classifier, no decoder, no KL.

# %%
if baselines:
    rows = []
    for r in runs:
        for model, suffix in [
            ("EmotionNet", ""),
            ("EmotionNet without VAE", "/no_vae"),
            ("SERDNN (ours)", "/serdnn"),
            ("LR", "/lr"),
            ("SVM", "/svm"),
            ("RF", "/rf"),
            ("k-NN", "/knn"),
            ("MLP", "/mlp"),
        ]:
            rows.append(
                {
                    "corpus": r["corpus"],
                    "protocol": r["protocol"],
                    "model": model,
                    "accuracy": 100 * r["metrics"][f"accuracy{suffix}"],
                    "macro F1": r["metrics"][f"macro_f1{suffix}"],
                }
            )
    t4 = pd.DataFrame(rows)
    for value, title, digits in (("accuracy", "Test accuracy (%)", 1), ("macro F1", "Macro F1", 3)):
        display(Markdown(f"**{title}**, mean ± sd over seeds"))
        display(
            t4.pivot_table(
                index="model",
                columns=["corpus", "protocol"],
                values=value,
                sort=False,
                aggfunc=lambda v, d=digits: f"{np.mean(v):.{d}f} ± {np.std(v, ddof=1):.{d}f}",
            )
        )
    fig, ax = plt.subplots(figsize=(11, 4))
    sns.barplot(data=pd.DataFrame(rows), x="model", y="accuracy", hue="corpus", errorbar="sd", ax=ax)
    ax.set(title="test accuracy by model (bars: mean over seeds and protocols; lines: sd)", xlabel="", ylabel="%")
    ax.tick_params(axis="x", rotation=20)
    plt.tight_layout()
    plt.show()

# %% [markdown]
# ## ROC curves, confusion matrix and learning curves
#
# For the first corpus and protocol, seed by seed: one-vs-rest ROC with per-class AUC (Figure 3 of
# the paper), the confusion matrix summed over seeds (Figure 2) and the learning curves (Figure 4).

# %%
first = [r for r in runs if r["corpus"] == runs[0]["corpus"] and r["protocol"] == runs[0]["protocol"]]
labels = first[0]["labels"]
fig, ax = plt.subplots(figsize=(5.5, 4.5))
for c, (fpr, tpr, auc) in evaluate.roc_curves(first[0]["out"].y_true, first[0]["out"].proba).items():
    ax.plot(fpr, tpr, label=f"{labels[c]} (AUC {auc:.3f})")
ax.plot([0, 1], [0, 1], "--", color="grey")
ax.set(
    xlabel="false positive rate",
    ylabel="true positive rate",
    title=f"{first[0]['corpus']}, {first[0]['protocol']}, seed {first[0]['seed']}",
)
ax.legend(fontsize=8)
plt.show()
evaluate.plot_confusion(
    sum(r["out"].confusion for r in first),
    labels,
    title=f"{first[0]['corpus']} {first[0]['protocol']}: test confusion, seeds summed",
)
plt.show()
evaluate.plot_history(
    [r["out"].history.to_dict() for r in first],
    [f"seed {r['seed']}" for r in first],
    title="EmotionNet compound loss and accuracy",
)
plt.show()

# %% [markdown]
# ## Claimed (KEDAS) vs measured (substitute corpora)
#
# The paper's numbers are on KEDAS; ours are on other corpora, so the difference is not a verdict
# on the paper. The comparison page uses EYASE as the one stand-in per claim: the first table is
# that page's view; the second shows this arm's runs on every corpus and protocol.

# %%
recs = run.read_records()
display(Markdown(run.claims_table(recs)))
recs = [r for r in recs if r.get("arm", "paper_text") == run.arm]  # below: this arm's runs only
rows = []
for c in run.decl["claims"]:
    k = 100.0 if c["unit"] == "%" else 1.0
    row = {"claim": c["id"], "source": c["source"], "claimed (KEDAS)": c["value"]}
    for (corpus_tag, protocol), g in pd.DataFrame(recs).groupby(["corpus", "protocol"]) if recs else []:
        vals = [m[c["metric"]] * k for m in g["metrics"] if c["metric"] in m]
        if vals:
            row[f"{corpus_tag} {protocol}"] = (
                f"{np.mean(vals):.2f} ± {np.std(vals, ddof=1) if len(vals) > 1 else 0:.2f}"
            )
    rows.append(row)
display(pd.DataFrame(rows).fillna("–"))

# %% [markdown]
# ## The readings of the text side by side
#
# No code by the authors exists, so each ambiguity of the text is an arm that changes one setting of
# `paper_text` (`papers/claims/emotionnet.yaml`). Every arm runs the same splits with the same seeds;
# the difference from `paper_text` is paired split by split. Runs of all arms recorded so far at this
# profile:

# %%
display(Markdown(readings_table(run.read_records(), profile=run.profile)))

# %% [markdown]
# ## Where the paper contradicts itself

# %%
display(Markdown(run.contradictions()))
