"""Arms side by side: for each of a paper's headline claims, each arm's result over seeds with its 95 %
interval, its budget and convergence, and the size of each leak in points (``as_published``
minus ``clean``) with its interval. Read from results records only."""

from __future__ import annotations

import csv
import functools
import hashlib
import math
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from core.stats import difference_interval, mean_interval
from ser.paths import REPO_ROOT

ARM_ORDER = ("as_published", "clean", "speaker", "paper_text")


def _arm(rec: dict) -> str:
    """Records made before arms existed are the paper's text read literally."""
    return rec.get("arm", "paper_text")


def is_proportion(metric: str) -> bool:
    """Whether a metric lies in [0, 1] (accuracies, recalls, F1 scores), and its value is shown in %."""
    head = metric.split("/")[0]
    return head in ("accuracy", "macro_f1", "weighted_f1", "micro_f1", "ua", "uar", "recall", "precision", "f1")


def _pct(v: float) -> str:
    return "–" if v is None or math.isnan(v) else f"{v:.1f}"


def mean_spread(values: Sequence[float], fmt: Callable[[float], str] = "{:.1f}".format) -> str:
    """The mean of runs (seeds, folds or splits) with its spread, as every table of the book shows it:
    ``mean [low, high]`` with the 95 % t interval, never clipped to the scale; ``mean (a and b)`` for two
    runs, whose t interval would span most of the scale; the mean alone for one; ``–`` for none."""
    vals = list(values)
    if not vals:
        return "–"
    m, lo, hi = mean_interval(vals)
    if len(vals) == 2:
        return f"{fmt(m)} ({fmt(vals[0])} and {fmt(vals[1])})"
    return fmt(m) + ("" if math.isnan(lo) else f" [{fmt(lo)}, {fmt(hi)}]")


def _folds_short(runs: list[dict], registry: dict | None) -> str:
    """``4 of 5 folds``: the folds of the ``paper`` profile that any of the runs holds."""
    folds = ((registry or {}).get("profiles") or {}).get("paper", {}).get("folds") or []
    have = {r.get("fold") for r in runs} & set(folds)
    return f"{len(have)} of {len(folds)} folds"


def budget_cell(r: dict) -> str:
    """The arms table's budget column: yes, no, or each run at it but not every fold of the protocol run."""
    if r["paper_budget"]:
        return "yes"
    return f"each run; {r['folds_short']}" if r.get("runs_at_budget") and r.get("folds_short") else "no"


def arm_rows(
    records: list[dict],
    metric: str = "accuracy",
    scale: float = 100.0,
    registry: dict | None = None,
    baselines: list[dict] | None = None,
) -> pd.DataFrame:
    """One row per (arm, protocol, profile): n, mean, 95 % interval, budget and convergence (diverged
    runs are counted in ``diverged`` and left out of ``n``, the mean and the interval unless all diverged)
    (``registry``: the paper's declaration, to judge the budget of records that do not state it).
    The interval is a t interval over runs; a single run with per-item predictions gets a bootstrap
    interval over its test items instead (speakers joined from ``baselines``; ``interval`` says which)."""
    from ser.baselines import run_intervals
    from ser.claims import at_paper_budget, convergence, folds_cover, prefer_at_budget

    groups: dict[tuple, list[dict]] = {}
    for r in records:
        if metric in r["metrics"]:
            groups.setdefault((_arm(r), r.get("corpus", ""), r["protocol"], r["profile"]), []).append(r)
    rows = []
    for (arm, corpus, protocol, profile), runs in groups.items():
        runs, short = prefer_at_budget(runs, registry) if registry else (runs, 0)
        conv = [convergence(r) for r in runs]
        # diverged runs are counted and left out of the mean, unless every run diverged
        kept = [r for r, c in zip(runs, conv, strict=True) if not c["diverged"]] or runs
        g = kept
        vals = [r["metrics"][metric] * scale for r in g]
        mean, lo, hi = mean_interval(vals)
        kind = "t over runs"  # never clipped to the scale: an interval past 0 or 100 % says how little n runs pin
        if len(vals) == 2:  # a t interval on two runs spans most of the scale: the two values say more
            lo, hi, kind = math.nan, math.nan, "two runs: their values"
        boot = run_intervals(g[0], baselines or []) if len(g) == 1 and metric in ("accuracy", "macro_f1") else None
        if boot is not None and "confusion matrix" not in boot["unit"]:  # per-item predictions only: a clip
            # bootstrap from a confusion matrix cannot see speakers or near-duplicate copies, and would be too narrow
            lo, hi = boot[metric][1] * scale, boot[metric][2] * scale
            kind = f"bootstrap over {boot['unit_short']}"
        hist = [r.get("history", {}) for r in runs]
        each = all(
            at_paper_budget(r, registry) if registry else r.get("budget", {}).get("paper_budget", False) for r in runs
        )
        all_folds = folds_cover(runs, registry) if registry else True  # every fold of the paper's protocol
        rows.append(
            {
                "arm": arm,
                "corpus": corpus,
                "protocol": protocol,
                "profile": profile,
                "n": len(vals),  # the runs in the mean (diverged ones left out when others exist)
                "n_runs": len(runs),
                "mean": mean,
                "low": lo,
                "high": hi,
                "interval": kind,
                "paper_budget": each and all_folds,
                "runs_at_budget": each,  # every run at the paper's budget, whether or not every fold is there
                "folds_short": "" if all_folds else _folds_short(runs, registry),  # e.g. "4 of 5 folds"
                "epochs": sorted({len(h.get("val_loss", [])) for h in hist if h}),
                "diverged": sum(c["diverged"] for c in conv),
                "below_budget_left_out": short,  # runs of this profile below the paper's budget, beside some at it
                "still_improving": sum(c["still_improving"] for c in conv),
                "leak": _mean([r["metrics"].get("leak/sibling_in_train") for r in g], scale),
                "knn1": _mean([r["metrics"].get("knn1_accuracy") for r in g], scale),
                "values": vals,
            }
        )
    order = {a: i for i, a in enumerate(ARM_ORDER)}
    df = pd.DataFrame(rows)
    if df.empty:
        return df
    return df.sort_values(
        ["profile", "corpus", "arm"], key=lambda s: s.map(order) if s.name == "arm" else s
    ).reset_index(drop=True)


def _mean(values: list, scale: float) -> float:
    vals = [v * scale for v in values if v is not None]
    return sum(vals) / len(vals) if vals else float("nan")


def leak_pair(
    rows: pd.DataFrame,
    profile: str,
    corpus: str | None = None,
    protocol: str | None = None,
    arms: tuple[str, str] = ("as_published", "clean"),
) -> pd.DataFrame:
    """The rows of the two arms a leak compares, at ``profile`` (and on ``corpus``, under ``protocol``)."""
    same = (rows["profile"] == profile) & rows["arm"].isin(arms)
    same &= (rows["corpus"] == corpus) if corpus is not None else True
    same &= (rows["protocol"] == protocol) if protocol is not None else True
    return rows[same]


def leak_size(
    rows: pd.DataFrame,
    profile: str,
    leaky: str = "as_published",
    clean: str = "clean",
    corpus: str | None = None,
    protocol: str | None = None,
) -> tuple:
    """``as_published`` minus ``clean`` at ``profile`` (and on ``corpus`` and under ``protocol``, if given)
    in points: (difference, low, high); nan when an arm is missing or all its runs diverged."""
    pair = leak_pair(rows, profile, corpus, protocol, (leaky, clean))
    a, b = pair[pair["arm"] == leaky], pair[pair["arm"] == clean]
    if a.empty or b.empty:
        return float("nan"), float("nan"), float("nan")
    if any(r["diverged"].iloc[0] == r["n_runs"].iloc[0] for r in (a, b)):  # no leak from runs that never trained
        return float("nan"), float("nan"), float("nan")
    if bool(a["paper_budget"].iloc[0]) != bool(b["paper_budget"].iloc[0]):  # one arm at the paper's budget, the
        return float("nan"), float("nan"), float("nan")  # other below it: two recipes, not a leak
    return difference_interval(a["values"].iloc[0], b["values"].iloc[0])


def arms_table(
    records: list[dict], metric: str = "accuracy", registry: dict | None = None, baselines: list[dict] | None = None
) -> str:
    """Markdown: each arm's mean and 95 % interval with its basis, then the leak per profile."""
    rows = arm_rows(records, metric, registry=registry, baselines=baselines)
    if rows.empty:
        return "No results with arms yet.\n"
    several = rows["corpus"].nunique() > 1  # pools and cross-corpus runs beside the stand-in: say which
    lines = [
        "| arm |" + (" corpus |" if several else "") + " protocol | profile | runs | mean % | 95 % interval | "
        "paper's budget | epochs run | diverged | still improving | test items with a twin in training % | "
        "1-NN accuracy % |",
        "|---|" + ("---|" if several else "") + "---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for _, r in rows.iterrows():
        interval = "–" if math.isnan(r["low"]) else f"{_pct(r['low'])} – {_pct(r['high'])}"
        if r["n"] == 2:
            interval = f"two runs: {' and '.join(_pct(v) for v in r['values'])}"
        if r["interval"].startswith("bootstrap") and not math.isnan(r["low"]):
            interval += f" ({r['interval']})"
        corpus_cell = f" {r['corpus']} |" if several else ""
        lines.append(
            f"| {r['arm']} |{corpus_cell} {r['protocol']} | {r['profile']} | {r['n']}"
            + (f" (+{r['below_budget_left_out']} below budget, left out)" if r.get("below_budget_left_out") else "")
            + f" | {_pct(r['mean'])} | "
            f"{interval} | "
            f"{budget_cell(r)} | {', '.join(map(str, r['epochs'])) or '–'} | "
            f"{r['diverged']} | {r['still_improving']} | {_pct(r['leak'])} | {_pct(r['knn1'])} |"
        )
    out = "\n".join(lines) + "\n"
    protocols = rows["protocol"].nunique() > 1
    for profile, corpus, protocol in sorted(set(zip(rows["profile"], rows["corpus"], rows["protocol"], strict=True))):
        d, lo, hi = leak_size(rows, profile, corpus=corpus, protocol=protocol)
        if math.isnan(d):
            continue
        on = (f" on `{corpus}`" if several else "") + (f", protocol `{protocol}`" if protocols else "")
        both = leak_pair(rows, profile, corpus, protocol)
        if both["runs_at_budget"].all() and not both["paper_budget"].all():
            short = "; ".join(f"`{a}` {f}" for a, f in zip(both["arm"], both["folds_short"], strict=True) if f)
            out += (
                f"\nNo leak size at the `{profile}` profile{on} yet: every run is at the paper's budget, but not every "
                f"fold of its protocol has run ({short}), and a mean over part of the folds is not the protocol's.\n"
            )
            continue
        if not both["paper_budget"].all():
            out += (
                f"\nNo leak size at the `{profile}` profile{on}: it is below the paper's budget, where the authors' "
                "training has not run its course, so a difference there is not the leak of the published number.\n"
            )
            continue
        interval = "" if math.isnan(lo) else f" (95 % interval {lo:+.1f} to {hi:+.1f})"
        out += f"\nLeak at the `{profile}` profile{on}: as published minus clean = **{d:+.1f} points**{interval}."
        if both["n"].min() < 2:
            out += (
                " One run in an arm: no interval, and the difference also holds the variation between seeds and "
                "between the arms' splits (their test parts differ)."
            )
        share = both.loc[both["arm"] == "as_published", "leak"]
        if len(share) and not math.isnan(share.iloc[0]) and share.iloc[0] < abs(d):
            out += (
                f" Only {share.iloc[0]:.1f} % of the `as_published` test items have a copy in training, so leaked "
                f"copies can account directly for about that many points at most; the rest is not the leak."
            )
        out += "\n"
    if any(r.get("arm") == "as_published" and "accuracy/originals" in r["metrics"] for r in records):
        out += (
            "\nThe `as_published` test part holds noisy copies as well as original clips, as in the authors' "
            "code; the `clean` test part holds original clips only. Each `as_published` record also keeps its "
            "accuracy on the original clips alone (`accuracy/originals`).\n"
        )
    return out


def test_items(split_file: str, fold: int | None = None) -> str | None:
    """A digest of the utterances a split file tests on: for a k-fold file (its ``part`` column holds fold
    numbers) the rows of fold ``fold``, else its ``test`` part; None when the file cannot be read. Cached
    on the file's size and modification time, so a rewritten file is read again."""
    path = Path(split_file) if Path(split_file).is_absolute() else REPO_ROOT / split_file
    try:
        st = path.stat()
    except OSError:
        return None
    return _test_items(str(path), fold, st.st_mtime_ns, st.st_size)


@functools.cache
def _test_items(path: str, fold: int | None, mtime_ns: int, size: int) -> str | None:
    try:
        with open(path, newline="") as f:
            rows = [(r["utt_id"], r["part"]) for r in csv.DictReader(f)]
    except (OSError, KeyError, csv.Error):
        return None
    items = sorted(u for u, p in rows if fold is not None and p == str(fold)) or sorted(
        u for u, p in rows if p == "test"
    )
    return hashlib.sha256("\n".join(items).encode()).hexdigest()[:16] if items else None


def pair_key(rec: dict) -> tuple:
    """What pairs the runs of two arms: the same paper, corpus, protocol, profile and seeds, tested on the
    same utterances (:func:`test_items`: two arms may write different split files with one test part, as
    when ``clean`` carves its validation part out of the training part); where the split file cannot be
    read, the same split file (the run's name where a record keeps none) and fold. The seeds keep apart
    runs of one arm whose seeds drew the same test part (speaker folds, a cross-corpus test set)."""
    split = rec.get("split_file")
    digest = test_items(split, rec.get("fold")) if split else None
    return (
        rec.get("paper"),
        rec.get("corpus", ""),
        rec.get("protocol"),
        rec.get("profile"),
        tuple(rec.get("seeds") or ()),
        ("test", digest) if digest else (split or rec.get("run"), rec.get("fold")),
    )


def readings_table(
    records: list[dict], base: str = "paper_text", profile: str = "paper", metric: str = "accuracy"
) -> str:
    """Markdown: for a paper without the authors' code, each reading of its text (an arm) beside the
    ``base`` reading, corpus by corpus and protocol by protocol at ``profile``: mean over seeds with a
    95 % t interval, and the difference from ``base`` in points, paired by :func:`pair_key` (same seed,
    same test items), with a paired t interval. Diverged runs are counted and left out of both. Two runs
    of one arm on one key (a study beside the main run) both count in the mean; such a key pairs with
    nothing, since which of the two is the twin would be a guess."""
    from ser.claims import convergence

    ok: dict[tuple, dict[tuple, list[float]]] = {}
    diverged: dict[tuple, int] = {}
    improving: dict[tuple, int] = {}
    for r in records:
        if r["profile"] != profile or metric not in r["metrics"]:
            continue
        key = (_arm(r), r.get("corpus", ""), r["protocol"])
        conv = convergence(r)
        if conv["diverged"]:
            diverged[key] = diverged.get(key, 0) + 1
            continue
        improving[key] = improving.get(key, 0) + conv["still_improving"]  # counted: no number hides it
        ok.setdefault(key, {}).setdefault(pair_key(r), []).append(100 * r["metrics"][metric])
    if not ok and not diverged:
        return f"No `{profile}`-profile runs of the readings yet.\n"
    keys = set(ok) | set(diverged)
    arms = sorted({k[0] for k in keys}, key=lambda a: (a != base, a))
    lines = [
        f"| reading (arm) | corpus | protocol | runs | mean % [95 % interval] | minus `{base}`, points [95 % interval, "
        "paired by split] | diverged | still improving |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for arm in arms:
        for key in sorted(k for k in keys if k[0] == arm):
            vals = ok.get(key, {})
            runs = [v for vs in vals.values() for v in vs]
            cell = mean_spread(runs)
            diff = "–"
            base_vals = ok.get((base, key[1], key[2]), {})
            shared = sorted(
                (k for k in set(vals) & set(base_vals) if len(vals[k]) == len(base_vals[k]) == 1), key=str
            )  # one run on each side: a key with two runs of an arm has no single twin
            if arm != base and shared:
                pairs = [vals[s][0] - base_vals[s][0] for s in shared]
                diff = f"{mean_spread(pairs, '{:+.1f}'.format)} ({len(shared)})"
            lines.append(
                f"| {arm} | {key[1]} | {key[2]} | {len(runs)} | {cell} | {diff} | {diverged.get(key, 0)} "
                f"| {improving.get(key, 0)} |"
            )
    return "\n".join(lines) + "\n"
