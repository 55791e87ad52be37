"""One trainer for every paper: Adam or SGD, optional plateau scheduler, early stopping
that restores the best weights (or the final ones, as some authors' code does), class weights,
augmentation hooks, a progress bar, convergence diagnostics and per-epoch checkpoints that let a
stopped run resume and end exactly as an uninterrupted one.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import os
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
from tqdm.auto import tqdm

from core.io import atomic_write
from core.stats import CHANCE_FRACTION, at_chance

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
    bucket: bool = False  # with lengths: batches of similar length (less padding), in random order
    optimizer: str = "adam"  # "adam" or "sgd"
    momentum: float = 0.0  # SGD momentum
    adam_eps: float = 1e-8  # Adam's epsilon (torch's default; Keras' is 1e-7)
    restore_best: bool = True  # False: keep the final epoch's weights (no model selection)
    drop_last: bool = False  # drop the last, incomplete training batch of each epoch
    stop_on_divergence: bool = False  # True: a non-finite loss ends training and marks it diverged
    monitor: str = "val_loss"  # what early stopping, the best weights and the scheduler follow: "val_loss" or "val_acc"
    # "torch": ReduceLROnPlateau as torch counts it (a cut after `scheduler_patience` + 1 epochs without a gain,
    # relative threshold on a loss); "keras": as Keras does (a cut once `scheduler_patience` epochs pass without a
    # gain larger than the absolute min_delta 1e-4), for the co-authors' Keras code
    scheduler_rule: str = "torch"
    scheduler_min_lr: float = 0.0

    def __post_init__(self) -> None:
        if self.optimizer not in ("adam", "sgd"):
            raise ValueError(f"TrainConfig.optimizer must be 'adam' or 'sgd', got {self.optimizer!r}")
        if self.monitor not in ("val_loss", "val_acc"):
            raise ValueError(f"TrainConfig.monitor must be 'val_loss' or 'val_acc', got {self.monitor!r}")
        if self.scheduler_rule not in ("torch", "keras"):
            raise ValueError(f"TrainConfig.scheduler_rule must be 'torch' or 'keras', got {self.scheduler_rule!r}")

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
    load_average: list[float | None] = field(default_factory=list)  # the machine's 1-minute load at each epoch's end
    epoch_seconds: list[float] = field(default_factory=list)  # wall seconds of each epoch's steps and validation
    train_items: int = 0  # items per training epoch and per validation pass, as fit saw them
    val_items: int = 0
    best_epoch: int = -1
    stopped_early: bool = False
    seconds: float = 0.0
    epochs_budget: int = 0
    diverged: bool = False
    diverged_reason: str = ""
    still_improving: bool = False
    restored: str = "best"  # which weights the model holds after fit: "best" (on validation) or "final"
    resumed_from_epoch: int = 0  # > 0 when the run continued from a checkpoint
    loss: str = "cross_entropy"  # or "compound" (a model's own loss, e.g. EmotionNet's VAE + classifier)

    def to_dict(self) -> dict:
        return asdict(self)

    def diagnose(self, n_classes: int) -> None:
        """Set ``still_improving`` and ``diverged`` from the curves.

        Still improving: the best validation loss of the last 10 % of the budget (at least one
        epoch) is lower than every earlier one, i.e. the run had not levelled off when it
        stopped; never for a run that early stopping ended. Diverged: a non-finite loss, or a
        training loss at the chance-level cross-entropy ln(K) over the last three epochs, after
        the first three (:func:`at_chance`; cross-entropy losses only: a compound loss has no such
        reference).
        """
        vl = self.val_loss
        tail = max(1, math.ceil(0.1 * max(self.epochs_budget, len(vl))))
        if len(vl) > tail and not self.stopped_early:  # early stopping ended it: it had stopped improving
            self.still_improving = min(vl[-tail:]) < min(vl[:-tail])
        chance = math.log(max(n_classes, 2))
        if not self.diverged and any(not math.isfinite(v) for v in self.train_loss + vl):
            self.diverged, self.diverged_reason = True, "non-finite loss"
        if self.loss == "cross_entropy" and not self.diverged and at_chance(self.train_loss, n_classes):
            self.diverged = True
            self.diverged_reason = (
                f"training loss at the chance level ln({n_classes}) = {chance:.3f} (within"
                f" {1 - CHANCE_FRACTION:.0%}) over the last three epochs"
            )


def _load_average() -> float | None:
    """The machine's 1-minute load average (None where the system has none): with the run's thread count it
    tells whether the run had the cores to itself, which its speed depends on."""
    try:
        return round(os.getloadavg()[0], 2)
    except (OSError, AttributeError):
        return None


_KEPT_FREED_MEMORY = False


def keep_freed_memory() -> bool:
    """Ask glibc's allocator to keep freed memory for reuse (no ``mmap`` for large blocks, no trimming
    of the heap), so that a training step's activations land in pages already mapped instead of
    fresh ones that the kernel must fault in and zero on every step. Its first version disabled ``mmap``
    but, through an overflowed argument, set the trim threshold to 0; that alone gave 1.10-1.38x
    training items/s on the idle machine (the ``*mem-*`` benchmark files of the speed page). With the
    threshold right, a BAVED step faults in no pages at all (12,000-44,000 before) and the same pairs of
    processes ran 1.05-1.5x faster again (the commit that fixed it gives the numbers). The values computed
    are the same (tested); the process keeps its peak memory. Returns whether it applied (glibc only)."""
    global _KEPT_FREED_MEMORY
    if _KEPT_FREED_MEMORY:
        return True
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        # mallopt takes C ints: a larger Python int is cut to its low 32 bits without a word (1 << 40
        # became 0, a trim threshold that returned freed memory at every free: 12,000-44,000 page
        # faults per BAVED step until 2026-12-01); the largest int keeps up to 2 GiB of free heap
        libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
        m_trim_threshold, m_mmap_max = -1, -4
        _KEPT_FREED_MEMORY = bool(libc.mallopt(m_mmap_max, 0)) and bool(libc.mallopt(m_trim_threshold, 2**31 - 1))
    except (OSError, AttributeError):  # not glibc (macOS, Windows, musl)
        _KEPT_FREED_MEMORY = False
    return _KEPT_FREED_MEMORY


def freed_memory_kept() -> bool:
    """Whether :func:`keep_freed_memory` applied in this process."""
    return _KEPT_FREED_MEMORY


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch, ask torch for deterministic kernels (on a GPU, cuBLAS needs
    ``CUBLAS_WORKSPACE_CONFIG`` for that; it is set here unless the user set it), flush subnormal
    floats to zero on the CPU, skip deterministic mode's NaN fill of fresh tensors and keep freed
    memory mapped (:func:`keep_freed_memory`)."""
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    # Subnormal floats (below 1.2e-38) are flushed to zero on the CPU. Weights and Adam moments of
    # units that an L2 penalty drives towards zero become subnormal late in training, and every
    # operation on them then runs in microcode: a Bonnefoy step went from 1.1 s to 10.4 s after 18
    # epochs. Flushing changes values only below 1.2e-38, and reruns stay identical.
    torch.set_flush_denormal(True)
    # Deterministic mode also fills every fresh tensor with NaN, a guard against kernels that read memory
    # they never wrote; no CPU kernel of these models does (test: weights bit-identical with and without
    # the fill), and the fill was a fifth of a BAVED step's CPU time once freed memory stayed mapped. On a
    # GPU, where that was not checked, the guard stays on.
    torch.utils.deterministic.fill_uninitialized_memory = torch.cuda.is_available()
    keep_freed_memory()


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


def _batches(
    n: int,
    batch_size: int,
    gen: torch.Generator | None,
    lengths: torch.Tensor | None = None,
    bucket: bool = False,
) -> list[torch.Tensor]:
    """Index batches: shuffled when ``gen`` is given; with ``bucket`` and ``lengths``, items of
    similar length share a batch (sorted by length, ties broken at random) and the batch order
    is shuffled."""
    order = torch.randperm(n, generator=gen) if gen is not None else torch.arange(n)
    if bucket and lengths is not None:
        order = order[torch.sort(lengths[order], stable=True).indices]
    chunks = list(torch.split(order, batch_size))
    if bucket and gen is not None:
        chunks = [chunks[i] for i in torch.randperm(len(chunks), generator=gen)]
    return chunks


def _crop(xb: torch.Tensor, lb: torch.Tensor | None) -> torch.Tensor:
    """Cut a padded batch to its longest item (the paper's 'pad to the batch maximum')."""
    return xb if lb is None else xb[..., : int(lb.max())]


def _forward(model: nn.Module, xb: torch.Tensor, lb: torch.Tensor | None) -> torch.Tensor:
    return model(xb) if lb is None else model(xb, lengths=lb)


def _loss(
    model: nn.Module,
    xb: torch.Tensor,
    yb: torch.Tensor,
    loss_fn: nn.Module,
    progress: float,
    weight: torch.Tensor | None,
    lb: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """(loss, logits): the model's own ``compound_loss`` when it has one, else ``loss_fn``."""
    compound = getattr(model, "compound_loss", None)
    if compound is not None:
        return compound(xb, yb, progress, weight)
    out = _forward(model, xb, lb)
    return loss_fn(out, yb), out


def _epoch_eval(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    loss_fn: nn.Module,
    batch_size: int,
    dev: torch.device,
    progress: float = 1.0,
    lengths: torch.Tensor | None = None,
) -> tuple[float, float]:
    model.eval()
    total, correct, n = 0.0, 0, 0
    with torch.no_grad():
        for idx in _batches(len(x), batch_size, None, lengths, bucket=True):
            lb = None if lengths is None else lengths[idx]
            xb, yb = _to(_crop(x[idx], lb), dev, True), y[idx].to(dev)
            loss, out = _loss(model, xb, yb, loss_fn, progress, None, lb)
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
    lengths: tuple[np.ndarray, np.ndarray] | None = None,
    checkpoint: str | Path | None = None,
    stop_after: int | None = None,
) -> History:
    """Train ``model`` in place on ``train=(x, y)``; select on ``val`` loss.

    With ``checkpoint`` (a file path) the whole training state (weights, optimizer, scheduler,
    random generators, curves) is saved there after every epoch, and a later call with the same
    configuration and data resumes from it and ends with the same weights and curves as an
    uninterrupted run. ``stop_after`` ends the call after that many epochs in total (for tests
    and for splitting a long run over several sittings). The checkpoint is removed when training
    completes.

    ``augment(batch, generator)`` is applied to training batches only. With ``lengths``
    (valid frames of each padded item, for train and val) every batch is cut to its longest
    item and the model is called as ``model(x, lengths=...)``. A model with a
    ``compound_loss(x, y, progress, class_weight) -> (loss, logits)`` method (EmotionNet)
    is trained and validated on that loss; ``progress`` is epoch / max epochs. The
    best-validation-loss weights are restored before returning.
    """
    seed_everything(cfg.seed)
    dev = device()
    model.to(dev)
    x_tr, y_tr = _tensor(train[0]), torch.as_tensor(np.asarray(train[1]), dtype=torch.long)
    x_va, y_va = _tensor(val[0]), torch.as_tensor(np.asarray(val[1]), dtype=torch.long)
    len_tr, len_va = (None, None) if lengths is None else (torch.as_tensor(v, dtype=torch.long) for v in lengths)
    # channels-last: ~1.5x faster convolutions on CPU. Not bit-for-bit the same numerics: torch 2.13's
    # channels-last CPU batch norm gets the batch variance to ~4e-4 relative (about 1e-7 contiguous;
    # measured on 32x16x128x188 conv-sized tensors, whatever their mean), so normalised values differ
    # at ~2e-4 relative from a contiguous run: float noise, not a change of the model.
    if cfg.channels_last and x_tr.dim() == 4:
        model.to(memory_format=torch.channels_last)
    n_classes = int(max(y_tr.max(), y_va.max())) + 1
    weight = _class_weights(train[1], n_classes).to(dev) if cfg.class_weights else None
    if loss_fn is None:
        loss_fn = nn.CrossEntropyLoss(weight=weight)
    eval_loss = nn.CrossEntropyLoss()
    if cfg.optimizer == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay)
    else:
        opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay, eps=cfg.adam_eps)
    sched = None
    if cfg.scheduler:
        keras = cfg.scheduler_rule == "keras"
        # torch cuts when the epochs without a gain exceed its patience, Keras when they reach it; on an
        # accuracy, or with Keras, a gain must pass the absolute min_delta 1e-4
        sched = torch.optim.lr_scheduler.ReduceLROnPlateau(
            opt, mode="max" if cfg.monitor == "val_acc" else "min", factor=cfg.scheduler_factor,
            patience=max(cfg.scheduler_patience - 1, 0) if keras else cfg.scheduler_patience, threshold=1e-4,
            threshold_mode="abs" if keras or cfg.monitor == "val_acc" else "rel", min_lr=cfg.scheduler_min_lr,
        )  # fmt: skip
    gen = torch.Generator().manual_seed(cfg.seed)
    hist = History(
        epochs_budget=cfg.epochs,
        restored="best" if cfg.restore_best else "final",
        loss="compound" if getattr(model, "compound_loss", None) is not None else "cross_entropy",
    )
    best_loss, best_state, bad_epochs = float("inf"), copy.deepcopy(model.state_dict()), 0
    first_epoch = 0
    ckpt = Path(checkpoint) if checkpoint is not None else None
    key = _run_key(model, cfg, train, val) if ckpt is not None else ""  # hashes the data: only when checkpointing
    if ckpt is not None and ckpt.is_file():
        state = torch.load(ckpt, weights_only=False)
        if state["key"] == key:
            model.load_state_dict(state["model"])
            opt.load_state_dict(state["opt"])
            if sched is not None:
                sched.load_state_dict(state["sched"])
            gen.set_state(state["gen"])
            torch.set_rng_state(state["torch_rng"])
            hist = History(**state["hist"])
            best_loss, best_state, bad_epochs = state["best_loss"], state["best_state"], state["bad_epochs"]
            first_epoch = len(hist.val_loss)
            hist.resumed_from_epoch = first_epoch
    hist.train_items, hist.val_items = len(x_tr), len(x_va)
    start = time.perf_counter() - hist.seconds
    done = hist.stopped_early or hist.diverged
    bar = tqdm(range(first_epoch, cfg.epochs), desc="epochs", disable=not cfg.progress or done, leave=False)
    for epoch in [] if done else bar:
        if stop_after is not None and epoch >= stop_after:
            return hist
        model.train()
        t_epoch = time.perf_counter()
        run_loss, run_correct, seen = 0.0, 0, 0
        for idx in _batches(len(x_tr), cfg.batch_size, gen, len_tr, cfg.bucket):
            if cfg.drop_last and len(idx) < cfg.batch_size:
                continue
            lb = None if len_tr is None else len_tr[idx]
            xb = _crop(x_tr[idx], lb)
            if augment is not None:
                xb = augment(xb, gen)
            xb, yb = _to(xb, dev, cfg.channels_last), y_tr[idx].to(dev)
            opt.zero_grad(set_to_none=True)
            loss, out = _loss(model, xb, yb, loss_fn, epoch / cfg.epochs, weight, lb)
            if not torch.isfinite(loss):
                if cfg.stop_on_divergence:
                    hist.diverged, hist.diverged_reason = True, f"non-finite loss at epoch {epoch + 1}"
                    break
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
            seen += len(idx)
        if hist.diverged:
            break
        # large evaluation batches, except where padding to the batch's longest item would change the outputs
        eval_bs = cfg.batch_size if len_va is not None else max(cfg.batch_size, 256)
        val_loss, val_acc = _epoch_eval(model, x_va, y_va, eval_loss, eval_bs, dev, epoch / cfg.epochs, len_va)
        hist.train_loss.append(run_loss / max(seen, 1))
        hist.train_acc.append(run_correct / max(seen, 1))
        hist.val_loss.append(val_loss)
        hist.val_acc.append(val_acc)
        hist.lr.append(opt.param_groups[0]["lr"])
        hist.load_average.append(_load_average())
        hist.epoch_seconds.append(round(time.perf_counter() - t_epoch, 3))
        bar.set_postfix(loss=f"{hist.train_loss[-1]:.3f}", val_loss=f"{val_loss:.3f}", val_acc=f"{val_acc:.3f}")
        score = val_loss if cfg.monitor == "val_loss" else -val_acc  # lower is better either way
        if sched is not None:
            sched.step(val_loss if cfg.monitor == "val_loss" else val_acc)
        if score < best_loss:
            best_loss, best_state, bad_epochs = score, copy.deepcopy(model.state_dict()), 0
            hist.best_epoch = epoch
        else:
            bad_epochs += 1
            if cfg.patience is not None and bad_epochs >= cfg.patience:
                hist.stopped_early = True
        hist.seconds = time.perf_counter() - start
        if ckpt is not None:
            state = {
                "key": key,
                "model": model.state_dict(),
                "opt": opt.state_dict(),
                "sched": sched.state_dict() if sched is not None else None,
                "gen": gen.get_state(),
                "torch_rng": torch.get_rng_state(),
                "hist": hist.to_dict(),
                "best_loss": best_loss,
                "best_state": best_state,
                "bad_epochs": bad_epochs,
            }
            with atomic_write(ckpt, "wb") as fh:
                torch.save(state, fh)
        if hist.stopped_early:
            break
    if cfg.restore_best or hist.diverged:
        model.load_state_dict(best_state)
        hist.restored = "best"
    hist.seconds = time.perf_counter() - start
    hist.diagnose(n_classes)
    if ckpt is not None:
        ckpt.unlink(missing_ok=True)
    return hist


# TrainConfig fields added later (2026-12-02): at these defaults they leave a checkpoint key as it was
_LATER_FIELDS = {"adam_eps": 1e-8, "monitor": "val_loss", "scheduler_rule": "torch", "scheduler_min_lr": 0.0}


def _run_key(model: nn.Module, cfg: TrainConfig, train: tuple, val: tuple) -> str:
    """What a checkpoint must match to be resumed: the configuration, the model's shapes and the data."""
    conf = cfg.to_dict()
    for name, default in _LATER_FIELDS.items():  # fields added later, at their defaults, keep older checkpoints valid
        if conf.get(name) == default:
            conf.pop(name)
    h = hashlib.sha256(json.dumps(conf, sort_keys=True, default=str).encode())
    h.update(repr([(k, tuple(v.shape)) for k, v in model.state_dict().items()]).encode())
    for arr in (*train, *val):
        a = np.ascontiguousarray(arr)
        h.update(f"{a.shape}{a.dtype}".encode())
        h.update(hashlib.sha256(a.tobytes()).digest())
    return h.hexdigest()


def predict_proba(
    model: nn.Module, x: np.ndarray, batch_size: int = 64, lengths: np.ndarray | None = None
) -> np.ndarray:
    """Softmax probabilities ``(N, n_classes)`` in eval mode, in the order of ``x``."""
    dev = device()
    model.to(dev).eval()
    xt = _tensor(x)
    lt = None if lengths is None else torch.as_tensor(lengths, dtype=torch.long)
    out = np.zeros((len(x), 0), dtype=np.float32)
    with torch.no_grad():
        for idx in _batches(len(x), batch_size, None, lt, bucket=True):
            lb = None if lt is None else lt[idx]
            p = torch.softmax(_forward(model, _to(_crop(xt[idx], lb), dev, True), lb), dim=1).cpu().numpy()
            if out.shape[1] == 0:
                out = np.zeros((len(x), p.shape[1]), dtype=np.float32)
            out[idx.numpy()] = p
    return out


def gaussian_noise(std: float) -> Augment:
    """Batch hook adding N(0, std²) noise to (standardized) features."""

    def hook(batch: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        return batch + std * torch.randn(batch.shape, generator=gen)

    return hook


def spec_augment(
    freq_masks: int = 2, freq_width: int = 15, time_masks: int = 2, time_width: int = 20, value: float = 0.0
) -> Augment:
    """SpecAugment-style masking (Park et al., 2019) of ``(batch, 1, freq, time)`` features:
    per item, ``freq_masks`` bands of up to ``freq_width`` bins and ``time_masks`` spans of up
    to ``time_width`` frames are set to ``value`` (0 = the mean of standardised features)."""

    def hook(batch: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        out = batch.clone()
        n_f, n_t = out.shape[-2], out.shape[-1]

        def span(size: int, width: int) -> slice:
            w = int(torch.randint(0, min(width, size) + 1, (1,), generator=gen))
            s0 = int(torch.randint(0, size - w + 1, (1,), generator=gen))
            return slice(s0, s0 + w)

        for i in range(len(out)):
            for _ in range(freq_masks):
                out[i, ..., span(n_f, freq_width), :] = value
            for _ in range(time_masks):
                out[i, ..., span(n_t, time_width)] = value
        return out

    return hook


def roll_and_noise(max_shift: int, noise_std: float, p: float = 0.5, size: int | None = None) -> Augment:
    """Batch hook for images in [0, 1]: each item, with probability ``p``, rolled by a whole number of
    pixels in [-max_shift, max_shift] along its width, and, with probability ``p``, given N(0, noise_std²)
    noise clipped back to [0, 1] (the co-author's VGG19 training generator, authors-code.md §2). With
    ``size``, the batch is first resized (bilinear) to ``size`` x ``size``, so the roll and the noise act on
    the image the network sees, as the co-author's generator rolled and noised its 224-px images."""

    def hook(batch: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        if size is not None and tuple(batch.shape[-2:]) != (size, size):
            out = torch.nn.functional.interpolate(batch, size=(size, size), mode="bilinear", align_corners=False)
        else:
            out = batch.clone()
        n = len(batch)
        roll = torch.rand(n, generator=gen) < p
        shifts = torch.randint(-max_shift, max_shift + 1, (n,), generator=gen)
        noisy = torch.rand(n, generator=gen) < p
        for i in torch.nonzero(roll).flatten().tolist():
            out[i] = torch.roll(out[i], int(shifts[i]), dims=-1)
        noise = torch.randn(out.shape, generator=gen).to(out.dtype) * noise_std
        mask = noisy.view(-1, *([1] * (out.dim() - 1))).to(out.dtype)
        return (out + noise * mask).clamp_(0.0, 1.0) if noisy.any() else out

    return hook


def compose(*hooks: Augment | None) -> Augment | None:
    """One hook applying the given ones in order (``None`` entries are skipped)."""
    active = [h for h in hooks if h is not None]
    if not active:
        return None

    def hook(batch: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        for h in active:
            batch = h(batch, gen)
        return batch

    return hook


def time_shift(max_fraction: float) -> Augment:
    """Batch hook rolling each item along its last (time) axis by up to ``max_fraction`` of its
    width, either way (the report's spectrogram time shifting, §3.1.4)."""

    def hook(batch: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        limit = int(max_fraction * batch.shape[-1])
        if limit == 0:
            return batch
        shifts = torch.randint(-limit, limit + 1, (len(batch),), generator=gen)
        return torch.stack([torch.roll(b, int(s), dims=-1) for b, s in zip(batch, shifts, strict=True)])

    return hook
