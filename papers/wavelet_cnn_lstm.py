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
# # Wavelet-scaled spectrograms with parallel CNNs and an LSTM
#
# Replication of Sayed, Husnain, Shoaib et al. (2025), *A Combine CNN-RNN Based Approach for
# Augmenting the Performance of Speech Emotions Recognition* (Traitement du Signal 42(2)). The
# paper turns each clip into a "wavelet-scaled spectrogram" RGB image (the log power of a
# continuous wavelet transform), feeds it to parallel convolutional pipes of local feature
# learning blocks and one LSTM, and reports **93.53 %** on EmoDB speaker-dependent, 87.46 % (or
# 89.46 %) speaker-independent, and several mutually inconsistent RAVDESS numbers (Table 4,
# Table 6, §4).
#
# **The EmoDB copy available here is cut or padded to 2.0 s per clip** by its publisher (see the
# data README); every EmoDB number below is on that copy and is labelled a substitution, and its
# images are 8 s wide in `paper_text` (the paper's window: three quarters padding on this copy) and
# 2 s wide, the copy's own length, in the `as_published` and `clean` arms.
# IEMOCAP is not available. Run with papermill, e.g.
# `papermill papers/wavelet_cnn_lstm.ipynb out.ipynb -p corpus ravdess -p protocol si`.
# `-p protocol cross -p test_corpus ravdess` trains on `corpus` and tests on every clip of
# `test_corpus`, the emotions both have (the paper reports no cross-corpus result).
#
# Arms (`papers/claims/wavelet_cnn_lstm.yaml`): `paper_text` (the default) is our first reading of
# the text; `as_published` is the text read literally (three first-half pipes concatenated, an FC
# layer of 1024 units, no dropout, average pooling, 512-sample blocks, and the held-out part of each
# fold choosing the epoch it is then scored on); `clean` is the same with a separate validation
# part. Both take a fixed-length copy at its own length (`duration = None`).

# %% tags=["parameters"]
corpus = "emodb"  # emodb (the 2 s copy) or ravdess; any registered corpus works
data_root = None  # None: $SER_DATA, else the user cache
protocol = "sd"  # "sd": speaker-dependent, random 20 % hold-out; "si": one female + one male speaker held out
# "cross": train on `corpus`, test on every clip of `test_corpus`
test_corpus = None  # with protocol "cross": the corpus tested on (never trained on); the emotions both have
folds = None  # None: the profile's folds; else a list of fold indices in 0..2
lr = 0.1  # Adam learning rate (paper, Table 2: 0.1)
conventional_lr = 0.001  # a second learning rate run on every fold beside the paper's; None: skip
configs = None  # None: every configuration; else only these, e.g. ["lr0.001"] (one process each, side by side)
pool = "max"  # "max" or "avg" in every LFLB (Table 3 names none; §4.4 finds avg better, §3.5 cites max)
lstm_units = 100  # LSTM size (paper, Table 3: 100; 64, 128 and 256 tried)
merge = "sum"  # how the three first-half pipes join: "sum" (ours) or "concat" (§3.2: the resolutions "combined")
fc_units = None  # None: the LSTM's last state goes straight to the output layer (ours); 1024: an FC layer (§3.2.2)
dropout = 0.3  # dropout before the LSTM (ours; the paper has none); 0: none
select_on_test = False  # True: the held-out part also picks the epoch (the paper's folds have no other part)
studies = True  # the pooling and LSTM-size studies
study_lstm = [64, 128, 256]  # LSTM sizes of the study
study_lr = None  # learning rate of the studies; None: lr
epochs = None  # None: from the profile (paper: 50)
profile = None  # "paper", "cpu" or "smoke"; None: $SER_PROFILE, else "cpu"
batch_size = 16  # paper, Table 2
wavelet = "morl"  # any continuous wavelet name of PyWavelets
n_scales = 64  # image height: CWT scales, geometric in centre frequency
fmin = 60.0  # lowest centre frequency (Hz)
fmax = 7800.0  # highest centre frequency (Hz)
columns_per_s = 16  # image columns per second of audio (8 s -> 128); 31.25: blocks of 512 samples (§3.4)
duration = 8.0  # seconds per image (the paper's 8 s, §3.4); None: a copy's own length when all its clips share one
colormap = "viridis"  # matplotlib colour map of the RGB rendering
seed = 0  # seed of the splits and of every initialisation
results_dir = None  # None: see `record`
record = False  # True: write results to papers/results/ (as `ser reproduce` does); False: to the cache
arm = None  # None: the declaration's default arm ("paper_text")

# %% [markdown]
# The run context checks these parameters against the paper's declaration
# (`papers/claims/wavelet_cnn_lstm.yaml`), applies the arm, and sets the budget of the profile.

# %%
import dataclasses
import time

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Markdown, display

from core import data, evaluate, splits
from core import wavelet as wv
from core.data import get_corpus
from core.experiment import flat_metrics, train_and_test
from core.models import WaveletCNNLSTM, count_parameters
from core.train import TrainConfig
from ser.report import sourced_lines
from ser.run import open_run

run = open_run("wavelet_cnn_lstm", globals())
ARM_TAG = run.arm_tag  # arms never share a results file; paper_text keeps its names
SEED_TAG = f"-seed{seed}" if seed else ""  # seeds never share a results file; seed 0 keeps its names
EPOCHS, PATIENCE, FOLDS = run.budget["epochs"], run.budget["patience"], run.budget["folds"]
if (protocol == "cross") != (test_corpus is not None) or test_corpus == corpus:
    raise ValueError(
        "protocol 'cross' needs test_corpus (a corpus other than `corpus`), and test_corpus needs protocol "
        f"'cross'; got protocol={protocol!r}, corpus={corpus!r}, test_corpus={test_corpus!r}"
    )
if protocol == "cross" and corpus not in data.SEVEN_MAP:
    raise ValueError(
        f"protocol 'cross' maps both corpora onto shared emotion names; {corpus!r} has no mapping "
        f"(core.data.SEVEN_MAP: {sorted(data.SEVEN_MAP)})"
    )
if protocol == "cross" and folds is None:  # the test part is all of test_corpus: a fold would redraw validation only
    FOLDS = run.budget["folds"] = [0]
STUDY_FOLDS = [f for f in run.budget["study_folds"] if f in FOLDS] or FOLDS[:1]
CORPUS = f"{corpus}-to-{test_corpus}" if protocol == "cross" else corpus  # the records' corpus
PROTOCOL = {"sd": "sd3", "si": "si3", "cross": "cross"}[protocol]
SUBSTITUTION = (
    "EmoDB 2-second copy: every clip was cut or zero-padded to 2.0 s by its publisher" if corpus == "emodb" else None
)
if corpus not in ("emodb", "ravdess", "iemocap"):
    SUBSTITUTION = f"{corpus} is not one of the paper's corpora"
if protocol == "cross":
    SUBSTITUTION = (
        f"cross-corpus (trained on {corpus}, tested on {test_corpus}, the emotions both have): the paper reports "
        "no such number" + ("; EmoDB is the 2-second copy" if "emodb" in (corpus, test_corpus) else "")
    )
display(
    Markdown(
        run.header()
        + f" Corpus `{CORPUS}`, protocol `{PROTOCOL}`, folds {FOLDS}, "
        + f"study folds {STUDY_FOLDS if studies else 'none'}."
        + (f"\n\n**Substitution:** {SUBSTITUTION}." if SUBSTITUTION else "")
    )
)

# %% [markdown]
# ## The data
#
# Across corpora (`protocol = "cross"`) each corpus's labels are mapped onto shared emotion names
# (`core.data.SEVEN_MAP`: EmoDB's *boredom* and RAVDESS's *calm* have no counterpart) and only the
# emotions both corpora have are kept; the labels are then those emotions.

# %%
if protocol == "cross":
    meta = data.keep_shared(data.combine_seven({c: run.load_corpus(c) for c in (corpus, test_corpus)}), [test_corpus])
    LABELS = [e for e in data.SEVEN_EMOTIONS if e in set(meta["label_name"])]
    meta = meta.assign(label=meta["label_name"].map(LABELS.index))
    print(f"trained on {corpus}, tested on {test_corpus}: the {len(LABELS)} emotions both have, {LABELS}")
else:
    meta = run.load_corpus(corpus)
    LABELS = list(get_corpus(corpus).labels)
Y = meta["label"].to_numpy()
_by = "corpus" if protocol == "cross" else "gender"
display(pd.crosstab(meta["label_name"], meta[_by], margins=True).reindex(LABELS + ["All"]))
print(f"{len(meta)} utterances from {meta['speaker'].nunique()} speakers; chance level {1 / len(LABELS):.1%}")

# %% [markdown]
# ## Wavelet-scaled spectrogram images
#
# The paper's algorithm (§3.1): wavelet transform, power of the coefficients, logarithm,
# rendered as an RGB image; it names no wavelet, scales, colour map or size. Ours, all
# parameters: each clip is scaled to unit RMS (§3.4), transformed with the `wavelet` at
# `n_scales` scales whose centre frequencies run geometrically from `fmin` to `fmax`, the power
# is averaged over blocks of 1/`columns_per_s` s and divided by the scale (so a pure tone peaks equally at
# any frequency), converted to dB, clipped to [-70, 10] dB and
# drawn with the `colormap`. An image covers `duration` seconds (8 s: 64 x 128 pixels); shorter
# clips sit at a random offset in training (a new one each epoch) and centred for evaluation.
# With `duration = None` (the `as_published` and `clean` arms) the width is the paper's 8 s, except
# on a copy whose clips all have one length (the 2 s EmoDB copy), where it is that length: padding
# those clips to 8 s makes three quarters of every image padding. The CWT is cached; `ser bench` reports its speed.

# %%
PAPER_SECONDS = 8.0  # §3.4: every input padded or cut to 8 s (128,000 samples)
WCFG = wv.WaveletConfig(
    wavelet=wavelet,
    n_scales=n_scales,
    fmin=float(fmin),
    fmax=float(fmax),
    columns_per_s=columns_per_s,
    duration=PAPER_SECONDS if duration is None else float(duration),
    colormap=colormap,
)
_t = time.perf_counter()
IDX, COLS = wv.extract_wavelet(meta["path"], WCFG)
_dt = time.perf_counter() - _t
print(
    f"{len(IDX)} images, {IDX.nbytes / 2**20:.0f} MiB as colour-map indices ({_dt:.1f} s, cached after the first run)"
)
if duration is None and len(set(COLS.tolist())) == 1 and COLS[0] < WCFG.columns:  # a fixed-length copy
    WCFG = dataclasses.replace(WCFG, duration=float(COLS[0] * WCFG.hop / WCFG.sr))
XS = wv.to_rgb(wv.fix_columns(IDX, COLS, WCFG.columns), WCFG)
_pad = 1 - np.minimum(COLS, WCFG.columns).mean() / WCFG.columns
print(f"images of {WCFG.duration:g} s ({WCFG.columns} columns of {WCFG.hop} samples); {_pad:.0%} of them is padding")
FLOOR = wv.colormap_lut(WCFG.colormap)[0]

fig, axes = plt.subplots(2, 4, figsize=(14, 4.5))
for ax, k in zip(axes.ravel(), range(min(8, len(LABELS))), strict=False):
    i = int(np.flatnonzero(Y == k)[0])
    ax.imshow(XS[i].transpose(1, 2, 0), origin="lower", aspect="auto")
    ax.set(title=LABELS[k], xticks=[], yticks=[])
for ax in axes.ravel()[len(LABELS) :]:
    ax.axis("off")
fig.suptitle(f"{CORPUS}: one {WCFG.duration:g} s image per class (rows: {fmin:g} Hz at the bottom to {fmax:g} Hz)")
plt.tight_layout()
plt.show()

# %% [markdown]
# ## The model
#
# Local feature learning blocks (conv, BN, ReLU, 2x2 pooling). The paper's description is
# loose (three pipes in the abstract, "5 simultaneous pools" and 9 conv layers in Table 3, a
# feature block "split into two halves"); our reading, documented in
# `core/models/wavelet_cnn_lstm.py`: a first half of three parallel one-block pipes (3x3, 5x5,
# and 3x3 dilated in time) summed, a second half of two parallel three-block pipes (3x3, 5x5)
# concatenated: 9 conv layers, 5 pooling pipes. Each time step's features go to one
# unidirectional LSTM whose last state feeds an FC layer and softmax.
#
# Four choices depart from the text in our first reading and are parameters: the first half's
# pipes are summed (`merge`; §3.2 says the three resolutions are "combined", which `as_published`
# reads as concatenation), the LSTM's last state goes straight to the output layer (`fc_units`;
# §3.2.2 reports an FC layer of 1024 units), a dropout of 0.3 sits before the LSTM (`dropout`; the
# paper has none), and the pooling is max (`pool`; §4.4 finds average pooling better).


# %%
def make_net(pool_kind: str, units: int) -> WaveletCNNLSTM:
    return WaveletCNNLSTM(
        len(LABELS), n_scales, lstm_units=units, pool=pool_kind, dropout=dropout, merge=merge, fc_units=fc_units
    )


_n = count_parameters(make_net(pool, lstm_units))
print(
    f"parameters with LSTM {lstm_units}, merge {merge}, FC {fc_units or 'none'}, dropout {dropout:g}, "
    f"{pool} pooling: {_n:,}"
)

# %% [markdown]
# ## Training and evaluation
#
# Adam, batch 16, cross-entropy, early stopping on validation loss (the paper uses it without a
# patience), best weights restored, test part scored once. **Speaker-dependent (sd3)**: three
# random stratified 20 % hold-outs. **Speaker-independent (si3)**: three folds, each holding out
# one female and one male speaker. In both, a stratified 10 % of the remaining clips is the
# validation part; the paper reports on its held-out set and names no other validation set.
# **Across corpora (cross)**: every clip of `test_corpus` is the test part, a stratified 10 % of
# `corpus` the validation part; one fold per seed (a second fold would only redraw the validation part).
# With `select_on_test` (the `as_published` arm) there is none: the validation clips go back to
# training and the held-out part itself stops the training and chooses the epoch, as Table 4
# ("validation accuracy") and §4.2.1 (each fold's "highest accuracy") describe; the record then
# also keeps the highest held-out accuracy over the epochs (`accuracy/peak_heldout`), the
# quantity of Table 4.
# Configurations: the paper's (`main`, lr 0.1), the same at `conventional_lr` on every fold, and
# the pooling and LSTM-size studies at `study_lr` on the study folds (with their reference, the
# main model at `study_lr`, on the same folds); `configs` keeps some of them (each records alone).

# %%
CONFIGS = {"main": {"lr": lr, "pool": pool, "lstm_units": lstm_units}}
if conventional_lr is not None and conventional_lr != lr:
    CONFIGS[f"lr{conventional_lr:g}"] = {"lr": conventional_lr, "pool": pool, "lstm_units": lstm_units}
S_LR = lr if study_lr is None else study_lr
if studies:
    CONFIGS["avg_pool" if pool == "max" else "max_pool"] = {
        "lr": S_LR,
        "pool": "avg" if pool == "max" else "max",
        "lstm_units": lstm_units,
    }
    CONFIGS.update({f"lstm{u}": {"lr": S_LR, "pool": pool, "lstm_units": u} for u in study_lstm if u != lstm_units})
    if S_LR != lr:  # the reference of the studies: the main model at the studies' learning rate
        CONFIGS.setdefault(f"lr{S_LR:g}", {"lr": S_LR, "pool": pool, "lstm_units": lstm_units})
ALL_FOLD_CONFIGS = {"main"} | ({f"lr{conventional_lr:g}"} if conventional_lr is not None else set())
if configs is not None:  # a subset, e.g. the paper's lr and the conventional one in two processes at once
    unknown = sorted(set(configs) - set(CONFIGS))
    if unknown:
        raise ValueError(f"configs {unknown} are not among this run's configurations {sorted(CONFIGS)}")
    CONFIGS = {k: v for k, v in CONFIGS.items() if k in configs}


def make_split(fold: int) -> pd.DataFrame:
    if protocol == "cross":
        return splits.cross_corpus_split(meta, [test_corpus], 0.1, seed=seed * 1000 + fold)
    if protocol == "sd":
        return splits.random_holdout(meta, 0.2, seed=seed * 1000 + fold)
    return splits.gender_pair_split(meta, fold, seed=seed)


def run_fold(name: str, cfg_model: dict, fold: int) -> dict:
    split = make_split(fold)
    split_path = run.save_split(
        split, f"{CORPUS}-{PROTOCOL}{ARM_TAG}-seed{seed}-fold{fold}", seed=seed, protocol=PROTOCOL
    )
    part = splits.part_of(meta, split)
    x, y, ids, stopping = XS, Y, meta["utt_id"].to_numpy(), run.stopping
    if select_on_test:  # no validation part: the held-out clips (a copy of them) choose the epoch
        test = part == "test"
        part = np.concatenate([np.where(part == "val", "train", part), np.full(int(test.sum()), "val")])
        x, y, ids = np.concatenate([XS, XS[test]]), np.concatenate([Y, Y[test]]), np.concatenate([ids, ids[test]])
        stopping += "; the validation part is the held-out (test) part, which chooses the epoch it is scored on"

    def make_model() -> WaveletCNNLSTM:
        return make_net(cfg_model["pool"], cfg_model["lstm_units"])

    # a non-finite loss (the paper's lr 0.1 may diverge) ends the training and is recorded as diverged, never hidden
    cfg = TrainConfig(
        lr=cfg_model["lr"], epochs=EPOCHS, batch_size=batch_size, patience=PATIENCE, seed=seed, stop_on_divergence=True
    )
    # a per-epoch checkpoint in the cache: a stopped run resumes where it was (same result as a straight run)
    ckpt = run.checkpoint(f"{CORPUS}-{PROTOCOL}{ARM_TAG}-{name}-fold{fold}{SEED_TAG}")
    out = train_and_test(make_model, x, y, part, cfg, LABELS, augment=wv.random_offset(FLOOR), ids=ids, checkpoint=ckpt)
    if out.history.diverged:
        print(f"{name} fold {fold}: diverged ({out.history.diverged_reason})")
    # the main model keeps the plain metric names (per-class F1 for Table 5); a study carries only its tag
    m = flat_metrics(out) if name == "main" else {}
    m.update({f"{k}/{name}": out.metrics[k] for k in ("accuracy", "macro_f1", "loss")})
    # Table 4's quantity: the best epoch's accuracy on the held-out part (none if it diverged in its first epoch)
    if select_on_test and name == "main" and out.history.val_acc:
        m["accuracy/peak_heldout"] = float(max(out.history.val_acc))
    run.record_output(
        f"{CORPUS}-{PROTOCOL}{ARM_TAG}-{name}-{run.profile}-fold{fold}{SEED_TAG}",
        out,
        corpus=CORPUS,
        substitution=SUBSTITUTION,
        protocol=PROTOCOL,
        labels=LABELS,
        metrics=m,
        config={"config": name, **cfg_model, "train": cfg.to_dict(), "features": WCFG.__dict__},
        split_file=split_path,
        fold=fold,
        seeds=[seed],
        stopping=stopping,
    )
    print(
        f"{name:10s} fold {fold}: accuracy {out.metrics['accuracy']:.4f}, macro-F1 {out.metrics['macro_f1']:.4f}, "
        f"best epoch {out.history.best_epoch + 1}/{len(out.history.val_loss)}, {out.seconds:.0f} s"
    )
    return {"config": name, "fold": fold, "out": out, **cfg_model}


runs = []
for name, cfg_model in CONFIGS.items():
    for f in FOLDS if name in ALL_FOLD_CONFIGS else STUDY_FOLDS:
        runs.append(run_fold(name, cfg_model, f))

# %% [markdown]
# ## Results
#
# Mean and standard deviation over the folds run, per configuration (the paper's Table 4 lists
# folds; its text and conclusion average them differently, see the contradictions below).

# %%
table = pd.DataFrame(
    [
        {
            "config": r["config"],
            "fold": r["fold"],
            "lr": r["lr"],
            "pool": r["pool"],
            "lstm": r["lstm_units"],
            "accuracy": 100 * r["out"].metrics["accuracy"],
            "macro_f1": 100 * r["out"].metrics["macro_f1"],
            # with select_on_test the validation curve is the held-out part's: its best epoch is Table 4's figure
            "peak_heldout": 100 * max(r["out"].history.val_acc, default=np.nan) if select_on_test else np.nan,
            "diverged": r["out"].history.diverged,
        }
        for r in runs
    ]
)
display(
    table.pivot_table(index=["config", "lr", "pool", "lstm"], columns="fold", values="accuracy", sort=False).round(2)
)
_cols = ["accuracy", "macro_f1"] + (["peak_heldout"] if select_on_test else [])
display(table.groupby(["config"], sort=False)[_cols].agg(["mean", "std", "count"]).round(2))
ok = [r for r in runs if r["out"] is not None]
for name in [n for n in CONFIGS if n in ALL_FOLD_CONFIGS]:
    sel = [r for r in ok if r["config"] == name]
    if sel:
        evaluate.plot_history(
            [r["out"].history.to_dict() for r in sel],
            [f"fold {r['fold']}" for r in sel],
            title=f"{name} (lr {sel[0]['lr']:g}), {CORPUS}, {PROTOCOL}",
        )
        plt.show()
main_runs = [r for r in ok if r["config"] == "main"]
if main_runs:
    evaluate.plot_confusion(
        sum(r["out"].confusion for r in main_runs), LABELS, title=f"{CORPUS}, {PROTOCOL}, lr {lr:g}, folds summed"
    )
    plt.show()
    per_class = (
        pd.concat([r["out"].per_class for r in main_runs])
        .groupby("class", sort=False)[["precision", "recall", "f1"]]
        .mean()
    )
    display(Markdown("Per-class scores of the main model, mean over folds (the layout of Table 5):"))
    display(per_class.round(3))

# %% [markdown]
# ## Claimed vs reproduced
#
# From the results files of this profile, computed exactly as on the book's comparison page.
# Every EmoDB row is on the 2-second copy and therefore "substituted corpus". Where the paper
# prints several values for one quantity, each is a separate claim.

# %%
recs = run.read_records()
display(Markdown(run.claims_table(recs)))

# %% [markdown]
# ## Where the paper contradicts itself

# %%
display(Markdown(run.contradictions()))

# %% [markdown]
# ## Notes on the text itself
#
# Facts about the paper's text (not its numbers), with their places, from the declaration.

# %%
display(Markdown("\n".join(sourced_lines(run.decl.get("notes", [])))))
