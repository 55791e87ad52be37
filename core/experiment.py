"""One train/evaluate run on arrays, class-balanced subsets, flat metrics for a record."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.nn as nn

from core import evaluate
from core.train import Augment, History, TrainConfig, fit, predict_proba, seed_everything


def subsample(df: pd.DataFrame, per_class: int, seed: int = 0, by: str = "label") -> pd.DataFrame:
    """At most ``per_class`` rows of each class, drawn with ``seed`` (for smoke runs)."""
    rng = np.random.default_rng(seed)
    keep = [
        rng.choice(idx, size=min(len(idx), per_class), replace=False)
        for _, idx in sorted(df.groupby(by).indices.items())
    ]
    return df.iloc[np.sort(np.concatenate(keep))].reset_index(drop=True)


@dataclass
class RunOutput:
    """Everything one trained model produced on its test part."""

    metrics: dict[str, float]
    per_class: pd.DataFrame
    confusion: np.ndarray
    history: History
    y_true: np.ndarray
    proba: np.ndarray
    n_params: int
    seconds: float
    test_ids: np.ndarray | None = None

    def predictions(self, labels: Sequence[str]) -> dict[str, list[str]] | None:
        """Per test item: id, true and predicted label (for paired comparisons), or None without ids."""
        if self.test_ids is None:
            return None
        pred = self.proba.argmax(1)
        return {
            "utt_id": [str(u) for u in self.test_ids],
            "true": [labels[int(i)] for i in self.y_true],
            "pred": [labels[int(i)] for i in pred],
        }


def train_and_test(
    make_model: Callable[[], nn.Module],
    x: np.ndarray,
    y: np.ndarray,
    part: np.ndarray,
    cfg: TrainConfig,
    labels: Sequence[str],
    extra_train: tuple[np.ndarray, np.ndarray] | None = None,
    augment: Augment | None = None,
    lengths: np.ndarray | None = None,
    checkpoint: str | Path | None = None,
    ids: Sequence[str] | np.ndarray | None = None,
) -> RunOutput:
    """Fit on ``part == 'train'`` (plus ``extra_train``), select on ``'val'``, report on ``'test'``.

    ``augment`` is the training-batch hook of :func:`core.train.fit`; ``lengths`` (valid frames
    per padded item) turns on per-batch cropping (not combinable with ``extra_train``);
    ``checkpoint`` makes the training resumable (see :func:`core.train.fit`); ``ids`` (one per
    row of ``x``) name the test items in the output, so that records keep per-item predictions.

    The test part is touched once, after training, by the restored best-validation model.
    """
    from core.models import count_parameters

    start = time.perf_counter()
    tr, va, te = (part == "train"), (part == "val"), (part == "test")
    if ids is not None and len(ids) != len(x):
        raise ValueError(f"train_and_test: {len(ids)} ids for {len(x)} rows")
    if not (tr.any() and va.any() and te.any()):
        raise ValueError("train_and_test needs non-empty train, val and test parts")
    x_tr, y_tr = x[tr], y[tr]
    if extra_train is not None and lengths is not None:
        raise ValueError("train_and_test: extra_train and lengths cannot be combined")
    if extra_train is not None:
        x_tr = np.concatenate([x_tr, extra_train[0]])
        y_tr = np.concatenate([y_tr, extra_train[1]])
    seed_everything(cfg.seed)  # the initial weights depend on the seed alone
    model = make_model()
    lens = None if lengths is None else (lengths[tr], lengths[va])
    fit_start = time.perf_counter()
    hist = fit(model, (x_tr, y_tr), (x[va], y[va]), cfg, augment=augment, lengths=lens, checkpoint=checkpoint)
    # a resumed fit's history counts the epochs of earlier processes too: so does the duration
    earlier = max(0.0, hist.seconds - (time.perf_counter() - fit_start))
    proba = predict_proba(model, x[te], batch_size=cfg.batch_size, lengths=None if lengths is None else lengths[te])
    y_te = y[te]
    y_pred = proba.argmax(1)
    metrics = evaluate.classification_metrics(y_te, proba)
    penalty = getattr(model, "l2_penalty", None)
    if callable(penalty):  # Keras' evaluate reports the cross-entropy plus the kernels' L2 penalty
        with torch.no_grad():
            metrics["loss_keras"] = metrics["loss"] + float(penalty())
    return RunOutput(
        metrics=metrics,
        per_class=evaluate.per_class_report(y_te, y_pred, labels),
        confusion=evaluate.confusion(y_te, y_pred, len(labels)),
        history=hist,
        y_true=y_te,
        proba=proba,
        n_params=count_parameters(model),
        seconds=time.perf_counter() - start + earlier,
        test_ids=None if ids is None else np.asarray(ids)[te],
    )


def flat_metrics(out: RunOutput, suffix: str = "", aliases: Mapping[str, str] | None = None) -> dict[str, float]:
    """Metrics of one run as a flat dict for a results file.

    Summary metrics keep their names (``accuracy``; with ``suffix='svm'``: ``accuracy/svm``);
    per-class ones become ``precision/<class>``, ``recall/<class>``, ``f1/<class>``,
    ``accuracy/<class>``, plus the same under ``aliases[class]`` when a paper names the class
    differently (e.g. ``sad`` -> ``sadness``). ``roc_auc_min`` is the smallest one-vs-rest AUC.
    """
    tag = f"/{suffix}" if suffix else ""
    flat = {f"{k}{tag}": v for k, v in out.metrics.items()}
    if suffix:
        return flat
    for _, row in out.per_class.iterrows():
        if row["class"] == "macro avg":
            continue
        for name in {row["class"], (aliases or {}).get(row["class"], row["class"])}:
            for m in ("precision", "recall", "f1", "accuracy"):
                flat[f"{m}/{name}"] = float(row[m])
    aucs = [auc for *_, auc in evaluate.roc_curves(out.y_true, out.proba).values()]
    if aucs:
        flat["roc_auc_min"] = float(min(aucs))
    return flat
