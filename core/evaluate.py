"""Metrics and figures: accuracy, macro/weighted P/R/F1, per-class report,
confusion matrix, one-vs-rest ROC-AUC, learning curves."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    log_loss,
    precision_recall_fscore_support,
    roc_auc_score,
)


def classification_metrics(y_true: np.ndarray, proba: np.ndarray) -> dict[str, float]:
    """Summary metrics from true labels and class probabilities ``(N, C)``."""
    y_true = np.asarray(y_true)
    n_classes = proba.shape[1]
    y_pred = proba.argmax(1)
    out: dict[str, float] = {"accuracy": float(accuracy_score(y_true, y_pred))}
    # micro-F1 equals accuracy for single-label data; computed, not copied, as a check
    out["micro_f1"] = float(
        precision_recall_fscore_support(
            y_true, y_pred, average="micro", zero_division=0, labels=list(range(n_classes))
        )[2]
    )
    for avg in ("macro", "weighted"):
        p, r, f, _ = precision_recall_fscore_support(
            y_true, y_pred, average=avg, zero_division=0, labels=list(range(n_classes))
        )
        out.update({f"{avg}_precision": float(p), f"{avg}_recall": float(r), f"{avg}_f1": float(f)})
    out["loss"] = float(log_loss(y_true, np.clip(proba, 1e-7, 1), labels=list(range(n_classes))))
    present = np.unique(y_true)
    if len(present) == n_classes and n_classes > 1:
        out["roc_auc_ovr_macro"] = float(
            roc_auc_score(y_true, proba, multi_class="ovr", average="macro")
            if n_classes > 2
            else roc_auc_score(y_true, proba[:, 1])
        )
    return out


def per_class_report(y_true: np.ndarray, y_pred: np.ndarray, labels: Sequence[str]) -> pd.DataFrame:
    """Per-class precision, recall, F1, support and one-vs-rest accuracy (Table 2 style)."""
    idx = list(range(len(labels)))
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=idx, zero_division=0)
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    ovr_acc = [float(np.mean((y_true == c) == (y_pred == c))) for c in idx]
    df = pd.DataFrame({"class": list(labels), "accuracy": ovr_acc, "precision": p, "recall": r, "f1": f, "support": s})
    macro = {
        "class": "macro avg",
        "accuracy": float(np.mean(ovr_acc)),
        "precision": p.mean(),
        "recall": r.mean(),
        "f1": f.mean(),
        "support": int(s.sum()),
    }
    return pd.concat([df, pd.DataFrame([macro])], ignore_index=True)


def confusion(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    return confusion_matrix(y_true, y_pred, labels=list(range(n_classes)))


def roc_curves(y_true: np.ndarray, proba: np.ndarray) -> dict[int, tuple[np.ndarray, np.ndarray, float]]:
    """One-vs-rest ROC curve ``(fpr, tpr, auc)`` per class present in ``y_true``."""
    from sklearn.metrics import auc, roc_curve

    curves = {}
    for c in range(proba.shape[1]):
        pos = np.asarray(y_true) == c
        if pos.any() and (~pos).any():
            fpr, tpr, _ = roc_curve(pos, proba[:, c])
            curves[c] = (fpr, tpr, float(auc(fpr, tpr)))
    return curves


def plot_confusion(cm: np.ndarray, labels: Sequence[str], title: str = "", normalize: bool = True, ax=None):
    """Seaborn heat map of a confusion matrix (row-normalised by default)."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    if ax is None:
        _, ax = plt.subplots(figsize=(1.2 * len(labels) + 2, 1.0 * len(labels) + 1.5))
    data = cm / np.maximum(cm.sum(1, keepdims=True), 1) if normalize else cm
    sns.heatmap(
        data,
        annot=cm,
        fmt="d",
        cmap="Blues",
        xticklabels=labels,
        yticklabels=labels,
        cbar=normalize,
        vmin=0,
        vmax=1 if normalize else None,
        ax=ax,
    )
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    return ax


def plot_history(histories: Sequence[dict], labels: Sequence[str] | None = None, title: str = ""):
    """Loss and accuracy curves (train dashed, validation solid) for one or more runs."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    sns.set_theme(style="whitegrid")
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 3.6))
    labels = list(labels) if labels is not None else [f"run {i}" for i in range(len(histories))]
    colors = sns.color_palette("tab10", len(histories))
    for h, lab, col in zip(histories, labels, colors, strict=True):
        ep = np.arange(1, len(h["train_loss"]) + 1)
        a1.plot(ep, h["train_loss"], "--", color=col)
        a1.plot(ep, h["val_loss"], "-", color=col, label=lab)
        a2.plot(ep, h["train_acc"], "--", color=col)
        a2.plot(ep, h["val_acc"], "-", color=col, label=lab)
        if h.get("best_epoch", -1) >= 0:
            a1.axvline(h["best_epoch"] + 1, color=col, lw=0.7, alpha=0.5)
    a1.set(xlabel="epoch", ylabel="cross-entropy", title="loss (dashed: train, solid: validation)")
    a2.set(xlabel="epoch", ylabel="accuracy", title="accuracy")
    a2.legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return fig
