from __future__ import annotations

import copy
import dataclasses
import sys
from pathlib import Path

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
    c = train_and_test(_mlp, x, y, part, dataclasses.replace(cfg, seed=4), ["a", "b", "c"])  # the seed alone differs
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
    assert hist.stopped_early  # patience 3 ends this run before its 40 epochs
    assert len(hist.val_loss) - 1 - hist.best_epoch == 3


def test_class_weights_and_augment_hook_run():
    from core.train import _class_weights

    assert _class_weights(np.array([0, 0, 0, 1]), 2).tolist() == pytest.approx([2 / 3, 2])  # n / (classes * count)
    assert _class_weights(np.array([0, 0, 1]), 3).tolist() == pytest.approx([0.5, 1.0, 1.0])  # an absent class: 1 clip
    x, y = _toy(200)
    keep = (y != 2) | (np.arange(len(y)) % 4 == 0)  # class 2 made rare, so weighting changes the loss
    xi, yi = x[keep], y[keep]
    calls = []
    noise = gaussian_noise(0.1)

    def hook(batch, gen):
        calls.append(len(batch))
        return noise(batch, gen)

    start = _mlp()  # every fit below starts from these weights, so the class weights alone can differ
    cfg = TrainConfig(epochs=2, batch_size=16, class_weights=True, progress=False, patience=None)
    hist = fit(copy.deepcopy(start), (xi[:80], yi[:80]), (xi[80:], yi[80:]), cfg, augment=hook)
    assert len(hist.train_loss) == 2
    assert sum(calls) == 2 * 80 and len(calls) == 2 * 5  # every training item, every batch, both epochs
    unweighted = dataclasses.replace(cfg, class_weights=False)
    plain = fit(copy.deepcopy(start), (xi[:80], yi[:80]), (xi[80:], yi[80:]), unweighted, augment=hook)
    again = fit(copy.deepcopy(start), (xi[:80], yi[:80]), (xi[80:], yi[80:]), unweighted, augment=hook)
    assert plain.train_loss == again.train_loss  # same start, seed and data: the same losses ...
    assert plain.train_loss != hist.train_loss  # ... so this difference is the class weights'


def test_divergence_is_reported():
    x, y = _toy()
    x[0, 0] = np.inf
    with pytest.raises(FloatingPointError, match="lower the learning rate"):
        fit(_mlp(), (x[:80], y[:80]), (x[80:], y[80:]), TrainConfig(epochs=1, batch_size=80, progress=False))


def _state(model: nn.Module) -> list[np.ndarray]:
    return [v.detach().numpy().copy() for v in model.state_dict().values()]


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_a_stopped_run_resumes_to_the_same_result(tmp_path, optimizer):
    """Stop after two epochs, resume from the checkpoint: same curves and weights as a straight run."""
    import torch

    x, y = _toy(200)
    cfg = TrainConfig(
        lr=0.05, epochs=5, batch_size=16, seed=1, progress=False, scheduler=True, optimizer=optimizer,
        momentum=0.8, restore_best=False, patience=None, drop_last=True,
    )  # fmt: skip
    aug = gaussian_noise(0.3)  # draws from the generator, as dropout draws from torch's global one
    torch.manual_seed(0)
    straight_model = _mlp()
    straight = fit(straight_model, (x[:150], y[:150]), (x[150:], y[150:]), cfg, augment=aug)
    ckpt = tmp_path / "run.ckpt"
    torch.manual_seed(0)
    first = _mlp()
    part = fit(first, (x[:150], y[:150]), (x[150:], y[150:]), cfg, augment=aug, checkpoint=ckpt, stop_after=2)
    assert len(part.val_loss) == 2 and ckpt.is_file()
    torch.manual_seed(123)  # a fresh process: other initial weights and RNG state, restored from the checkpoint
    resumed_model = _mlp()
    resumed = fit(resumed_model, (x[:150], y[:150]), (x[150:], y[150:]), cfg, augment=aug, checkpoint=ckpt)
    assert resumed.resumed_from_epoch == 2 and not ckpt.exists()
    assert resumed.val_loss == straight.val_loss and resumed.train_loss == straight.train_loss
    assert resumed.lr == straight.lr and resumed.restored == "final"
    for a, b in zip(_state(resumed_model), _state(straight_model), strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_resumed_run_reports_the_time_of_every_sitting(tmp_path):
    """A run stopped after two slow epochs and resumed reports the seconds of both processes."""
    import time

    import torch

    x, y = _toy(200)
    part = np.array(["train"] * 150 + ["val"] * 25 + ["test"] * 25)
    cfg = TrainConfig(lr=0.05, epochs=4, batch_size=50, seed=1, progress=False, patience=None)

    def slow(xb, gen):
        time.sleep(0.15)  # three batches per epoch: at least 0.9 s in the first sitting
        return xb

    ckpt = tmp_path / "run.ckpt"
    torch.manual_seed(0)
    first = fit(_mlp(), (x[:150], y[:150]), (x[150:175], y[150:175]), cfg, augment=slow, checkpoint=ckpt, stop_after=2)
    assert first.seconds >= 0.9
    out = train_and_test(_mlp, x, y, part, cfg, ["a", "b", "c"], augment=slow, checkpoint=ckpt)
    assert out.history.resumed_from_epoch == 2
    assert out.seconds >= out.history.seconds >= first.seconds + 0.9
    # the machine's load at each epoch's end, both sittings: what the speed page reads the run's condition from
    assert len(out.history.load_average) == 4 and all(v is not None and v >= 0 for v in out.history.load_average)
    # and each epoch's seconds (three slow batches each), which a pause between sittings does not enter
    per_epoch = out.history.epoch_seconds
    assert len(per_epoch) == 4 and all(0.45 <= v < out.history.seconds for v in per_epoch)


def test_a_checkpoint_of_another_configuration_is_not_resumed(tmp_path):
    x, y = _toy()
    ckpt = tmp_path / "run.ckpt"
    cfg = TrainConfig(epochs=3, progress=False, patience=None)
    fit(_mlp(), (x[:80], y[:80]), (x[80:], y[80:]), cfg, checkpoint=ckpt, stop_after=1)
    other = fit(
        _mlp(), (x[:80], y[:80]), (x[80:], y[80:]), TrainConfig(epochs=3, lr=0.01, progress=False), checkpoint=ckpt
    )
    assert other.resumed_from_epoch == 0 and len(other.val_loss) == 3


def test_convergence_diagnosis():
    from core.train import History

    improving = History(val_loss=[1.0, 0.9, 0.8, 0.7], train_loss=[1.0] * 4, epochs_budget=4)
    improving.diagnose(3)
    assert improving.still_improving and not improving.diverged
    flat = History(val_loss=[1.0, 0.5, 0.6, 0.6], train_loss=[0.9, 0.5, 0.4, 0.4], epochs_budget=4)
    flat.diagnose(3)
    assert not flat.still_improving and not flat.diverged
    stuck = History(val_loss=[1.2] * 6, train_loss=[1.2] * 6, epochs_budget=6)  # ln 3 = 1.0986
    stuck.diagnose(3)
    assert stuck.diverged and "chance level" in stuck.diverged_reason
    # back at the chance level, a little under ln 3 (1.0986): collapsed, not learned
    back = History(val_loss=[1.1] * 6, train_loss=[1.09, 0.8, 0.9, 1.06, 1.05, 1.07], epochs_budget=6)
    back.diagnose(3)
    assert back.diverged and "within 5%" in back.diverged_reason
    learned = History(val_loss=[1.1] * 6, train_loss=[1.09, 0.8, 0.9, 1.03, 1.0, 1.02], epochs_budget=6)
    learned.diagnose(3)  # 1.00 is 0.91 ln 3: under the margin
    assert not learned.diverged
    compound = History(val_loss=[1.1] * 6, train_loss=[1.2] * 6, epochs_budget=6, loss="compound")
    compound.diagnose(3)
    assert not compound.diverged


def test_a_non_finite_loss_can_end_the_run_as_diverged():
    x, y = _toy()
    x[0, 0] = np.inf
    cfg = TrainConfig(epochs=3, batch_size=80, progress=False, stop_on_divergence=True)
    hist = fit(_mlp(), (x[:80], y[:80]), (x[80:], y[80:]), cfg)
    assert hist.diverged and "non-finite" in hist.diverged_reason and hist.restored == "best"


def test_predictions_name_the_test_items_in_order():
    x, y = _toy()
    part = np.array(["train"] * 80 + ["val"] * 20 + ["test"] * 20)
    ids = [f"u{i}" for i in range(len(x))]
    cfg = TrainConfig(lr=0.01, epochs=3, batch_size=16, seed=0, progress=False)
    out = train_and_test(_mlp, x, y, part, cfg, ["a", "b", "c"], ids=ids)
    pred = out.predictions(["a", "b", "c"])
    assert pred["utt_id"] == ids[100:]
    assert pred["true"] == [["a", "b", "c"][i] for i in y[100:]]
    correct = np.mean([t == p for t, p in zip(pred["true"], pred["pred"], strict=True)])
    assert correct == pytest.approx(out.metrics["accuracy"])
    assert train_and_test(_mlp, x, y, part, cfg, ["a", "b", "c"]).predictions(["a", "b", "c"]) is None
    with pytest.raises(ValueError, match="ids"):
        train_and_test(_mlp, x, y, part, cfg, ["a", "b", "c"], ids=ids[:-1])


def test_a_record_keeps_the_per_item_predictions_and_the_corpus_fingerprint(tmp_path, data_root):
    from ser import results
    from ser.run import notebook_defaults, open_run

    ns = notebook_defaults("parallel_cnn_lstm") | {"results_dir": str(tmp_path), "profile": "smoke"}
    run = open_run("parallel_cnn_lstm", ns | {"data_root": str(data_root)})
    assert len(run.load_corpus("emodb")) < 535  # the smoke profile subsamples ...
    x, y = _toy()
    part = np.array(["train"] * 80 + ["val"] * 20 + ["test"] * 20)
    ids = [f"u{i}" for i in range(len(x))]
    out = train_and_test(_mlp, x, y, part, TrainConfig(epochs=2, progress=False), ["a", "b", "c"], ids=ids)
    run.record_output("toy", out, corpus="emodb", protocol="random", seeds=[0], labels=["a", "b", "c"])
    (back,) = results.read_results(tmp_path, "parallel_cnn_lstm")
    assert back["corpus_fingerprint"]["files"] == 535  # ... the fingerprint is of the whole corpus
    assert back["predictions"]["utt_id"] == ids[100:]
    assert len(back["predictions"]["pred"]) == back["n_test"] == 20


def test_a_diverged_run_asked_for_final_weights_says_it_was_scored_on_the_best(tmp_path, data_root):
    """fit restores the best weights of a diverged run even with restore_best=False: the record must not
    call them the final ones."""
    from ser import results
    from ser.run import notebook_defaults, open_run

    ns = notebook_defaults("parallel_cnn_lstm") | {"results_dir": str(tmp_path), "profile": "smoke"}
    run = open_run("parallel_cnn_lstm", ns | {"data_root": str(data_root)})
    hist = {"val_loss": [1.0, 1.1], "diverged": True, "restored": "best"}
    for seed, (name, h) in enumerate((("div", hist), ("ok", {**hist, "diverged": False, "restored": "final"}))):
        run.record(name, corpus="emodb", protocol="random", seeds=[seed], metrics={"accuracy": 0.5}, duration_s=1.0,
                   history=h, weights="final")  # fmt: skip
    recs = {r["run"]: r for r in results.read_results(tmp_path, "parallel_cnn_lstm")}
    assert recs["div"]["budget"]["weights"].startswith("best (the run diverged")
    assert recs["ok"]["budget"]["weights"] == "final"


def test_training_flushes_subnormal_floats():
    """Subnormal weights and optimizer moments (an L2 penalty drives dead units there) made a CPU
    step 10x slower; seed_everything flushes them to zero, and records say so."""
    import torch

    from core.train import seed_everything
    from ser.results import determinism_info

    torch.set_flush_denormal(False)
    assert (torch.tensor([1e-40]) * 1.0).item() != 0.0
    seed_everything(0)
    assert (torch.tensor([1e-40]) * 1.0).item() == 0.0
    assert determinism_info()["flush_denormal"] is True


def test_a_run_that_early_stopping_ended_is_not_still_improving():
    """Judged against a large budget (a step budget raises the epochs to 185), 22 epochs of a run that
    early stopping ended looked 'still improving'; a stopped run had stopped improving."""
    from core.train import History
    from ser.claims import convergence

    curve = [1.0 - 0.03 * i for i in range(17)] + [0.5, 0.51, 0.52, 0.53, 0.54]
    h = History(val_loss=curve, train_loss=curve, epochs_budget=185, stopped_early=True)
    h.diagnose(7)
    assert not h.still_improving
    rec = {"history": {"val_loss": curve, "still_improving": True, "diverged": False, "stopped_early": True}}
    assert convergence(rec) == {"diverged": False, "still_improving": False}
    h = History(val_loss=curve, train_loss=curve, epochs_budget=185)
    h.diagnose(7)
    assert h.still_improving  # the same curve cut by the budget, not by early stopping


def test_freed_memory_is_kept_for_reuse_and_recorded():
    """seed_everything keeps glibc's freed memory mapped (a speed setting: values are unchanged, see
    test_same_seed_same_metrics, which runs with it), and records say so."""
    from core.train import freed_memory_kept, seed_everything
    from ser.results import determinism_info

    seed_everything(0)
    assert freed_memory_kept()
    assert determinism_info()["kept_freed_memory"] is True
    assert determinism_info()["filled_uninitialized_memory"] is False  # deterministic mode's NaN fill, skipped


_FAULTS = """
import resource, torch
from core import train
train.keep_freed_memory()
torch.set_num_threads(1)
def faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for i in range(12):
    if i == 2:
        start = faults()
    a = torch.empty(12_000_000)  # 48 MB, a BAVED first block's activations
    a.fill_(1.0)
    b = torch.empty(3_000_000)
    b.fill_(2.0)
    del a, b
print((faults() - start) / 10)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a glibc allocator setting (Linux only)")
def test_kept_memory_is_reused_without_page_faults():
    """Once the allocator keeps freed memory, allocating and touching the same 60 MB again faults in few
    new pages: about 1,200 per round here, against 11,700 (the whole 48 MB block) when freed memory goes
    back to the system, as it did while the trim threshold overflowed to 0."""
    import os
    import subprocess
    import sys

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": root}
    out = subprocess.run([sys.executable, "-c", _FAULTS], capture_output=True, text=True, env=env, check=True, cwd=root)
    assert float(out.stdout.split()[-1]) < 3000


_STEPS = """
import hashlib, os, sys, torch, torch.nn as nn
from core import train
if "keep" in sys.argv[1]:
    train.keep_freed_memory()
torch.set_num_threads(1); torch.use_deterministic_algorithms(True, warn_only=True)
torch.utils.deterministic.fill_uninitialized_memory = "nofill" not in sys.argv[1]
from core.models import ParallelCNNLSTMAttention
torch.manual_seed(0)
m = ParallelCNNLSTMAttention(3, 128, 188, attention="pooling").to(memory_format=torch.channels_last)
g = torch.Generator().manual_seed(1)
opt = torch.optim.SGD(m.parameters(), lr=1e-2, momentum=0.8)
for _ in range(3):
    x = torch.randn(16, 1, 128, 188, generator=g).contiguous(memory_format=torch.channels_last)
    opt.zero_grad(); nn.functional.cross_entropy(m(x), torch.randint(0, 3, (16,), generator=g)).backward(); opt.step()
digest = hashlib.sha256(b"".join(p.detach().numpy().tobytes() for p in m.parameters())).hexdigest()
print(train.freed_memory_kept(), digest)
"""


def test_keeping_freed_memory_changes_no_value():
    """Three training steps of the BAVED model in fresh processes, with and without the allocator
    setting, and without the NaN fill: bit-identical weights."""
    import os
    import subprocess
    import sys

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": root}
    out = {
        mode: subprocess.run(
            [sys.executable, "-c", _STEPS, mode], capture_output=True, text=True, env=env, check=True, cwd=root
        ).stdout.split()
        for mode in ("keep", "default", "nofill", "keep-nofill")
    }
    assert out["keep"][0] == out["keep-nofill"][0] == "True" and out["default"][0] == "False"
    # and without deterministic mode's NaN fill of fresh memory, alone and with kept memory (the trainer's
    # setting, where a kernel reading memory it never wrote would see stale values): identical weights
    assert out["keep"][1] == out["default"][1] == out["nofill"][1] == out["keep-nofill"][1]


PAPERS = Path(__file__).resolve().parent.parent / "papers"
TRAINERS = sorted(p.stem for p in PAPERS.glob("*.py") if "train_and_test(" in p.read_text())
# EmotionNet's fits take seconds (0.001 GFLOP per item): a checkpoint would cost more than the run
NO_CHECKPOINT = {"emotionnet"}


def test_the_notebooks_without_checkpoints_are_trainers():
    assert NO_CHECKPOINT <= set(TRAINERS) and len(TRAINERS) - len(NO_CHECKPOINT) >= 4


@pytest.mark.parametrize("notebook", [t for t in TRAINERS if t not in NO_CHECKPOINT])
def test_every_training_of_a_paper_notebook_is_resumable(notebook):
    """Each `train_and_test` call of a notebook that trains for minutes passes a per-epoch checkpoint, so a
    stopped full-budget run resumes (the resume itself is tested above)."""
    import ast

    tree = ast.parse((PAPERS / f"{notebook}.py").read_text())
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", None) == "train_and_test"]
    assert calls, f"{notebook} trains nothing through train_and_test"
    missing = [c.lineno for c in calls if not any(k.arg == "checkpoint" for k in c.keywords)]
    assert not missing, f"papers/{notebook}.py: train_and_test without checkpoint= at lines {missing}"


def test_monitoring_validation_accuracy_keeps_the_most_accurate_epoch():
    """Keras' EarlyStopping/ModelCheckpoint on val_accuracy (the co-author's VGG19): the best epoch is the
    first with the highest validation accuracy, and those weights are restored."""
    x, y = _toy(300)
    model = _mlp()
    cfg = TrainConfig(lr=0.01, epochs=12, batch_size=32, patience=4, progress=False, monitor="val_acc", scheduler=True)
    hist = fit(model, (x[:200], y[:200]), (x[200:], y[200:]), cfg)
    assert hist.best_epoch == int(np.argmax(hist.val_acc))
    acc = (predict_proba(model, x[200:]).argmax(1) == y[200:]).mean()
    assert acc == pytest.approx(max(hist.val_acc))
    with pytest.raises(ValueError, match="monitor"):
        TrainConfig(monitor="accuracy")


def test_roll_and_noise_is_the_coauthors_vgg_generator():
    import torch

    from core.train import roll_and_noise

    batch = torch.rand(64, 3, 8, 16)
    gen = torch.Generator().manual_seed(0)
    assert torch.equal(roll_and_noise(3, 0.05, p=0.0)(batch, gen), batch)  # p = 0: untouched
    rolled = roll_and_noise(3, 0.0, p=1.0)(batch, gen)  # every item rolled along its width by at most 3 px
    for a, b in zip(batch, rolled, strict=True):
        assert any(torch.equal(torch.roll(a, k, dims=-1), b) for k in range(-3, 4))
    out = roll_and_noise(3, 0.5, p=0.5)(batch, gen)
    assert out.min() >= 0 and out.max() <= 1 and out.shape == batch.shape
    changed = [
        not torch.allclose(torch.sort(o.flatten())[0], torch.sort(b.flatten())[0])
        for o, b in zip(out, batch, strict=True)
    ]
    assert 10 < sum(changed) < 54  # about half the items got noise


def test_roll_and_noise_acts_on_the_resized_image():
    """The co-author rolled 20 px and added noise on the 224-px image: with ``size`` the hook resizes first,
    so a roll moves whole pixels of the image the network sees and the noise is per 224-px pixel."""
    import torch

    from core.train import roll_and_noise

    batch = torch.rand(4, 3, 8, 16)
    resized = torch.nn.functional.interpolate(batch, size=(32, 32), mode="bilinear", align_corners=False)
    gen = torch.Generator().manual_seed(0)
    assert torch.equal(roll_and_noise(3, 0.05, p=0.0, size=32)(batch, gen), resized)
    rolled = roll_and_noise(5, 0.0, p=1.0, size=32)(batch, gen)
    assert rolled.shape == (4, 3, 32, 32)
    for a, b in zip(resized, rolled, strict=True):
        assert any(torch.equal(torch.roll(a, k, dims=-1), b) for k in range(-5, 6))


def test_the_scheduler_on_validation_accuracy_halves_the_rate_on_a_plateau():
    """Keras' ReduceLROnPlateau on val_accuracy: an equal accuracy is no gain (min_delta 1e-4), so a flat
    run halves its rate after `scheduler_patience` epochs without one."""
    x, y = _toy()
    cfg = TrainConfig(lr=1e-6, epochs=6, batch_size=32, patience=None, progress=False, monitor="val_acc",
                      scheduler=True, scheduler_patience=1)  # fmt: skip
    hist = fit(_mlp(), (x[:80], y[:80]), (x[80:], y[80:]), cfg)
    assert len(set(hist.val_acc)) == 1 and hist.lr[-1] < hist.lr[0] / 2  # flat accuracy, the rate cut twice or more


def test_fields_added_at_their_defaults_keep_the_checkpoint_key(monkeypatch):
    from core.train import _LATER_FIELDS, _run_key

    x, y = _toy()
    model, cfg, data = _mlp(), TrainConfig(progress=False), ((x[:80], y[:80]), (x[80:], y[80:]))
    key = _run_key(model, cfg, *data)
    old = {k: v for k, v in cfg.to_dict().items() if k not in _LATER_FIELDS}  # a config from before they existed
    assert set(_LATER_FIELDS) <= set(cfg.to_dict()) and len(old) < len(cfg.to_dict())
    with monkeypatch.context() as m:
        m.setattr(TrainConfig, "to_dict", lambda self: dict(old))
        assert _run_key(model, cfg, *data) == key  # an older checkpoint's key still matches
    changed = {"adam_eps": 1e-7, "monitor": "val_acc", "scheduler_rule": "keras", "scheduler_min_lr": 1e-5}
    assert set(changed) == set(_LATER_FIELDS)
    for name, value in changed.items():  # away from its default, each field is part of the key
        assert key != _run_key(model, TrainConfig(progress=False, **{name: value}), *data), name


def test_the_keras_plateau_rule_cuts_one_epoch_before_torchs():
    """Keras' ReduceLROnPlateau cuts once `patience` epochs pass without a gain; torch's after one more.
    With a flat validation loss (a rate too small to move it by 1e-4) and patience 2, Keras' rule trains
    epoch 3 at the cut rate and torch's epoch 4; the floor holds the rate."""
    x, y = _toy()
    rates = {}
    for rule in ("torch", "keras"):
        cfg = TrainConfig(lr=1e-6, epochs=8, batch_size=32, patience=None, progress=False, scheduler=True,
                          scheduler_patience=2, scheduler_rule=rule, scheduler_min_lr=3e-7)  # fmt: skip
        rates[rule] = fit(_mlp(), (x[:80], y[:80]), (x[80:], y[80:]), cfg).lr
    assert rates["keras"] == [1e-6] * 3 + [5e-7] * 2 + [3e-7] * 3  # cut after epochs 2 and 4, then the floor
    assert rates["torch"] == [1e-6] * 4 + [5e-7] * 3 + [3e-7]  # one epoch later each time
    with pytest.raises(ValueError, match="scheduler_rule"):
        TrainConfig(scheduler_rule="tf")
