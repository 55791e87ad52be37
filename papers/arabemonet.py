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
# # ArabEmoNet: 2D CNN + BiLSTM + attention on log-mel
#
# Replication of Abouzeid, Elbouardi, Maged and Shehata, *ArabEmoNet: A Lightweight Hybrid 2D
# CNN-BiLSTM Model with Attention for Robust Arabic Speech Emotion Recognition*. The paper
# reports **91.48 %** accuracy on KSUEmotions and **99.46 %** on KEDAS (mean of a stratified
# 5-fold cross-validation, Table 2) with a model of **0.97 M parameters**, plus a kernel-size
# study (Table 3), an augmentation ablation (Table 4) and a CNN-Transformer variant (Table 2).
#
# Neither KSUEmotions nor KEDAS is available here. We run the method on **EYASE** (Egyptian
# Arabic, 4 emotions) and **BAVED** (Arabic, 3 emotion levels) instead: every number below is a
# **substitution**, not a reproduction on the paper's data. Next to the paper's stratified
# 5-fold protocol we run a speaker-independent 5-fold one. Run with papermill, e.g.
# `papermill papers/arabemonet.ipynb out.ipynb -p corpus baved -p protocol speaker`.

# %% tags=["parameters"]
corpus = "eyase"  # eyase or baved (substitutes for KSUEmotions/KEDAS); any registered corpus works
data_root = None  # None: $SER_DATA, else the user cache
protocol = "kfold"  # "kfold": the paper's stratified 5-fold; "speaker": speaker-independent 5-fold
folds = None  # None: the profile's folds; else a list of fold indices, e.g. [0, 1]
kernel = 7  # conv kernel size (paper: 7, padding 3; the authors' code: 10, padding 4)
padding = None  # conv padding; None: (kernel - 1) / 2, which keeps the size (the paper's)
attention_tanh = True  # attention score tanh(w^T h + b) (§3.5); False: w^T h + b (the authors' code)
lr = 0.0001  # Adam learning rate (paper: 1e-4)
weight_decay = 0.00001  # Adam weight decay (paper: 1e-5)
epochs = None  # None: from the profile
patience = None  # early-stopping patience in epochs; None: the profile's
scheduler_patience = 3  # ReduceLROnPlateau (factor 0.5) patience in epochs (not stated; the authors' code: 5)
profile = None  # "paper", "cpu" or "smoke"; None: $SER_PROFILE, else "cpu"
batch_size = 16  # not stated in the paper
duration = None  # seconds kept per clip after `offset`, end zero-padded; None: each clip's own length (the paper)
offset = 0.0  # seconds skipped at the start of each clip (the authors' code: 0.5)
scaling = "global"  # "global": one mean/std of the training part; "bin": per time-frequency bin (the code's)
augment = True  # augmentation of the training part (paper: on); what kind: see noise_copies
noise_copies = 0  # 0: Gaussian noise + SpecAugment on training batches; k > 0: k AWGN copies of each training clip
snr_range = [15, 29]  # with noise_copies: one integer SNR (dB) per clip in this range, shared by its copies
select_on_test = False  # True: the test fold is also the validation part (the authors' code: a leak)
noise_std = 0.1  # std of the Gaussian noise on standardised log-mel (level not stated)
spec_masks = [2, 15, 2, 20]  # SpecAugment: freq masks, max width (bins), time masks, max width (frames)
masked = False  # True: attention ignores padded frames (ours); False: the paper's plain zero-padding
bucket = True  # batches of similar length (less padding; batch composition is not stated)
studies = True  # kernel-size study, augmentation ablation and Transformer variant
transformer_variant = "ours"  # "ours": the main CNN + a 4-head encoder; "code": the authors' transformer.py
study_kernels = [3, 5, 9, 11]  # kernels of the Table 3 study besides `kernel`
configs = None  # None: every configuration (main, and the studies with `studies`); else only these, e.g. ["k3"]
seed = 0  # seed of the folds and of every initialisation
results_dir = None  # None: see `record`
record = False  # True: write results to papers/results/ (as `ser reproduce` does); False: to the cache
arm = None  # None: the declaration's default arm ("paper_text")

# %% [markdown]
# The run context checks these parameters against the paper's declaration
# (`papers/claims/arabemonet.yaml`), applies the arm, and sets the budget of the profile.

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from IPython.display import Markdown, display

from core import evaluate, features, splits
from core.data import get_corpus
from core.efficiency import count_macs, latency_ms
from core.experiment import flat_metrics, train_and_test
from core.models import ArabEmoNet, count_parameters
from core.models.arabemonet import authors_transformer
from core.train import TrainConfig, compose, gaussian_noise, spec_augment
from ser.run import open_run

run = open_run("arabemonet", globals())
if padding is None and kernel % 2 == 0:
    raise ValueError(f"kernel {kernel} is even: give its padding (the authors' code: -p kernel 10 -p padding 4)")
if noise_copies and duration is None:
    raise ValueError("noise_copies needs a fixed `duration` (the authors' code: -p duration 10.0 -p offset 0.5)")
K = 5
CLAIMS = run.decl["claims"]
EPOCHS, PATIENCE, FOLDS = run.budget["epochs"], run.budget["patience"], run.budget["folds"]
NOISE = f"{noise_copies} AWGN copies of each training clip" if noise_copies else "Gaussian noise and SpecAugment"
# the profile's study folds, kept to the folds asked for (at least one)
STUDY_FOLDS = [f for f in run.budget["study_folds"] if folds is None or f in folds] or FOLDS[:1]
PROTOCOL = "kfold5" if protocol == "kfold" else "speaker"  # names used in results files and the registry
SEED_TAG = f"-seed{seed}" if seed else ""  # seeds never share a results file; seed 0 keeps its names
SUBSTITUTION = f"{corpus} substitutes KSUEmotions and KEDAS (not available here)"
display(
    Markdown(
        run.header() + f" Corpus `{corpus}`, protocol `{PROTOCOL}`, main-model folds {FOLDS}, study folds "
        f"{STUDY_FOLDS if studies else 'none'}.\n\n**Substitution:** {SUBSTITUTION}."
    )
)

# %% [markdown]
# ## The data
#
# Clip lengths vary, and the paper pads each batch with zeros up to its longest clip (§4.1).
# Its own limitations section (§7) notes that short clips then carry a lot of padding; the
# histogram shows how much variation there is to pad.

# %%
meta = run.load_corpus(corpus)
LABELS = list(get_corpus(corpus).labels)
display(pd.crosstab(meta["label_name"], meta["gender"], margins=True).reindex(LABELS + ["All"]))
print(f"{len(meta)} utterances from {meta['speaker'].nunique()} speakers")

# %% [markdown]
# ## Features
#
# Log-mel as the paper specifies (§4.1): FFT 2048, hop 256, 128 mel bands between 80 and
# 7600 Hz, Hann window, dB relative to each clip's maximum (floor -80 dB). Clips keep their
# natural length; padding a clip's audio with zeros shows up in its spectrogram as the -80 dB
# floor, so that is the padding value. Each batch is cut to its longest clip.
#
# The authors' code (`as_published`, `clean`, `speaker`) instead skips the first 0.5 s of each clip
# and keeps 10 s, zero-padding the end: every input is 626 frames.

# %%
CFG = features.LogMelConfig(
    sr=16000,
    n_fft=2048,
    hop_length=256,
    window="hann",
    n_mels=128,
    fmin=80.0,
    fmax=7600.0,
    ref="max",
    duration=None if duration is None else float(duration),
    offset=float(offset),
    pad_mode="start",
)
if duration is None:
    X, LENGTHS = features.extract_padded(meta["path"], CFG)
else:
    X = features.extract(meta["path"], CFG)
    LENGTHS = np.full(len(X), X.shape[-1])
Y = meta["label"].to_numpy()
print(f"features {X.shape} ({X.nbytes / 2**20:.0f} MiB), frames per clip {LENGTHS.min()}-{LENGTHS.max()}")


def padding_share(lengths: np.ndarray, batch: int, bucketed: bool, rng: np.random.Generator) -> float:
    """Fraction of the frames in one epoch's batches that are padding."""
    order = np.sort(lengths) if bucketed else rng.permutation(lengths)
    chunks = [order[i : i + batch] for i in range(0, len(order), batch)]
    return 1 - lengths.sum() / sum(len(c) * c.max() for c in chunks)


_rng = np.random.default_rng(0)
fig, axes = plt.subplots(1, 2, figsize=(11, 3))
axes[0].hist(LENGTHS * CFG.hop_length / CFG.sr, bins=30)
axes[0].set(title=f"{corpus}: clip durations", xlabel="seconds", ylabel="clips")
i0 = int(np.argmin(LENGTHS))
axes[1].imshow(X[i0][:, : int(LENGTHS.max())], origin="lower", aspect="auto", cmap="magma")
axes[1].axvline(LENGTHS[i0], color="w", ls="--")
axes[1].set(title=f"shortest clip padded to the longest ({meta['utt_id'].iloc[i0]})", xlabel="frame")
plt.tight_layout()
plt.show()
display(
    Markdown(
        f"Share of padding frames per epoch with batch size {batch_size}: random batches "
        f"{padding_share(LENGTHS, batch_size, False, _rng):.0%}, length-bucketed batches "
        f"{padding_share(LENGTHS, batch_size, True, _rng):.0%} (used: {'bucketed' if bucket else 'random'})."
    )
)

# %% [markdown]
# ## The model and Table 3's parameter counts
#
# Three conv stages (32/64/128 filters, k x k, BN, ReLU, 2x2 max-pool, dropout 0.3), an FC
# layer to 128 applied to every time step, a 2-layer BiLSTM (64 per direction), the attention
# e_t = tanh(wᵀh_t + b) and a linear classifier (Table 1, §3). Parameter counts below are for
# the paper's 5 classes, beside Table 3. Only k = 5 disagrees at the printed precision: no
# single architecture fits all five printed values (see the contradictions at the end).


# %%
def table3_params(k: int) -> float:
    """Table 3's count for kernel ``k``, read from the claims (k = 7 is the paper's model: ``params_millions``)."""
    metric = "params_millions" if k == 7 else f"params_millions/k{k}"
    return next((c["value"] for c in CLAIMS if c["metric"] == metric), np.nan)


table3 = pd.DataFrame(
    [
        {
            "kernel": k,
            "params (M), ours": count_parameters(ArabEmoNet(5, kernel=k, padding=padding if k == kernel else None))
            / 1e6,
            "params (M), Table 3": table3_params(k),
        }
        for k in sorted({3, 5, 7, 9, 11, kernel, *study_kernels})
    ]
)
display(table3.round(4))

# %% [markdown]
# ## Efficiency
#
# The paper's second claim is that the model is light (0.97 M parameters, "74 times smaller than
# Whisper"). We count multiply-accumulates per second of audio (one 1-second input; the count
# is linear in length except for attention) and time CPU inference on one 3-second clip, batch
# size 1, with the torch threads of this machine.

# %%
FRAMES_PER_S = CFG.sr / CFG.hop_length
_one_s = torch.zeros(1, 1, CFG.n_mels, int(round(FRAMES_PER_S)))
_three_s = torch.zeros(1, 1, CFG.n_mels, int(round(3 * FRAMES_PER_S)))
eff = []
for name, kw in [
    (f"ArabEmoNet k={k}", {"kernel": k, "padding": padding if k == kernel else None})
    for k in sorted({3, 7, 11, kernel})
] + [("ArabEmoNet (Transformer)", {"kernel": kernel, "padding": padding, "temporal": "transformer"})]:
    torch.manual_seed(0)
    m = ArabEmoNet(len(LABELS), **kw)
    lat = latency_ms(m, _three_s, repeats=3 if run.profile == "smoke" else 20)
    eff.append(
        {
            "model": name,
            "params (M)": count_parameters(m) / 1e6,
            "GMACs per s audio": count_macs(m, _one_s) / 1e9,
            "CPU ms per 3 s clip (median)": lat["median_ms"],
            "p90 ms": lat["p90_ms"],
            "threads": lat["threads"],
        }
    )
EFFICIENCY = pd.DataFrame(eff)
display(EFFICIENCY.round(3))

# %% [markdown]
# ## Training and cross-validation
#
# For each fold: the fold is the test part, a stratified 10 % of the other folds is the
# validation part for early stopping and for ReduceLROnPlateau (factor 0.5, patience 3), and the
# rest trains the model with Adam (lr 1e-4, weight decay 1e-5). Features are standardised with
# statistics of the training part only. Augmentation touches training batches only: Gaussian
# noise on the standardised log-mel and SpecAugment masks. The test fold is scored once, by the
# restored best-validation model. Fold assignments are saved next to the results.
#
# The authors' code (authors-code.md §3) differs, and its arms follow it: two AWGN copies of every
# training-fold clip (one integer SNR of 15-29 dB per clip) instead of batch noise and SpecAugment,
# scaling per time-frequency bin, ReduceLROnPlateau patience 5, early-stopping patience 20, batch 32,
# kernel 10 with padding 4 and no tanh in the attention score. In `as_published` the **test fold is
# also the validation part**: it drives the scheduler and early stopping and picks the checkpoint
# that is then scored on it. `clean` holds a validation part out of the training folds instead, so
# the difference between the two is that selection-on-test leak alone; `speaker` is `clean` on
# speaker-independent folds.

# %%
fold_of = (splits.kfold if protocol == "kfold" else splits.speaker_kfold)(meta, k=K, seed=seed)
split_path = run.save_split(fold_of, f"{corpus}-{PROTOCOL}-seed{seed}", seed=seed, protocol=PROTOCOL)
VALIDATION = "the test fold itself (the authors' code)" if select_on_test else "10 % of the training folds"
display(Markdown(f"Augmentation: {NOISE if augment else 'none'}; validation part: {VALIDATION}."))
AUGMENT = compose(gaussian_noise(float(noise_std)), spec_augment(*spec_masks)) if augment else None
CONFIGS = {"main": {"kernel": kernel, "augment": augment, "temporal": "bilstm"}}
if studies:
    CONFIGS.update({f"k{k}": {"kernel": k, "augment": augment, "temporal": "bilstm"} for k in study_kernels})
    CONFIGS["no_augment" if augment else "augment"] = {"kernel": kernel, "augment": not augment, "temporal": "bilstm"}
    CONFIGS["transformer"] = {"kernel": kernel, "augment": augment, "temporal": "transformer"}
    if transformer_variant == "code":  # the authors' transformer.py: its own, smaller CNN (authors-code.md §3)
        CONFIGS["transformer"] |= {"kernel": 3, "code": True}
if configs is not None:  # some configurations only: each a job short enough for one GPU lease
    unknown = sorted(set(configs) - set(CONFIGS))
    if unknown:
        raise ValueError(f"configs {unknown} are not among this run's configurations {sorted(CONFIGS)}")
    CONFIGS = {k: v for k, v in CONFIGS.items() if k in configs}


def noisy_copies(rows: np.ndarray, fold: int) -> list[np.ndarray]:
    """``noise_copies`` feature arrays of the clips ``rows`` with AWGN added to the cropped and padded
    audio; one integer SNR per clip from ``snr_range``, shared by its copies (the authors' routine)."""
    snr = features.copy_snrs(len(rows), seed * 10 + fold, snr_range)
    paths = meta["path"].to_numpy()[rows]
    return [
        features.extract(
            paths, CFG, noise_snr_db=snr, noise_seed=features.copy_noise_seed(seed * 10 + fold, k), noise_on="padded"
        )
        for k in range(1, noise_copies + 1)
    ]


def run_fold(name: str, cfg_model: dict, fold: int) -> dict:
    part = splits.cv_parts(meta, fold_of, fold, seed=seed)
    x, y, ids, lens, stopping = X, Y, meta["utt_id"].to_numpy(), LENGTHS, run.stopping
    if select_on_test:  # no validation part: the test fold (a copy of it) drives the scheduler and picks the epoch
        test = part == "test"
        part = np.concatenate([np.where(part == "val", "train", part), np.full(int(test.sum()), "val")])
        x, y = np.concatenate([x, x[test]]), np.concatenate([y, y[test]])
        ids, lens = np.concatenate([ids, ids[test]]), np.concatenate([lens, lens[test]])
        stopping += "; the validation part is the test fold, which also picks the checkpoint it is scored on"
    if cfg_model["augment"] and noise_copies:  # copies of training clips only, after the fold split
        rows = np.flatnonzero(part[: len(meta)] == "train")
        copies = noisy_copies(rows, fold)
        x = np.concatenate([x, *copies])
        y = np.concatenate([y, *[Y[rows]] * noise_copies])
        ids = np.concatenate([ids, *[ids[rows]] * noise_copies])
        lens = np.concatenate([lens, *[LENGTHS[rows]] * noise_copies])
        part = np.concatenate([part, np.full(noise_copies * len(rows), "train")])
    train = part == "train"
    if scaling == "bin":
        xs = features.BinStandardizer().fit(x[train]).transform(x)[:, None]
    else:
        xs = features.Standardizer().fit(x[train], lens[train]).transform(x)[:, None]

    def make_model() -> ArabEmoNet:
        if cfg_model.get("code"):
            return authors_transformer(len(LABELS), masked=masked, attention_tanh=attention_tanh)
        return ArabEmoNet(
            len(LABELS),
            kernel=cfg_model["kernel"],
            temporal=cfg_model["temporal"],
            masked=masked,
            padding=padding if cfg_model["kernel"] == kernel else None,
            attention_tanh=attention_tanh,
        )

    cfg = TrainConfig(
        lr=lr,
        epochs=EPOCHS,
        batch_size=batch_size,
        weight_decay=float(weight_decay),
        scheduler=True,
        scheduler_patience=scheduler_patience,
        patience=PATIENCE,
        seed=seed,
        bucket=bucket and duration is None,
        stop_on_divergence=True,  # a non-finite loss ends the training and is recorded as diverged, never hidden
    )
    hook = None
    if cfg_model["augment"] and not noise_copies:  # the paper's batch augmentation
        hook = AUGMENT or compose(gaussian_noise(float(noise_std)), spec_augment(*spec_masks))
    out = train_and_test(
        make_model,
        xs,
        y,
        part,
        cfg,
        LABELS,
        augment=hook,
        lengths=lens if duration is None else None,
        ids=ids,
        checkpoint=run.checkpoint(f"{corpus}-{PROTOCOL}{run.arm_tag}-{name}-fold{fold}{SEED_TAG}"),
    )
    millions = out.n_params / 1e6
    # Table 3 and the Transformer row are with augmentation; Table 4's ablation is without
    tags = [f"k{cfg_model['kernel']}" if cfg_model["temporal"] == "bilstm" else "transformer"]
    tags = tags if cfg_model["augment"] else ["no_augment"]
    # the main model keeps the plain metric names; a study's metrics carry only its tags
    m = {**flat_metrics(out), "params_millions": millions} if name == "main" else {}
    for tag in tags:
        m.update({f"{k}/{tag}": out.metrics[k] for k in ("accuracy", "micro_f1", "macro_f1", "loss")})
        m[f"params_millions/{tag}"] = millions
    # the claims a record answers are those whose metric it carries (ser.claims.match_claims)
    # what the authors' selection reports: the best epoch on the test fold (none if it diverged in its first epoch)
    if select_on_test and name == "main" and out.history.val_acc:
        m["accuracy/peak_heldout"] = float(max(out.history.val_acc))
    run.record_output(
        f"{corpus}-{PROTOCOL}{run.arm_tag}-{name}-{run.profile}-fold{fold}{SEED_TAG}",
        out,
        metrics=m,
        config={"config": name, **cfg_model, "train": cfg.to_dict(), "features": CFG.__dict__},
        split_file=split_path,
        fold=fold,
        seeds=[seed],
        corpus=corpus,
        substitution=SUBSTITUTION,
        protocol=PROTOCOL,
        labels=LABELS,
        stopping=stopping,
        n_train=int(train.sum()),
    )
    print(
        f"{name:12s} fold {fold}: accuracy {out.metrics['accuracy']:.4f}, macro-F1 {out.metrics['macro_f1']:.4f}, "
        f"best epoch {out.history.best_epoch + 1}/{len(out.history.val_loss)}, {out.seconds:.0f} s"
    )
    return {"config": name, "fold": fold, "out": out, **cfg_model}


runs = [run_fold("main", CONFIGS["main"], f) for f in FOLDS] if "main" in CONFIGS else []
for name, cfg_model in CONFIGS.items():
    if name != "main":
        runs += [run_fold(name, cfg_model, f) for f in STUDY_FOLDS]

# %% [markdown]
# ## Results
#
# Accuracy, micro-F1 and macro-F1 per configuration: mean and standard deviation over the folds
# that were run (the main model on every fold of the profile, the studies on the study folds).
# Learning curves and the confusion matrix (summed over folds) are for the main model.

# %%
table = pd.DataFrame(
    [
        {
            "config": r["config"],
            "fold": r["fold"],
            "kernel": r["kernel"],
            "temporal": r["temporal"],
            "augment": r["augment"],
            **{k: 100 * r["out"].metrics[k] for k in ("accuracy", "micro_f1", "macro_f1")},
        }
        for r in runs
    ]
)
display(
    table.groupby(["config", "kernel", "temporal", "augment"], sort=False)[["accuracy", "micro_f1", "macro_f1"]]
    .agg(["mean", "std", "count"])
    .round(2)
)
main = [r for r in runs if r["config"] == "main"]
if main:  # absent when `configs` leaves it out
    evaluate.plot_history(
        [r["out"].history.to_dict() for r in main], [f"fold {r['fold']}" for r in main], title=f"{corpus}, {PROTOCOL}"
    )
    plt.show()
    evaluate.plot_confusion(
        sum(r["out"].confusion for r in main), LABELS, title=f"{corpus}, {PROTOCOL}, main model, folds summed"
    )
    plt.show()

# %% [markdown]
# ### Kernel size (Table 3) and augmentation (Table 4), same folds side by side
#
# Each study configuration is compared with the main model on the *same* folds, so the
# difference is not a difference of folds. The paper's values (KSUEmotions) are drawn for their
# shape only; our corpus is a different one.

# %%
if studies:
    same = table[table["fold"].isin(STUDY_FOLDS)]
    by_kernel = same[(same["temporal"] == "bilstm") & (same["augment"] == augment)].groupby("kernel")["accuracy"]
    paper_k = {int(c["metric"].split("/k")[1]): c["value"] for c in CLAIMS if c["metric"].startswith("accuracy/k")}
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.errorbar(
        by_kernel.mean().index, by_kernel.mean(), yerr=by_kernel.std().fillna(0), marker="o", label=f"ours ({corpus})"
    )
    ax.plot(list(paper_k), list(paper_k.values()), "s--", label="paper (KSUEmotions, Table 3)")
    ax.set(xlabel="kernel size", ylabel="accuracy (%)", title=f"kernel study, folds {STUDY_FOLDS}")
    ax.legend()
    plt.show()
    display(
        same.groupby(["config"], sort=False)[["accuracy", "macro_f1"]]
        .mean()
        .round(2)
        .rename(columns=lambda c: f"{c} (folds {STUDY_FOLDS})")
    )

# %% [markdown]
# ## Claimed vs reproduced
#
# From the results files of this profile, computed exactly as on the book's comparison page.
# KSUEmotions and KEDAS claims are both compared against EYASE, the registry's stand-in, and so
# carry the status "substituted corpus": a gap here says how the method fares on another Arabic
# corpus, not whether the paper's number holds on its own data.

# %%
recs = run.read_records()
display(Markdown(run.claims_table(recs)))
display(
    Markdown(
        "The Whisper and HuBERT baselines of Table 2 are **not run**: they need pretrained weights that cannot "
        "be downloaded here."
    )
)

# %% [markdown]
# ## Where the paper contradicts itself

# %%
display(Markdown(run.contradictions()))
