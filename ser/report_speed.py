"""The book's speed page: what the training benchmark measured (``papers/results/bench/train-*.json``)
and how its estimates compare with the training time the results records measured.

Every number is read from committed files when the book is built. The estimates are judged per
epoch: training items at the benchmark's training speed plus validation items at its evaluation
speed, against the run's median epoch (records since 2026-12-01 keep each epoch's seconds) or its
mean epoch (fit seconds of every sitting over epochs, validation passes included).
"""

from __future__ import annotations

import json
import math
import re
import statistics
from pathlib import Path

import pandas as pd

from ser.markdown import md_table
from ser.results import ran_on_gpu, run_name

# the arms that run the authors' code, whose model differs from the paper_text reading
AUTHORS_ARMS = ("as_published", "clean", "speaker")


def bench_model_of(rec: dict) -> str | None:
    """The benchmark's name for the model a record trained, or None when the benchmark has none."""
    paper, arm = rec["paper"], rec.get("arm", "paper_text")
    coded = arm in AUTHORS_ARMS
    if paper == "parallel_cnn_lstm":
        return "parallel_cnn_lstm/as_published" if coded else "parallel_cnn_lstm/paper_text"
    if paper == "cnn_blstm_attention":
        if coded:
            return "cnn_blstm_attention/as_published"
        return (
            "cnn_blstm_attention"
            if rec["params"].get("model", "cnn_blstm_attention") == "cnn_blstm_attention"
            else None
        )
    if paper == "arabemonet":
        return "arabemonet/as_published" if coded else "arabemonet"
    return paper if paper in ("wavelet_cnn_lstm", "emotionnet") else None


def threads_of(rec: dict) -> int | None:
    """Torch threads a record ran with, from its device string."""
    m = re.search(r"torch threads (\d+)", rec.get("device", ""))
    return int(m.group(1)) if m else None


def cpu_of(device: str) -> tuple[str, str | None]:
    """The processor of a record's or benchmark's device string and its instruction set where recorded
    (``cpu: AMD EPYC [AVX2], 2 cores, torch threads 1`` -> ``("cpu: AMD EPYC", "AVX2")``): a run is judged only
    against a benchmark of the same processor, since machines of several kinds ran this book."""
    m = re.fullmatch(r"(.*?)(?: \[(\w+)\])?", device.split(",", 1)[0].strip())
    assert m is not None  # the pattern matches any string
    return m.group(1), m.group(2)


def _same_isa(a: str | None, b: str | None) -> bool:
    """Instruction sets agree, or one side (a file or record from before 2026-12-02) did not record its own."""
    return a is None or b is None or a == b


def processors(benches: list[dict]) -> str:
    """The processors of the benchmark files with the range of one-thread matrix-multiply peaks each measured."""
    peaks: dict[str, list[float]] = {}
    for res in benches:
        cpu, isa = cpu_of(res["device"])
        if res["threads"] == 1 and cpu.startswith("cpu: "):
            peaks.setdefault(cpu.removeprefix("cpu: ") + (f" [{isa}]" if isa else ""), []).append(
                res["matmul_peak_gflops"]
            )

    def gflops(v: list[float]) -> str:
        return f"{min(v):.0f}" if round(min(v)) == round(max(v)) else f"{min(v):.0f}-{max(v):.0f}"

    return (
        ", ".join(
            f"{cpu} (one-thread matrix-multiply peak {gflops(v)} GFLOP/s, {len(v)} file{'s' * (len(v) > 1)})"
            for cpu, v in sorted(peaks.items())
        )
        or "none with one thread"
    )


def read_benches(bench_dir: Path) -> list[dict]:
    """The training benchmark files, with their file names."""
    out = []
    for f in sorted(bench_dir.glob("train-*.json")):
        res = json.loads(f.read_text())
        if "models" in res and "matmul_peak_gflops" in res:
            out.append(res | {"_file": f.name})
    return out


def _f(v: float, digits: int = 1) -> str:
    return "–" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:,.{digits}f}"


def _range(r: dict) -> str:
    """' (slowest-fastest)' block of a benchmark row, where the file has it."""
    lo_hi = r.get("train_items_per_s_range")
    return "" if not lo_hi else f" ({_f(lo_hi[0])}-{_f(lo_hi[1])})"


def op_shares_text(shares: dict[str, float], top: int | None = None) -> str:
    """``ser bench train --profile``'s shares of a step by kind of operation, largest first: "convolution 50 %, ..."
    (the ``top`` largest only, when given)."""
    return ", ".join(f"{k} {100 * v:.0f} %" for k, v in list(shares.items())[:top])


def bench_table(res: dict) -> str:
    rows = [
        {
            "model": r["model"],
            "parameters": f"{r['params']:,}",
            "GFLOP per item (forward)": _f(r["gflop_fwd_per_item"], 3),
            "training items/s": _f(r["train_items_per_s"]) + _range(r),
            "% of matmul peak": _f(100 * r["train_fraction_of_peak"]),
            "evaluation items/s": _f(r["eval_items_per_s"]),
            "s per epoch": _f(r["s_per_epoch"]),
            "minutes per paper fit (at most)": _f(r["paper_fit_minutes"], 0),
            "speed-up over the earlier step": _f(r["speedup_epoch"], 2),
        }
        | (
            {
                "torch.compile: items/s (x eager; s to compile)": f"{_f(r['compiled_train_items_per_s'])} "
                f"({_f(r['speedup_step_compiled'], 2)}x; {_f(r['compile_s'], 0)} s)"
            }
            if "compile_s" in r
            else {}
        )
        | (  # `ser bench train --profile`: the step's largest kinds of operation
            {"where a step goes": op_shares_text(r["op_shares"], top=4)} if "op_shares" in r else {}
        )
        for r in res["models"]
    ]
    head = (
        f"`{res['_file']}`: {res['device']}, {res['threads']} torch thread(s), matrix-multiply peak "
        f"{res['matmul_peak_gflops']:.0f} GFLOP/s measured in the same run, load {res['load_average_at_start']:.2f} "
        f"at start, deterministic algorithms {'on' if res['deterministic'] else 'off'}"
        + (
            ""
            if "kept_freed_memory" not in res
            else ", freed memory "
            + (
                "returned to the system"
                if not res["kept_freed_memory"]
                else "kept mapped"
                if "filled_uninitialized_memory" in res
                else "kept out of mmap but trimmed at every free (the overflowed threshold, before e5190e8)"
            )
            + (
                ""
                if "filled_uninitialized_memory" not in res
                else f", NaN fill of fresh tensors {'on' if res['filled_uninitialized_memory'] else 'off'}"
            )
        )
        + "."
    )
    if res.get("conditions"):
        head += f" Conditions: {res['conditions']}."
    return head + "\n\n" + md_table(pd.DataFrame(rows))


def concurrency_of(rec: dict) -> int | None:
    """How many runs shared the machine with this one, from the load at its epochs' ends (records since
    the trainer kept it): mean load over the run's thread count, rounded, at least 1; None if not recorded."""
    loads = [v for v in (rec.get("history") or {}).get("load_average") or [] if v is not None]
    threads = threads_of(rec)
    if not loads or not threads:
        return None
    return max(1, round(sum(loads) / len(loads) / threads))


def val_items_of(rec: dict, root: Path) -> int | None:
    """Validation items a record evaluated each epoch: as the trainer counted them (records since
    2026-12-01), else its ``n_val``, else the ``val`` rows of its split file (wrong where a run picks its
    epoch on another part, e.g. the wavelet ``as_published`` arm)."""
    if (rec.get("history") or {}).get("val_items"):
        return int(rec["history"]["val_items"])
    if rec.get("n_val") is not None:
        return int(rec["n_val"])
    split = rec.get("split_file")
    if not split or not (root / split).is_file():
        return None
    parts = pd.read_csv(root / split, usecols=lambda c: c == "part")
    return int((parts["part"] == "val").sum()) if "part" in parts else None


def _settings(d: dict) -> str:
    """The speed settings a benchmark file or a record's ``determinism`` block ran with: files and records
    that state the NaN fill (2026-12-01 and later) also have the corrected allocator setting."""
    if "filled_uninitialized_memory" in d:
        return "fill " + ("on" if d["filled_uninitialized_memory"] else "off")
    return "before e5190e8"


NOT_RECORDED = "not recorded (set beside one alone)"  # a record's "runs at once" when it kept no load


def estimate_rows(records: list[dict], benches: list[dict], root: Path | None = None) -> list[dict]:
    """Per record with a training size and a fit time: its seconds per epoch beside the benchmark's estimate
    for that epoch (its training items at the benchmark's training speed plus its validation items at the
    evaluation speed; same model, same thread count, as many processes at once as the run had beside it, from
    the idlest such file), and their ratio. Records that keep each epoch's time are measured by the median
    epoch (a pause or a busy spell does not move it); older ones by fit seconds over epochs, and a resumed one
    of those is listed, not judged (its sittings may have used other thread counts). A record that does not
    state its load is set beside the benchmark of one process alone and marked so."""
    from ser.paths import REPO_ROOT

    root = root or REPO_ROOT
    found: dict[tuple, list[tuple[str | None, dict]]] = {}  # key: (instruction set, row) from the idlest file on
    for res in sorted(benches, key=lambda b: b["load_average_at_start"]):
        cpu, isa = cpu_of(res["device"])
        for r in res["models"]:
            found.setdefault((r["model"], cpu, res["threads"], res.get("concurrent", 1), _settings(res)), []).append(
                (isa, r)
            )
    rows = []
    for rec in sorted(records, key=lambda r: (r["paper"], r.get("run") or r.get("_file", ""))):
        hist = rec.get("history") or {}
        epochs = len(hist.get("val_loss") or [])
        model, threads, conc = bench_model_of(rec), threads_of(rec), concurrency_of(rec)
        cpu, isa = cpu_of(rec.get("device", ""))
        key = (model, cpu, threads, conc or 1, _settings(rec.get("determinism") or {}))
        if not (rec.get("n_train") and epochs and hist.get("seconds")) or not any(k[0] == model for k in found):
            continue
        per_epoch = hist.get("epoch_seconds") or []
        measured = statistics.median(per_epoch) if per_epoch else hist["seconds"] / epochs
        n_val = val_items_of(rec, root)
        b = next((r for f_isa, r in found.get(key, []) if _same_isa(f_isa, isa)), None)
        train_items = hist.get("train_items") or rec["n_train"]
        estimate = (
            float("nan") if b is None else train_items / b["train_items_per_s"] + (n_val or 0) / b["eval_items_per_s"]
        )
        ratio = measured / estimate
        judged = "yes" if abs(ratio - 1) <= 0.25 else "no"
        if b is None:  # e.g. a third process beside two trainings, another processor, settings no file had
            judged = (
                f"no benchmark of {key[3]} process(es) at {key[2]} thread(s) on {cpu}{f' [{isa}]' if isa else ''} "
                "with the run's settings"
            )
        elif hist.get("resumed_from_epoch"):  # its sittings may have used other thread counts
            judged = "resumed: not judged"
        elif n_val is None:
            judged = "validation size unknown: not judged"
        rows.append(
            {
                "record": run_name(rec, "?"),
                "model": model,
                "threads (last sitting)": threads,
                "runs at once": NOT_RECORDED if conc is None else conc,
                "epochs": epochs,
                "items (train + val)": f"{train_items:,} + " + ("?" if n_val is None else f"{n_val:,}"),
                "s per epoch": _f(measured) + (" (median)" if per_epoch else " (mean)"),
                "benchmark's estimate, s": _f(estimate),
                "measured / estimate": _f(ratio, 2),
                "within 25 %": judged,
                "_ratio": ratio,  # the unrounded ratio, for the summary (not a column)
            }
        )
    return rows


def agreement(rows: list[dict]) -> str:
    """One sentence per kind of record (load recorded or not): how many judged runs fall within 25 % of their
    estimate, and the range of measured / estimate."""
    out = []
    for recorded, label in ((True, "that record how many runs shared the machine"), (False, "that do not")):
        judged = [
            r for r in rows
            if r["within 25 %"] in ("yes", "no") and (r["runs at once"] != NOT_RECORDED) == recorded
        ]  # fmt: skip
        if not judged:
            continue
        ratios = sorted(r["_ratio"] for r in judged)
        ok = sum(r["within 25 %"] == "yes" for r in judged)
        out.append(
            f"Records {label}: {ok} of {len(judged)} judged within 25 % of the estimate "
            f"(measured / estimate {ratios[0]:.2f}-{ratios[-1]:.2f})."
        )
    return " ".join(out)


def _ab_conditions(res: dict) -> str:
    """The run's own sentence, then what ``ser bench ab`` measured of the conditions (files it wrote)."""
    parts = [res.get("conditions", "")]
    if "mode" in res:
        parts.append(
            ("the two sides at the same time" if res["mode"] == "pair" else "the sides one after the other")
            + f", started {res['started']} at load {res['load_average_at_start']:.2f}"
            + (f"; the {'after' if res['lag_s'] > 0 else 'before'} side ended {abs(res['lag_s']):.0f} s before the "
               "other, which then ran alone" if res["mode"] == "pair" and abs(res["lag_s"]) >= 1 else "")
        )  # fmt: skip
    return "; ".join(p for p in parts if p)


def trainer_ab(bench_dir: Path) -> str:
    """Markdown: the whole trainer then and now (``ab-*.json``: one model's notebook run at two commits, side by
    side on the same machine at the same time), seconds per epoch and their ratio; empty without such files."""
    rows = []
    for f in sorted(bench_dir.glob("ab-*.json")):
        res = json.loads(f.read_text())
        b, a = res["before"], res["after"]
        rows.append(
            {
                "file": f.name,
                "model": res["model"],
                "before (commit)": b["commit"][:7],
                "after (commit)": a["commit"][:7],
                "epochs each": res["epochs"],
                "training items per epoch": " / ".join(
                    f"{x['n_train']:,}" if x.get("n_train") else "–" for x in [b, a]
                ),
                "s per epoch before": _f(b["s_per_epoch"]),
                "s per epoch after": _f(a["s_per_epoch"]),
                "speed-up (before / after)": _f(b["s_per_epoch"] / a["s_per_epoch"], 2),
                "conditions": f"{res['device']}; {_ab_conditions(res)}",
            }
        )
    if not rows:
        return ""
    return "\n".join(
        [
            "## The whole trainer, then and now",
            "",
            "One model's notebook run at two commits, the trainer as it was when the speed work began and as it is "
            "now, as two processes side by side (one torch thread each, the same machine at the same time, so a "
            "change of load touches both), for a few epochs of the same profile and seed; the seconds per epoch are "
            "each run's fit time over its epochs, validation included. The step-level speed-ups in the tables above "
            "time only the last changes to the step; this times all of them at once, loader and evaluation "
            "included. Made by `ser bench ab` (its `--help` says how); the conditions column gives the machine's "
            "state and, for files it wrote, how long the later side ran alone at the end (which makes the ratio an "
            "underestimate).",
            "",
            md_table(pd.DataFrame(rows)),
            "",
        ]
    )


def gpu_note(res: dict) -> str:
    """What a GPU file's fraction of peak is measured against, and why it can pass 100 %."""
    over = [r["model"] for r in res["models"] if r.get("train_fraction_of_peak", 0) > 1]
    text = (
        f"Measured on {res['device']} (torch {res.get('torch', '?')}, {res.get('threads', '?')} CPU threads). The "
        f"peak is a float32 matrix product with TF32 off ({_f(res['matmul_peak_gflops'] / 1000)} TFLOP/s), while "
        "cuDNN runs convolutions in TF32 (PyTorch's default, which the trainer keeps), so a convolutional model "
        "can train above it"
    )
    return text + (f": {', '.join(over)} did." if over else ".")


def speed_page(bench_dir: Path, records: list[dict], root: Path | None = None) -> str:
    """MyST source of the speed page (split files, for validation sizes, are read under ``root``)."""
    benches = read_benches(bench_dir)
    text = [
        "# Training speed",
        "",
        "What one training step of every paper's model costs on the machines that ran this book, from "
        "`ser bench train` (`ser.bench_train`): parameters, floating-point operations per item (counted by "
        "torch's flop counter, LSTMs by hand), training and evaluation throughput, the fraction of the "
        "machine's matrix-multiply peak that training reaches, seconds per epoch and the longest a `paper` "
        "fit can take. Files written since blocks of steps were timed (`--block`) give the slowest and fastest "
        "block's training speed in brackets: the spread to read the median with. The column of speed-ups times "
        "the trainer's earlier step in alternation with today's; "
        "where a file has a `torch.compile` column (`ser bench train --compile`), the model built by torch's "
        "compiler (inductor, offline with the machine's gcc) is timed in the same alternation: on this CPU it was "
        "slower than the eager model for every conv model but the wavelet one, so the trainer stays eager.",
        "",
    ]
    if not benches:
        text.append("No training benchmark file is committed yet.")
        return "\n".join(text) + "\n"
    if ab := trainer_ab(bench_dir):
        text += [ab]
    for res in benches:
        text += [f"## {res['_file'].removesuffix('.json')}", "", bench_table(res), ""]
        if ran_on_gpu(res):
            text += [gpu_note(res), ""]
    rows = estimate_rows(records, benches, root)
    text += [
        "## Estimates against measured runs",
        "",
        "Each record that states its training size: its seconds per epoch beside the benchmark's estimate of that "
        "epoch (the run's training items at the benchmark's training speed plus its validation items at the "
        "benchmark's evaluation speed), for the same model, processor, thread count and speed settings (machines "
        "of several kinds ran this book: " + processors(benches) + "; records and files since 2026-12-02 also name "
        "the instruction set torch used, in brackets) (files and records "
        "that state deterministic mode's NaN fill were made with the corrected allocator; older ones meet only "
        "older files), measured with as many processes at "
        "once as the run had (`ser bench train --concurrent 2` times two at once, as `ser reproduce`'s two "
        "one-thread workers train). Records since 2026-12-01 keep the machine's load and the seconds of each "
        "epoch: the load over the thread count says how many runs shared the machine, and the median epoch is "
        "what a pause or a busy spell does not move. Older records give only the fit time (every sitting of a "
        "resumed run added up) and no load: they are set beside the benchmark of one process alone and most of "
        "them shared the two cores with a second run, so they read slower. A run that flushed no subnormal floats "
        "(before b2e44ec) can be far slower once its weights decay.",
        "",
        md_table(pd.DataFrame(rows).drop(columns="_ratio")) if rows else "No record states its training size yet.",
    ]
    if rows and (summary := agreement(rows)):
        text += ["", summary]
    return "\n".join(text) + "\n"
