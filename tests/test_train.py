from __future__ import annotations

import numpy as np
import pytest
import torch.nn as nn

from core.experiment import train_and_test
from core.train import TrainConfig, fit, gaussian_noise, predict_proba


def _toy(n=120, d=8, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    x = rng.normal(size=(n, d)).astype(np.float32)
    x[:, 0] += 3.0 * y  # learnable signal
    return x, y


def _mlp():
    return nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, 3))


def test_same_seed_same_metrics():
    x, y = _toy()
    part = np.array(["train"] * 80 + ["val"] * 20 + ["test"] * 20)
    cfg = TrainConfig(lr=0.01, epochs=5, batch_size=16, seed=3, progress=False, scheduler=True)
    a = train_and_test(_mlp, x, y, part, cfg, ["a", "b", "c"])
    b = train_and_test(_mlp, x, y, part, cfg, ["a", "b", "c"])
    assert a.metrics == b.metrics
    assert a.history.val_loss == b.history.val_loss
    c = train_and_test(
        _mlp, x, y, part, TrainConfig(lr=0.01, epochs=5, batch_size=16, seed=4, progress=False), ["a", "b", "c"]
    )
    assert c.history.train_loss != a.history.train_loss


def test_learns_and_restores_best_weights():
    x, y = _toy(300)
    model = _mlp()
    cfg = TrainConfig(lr=0.01, epochs=40, batch_size=32, patience=3, progress=False)
    hist = fit(model, (x[:200], y[:200]), (x[200:], y[200:]), cfg)
    assert hist.val_acc[hist.best_epoch] > 0.8
    assert hist.best_epoch == int(np.argmin(hist.val_loss))
    proba = predict_proba(model, x[200:])
    loss = -np.mean(np.log(proba[np.arange(100), y[200:]]))
    assert loss == pytest.approx(min(hist.val_loss), rel=1e-4)  # the restored model is the best one
    if hist.stopped_early:
        assert len(hist.val_loss) - 1 - hist.best_epoch == 3


def test_class_weights_and_augment_hook_run():
    x, y = _toy()
    cfg = TrainConfig(epochs=2, class_weights=True, progress=False)
    hist = fit(_mlp(), (x[:80], y[:80]), (x[80:], y[80:]), cfg, augment=gaussian_noise(0.1))
    assert len(hist.train_loss) == 2


def test_divergence_is_reported():
    x, y = _toy()
    x[0, 0] = np.inf
    with pytest.raises(FloatingPointError, match="lower the learning rate"):
        fit(_mlp(), (x[:80], y[:80]), (x[80:], y[80:]), TrainConfig(epochs=1, batch_size=80, progress=False))
