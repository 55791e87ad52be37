"""One trainer for every paper: Adam, optional plateau scheduler, early stopping
that restores the best weights, class weights, augmentation hooks, progress bar.
"""

from __future__ import annotations

import copy
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np
import torch
import torch.nn as nn
from tqdm.auto import tqdm

Augment = Callable[[torch.Tensor, torch.Generator], torch.Tensor]


@dataclass
class TrainConfig:
    """Training hyper-parameters. ``patience=None`` disables early stopping."""

    lr: float = 1e-3
    epochs: int = 30
    batch_size: int = 32
    weight_decay: float = 0.0
    scheduler: bool = False
    scheduler_factor: float = 0.5
    scheduler_patience: int = 3
    patience: int | None = 10
    class_weights: bool = False
    grad_clip: float | None = None
    seed: int = 0
    progress: bool = True
    channels_last: bool = True

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class History:
    """Per-epoch curves plus the epoch whose weights were restored."""

    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    best_epoch: int = -1
    stopped_early: bool = False
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch and ask torch for deterministic kernels."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)


def device() -> torch.device:
    """CUDA when present, else CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def _tensor(x: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.array(x, dtype=np.float32, copy=True))


def _class_weights(y: np.ndarray, n_classes: int) -> torch.Tensor:
    counts = np.bincount(y, minlength=n_classes).astype(np.float64)
    w = len(y) / (n_classes * np.maximum(counts, 1))
    return torch.tensor(w, dtype=torch.float32)


def _to(x: torch.Tensor, dev: torch.device, channels_last: bool) -> torch.Tensor:
    x = x.to(dev)
    return x.contiguous(memory_format=torch.channels_last) if channels_last and x.dim() == 4 else x


def _loss(
    model: nn.Module,
    xb: torch.Tensor,
    yb: torch.Tensor,
    loss_fn: nn.Module,
    progress: float,
    weight: torch.Tensor | None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """(loss, logits): the model's own ``compound_loss`` when it has one, else ``loss_fn``."""
    compound = getattr(model, "compound_loss", None)
    if compound is not None:
        return compound(xb, yb, progress, weight)
    out = model(xb)
    return loss_fn(out, yb), out


def _epoch_eval(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    loss_fn: nn.Module,
    batch_size: int,
    dev: torch.device,
    progress: float = 1.0,
) -> tuple[float, float]:
    model.eval()
    total, correct, n = 0.0, 0, 0
    with torch.no_grad():
        for i in range(0, len(x), batch_size):
            xb, yb = _to(x[i : i + batch_size], dev, True), y[i : i + batch_size].to(dev)
            loss, out = _loss(model, xb, yb, loss_fn, progress, None)
            total += loss.item() * len(xb)
            correct += int((out.argmax(1) == yb).sum())
            n += len(xb)
    return total / n, correct / n


def fit(
    model: nn.Module,
    train: tuple[np.ndarray, np.ndarray],
    val: tuple[np.ndarray, np.ndarray],
    cfg: TrainConfig,
    augment: Augment | None = None,
    loss_fn: nn.Module | None = None,
) -> History:
    """Train ``model`` in place on ``train=(x, y)``; select on ``val`` loss.

    ``augment(batch, generator)`` is applied to training batches only. A model with a
    ``compound_loss(x, y, progress, class_weight) -> (loss, logits)`` method (EmotionNet)
    is trained and validated on that loss; ``progress`` is epoch / max epochs. The
    best-validation-loss weights are restored before returning.
    """
    seed_everything(cfg.seed)
    dev = device()
    model.to(dev)
    x_tr, y_tr = _tensor(train[0]), torch.as_tensor(np.asarray(train[1]), dtype=torch.long)
    x_va, y_va = _tensor(val[0]), torch.as_tensor(np.asarray(val[1]), dtype=torch.long)
    if cfg.channels_last and x_tr.dim() == 4:  # ~1.5x faster convolutions on CPU
        model.to(memory_format=torch.channels_last)
    n_classes = int(max(y_tr.max(), y_va.max())) + 1
    weight = _class_weights(train[1], n_classes).to(dev) if cfg.class_weights else None
    if loss_fn is None:
        loss_fn = nn.CrossEntropyLoss(weight=weight)
    eval_loss = nn.CrossEntropyLoss()
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    sched = (
        torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=cfg.scheduler_factor, patience=cfg.scheduler_patience)
        if cfg.scheduler
        else None
    )
    gen = torch.Generator().manual_seed(cfg.seed)
    hist = History()
    best_loss, best_state, bad_epochs = float("inf"), copy.deepcopy(model.state_dict()), 0
    start = time.perf_counter()
    bar = tqdm(range(cfg.epochs), desc="epochs", disable=not cfg.progress, leave=False)
    for epoch in bar:
        model.train()
        perm = torch.randperm(len(x_tr), generator=gen)
        run_loss, run_correct = 0.0, 0
        for i in range(0, len(perm), cfg.batch_size):
            idx = perm[i : i + cfg.batch_size]
            xb = x_tr[idx]
            if augment is not None:
                xb = augment(xb, gen)
            xb, yb = _to(xb, dev, cfg.channels_last), y_tr[idx].to(dev)
            opt.zero_grad(set_to_none=True)
            loss, out = _loss(model, xb, yb, loss_fn, epoch / cfg.epochs, weight)
            if not torch.isfinite(loss):
                raise FloatingPointError(
                    f"training loss became {loss.item()} at epoch {epoch + 1} (lr={cfg.lr}); "
                    "lower the learning rate or enable grad_clip"
                )
            loss.backward()
            if cfg.grad_clip:
                nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
            opt.step()
            run_loss += loss.item() * len(idx)
            run_correct += int((out.argmax(1) == yb).sum())
        val_loss, val_acc = _epoch_eval(model, x_va, y_va, eval_loss, cfg.batch_size, dev, epoch / cfg.epochs)
        hist.train_loss.append(run_loss / len(x_tr))
        hist.train_acc.append(run_correct / len(x_tr))
        hist.val_loss.append(val_loss)
        hist.val_acc.append(val_acc)
        hist.lr.append(opt.param_groups[0]["lr"])
        bar.set_postfix(loss=f"{hist.train_loss[-1]:.3f}", val_loss=f"{val_loss:.3f}", val_acc=f"{val_acc:.3f}")
        if sched is not None:
            sched.step(val_loss)
        if val_loss < best_loss:
            best_loss, best_state, bad_epochs = val_loss, copy.deepcopy(model.state_dict()), 0
            hist.best_epoch = epoch
        else:
            bad_epochs += 1
            if cfg.patience is not None and bad_epochs >= cfg.patience:
                hist.stopped_early = True
                break
    model.load_state_dict(best_state)
    hist.seconds = time.perf_counter() - start
    return hist


def predict_proba(model: nn.Module, x: np.ndarray, batch_size: int = 64) -> np.ndarray:
    """Softmax probabilities ``(N, n_classes)`` in eval mode."""
    dev = device()
    model.to(dev).eval()
    outs = []
    with torch.no_grad():
        for i in range(0, len(x), batch_size):
            xb = _to(_tensor(x[i : i + batch_size]), dev, True)
            outs.append(torch.softmax(model(xb), dim=1).cpu().numpy())
    return np.concatenate(outs)


def gaussian_noise(std: float) -> Augment:
    """Batch hook adding N(0, std²) noise to (standardized) features."""

    def hook(batch: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        return batch + std * torch.randn(batch.shape, generator=gen)

    return hook
