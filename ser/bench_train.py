"""Training benchmark: for every paper's model at its real input shape, parameters, FLOPs per
sample (counted), training and evaluation throughput, the fraction of this machine's measured
matrix-multiply peak that training reaches, seconds per epoch and the estimated time of one fit
at the ``paper`` profile.

``ser bench train`` prints a table and ``--out FILE.json`` keeps it. FLOPs come from
``torch.utils.flop_counter`` (convolutions and matrix products, forward and backward) plus an
analytic count for LSTMs, which the counter does not see: 8·h·(in+h) per step and direction
forward, twice that backward. Both variants of a step are timed in the same process, in blocks of
steps run back to back (``--block``), the blocks interleaved (``baseline``: conv-BN-ReLU-pool
order, ``bernoulli_`` dropout masks, evaluation in training-sized batches; ``current``: what the
trainer does now), with the trainer's deterministic setting, so their ratio depends little on the
machine's load (the absolute numbers do: see the load average and the slowest and fastest block
recorded with them).
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn as nn


@dataclass
class Spec:
    """One model as a paper runs it: input shape per item, classes, items per epoch, paper epochs."""

    name: str
    make: Callable[[], nn.Module]
    shape: tuple[int, ...]
    n_classes: int
    train_items: int
    val_items: int
    paper_epochs: int
    batch_size: int
    paper_steps: int | None = None  # a budget in optimizer steps (the epochs are raised to reach it)

    def epochs_at_paper_budget(self) -> int:
        """The most epochs a ``paper`` run may take: the profile's, raised to reach ``paper_steps``."""
        from ser.declaration import epochs_for_steps

        return epochs_for_steps(self.paper_epochs, self.paper_steps, self.train_items, self.batch_size)


def specs() -> list[Spec]:
    from core.models import ArabEmoNet, EmotionNet, ParallelCNNLSTMAttention, SpectrogramCRNN, WaveletCNNLSTM
    from core.models.crnn import CodedCNNBLSTMAttention
    from ser import declaration

    decls = declaration.load_all()
    epochs = {p: d["profiles"]["paper"]["epochs"] for p, d in decls.items()}
    steps = decls["cnn_blstm_attention"]["profiles"]["paper"].get("steps")
    return [
        # BAVED as the authors ran it: 5,805 items (1,935 + 2 noisy copies), 80/10/10
        Spec("parallel_cnn_lstm/as_published", lambda: ParallelCNNLSTMAttention(3, 128, 188, attention="pooling"),
             (1, 128, 188), 3, 4643, 580, epochs["parallel_cnn_lstm"], 32),
        # the paper's text: 1,548 training clips + one noisy copy each
        Spec("parallel_cnn_lstm/paper_text", lambda: ParallelCNNLSTMAttention(3, 128, 188), (1, 128, 188), 3,
             3096, 194, epochs["parallel_cnn_lstm"], 32),
        # EYASE 5-fold: 579 clips, ~417 training items per fold, median 2.2 s ~ 138 frames at hop 256
        Spec("arabemonet", lambda: ArabEmoNet(4, kernel=7), (1, 128, 138), 4, 417, 46, epochs["arabemonet"], 16),
        # the authors' code on EYASE: 10 s inputs (626 frames), kernel 10 / padding 4, each training-fold
        # clip and two noisy copies (3 x 463), the test fold (116) as validation; batch 32; one fold
        Spec("arabemonet/as_published", lambda: ArabEmoNet(4, kernel=10, padding=4, attention_tanh=False),
             (1, 128, 626), 4, 1389, 116, epochs["arabemonet"], 32),
        Spec("wavelet_cnn_lstm", lambda: WaveletCNNLSTM(7, n_scales=64), (3, 64, 128), 7, 428, 53,
             epochs["wavelet_cnn_lstm"], 32),
        # RAVDESS 1,248 clips, 70 % train, over-sampled to balanced classes (~1,200 items)
        Spec("cnn_blstm_attention", lambda: SpectrogramCRNN("cnn_blstm_attention", 7), (3, 128, 128), 7, 1200, 187,
             epochs["cnn_blstm_attention"], 32, steps),
        # the co-author's model on RAVDESS + TESS pooled: 2,834 training originals + 96 copies, 607 validation
        Spec("cnn_blstm_attention/as_published", lambda: CodedCNNBLSTMAttention(7), (3, 128, 128), 7, 2930, 607,
             epochs["cnn_blstm_attention"], 32, steps),
        Spec("emotionnet", lambda: EmotionNet(124, 4), (124,), 4, 405, 87, epochs["emotionnet"], 32),
    ]  # fmt: skip


def _sync(dev: torch.device) -> None:
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)


def matmul_peak(threads: int, n: int = 1024, repeat: int = 5, dev: torch.device | None = None) -> float:
    """Best float32 matrix-multiply throughput in FLOP/s at ``threads`` (on a GPU: n=8192, TF32 off)."""
    dev = dev or torch.device("cpu")
    torch.set_num_threads(threads)
    if dev.type == "cuda":
        n = max(n, 8192)
        torch.backends.cuda.matmul.allow_tf32 = False
    a, b = torch.randn(n, n, device=dev), torch.randn(n, n, device=dev)
    torch.mm(a, b)
    _sync(dev)
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        torch.mm(a, b)
        _sync(dev)
        best = min(best, time.perf_counter() - t)
    return 2 * n**3 / best


def count_flops(model: nn.Module, x: torch.Tensor) -> tuple[float, float]:
    """(forward, forward + backward) FLOPs per item."""
    from torch.utils.flop_counter import FlopCounterMode

    lstm_fwd = 0.0

    def hook(mod: nn.LSTM, inp, out) -> None:
        nonlocal lstm_fwd
        seq = inp[0]
        steps = seq.shape[1] if mod.batch_first else seq.shape[0]
        dirs = 2 if mod.bidirectional else 1
        for layer in range(mod.num_layers):
            d_in = mod.input_size if layer == 0 else mod.hidden_size * dirs
            lstm_fwd += (
                8 * mod.hidden_size * (d_in + mod.hidden_size) * steps * dirs * seq.shape[0 if mod.batch_first else 1]
            )

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, nn.LSTM)]
    model.train()
    with FlopCounterMode(display=False) as fc:
        model(x)
    for h in handles:
        h.remove()
    fwd = fc.get_total_flops() + lstm_fwd
    with FlopCounterMode(display=False) as fc2:
        model(x).float().sum().backward()
    total = fc2.get_total_flops() + 3 * lstm_fwd  # the LSTMs' forward, and twice that backward
    return fwd / len(x), total / len(x)


def _train_step(model: nn.Module, opt: torch.optim.Optimizer, x: torch.Tensor, y: torch.Tensor) -> None:
    """One training step as the benchmark times it: cross-entropy, backward, SGD with momentum."""
    opt.zero_grad(set_to_none=True)
    nn.functional.cross_entropy(model(x), y).backward()
    opt.step()


def _step_times(
    models: list[nn.Module], x: torch.Tensor, y: torch.Tensor, repeat: int, block: int = 4
) -> tuple[list[float], list[tuple[float, float]]]:
    """Seconds of one training step of each model: the median over ``repeat`` rounds of ``block`` steps run
    back to back (as the trainer runs them: one model's steps in a row, its memory warm), the models' blocks
    interleaved (AB BA AB ...) so that a change of the machine's load affects them alike; also each model's
    fastest and slowest block per step, the spread a reader should read the median with."""
    opts = [torch.optim.SGD(m.parameters(), lr=1e-3, momentum=0.8) for m in models]
    times: list[list[float]] = [[] for _ in models]
    for m in models:
        m.train()
    for i in range(repeat + 1):
        order = list(enumerate(zip(models, opts, strict=True)))
        for k, (m, opt) in order if i % 2 == 0 else order[::-1]:  # ABBA: neither variant always goes first
            t = time.perf_counter()
            for _ in range(block):
                _train_step(m, opt, x, y)
            _sync(x.device)
            if i >= 1:  # the first round warms up every model
                times[k].append((time.perf_counter() - t) / block)
    return [sorted(ts)[len(ts) // 2] for ts in times], [(min(ts), max(ts)) for ts in times]


# Kinds of operation a training step spends its time in, by the aten operator's name (first match wins).
OP_KINDS = (
    ("batch_norm", ("batch_norm",)),
    ("convolution", ("convolution", "conv2d", "conv1d")),
    ("pooling", ("pool",)),
    ("recurrent", ("rnn", "lstm")),
    ("matmul", ("mm", "addmm", "linear", "matmul", "bmm")),
    ("zero_fill", ("fill_", "zero_")),
    ("random", ("uniform_", "bernoulli", "normal_", "rand")),
)


def op_shares(model: nn.Module, x: torch.Tensor, y: torch.Tensor, steps: int = 4) -> dict[str, float]:
    """Fraction of the self CPU time of ``steps`` training steps (after one warm-up step) spent in each
    kind of :data:`OP_KINDS`, the rest under ``other``: where a step goes, which FLOP counts do not say
    (a batch norm at full resolution is memory-bound and counts no FLOPs)."""
    from torch.profiler import ProfilerActivity, profile

    opt = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.8)
    model.train()
    _train_step(model, opt, x, y)
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(steps):
            _train_step(model, opt, x, y)
    times: dict[str, float] = {}
    for e in prof.key_averages():
        if not e.key.startswith("aten::"):
            continue
        kind = next((k for k, words in OP_KINDS if any(w in e.key for w in words)), "other")
        times[kind] = times.get(kind, 0.0) + e.self_cpu_time_total
    total = sum(times.values()) or 1.0
    return {k: times[k] / total for k in sorted(times, key=times.get, reverse=True)}


def _eval_time(model: nn.Module, x: torch.Tensor, repeat: int) -> float:
    model.eval()
    times = []
    with torch.no_grad():
        for i in range(repeat + 1):
            t = time.perf_counter()
            model(x)
            _sync(x.device)
            if i >= 1:
                times.append(time.perf_counter() - t)
    return sorted(times)[len(times) // 2]


def _baseline(model: nn.Module) -> nn.Module:
    """The same model as the trainer ran it before: conv blocks in their first order (ReLU before
    the pool) and ``torch.nn.Dropout`` (a ``bernoulli_`` mask) instead of ``core.models.layers.Dropout``."""
    from core.models.layers import Dropout

    for parent in list(model.modules()):
        for name, child in parent.named_children():
            if isinstance(child, Dropout):
                setattr(parent, name, nn.Dropout(child.p, inplace=child.inplace))
    cnn = getattr(model, "cnn", None)
    if isinstance(cnn, nn.Sequential):
        mods = list(cnn)
        for i in range(len(mods) - 1):
            if isinstance(mods[i], nn.MaxPool2d) and isinstance(mods[i + 1], nn.ReLU):
                mods[i], mods[i + 1] = mods[i + 1], mods[i]
        model.cnn = nn.Sequential(*mods)
    return model


def _compiled(spec: Spec, conv: bool, dev: torch.device) -> nn.Module:
    """The model as ``torch.compile`` (inductor, default mode) builds it, same initial weights."""
    torch.manual_seed(0)
    model = spec.make().to(dev)
    if conv:
        model = model.to(memory_format=torch.channels_last)
    return torch.compile(model)


@contextlib.contextmanager
def _quiet_compiler() -> Iterator[None]:
    """torch 2.13's compiler imports use ``torch.jit.script_method``, which warns that it is deprecated
    (torch's own use, nothing a user can change); silence that one warning only."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message=".*torch.jit.script_method. is deprecated", category=DeprecationWarning
        )
        yield


def measure(
    spec: Spec,
    threads: int,
    peak: float,
    repeat: int = 5,
    dev: torch.device | None = None,
    compile: bool = False,
    block: int = 4,
    profile: bool = False,
) -> dict:
    """One model's row (``profile``: with :func:`op_shares` of its step); ``compile=True`` also times the
    ``torch.compile`` build of it, interleaved with the eager model's steps (its first steps, which compile,
    are timed apart as ``compile_s``)."""
    from core.models import count_parameters

    dev = dev or torch.device("cpu")
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = spec.make()
    b = spec.batch_size
    x = torch.randn(b, *spec.shape)
    y = torch.randint(0, spec.n_classes, (b,))
    fwd, fwd_bwd = count_flops(model, x[: min(b, 4)])
    model, x, y = model.to(dev), x.to(dev), y.to(dev)
    conv = len(spec.shape) == 3  # channels-last, as the trainer lays out 4-D inputs on every device
    if conv:
        model = model.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    base = _baseline(spec.make()).to(dev)
    if conv:
        base = base.to(memory_format=torch.channels_last)
    extra: dict = {}
    if compile:
        with _quiet_compiler():
            comp = _compiled(spec, conv, dev)
            t = time.perf_counter()
            nn.functional.cross_entropy(comp(x), y).backward()  # the forward and backward graphs compile here
            _sync(dev)
            extra["compile_s"] = time.perf_counter() - t
            (step, base_step, comp_step), (spread, *_) = _step_times([model, base, comp], x, y, repeat, block)
        extra["compiled_train_items_per_s"] = b / comp_step
        extra["speedup_step_compiled"] = step / comp_step  # compiled over eager (> 1: compiling helps)
    else:
        (step, base_step), (spread, _) = _step_times([model, base], x, y, repeat, block)
    if profile:
        extra["op_shares"] = op_shares(model, x, y)
    xe = torch.randn(256, *spec.shape, device=dev)
    if conv:
        xe = xe.contiguous(memory_format=torch.channels_last)
    eval_big = _eval_time(model, xe, max(2, repeat // 2)) / 256
    eval_small = _eval_time(model, x, repeat) / b
    train_sps, base_sps = b / step, b / base_step
    epoch = spec.train_items / train_sps + spec.val_items * eval_big
    base_epoch = spec.train_items / base_sps + spec.val_items * eval_small
    return {
        "model": spec.name,
        "params": count_parameters(model),
        "input": list(spec.shape),
        "gflop_fwd_per_item": fwd / 1e9,
        "gflop_train_per_item": fwd_bwd / 1e9,
        "train_items_per_s": train_sps,
        "train_items_per_s_range": [b / spread[1], b / spread[0]],  # slowest and fastest block
        "steps_timed": repeat * block,
        "eval_items_per_s": 1 / eval_big,
        "train_fraction_of_peak": fwd_bwd * train_sps / peak,
        "baseline_train_items_per_s": base_sps,
        "speedup_step": train_sps / base_sps,
        "s_per_epoch": epoch,
        "baseline_s_per_epoch": base_epoch,
        "speedup_epoch": base_epoch / epoch,
        "paper_epochs": spec.epochs_at_paper_budget(),
        "paper_fit_minutes": spec.epochs_at_paper_budget() * epoch / 60,  # at most: early stopping may end sooner
        **extra,
    }


def run(
    threads: int = 1,
    only: list[str] | None = None,
    repeat: int = 5,
    device: str = "cpu",
    keep_memory: bool = True,
    compile: bool = False,
    sync: Callable[[], object] | None = None,
    block: int = 4,
    progress: bool = True,
    profile: bool = False,
) -> dict:
    """Measure every model (or those in ``only``) with the trainer's settings; ``keep_memory=False``
    leaves glibc's allocator as it is (the trainer's setting before it kept freed memory), which a
    process cannot switch step by step, so compare two runs."""
    from ser.results import device_info

    dev = torch.device(device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda: torch sees no GPU here (torch.cuda.is_available() is False)")
    torch.use_deterministic_algorithms(True, warn_only=True)  # as core.train.seed_everything sets it
    torch.utils.deterministic.fill_uninitialized_memory = False
    torch.set_flush_denormal(True)
    if keep_memory:
        from core.train import keep_freed_memory

        keep_memory = keep_freed_memory()
    names = [s.name for s in specs()]
    unknown = sorted(set(only or []) - set(names))
    if unknown:
        raise SystemExit(f"unknown model(s) {unknown}; choose from {names}")
    sync = sync or (lambda: None)  # concurrent measurements start each model together
    sync()
    peak = matmul_peak(threads, dev=dev)
    rows, chosen = [], [s for s in specs() if not only or s.name in only]
    t0 = time.perf_counter()
    for i, s in enumerate(chosen, 1):
        sync()
        if progress:
            elapsed = time.perf_counter() - t0
            print(f"[{i}/{len(chosen)}] {s.name} ({elapsed:.0f} s so far)", file=sys.stderr, flush=True)
        rows.append(measure(s, threads, peak, repeat, dev, compile, block, profile))
    return {
        "device": device_info() if dev.type == "cpu" else f"cuda: {torch.cuda.get_device_name(dev)}",
        "threads": threads,
        "deterministic": torch.are_deterministic_algorithms_enabled(),
        "kept_freed_memory": keep_memory,
        "filled_uninitialized_memory": bool(torch.utils.deterministic.fill_uninitialized_memory),
        "load_average_at_start": os.getloadavg()[0],
        "matmul_peak_gflops": peak / 1e9,
        "torch": torch.__version__,
        "compiled": compile,
        "concurrent": 1,
        "steps_per_block": block,
        "models": rows,
    }


def _one_of_several(barrier, queue, kwargs: dict, progress: bool) -> None:  # noqa: ANN001 (multiprocessing objects)
    queue.put(run(**kwargs, sync=barrier.wait, progress=progress))


def run_concurrent(n: int, **kwargs) -> dict:
    """``n`` processes measure at once, each model started together (a barrier), as ``ser reproduce``'s
    workers train side by side; each row's speeds are the processes' mean, with each process's training
    items/s and their sum (the machine's throughput in that arrangement)."""
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    barrier, queue = ctx.Barrier(n), ctx.Queue()
    procs = [ctx.Process(target=_one_of_several, args=(barrier, queue, kwargs, i == 0)) for i in range(n)]
    for p in procs:
        p.start()
    results = [queue.get() for _ in procs]
    for p in procs:
        p.join()
    if any(p.exitcode for p in procs):
        raise SystemExit(f"a concurrent benchmark process failed (exit codes {[p.exitcode for p in procs]})")
    return merge_concurrent(results)


def merge_concurrent(results: list[dict]) -> dict:
    """One result from the same models measured by several processes at once."""
    out = dict(results[0])
    out["concurrent"] = len(results)
    out["matmul_peak_gflops"] = sum(r["matmul_peak_gflops"] for r in results) / len(results)
    out["load_average_at_start"] = max(r["load_average_at_start"] for r in results)
    rows = []
    for same in zip(*(r["models"] for r in results), strict=True):
        row = dict(same[0])
        for k, v in row.items():
            if isinstance(v, float):
                row[k] = sum(r[k] for r in same) / len(same)
        if all("train_items_per_s_range" in r for r in same):  # the slowest and fastest block of any process
            row["train_items_per_s_range"] = [min(r["train_items_per_s_range"][0] for r in same),
                                              max(r["train_items_per_s_range"][1] for r in same)]  # fmt: skip
        row["train_items_per_s_per_process"] = [r["train_items_per_s"] for r in same]
        row["total_train_items_per_s"] = sum(row["train_items_per_s_per_process"])
        rows.append(row)
    out["models"] = rows
    return out


def table(res: dict) -> str:
    head = (
        f"{res.get('device', '')}; threads {res['threads']}"
        + (f", {res['concurrent']} processes at once (per-process means)" if res.get("concurrent", 1) > 1 else "")
        + f", matmul peak {res['matmul_peak_gflops']:.1f} GFLOP/s, "
        f"load {res['load_average_at_start']:.2f} at start\n"
    )
    cols = ("model", "params", "GFLOP/item fwd", "train items/s", "% of peak", "eval items/s", "s/epoch",
            "speed-up (epoch)", "paper fit (min)")  # fmt: skip
    lines = [" | ".join(cols)]
    for r in res["models"]:
        lines.append(
            f"{r['model']} | {r['params']:,} | {r['gflop_fwd_per_item']:.3f} | {r['train_items_per_s']:.1f}"
            + (" ({:.1f}-{:.1f})".format(*r["train_items_per_s_range"]) if "train_items_per_s_range" in r else "")
            + f" | "
            f"{100 * r['train_fraction_of_peak']:.1f} | {r['eval_items_per_s']:.1f} | {r['s_per_epoch']:.1f} | "
            f"{r['speedup_epoch']:.2f} | {r['paper_fit_minutes']:.1f}"
            + (
                f" | compiled {r['compiled_train_items_per_s']:.1f} items/s ({r['speedup_step_compiled']:.2f}x eager,"
                f" {r['compile_s']:.0f} s to compile)"
                if "compile_s" in r
                else ""
            )
        )
    from ser.report_speed import op_shares_text

    shares = [f"{r['model']}: {op_shares_text(r['op_shares'])}" for r in res["models"] if "op_shares" in r]
    if shares:
        lines += ["", "share of a training step's CPU time by kind of operation:", *shares]
    return head + "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    import argparse

    p = argparse.ArgumentParser(prog="ser bench train", description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    p.add_argument("--model", action="append", help="only this model, e.g. parallel_cnn_lstm/as_published")
    p.add_argument("--repeat", type=int, default=5, help="timed rounds per model (median over rounds)")
    p.add_argument("--block", type=int, default=4, help="training steps run back to back in each round (default 4)")
    p.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    p.add_argument("--out", type=Path, default=None, help="also write the results as JSON")
    p.add_argument("--no-keep-freed-memory", action="store_true",
                   help="leave glibc's allocator as it is, to measure what keeping freed memory gains")  # fmt: skip
    p.add_argument("--compile", action="store_true",
                   help="also time each model built by torch.compile, interleaved with the eager one")  # fmt: skip
    p.add_argument("--concurrent", type=int, default=1,
                   help="processes measuring at once (2: as ser reproduce's two one-thread workers train)")  # fmt: skip
    p.add_argument("--profile", action="store_true",
                   help="also profile each model's training step: its time by kind of operation")  # fmt: skip
    a = p.parse_args(argv)
    for name in ("concurrent", "repeat", "block"):
        if getattr(a, name) < 1:
            p.error(f"--{name} must be at least 1, got {getattr(a, name)}")
    kw = dict(threads=a.threads, only=a.model, repeat=a.repeat, device=a.device,
              keep_memory=not a.no_keep_freed_memory, compile=a.compile, block=a.block, profile=a.profile)  # fmt: skip
    res = run(**kw) if a.concurrent == 1 else run_concurrent(a.concurrent, **kw)
    print(table(res))
    if a.out:
        from core.io import write_json

        write_json(a.out, res)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
