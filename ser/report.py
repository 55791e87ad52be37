"""Build-time pages of the book: the claims comparison and the list of runs.

Called by the Sphinx extension ``book/_ext/ser_report.py`` each time the book is
built, so every number on those pages is read from the registry and the
results files at that moment, never typed in.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd

from core.data import corpus_parts
from ser.arms import mean_spread
from ser.baselines import read_baselines
from ser.claims import STATUSES, TOLERANCE, all_diverged, claim_corpus, compare_all, is_loss, load_registry
from ser.markdown import md_table as _md_table
from ser.report_baselines import baselines_page, paper_baselines
from ser.report_evidence import paper_evidence
from ser.report_explore import explore_page
from ser.results import RESULTS_DIR, read_results

STATUS_ICON = {
    "reproduced": "✅",
    "reproduced only with the leak": "⚠️",
    "not reproduced": "❌",
    "inconclusive: still improving": "📈",
    "inconclusive: reduced budget": "⏳",
    "diverged: no verdict": "💥",
    "substituted corpus": "🔁",
    "data unavailable": "⛔",
    "clean arm only: no verdict": "🧼",
    "not run": "⏸",
    "not yet run": "…",
}


def _fmt(v: float, unit: str) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    return f"{v:.2f}" if unit == "%" else f"{v:.3f}"


def _reproduced(row: pd.Series, prefix: str = "", with_sd: bool = True) -> str:
    """A column's mean (± sd unless ``with_sd`` is off) and run count, or that all its runs diverged."""
    n = row[f"{prefix}n"]
    if not n:
        return "–"
    mean, std = row[f"{prefix}mean"], row[f"{prefix}std"]
    sd = "" if not with_sd or math.isnan(std) else f" ± {_fmt(std, row['unit'])}"
    if row.get(f"{prefix}all_diverged"):  # the number of a collapse, never to be read as a reproduction
        return f"{all_diverged(n)} ({_fmt(mean, row['unit'])}{sd})"
    return f"{_fmt(mean, row['unit'])}{sd} (n={n})"


def sourced_lines(items: list[dict]) -> list[str]:
    """Markdown list items for contradictions or notes: id, the places in the paper, the statement."""
    return [f"- **{c['id']}** ({'; '.join(c['sources'])}): {c['text'].strip()}" for c in items]


# Colours of the arms in the figures: the run as the paper or its code ran it, the clean rerun and
# the speaker-independent rerun.
ARM_COLOURS = {"as run": "tab:purple", "clean": "tab:blue", "speaker-independent": "tab:orange"}


def _arm_points(table: pd.DataFrame) -> pd.DataFrame:
    """One row per claim x arm with a reproduced value: ``arm`` (as run / clean / speaker-independent),
    ``mean``, ``half`` (half-width of the 95 % t interval over runs, ``nan`` for one run) and ``n``."""
    from scipy import stats as st

    rows = []
    for _, r in table.iterrows():
        for arm, prefix in (("as run", ""), ("clean", "clean_"), ("speaker-independent", "speaker_")):
            n = int(r[f"{prefix}n"] or 0)
            if not n or r.get(f"{prefix}all_diverged"):  # a column whose runs all diverged has no point
                continue
            std = r[f"{prefix}std"]
            # a t interval on two runs spans most of the scale: three or more runs get a bar
            half = float(st.t.ppf(0.975, n - 1) * std / math.sqrt(n)) if n > 2 and not math.isnan(std) else math.nan
            rows.append(
                {
                    "paper": r["paper"],
                    "claim": r["claim"],
                    "unit": r["unit"],
                    "metric": r["metric"],
                    "claimed": r["claimed"],
                    "arm": arm,
                    "arm_name": r["arm"] if arm == "as run" else arm,
                    "mean": r[f"{prefix}mean"],
                    "half": half,
                    "n": n,
                    "headline": bool(r.get("headline")),
                    "status": r.get("status", ""),
                }
            )
    return pd.DataFrame(rows)


def _save_figure(fig, path: Path, dpi: int) -> None:
    """Lay out, write and close a matplotlib figure (its folder made if needed)."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi)
    plt.close(fig)


def _plot_runs(ax, x, y, half, n, colour: str, label: str, horizontal: bool = False) -> None:
    """Points of one arm: filled where several runs make the mean (``n`` > 1), with a 95 % error bar from
    three runs on (two runs: no bar), hollow for a single run; one legend entry."""
    import numpy as np

    many = np.asarray(n) > 1
    x, y, half = np.asarray(x, dtype=float), np.asarray(y, dtype=float), np.asarray(half, dtype=float)
    if many.any():
        err = {"xerr" if horizontal else "yerr": np.nan_to_num(half[many])}
        ax.errorbar(x[many], y[many], **err, fmt="o", capsize=3, color=colour, label=label)
    if (~many).any():
        ax.scatter(x[~many], y[~many], facecolors="none", edgecolors=colour, label=None if many.any() else label)


def scatter(table: pd.DataFrame, path: Path) -> bool:
    """Claimed vs reproduced, every measured claim and arm: the mean over runs with its 95 % t interval
    (hollow markers: one run, no interval), coloured by arm, with the diagonal. False if nothing to plot."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pts = _arm_points(table[table["n"] + table["clean_n"] + table["speaker_n"] > 0])
    if pts.empty:
        return False
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.6))
    for ax, units, label in ((axes[0], ["%"], "percent"), (axes[1], [""], "fraction")):
        sub = pts[pts["unit"].isin(units) & ~pts["metric"].map(is_loss)]
        lo, hi = (0, 100) if label == "percent" else (0, 1)
        ax.plot([lo, hi], [lo, hi], color="grey", lw=1, ls="--", label="reproduced = claimed")
        for arm, g in sub.groupby("arm", sort=False):
            _plot_runs(ax, g["claimed"], g["mean"], g["half"], g["n"], ARM_COLOURS[arm], f"{arm} ({len(g)})")
        ax.set(
            xlim=(lo, hi),
            ylim=(lo, hi),
            xlabel=f"claimed ({label})",
            ylabel=f"reproduced, mean with 95 % interval ({label})",
            title="accuracy-type claims in %" if label == "percent" else "F1 / precision / recall claims",
        )
        ax.legend(fontsize=8, loc="lower right")
    _save_figure(fig, path, dpi=110)
    return True


def _missing_headlines(table: pd.DataFrame, registries: dict) -> str:
    """A sentence naming the headline claims the gap figure draws no point for, and why, column by column."""
    out = []
    for paper, reg in registries.items():
        for c in headline_claims(reg):
            row = table[(table["paper"] == paper) & (table["claim"] == c["id"])]
            if row.empty:
                continue
            r = row.iloc[0]
            if not _arm_points(row).empty:
                continue
            why = [
                f"all {name} runs diverged"
                for name, prefix in (("main", ""), ("clean", "clean_"), ("speaker-independent", "speaker_"))
                if r.get(f"{prefix}n") and r.get(f"{prefix}all_diverged")
            ]
            out.append(f"{paper}: {c['id']} ({'; '.join(why) or r['status']})")
    return f" Not shown: {'; '.join(out)}." if out else ""


def gap_figure(table: pd.DataFrame, registries: dict, path: Path) -> bool:
    """Per paper, its headline claims: reproduced minus claimed in points for each arm, with 95 %
    intervals (hollow: one run). False if no headline claim has a reproduced value."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    head = {(p, c["id"]) for p, reg in registries.items() for c in headline_claims(reg)}
    pts = _arm_points(table)
    if pts.empty:
        return False
    is_head = pd.Series([(p, c) in head for p, c in zip(pts["paper"], pts["claim"], strict=True)], index=pts.index)
    pts = pts[is_head & pts["unit"].isin(["%", ""])].copy()
    if pts.empty:
        return False
    frac = pts["unit"] == ""  # a claim printed as a fraction (0.76): in points like the others
    pts.loc[frac, ["claimed", "mean", "half"]] *= 100
    rows = list(dict.fromkeys(zip(pts["paper"], pts["claim"], strict=True)))
    fig, ax = plt.subplots(figsize=(9, 0.75 * len(rows) + 1.4))
    offsets = {"as run": -0.2, "clean": 0.0, "speaker-independent": 0.2}
    for arm, g in pts.groupby("arm", sort=False):
        y = [rows.index((p, c)) + offsets[arm] for p, c in zip(g["paper"], g["claim"], strict=True)]
        _plot_runs(ax, g["mean"] - g["claimed"], y, g["half"], g["n"], ARM_COLOURS[arm], arm, horizontal=True)
    ax.axvline(0, color="grey", lw=1, ls="--")
    status = {(p, c): st for p, c, st in zip(pts["paper"], pts["claim"], pts["status"], strict=True)}
    # each row says its verdict: a gap on a stand-in corpus or below the budget is no verdict on the claim
    ax.set_yticks(range(len(rows)), [f"{p}: {c}\n({status[(p, c)]})" for p, c in rows], fontsize=8)
    ax.invert_yaxis()
    ax.set(
        xlabel="reproduced minus claimed (points); left of the line: below the claim", title="headline claims by arm"
    )
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))  # beside the rows, never over one
    _save_figure(fig, path, dpi=110)
    return True


def _profiles(row: pd.Series) -> str:
    """The arm and profile of the reproduced value (with whether it is the paper's budget), and the
    speaker-independent one's profile where it differs."""
    main, spk = row["profile"], row.get("speaker_profile", "")
    if main:
        main = f"{row['arm']}, {main}" + _budget_note(row)
    if spk and spk != row["profile"]:
        return f"{main or '–'} / {spk} (speaker-independent)"
    return main or spk or "–"


def _budget_note(row: pd.Series) -> str:
    """Why a reproduced value is not at the paper's budget: fewer epochs or steps, or fewer folds."""
    if row["paper_budget"] or row.get("unit") == "M":  # a parameter count needs no training budget
        return ""
    if row.get("at_budget", False) and not row.get("all_folds", True):
        return " (not every fold of the paper's protocol)"
    return " (below the paper's budget)"


def _baseline_cell(row: pd.Series) -> str:
    """The best reference baseline on the same splits: value [interval] in the claim's unit."""
    if not row.get("baseline_n"):
        return "–"
    unit, values = row["unit"], row.get("baseline_values")
    if isinstance(values, list) and len(values) > 1:  # over splits, as every table writes runs
        return f"{mean_spread(values, lambda v: _fmt(v, unit))} (n={row['baseline_n']})"
    # one split: the baseline's own bootstrap interval over its test items (from ser.baselines.beside)
    low, high = row["baseline_low"], row["baseline_high"]
    interval = "" if math.isnan(low) else f" [{_fmt(low, unit)}, {_fmt(high, unit)}]"
    return f"{_fmt(row['baseline_mean'], unit)}{interval} (n={row['baseline_n']})"


def _versus_cell(row: pd.Series) -> str:
    if not row.get("baseline_n"):
        return "–"
    diff = row["vs_baseline_diff"]
    sign = "" if math.isnan(diff) else f", {'+' if diff >= 0 else '−'}{_fmt(abs(diff), row['unit'])}"
    return f"{row['vs_baseline']}{sign}"


def paper_table(t: pd.DataFrame) -> str:
    """Markdown table of one paper's rows of :func:`ser.claims.compare`."""
    shown = pd.DataFrame(
        {
            "claim": t["claim"],
            "source": t["source"],
            "metric": t["metric"],
            # the claimed value exactly as registered (as printed in the paper), never re-rounded
            "claimed": [f"{v:g}" + (" %" if u == "%" else "") for v, u in zip(t["claimed"], t["unit"], strict=True)],
            "reproduced (paper's protocol)": [_reproduced(r) for _, r in t.iterrows()],
            "difference": [
                "– (all diverged)" if r.get("all_diverged") and r["n"] else _fmt(r["difference"], r["unit"])
                for _, r in t.iterrows()
            ],
            "clean (leak removed)": [_reproduced(r, "clean_") for _, r in t.iterrows()],
            "speaker-independent": [_reproduced(r, "speaker_") for _, r in t.iterrows()],
            "corpus used": [c or "–" for c in t["corpus_used"]],
            "arm, profile": [_profiles(r) for _, r in t.iterrows()],
            "best baseline, same split": [_baseline_cell(r) for _, r in t.iterrows()],
            "model vs baseline": [_versus_cell(r) for _, r in t.iterrows()],
            "status": [
                f"{STATUS_ICON[s]} {s}" + (f": {why}" if why else "")
                for s, why in zip(t["status"], t["reason"], strict=True)
            ],
        }
    )
    return _md_table(shown)


def _summary_value(rec: dict, metric: str) -> float | None:
    """``metric`` of a record, or its one study-tagged form (``accuracy/k3``); per-class values are skipped."""
    metrics = rec["metrics"]
    if metric in metrics:
        return metrics[metric]
    labels = set(rec.get("labels") or [])
    tagged = [k for k in metrics if k.startswith(f"{metric}/") and k.split("/", 1)[1] not in labels]
    return metrics[tagged[0]] if len(tagged) == 1 else None


def _order(key: tuple, paper: str) -> tuple:
    """Corpus, protocol and profile, then the main model first and the others in natural order (k3 < k11,
    lr 0.02 < lr 0.1)."""
    *group, name = key
    main = name == "main" or name.split(" (")[0] == paper
    return (*group, not main, [float(t) if i % 2 else t for i, t in enumerate(re.split(r"(\d+(?:\.\d+)?)", name))])


def _mean_sd(values: list[float]) -> str:
    vals = [100 * v for v in values if v is not None]
    if not vals:
        return "–"
    sd = f" ± {pd.Series(vals).std():.1f}" if len(vals) > 1 else ""
    return f"{sum(vals) / len(vals):.1f}{sd}"


def summary_metrics(registry: dict) -> tuple[str, ...]:
    """Columns of a paper's run summary: accuracy, macro-F1 and any other F1 average its claims use
    (micro-F1 is left out: for single-label classification it is the accuracy again)."""
    claimed = [c["metric"].split("/")[0] for c in registry["claims"]]
    return tuple(
        dict.fromkeys(["accuracy", "macro_f1", *(m for m in claimed if m.endswith("_f1") and m != "micro_f1")])
    )


def runs_summary(records: list[dict], paper: str, metrics: tuple[str, ...] = ("accuracy", "macro_f1")) -> str:
    """Markdown table of every configuration one paper's results files hold, on every corpus and
    protocol (substitutes and studies included), one row per arm, configuration and training setting:
    ``metrics`` in %, mean ± std over the seeds or folds run, diverged runs left out of the mean unless
    all diverged (as in the verdicts), with how many diverged, were still improving at their end, and whether
    they ran at the paper's budget (runs at and below it are separate rows)."""
    from ser.claims import _usable, arm_of, at_paper_budget, by_configuration, convergence, load_registry

    recs = [r for r in records if r["paper"] == paper and r["profile"] in ("paper", "cpu")]
    if not recs:
        return "No results files yet.\n"
    registry = load_registry(paper)[paper]

    def key(r: dict) -> tuple:  # a mean never mixes runs at and below the paper's budget
        corpus = r["corpus"] + (" (substitution)" if r.get("substitution") else "")
        return (corpus, r["protocol"], r["profile"], arm_of(r), at_paper_budget(r, registry))

    groups = {
        (corpus, protocol, profile, arm, f"{name} ({label})" if label else name, budget): g
        for (corpus, protocol, profile, arm, budget, name, label), g in by_configuration(recs, key).items()
    }
    shown = {m: m.replace("_f1", "-F1").replace("_", " ") + " %" for m in metrics}
    rows = []
    arms = list(registry.get("arms") or {})  # the declaration's order of arms, then any other by name

    def order(key: tuple) -> tuple:
        corpus, protocol, profile, arm, name, budget = key
        rank = arms.index(arm) if arm in arms else len(arms)
        return (corpus, protocol, profile != "paper", rank, arm, *_order((name,), paper), not budget)

    for (corpus, protocol, profile, arm, name, budget), g in sorted(groups.items(), key=lambda kv: order(kv[0])):
        used, bad, all_bad = _usable(g)
        mean_note = " (all diverged)" if all_bad else ""
        rows.append(
            {
                "corpus": corpus,
                "protocol": protocol,
                "arm": arm,
                "run": name,
                "runs": len(g),
                **{col: _mean_sd([_summary_value(r, m) for r in used]) + mean_note for m, col in shown.items()},
                "diverged": bad,
                "still improving": sum(convergence(r)["still_improving"] for r in used),  # as the verdicts count
                "paper's budget": "yes" if budget else "no",
                "profile": profile,
            }
        )
    note = (
        "\n\nEvery configuration in this paper's results files, one row per arm, configuration and training "
        "setting; mean ± standard deviation over the seeds or folds run (*runs*), diverged runs left out "
        "of the mean unless all diverged, as in the verdicts; *still improving*: runs whose validation loss "
        "was still falling at their last epoch; runs at and below the paper's budget are separate rows; read from "
        "the files when the book is built.\n"
    )
    return _md_table(pd.DataFrame(rows)) + note


def _t_interval(row: pd.Series) -> str:
    """Mean [95 % t interval over runs: seeds or folds] of a comparison row, in the claim's unit."""
    from scipy import stats as st

    n, mean, std, unit = row["n"], row["mean"], row["std"], row["unit"]
    if not n:
        return "–"
    if row.get("all_diverged"):
        return f"{all_diverged(n)} ({_fmt(mean, unit)})"
    if n < 2 or math.isnan(std):
        return f"{_fmt(mean, unit)} (1 run)"
    if n == 2:  # a t interval on two runs spans most of the scale: their two values (mean ± sd/√2) say more
        d = std / math.sqrt(2)
        return f"{_fmt(mean, unit)} ({_fmt(mean - d, unit)} and {_fmt(mean + d, unit)}; 2 runs)"
    half = float(st.t.ppf(0.975, n - 1) * std / math.sqrt(n))
    return f"{_fmt(mean, unit)} [{_fmt(mean - half, unit)}, {_fmt(mean + half, unit)}] ({n} runs)"


def _why(row: pd.Series) -> str:
    """The main reason behind a verdict, in a few words."""
    status, unit = row["status"], row["unit"]
    pts = " points" if unit == "%" else ""
    bad = row.get("main_diverged", row.get("diverged"))  # the reproduced column's own (the notes count the others)
    diverged = f"; {int(bad)} run(s) diverged" if bad else ""
    if row.get("improving") and status != "inconclusive: still improving":  # no number hides that it was still
        diverged += f"; {int(row['improving'])} still improving at the end"  # learning (nor below-budget runs)
    note = row.get("verdict_note") or ""  # why a reproduced or a diverged status needs a word more
    if status == "reproduced" and note:
        diverged += f"; {note.split('; ', 1)[-1]}"
    if status == "diverged: no verdict" and note:
        return note
    if status == "reproduced only with the leak":
        gap = row["mean"] - row["clean_mean"]
        return f"the leak is worth {_fmt(gap, unit)}{pts}: clean arm {_fmt(row['clean_mean'], unit)}"
    if status == "inconclusive: reduced budget":
        return f"runs below the paper's budget ({row['arm']}, {row['profile']}){diverged}"
    if status == "inconclusive: still improving":
        return f"{_fmt(row['difference'], unit)}{pts}, but runs still improving at their last epoch{diverged}"
    if status == "diverged: no verdict":
        return f"every run of {row['arm']} ({row['profile']}) diverged{diverged}"
    if status == "substituted corpus":
        short = _budget_note(row)  # a number from runs below the paper's budget says so
        tail = (f"; {row['arm']}, {row['profile']}{short}" if short else "") + diverged
        if row["corpus_used"] == row["claimed_corpus"]:
            return f"our {row['corpus_used']} copy differs from the paper's (a substitution){tail}"
        return f"{row['claimed_corpus']} is not available; ran on {row['corpus_used']}{tail}"
    if status == "not reproduced" and unit == "M":
        return f"parameter count, {_fmt(row['difference'], unit)} M (needs no training budget)"
    if status == "not reproduced":
        return f"{_fmt(row['difference'], unit)}{pts} at the paper's budget ({row['arm']}){diverged}"
    if status == "reproduced":
        better = "below" if is_loss(row["metric"]) else "above"
        return f"within {row['tolerance']:g}{pts} or {better}, {row['arm']}, {row['profile']} profile{diverged}"
    return row["reason"] or status


def scorecard(table: pd.DataFrame, registries: dict) -> str:
    """Markdown: one row per headline claim of every paper: the claim, our result with its interval,
    the verdict, the main reason, and the best baseline on the same splits."""
    rows = []
    for paper, reg in registries.items():
        head = {c["id"] for c in headline_claims(reg)}
        for _, r in table[(table["paper"] == paper) & table["claim"].isin(head)].iterrows():
            base = _baseline_cell(r)
            if r.get("baseline_n"):
                base += f"; model {_versus_cell(r)}"
            elif r.get("vs_baseline"):
                base = f"– ({r['vs_baseline']})"
            rows.append(
                {
                    "paper": f"{{doc}}`{reg['authors'].split(',')[0]} et al. </chapters/{paper}>`",  # from any page
                    "claim": f"{r['claimed']:g}{' %' if r['unit'] == '%' else ''} {r['metric']} on "
                    f"{r['claimed_corpus']} ({r['source']})",
                    "ours [95 % CI]": _t_interval(r),
                    "verdict": f"{STATUS_ICON[r['status']]} {r['status']}",
                    "why": _why(r),
                    "best baseline, same split": base,
                }
            )
    return _md_table(pd.DataFrame(rows)) if rows else "No headline claims registered."


def comparison_page(results_dir: Path = RESULTS_DIR, static_dir: Path | None = None) -> str:
    """MyST source of the comparison page (and its scatter plot in ``static_dir``)."""
    records = read_results(results_dir)
    table = compare_all(records, baselines=read_baselines(results_dir / "baselines"))
    registries = load_registry()
    out = [
        "# Claimed vs reproduced",
        "",
        "Generated when the book is built, from the claims registry (`papers/claims/*.yaml`) and the "
        "results files (`papers/results/**.json`); no number on this page is typed in.",
        "",
        "**Status.** *reproduced*: run on the paper's corpus and protocol, and the mean over seeds (with any "
        "diverged runs counted, too) is within "
        f"{TOLERANCE['%']:g} percentage points of a % claim, {TOLERANCE['']:g} of a fraction, or "
        f"{TOLERANCE['loss']:g} of a loss, {TOLERANCE['M']:g} M of a parameter count (the printed precision; model "
        "sizes get a verdict on any corpus), or better than the claim. *reproduced only with the leak*: the "
        "authors' code as it ran (`as_published`, leaks kept) reaches the claim and the same code with the "
        "leaks removed (`clean`), at the paper's budget, does not. *not reproduced*: outside the tolerance at "
        "the paper's budget, no run still improving at its end (a parameter count needs no budget). "
        "*inconclusive: still improving*: outside the tolerance at the paper's budget, but runs were still "
        "improving at their last epoch. *inconclusive: reduced budget*: outside the tolerance, but only runs "
        "below the paper's budget (or on fewer folds than its protocol) exist, so under-training may explain "
        "the gap. *diverged: no verdict*: every run of the "
        "reproduced column diverged (non-finite loss, training loss back at the chance level, or one class "
        "for every item), or the claim is met only with diverged runs left out of the mean, so it shows "
        "what the setting does to training, not whether the claim holds. *substituted corpus*: the method "
        "ran on another corpus because the paper's is not available, so no verdict. *clean arm only: no "
        "verdict*: only the leak-free arm ran for a claim the authors' leaky code made (its mean is in the "
        "clean column). *data unavailable*, *not run* (with the reason) and *not yet run* say why there is no "
        "number. "
        "The reproduced value comes from the `as_published` arm where it exists, else from the paper's text "
        "read literally (`paper_text`); the `clean` column removes the leaks. Each column takes the `paper` "
        "profile where it exists, else the `cpu` profile (full data, reduced budget); the arm and profile are "
        "shown. Runs that diverged are left out of every mean, and a *reproduced* must hold with them counted "
        "too. *Best baseline, same split*: the reference "
        "baseline chosen on the validation part of the very splits behind the reproduced value (mean over "
        "splits with a 95 % interval; [Baselines](baselines.md)); *model vs baseline* compares the two on "
        "the same test items (paired bootstrap over speakers) where the model's records keep per-item "
        "predictions, else over splits (unpaired).",
        "",
    ]
    summary = (
        table.groupby(["paper", "status"]).size().unstack(fill_value=0).reindex(columns=list(STATUSES), fill_value=0)
    )
    summary.insert(0, "claims", summary.sum(axis=1))
    summary = summary.reset_index()
    summary["paper"] = [f"[{registries[p]['authors'].split(',')[0]}: {p}](chapters/{p}.md)" for p in summary["paper"]]
    out += ["## Summary per paper", "", _md_table(summary), ""]
    if static_dir is not None and scatter(table, static_dir / "claims_scatter.png"):
        out += [
            "## All measured claims at a glance",
            "",
            "```{figure} _static/claims_scatter.png",
            ":name: claims-scatter",
            ":alt: claimed vs reproduced",
            "",
            "Each point is one claim and arm: the number the paper prints (x) against our mean over seeds or "
            "folds (y) with its 95 % t interval (from three runs; two runs: no bar); a hollow marker is a single "
            "run. Colour: the run "
            "as the paper or its code ran it (*as run*), the *clean* rerun with leaks removed, the "
            "*speaker-independent* rerun. Points below the diagonal are claims we measured lower; whether a gap "
            "is a verdict is the claim's status in the table (a stand-in corpus, a run below the paper's budget "
            "or one still improving gives none).",
            "```",
            "",
        ]
    if static_dir is not None and gap_figure(table, registries, static_dir / "claims_gap.png"):
        out += [
            "```{figure} _static/claims_gap.png",
            ":name: claims-gap",
            ":alt: gap from claim to each arm, headline claims",
            "",
            "The headline claims of each paper: how far each arm lands from it, in points, with 95 % intervals "
            "(from three runs; two runs: no bar; hollow: one run), at the budget each ran (the tables say "
            "which); under each claim, its status: a gap on a stand-in corpus or below the budget is no verdict. "
            "Where the *as run* arm is the "
            "authors' code with its leak (`as_published`) and both it and *clean* ran at the paper's budget, the "
            "gap between them is what the leak is worth (the chapter's arms table states it)."
            + _missing_headlines(table, registries),
            "```",
            "",
        ]
    measured_first = sorted(registries, key=lambda p: (-int((table[table["paper"] == p]["n"] > 0).sum()), p))
    for paper in measured_first:
        reg, t = registries[paper], table[table["paper"] == paper]
        out += [
            f"## {reg['title']}",
            "",
            f"{reg['authors']}. Paper's corpus: `{reg['corpus']}`; protocol: "
            f"{reg.get('protocol_text', reg['protocol'])}. Notebook: `{reg['notebook']}`.",
            "",
        ]
        out += [paper_table(t), ""]
        if reg.get("contradictions"):
            out += ["Where the paper contradicts itself or the data:", ""]
            out += sourced_lines(reg["contradictions"]) + [""]
        if reg.get("notes"):
            out += ["Notes on the paper's text:", ""]
            out += sourced_lines(reg["notes"]) + [""]
    out += ["Every run behind these numbers is listed, with commit and device, in [the list of runs](runs.md).", ""]
    return "\n".join(out)


def runs_page(results_dir: Path = RESULTS_DIR) -> str:
    """MyST source listing every results file (paper, corpus, protocol, profile, seed, accuracy, commit)."""
    records = read_results(results_dir)
    out = [
        "# Runs",
        "",
        "Every results file in `papers/results/`, read when the book was built. Download them all as a table: "
        "{download}`runs.csv <_static/runs.csv>`; every claim with its status: "
        "{download}`claims.csv <_static/claims.csv>`. Accuracy is the weighted accuracy (WA), UA the "
        "unweighted average recall (macro recall), both in % with a 95 % bootstrap interval over the run's test "
        "items: speakers are resampled when the run kept its per-item predictions and its test part holds at least "
        "10 speakers, else clips; † marks runs that kept only their confusion matrix (clips resampled, speakers "
        "unknown: rerun them for a speaker interval). The reference baselines have their own page: "
        "[Baselines](baselines.md).",
        "",
    ]
    if not records:
        return "\n".join(out + ["No results files yet.", ""])
    baselines = read_baselines(results_dir / "baselines")
    versions, label = corpus_versions(
        records + baselines, current_fingerprints({r["corpus"] for r in records + baselines})
    )
    out += [
        "## Corpus versions",
        "",
        "Each run records the fingerprint of the corpus copy it read (file count and a hash of every utterance "
        "id with its file size). A run whose fingerprint differs from the copy on the machine that built this "
        "page is marked ⚠️ in the tables below: it saw other files, so its numbers may not be comparable. "
        "Runs recorded before fingerprints existed show –.",
        "",
        versions,
        "",
    ]
    from ser.baselines import run_intervals

    boots = {r["_file"]: run_intervals(r, baselines) for r in records}  # once per run, for both columns
    rows = pd.DataFrame(
        [
            {
                "paper": r["paper"],
                "file": f"`{Path(r['_file']).relative_to(results_dir.parent.parent).as_posix()}`"
                if Path(r["_file"]).is_relative_to(results_dir.parent.parent)
                else r["_file"],
                "corpus": r["corpus"] + (" (substitution)" if r.get("substitution") else ""),
                "protocol": r["protocol"],
                "profile": r["profile"],
                "seeds": ",".join(map(str, r["seeds"])),
                "accuracy": _metric_cell(r, boots[r["_file"]]),
                "UA": _metric_cell(r, boots[r["_file"]], "ua", "macro_recall"),
                "macro F1": f"{r['metrics']['macro_f1']:.3f}" if "macro_f1" in r["metrics"] else "–",
                "minutes": f"{r['duration_s'] / 60:.1f}",
                "commit": r["git_commit"][:10],
                "corpus version": label[r["_file"]],
                "device": r["device"],
            }
            for r in records
        ]
    )
    for paper, g in rows.groupby("paper"):
        out += [f"## {paper}", "", _md_table(g.drop(columns="paper")), ""]
    return "\n".join(out)


def _metric_cell(r: dict, boot: dict | None, metric: str = "accuracy", key: str = "accuracy") -> str:
    """A test metric in %, with the run's 95 % bootstrap interval (``boot``, from
    :func:`ser.baselines.run_intervals`) and what it resamples (speakers, or clips: † when only the
    confusion matrix was kept)."""
    if key not in r["metrics"]:
        return "–"
    text = f"{100 * r['metrics'][key]:.2f}"
    if boot is not None:
        _, lo, hi = boot[metric]
        mark = " †" if "confusion matrix" in boot["unit"] else ""
        text += f" [{100 * lo:.1f}, {100 * hi:.1f}] ({boot['unit_short']}{mark})"
    return text


def _fp_text(fp: dict | None) -> str:
    return f"{fp['files']} files, {fp['sha256'][:8]}" if fp else "not recorded"


def current_fingerprints(corpora: set[str]) -> dict[str, dict | None]:
    """The fingerprint of each corpus copy on this machine (``None`` where it cannot be loaded)."""
    import warnings

    from core.data import fingerprint, fingerprint_of, load_corpus

    out: dict[str, dict | None] = {}
    for c in sorted({p for name in corpora for p in corpus_parts(name)}):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                out[c] = fingerprint(load_corpus(c, allow_partial=True))
        except (ValueError, OSError):  # unknown, missing or unreadable here
            out[c] = None
    return {**out, **{name: fingerprint_of(name, out) for name in corpora - set(out)}}  # pools: corpora's combined


def corpus_versions(records: list[dict], current: dict[str, dict | None]) -> tuple[str, dict[str, str]]:
    """Which version of each corpus the runs saw (from their ``corpus_fingerprint``), against the
    copy on this machine: a Markdown table, and for each results file a short version label that
    carries a warning sign when it differs from the copy here."""
    from collections import Counter

    by_corpus: dict[str, Counter] = {}
    labels = {}
    for r in records:
        fp = r.get("corpus_fingerprint")
        # a pool's or cross pair's fingerprint is its corpora's, combined (``parts``); older records of one
        # hashed the pooled clips alone, which no copy on this machine can be compared with
        pooled = fp is not None and len(corpus_parts(r["corpus"])) > 1 and "parts" not in fp
        by_corpus.setdefault(r["corpus"], Counter())[_fp_text(fp) + (" (of the pooled clips)" if pooled else "")] += 1
        here = current.get(r["corpus"])
        differs = fp is not None and here is not None and fp != here and not pooled
        labels[r["_file"]] = ("⚠️ " if differs else "") + (fp["sha256"][:8] if fp else "–")
    rows = [
        {
            "corpus": c,
            "copy on the build machine": _fp_text(current.get(c)) if current.get(c) else "not available",
            "versions the runs saw (model and baseline records)": "; ".join(
                f"{v} ({n})" for v, n in counts.most_common()
            ),
        }
        for c, counts in sorted(by_corpus.items())
    ]
    return _md_table(pd.DataFrame(rows)), labels


def curves_figure(records: list[dict], path: Path) -> bool:
    """Learning curves (validation accuracy and loss per epoch) of ``records``, one line per run,
    coloured by arm and profile; False when no record has a curve."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ser.claims import arm_of

    runs = [r for r in records if (r.get("history") or {}).get("val_acc")]
    if not runs:
        return False
    groups = sorted({(arm_of(r), r["protocol"], r["profile"]) for r in runs})
    palette = plt.cm.tab20.colors if len(groups) > 10 else plt.cm.tab10.colors
    colors = {g: palette[i % len(palette)] for i, g in enumerate(groups)}  # any number of arms and profiles
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 3.6))
    for r in runs:
        key = (arm_of(r), r["protocol"], r["profile"])
        h = r["history"]
        ep = range(1, len(h["val_acc"]) + 1)
        a1.plot(ep, [100 * v for v in h["val_acc"]], color=colors[key], lw=1, alpha=0.8)
        a2.plot(ep, h["val_loss"], color=colors[key], lw=1, alpha=0.8)
    for key, col in colors.items():
        a1.plot([], [], color=col, label=" · ".join(key))
    a1.set(xlabel="epoch", ylabel="validation accuracy %", title="validation accuracy per epoch")
    a2.set(xlabel="epoch", ylabel="validation loss", title="validation loss per epoch")
    a1.legend(fontsize=7)
    _save_figure(fig, path, dpi=100)
    return True


def _holds(name: str, corpus: str, cross: bool) -> bool:
    """Whether record corpus ``name`` involves ``corpus`` and is a cross-corpus run (``cross``) or not:
    ``ravdess-to-tess`` holds RAVDESS and TESS across corpora, ``ravdess+tess`` and ``ravdess`` within."""
    return ("-to-" in name) == cross and corpus in corpus_parts(name)


def headline_claims(registry: dict) -> list[dict]:
    """The claims a paper's declaration marks ``headline: true``, in the order declared."""
    return [c for c in registry["claims"] if c.get("headline")]


def headline_records(records: list[dict], registry: dict, head: dict) -> tuple[str | None, list[dict]]:
    """For headline claim ``head``: the corpus it is measured on (its own, else the declared stand-in;
    None: neither), and the ``paper``- and ``cpu``-profile records that answer it on that corpus, on
    pools and cross-corpus runs that include it, and on each other corpus of those pools alone (a pool's
    members run one by one, as RAVDESS + TESS's TESS)."""
    corpus = claim_corpus(head, registry)
    answering = [
        r
        for r in records
        if r["paper"] == registry["paper"] and head["id"] in r["claim_ids"] and r["profile"] in ("paper", "cpu")
    ]
    # the other corpora of the pools it is in (a cross-corpus pair's other side has its own claims, if any)
    pools = [r["corpus"] for r in answering if "-to-" not in r["corpus"] and corpus in corpus_parts(r["corpus"])]
    members = {c for name in pools for c in corpus_parts(name)}
    members = members or {corpus}
    recs = [r for r in answering if corpus in corpus_parts(r["corpus"]) or set(corpus_parts(r["corpus"])) <= members]
    return corpus, recs


def headline_arms(
    records: list[dict], registry: dict, static_dir: Path | None = None, baselines: list[dict] | None = None
) -> str:
    """Markdown: the arms of the paper's headline claims side by side (:func:`ser.arms.arms_table`),
    from the records that answer them on the paper's corpus (or its declared stand-in) and on pools or
    cross-corpus runs that include it, with their learning curves as a figure in ``static_dir``.
    Headline claims on one corpus (two protocols, say) share one table of the runs answering any of
    them; the wavelet paper's EmoDB and RAVDESS claims get one each."""
    from ser.arms import arms_table

    groups: dict[tuple, list[dict]] = {}  # (corpus, metric, available) -> its headline claims
    found: dict[tuple, dict[int, dict]] = {}  # the same key -> the runs answering any of them, once each
    for head in headline_claims(registry):
        corpus, recs = headline_records(records, registry, head)
        key = (corpus or head["corpus"], head["metric"], corpus is not None)  # no corpus nor stand-in: its own
        groups.setdefault(key, []).append(head)
        found.setdefault(key, {}).update((id(r), r) for r in recs)
    if not groups:
        return "This paper's declaration names no headline claim.\n"
    parts = []
    for k, (key, heads) in enumerate(groups.items()):
        (corpus, metric, available), recs = key, list(found[key].values())
        if not available:  # nothing can answer it here
            parts.append(f"The headline claim `{heads[0]['id']}`: `{corpus}` is not available here, and no corpus "
                         "stands in for it.\n")  # fmt: skip
            continue
        named = " and ".join(
            f"`{h['id']}` ({h['value']:g}{' %' if h['unit'] == '%' else ''}, {h['source']})" for h in heads
        )
        text = (
            f"The headline claim{'s' if len(heads) > 1 else ''} {named} on `{corpus}` "
            "(and on pools or cross-corpus runs that include it, and on a pool's other corpora alone), "
            "arm by arm: mean over seeds or folds "
            "with a 95 % t-interval (a single run with per-item predictions: a bootstrap interval over its test "
            "items), and the basis of each number.\n\n"
        )
        text += arms_table(recs, metric, registry, baselines)
        text += other_lr_arms(records, heads[0], registry, recs, baselines)
        # the first group's name predates the others; a corpus can have two groups (two metrics), so: a number
        name = f"{registry['paper']}-curves.png" if k == 0 else f"{registry['paper']}-{k + 1}-curves.png"
        if static_dir is not None and curves_figure(recs, static_dir / name):
            text += (
                f"\n```{{figure}} ../_static/{name}\n:alt: learning curves of the runs behind "
                f"{'these headline claims' if len(heads) > 1 else 'the headline claim'}\n\n"
                "The learning curves of these runs (one line per run and fold or seed, coloured by arm, protocol and "
                "profile): a run whose validation loss still falls at its last epoch had not converged.\n```\n"
            )
        parts.append(text)
    return "\n".join(parts)


def other_lr_arms(
    records: list[dict], head: dict, registry: dict, recs: list[dict], baselines: list[dict] | None = None
) -> str:
    """Markdown: the headline's arms again at each other learning rate that runs also trained at on the same
    splits (metrics named ``<metric>/lr<rate>``, e.g. the wavelet paper's conventional 0.001 beside its 0.1),
    so that a leak can be sized where the paper's own rate does not train; labelled as not the paper's
    setting. ``recs``: the headline's records, whose corpora and protocols these rows keep."""
    from ser.arms import arms_table

    pattern = re.compile(rf"^{re.escape(head['metric'])}/lr(\d+(?:\.\d+)?(?:e-?\d+)?)$")
    where = {(r["corpus"], r["protocol"]) for r in recs}
    mine = [r for r in records if r["paper"] == registry["paper"] and (r["corpus"], r["protocol"]) in where]
    mine = [r for r in mine if r["profile"] in ("paper", "cpu")]
    keys = sorted({k for r in mine for k in r["metrics"] if pattern.match(k)}, key=lambda k: float(pattern.match(k)[1]))
    out = ""
    for key in keys:
        out += (
            f"\nThe same arms on the same splits at learning rate {pattern.match(key)[1]}, a rate the runs also "
            f"trained at beside the paper's (metric `{key}`). It is not the paper's setting, so these rows carry no "
            "verdict on the claim; they show what each arm reaches when the network trains, and the leak at that "
            "rate.\n\n" + arms_table([r for r in mine if key in r["metrics"]], key, registry, baselines)
        )
    return out


SPEAKER_PROTOCOLS = ("speaker", "si3")


def _box_baselines(
    recs: list[dict],
    head: dict,
    corpus: str,
    main: str,
    baselines: list[dict] | None,
    registry: dict | None = None,
    cross: bool = False,
) -> str:
    """The verdict box's baseline cell: the best baseline (chosen on validation) on the splits of the
    main arm's runs and on the clean arm's splits, each named by its arm: a standard recipe on a leaky
    split gains from the leak as well, so the clean split's value is the fair comparison. Runs as
    :func:`ser.claims.compare` counts them (the claim's corpus and protocol, the best profile, diverged
    runs left out); none for a claim whose metric no baseline reports (a loss, a per-class score). With
    ``cross``: instead, the clean splits of each cross-corpus direction that involves ``corpus``."""
    from ser.baselines import baseline_metric, beside
    from ser.claims import claim_records, column

    if not baselines or head["unit"] == "M" or baseline_metric(head["metric"]) is None:
        return "–"
    k = 100.0  # baseline metrics are fractions; the box's cells are in %
    cells = []
    groups = {arm: (claim_records(recs, head, corpus), head["protocol"], arm) for arm in [main, "clean"]}
    if cross:  # each direction's clean splits (train on one corpus, test on another)
        directions = sorted({r["corpus"] for r in recs if _holds(r["corpus"], corpus, cross=True)})
        groups = {c: (claim_records(recs, head, c), "cross", "clean") for c in directions}
    for label, (answering, protocol, arm) in groups.items():
        mine = column(answering, protocol, arm, registry=registry).runs
        b = beside(mine, baselines, head["metric"], paired=False) if mine else {"n": 0}
        if not b["n"]:
            continue
        n, s = len(b["values"]), "s" if len(b["values"]) > 1 else ""
        if n > 1:  # over splits, as every table writes runs (never clipped; two splits: their values)
            value = mean_spread([k * v for v in b["values"]])
        else:  # one split: the baseline's bootstrap interval over its test items
            interval = "" if math.isnan(b["low"]) else f" [{k * b['low']:.1f}, {k * b['high']:.1f}]"
            value = f"{k * b['mean']:.1f}{interval}"
        cells.append(f"`{label}` split{s}: {value} ({n} split{s}; {b['baseline']})")
    return "; ".join(cells) or "–"


def _box_cell(
    rows: pd.DataFrame,
    arm: str,
    protocols: tuple[str, ...],
    corpus: str,
    cross: bool = False,
    basis: str | None = None,
    owed: dict | None = None,
) -> str:
    """One arm's result for the verdict box: mean [95 % interval] and its basis, preferring the
    ``paper`` profile, the claim's corpus over a pool that holds it, and more runs; only ``basis``'s
    runs when given (one row per corpus basis); cross-corpus: one such result per direction (train on
    one corpus, test on another), joined."""
    if rows.empty:
        return "–"
    mine = rows[(rows["arm"] == arm) & rows["protocol"].isin(protocols)]
    if mine.empty:  # (an empty frame's boolean mask below would drop its columns)
        return "–"
    if basis is not None and not cross:  # one row per corpus basis: the claim's, a pool holding it, or a pool member
        mine = mine[mine["corpus"] == basis]
    else:
        mine = mine[mine["corpus"].map(lambda c: _holds(c, corpus, cross)).astype(bool)]
    if mine.empty:
        return "–"
    order = mine.assign(_p=(mine["profile"] != "paper"), _c=(mine["corpus"] != corpus), _n=-mine["n"]).sort_values(
        ["_p", "_c", "_n"]
    )
    if cross:  # every direction, each at its best basis
        return "; ".join(
            _box_value(r, corpus, owed) for _, r in order.drop_duplicates("corpus").sort_values("corpus").iterrows()
        )
    return _box_value(order.iloc[0], corpus, owed)


def _box_value(r: pd.Series, corpus: str, owed: dict | None = None) -> str:
    all_diverged = r["diverged"] == r["n_runs"]
    value = "all diverged" if all_diverged else f"{r['mean']:.1f}"
    if not all_diverged and not math.isnan(r["low"]):
        value += f" [{r['low']:.1f}, {r['high']:.1f}]"
    elif not all_diverged and r["n"] == 2:  # two runs: their values, not a t interval spanning most of the scale
        value += f" ({' and '.join(f'{v:.1f}' for v in r['values'])})"
    short = r.get("folds_short") if r.get("runs_at_budget") else ""  # at the budget, on part of the folds
    budget = "" if r["paper_budget"] else f", {short}" if short else ", below budget"
    basis = [f"{r['n']} run{'s' if r['n'] > 1 else ''}", r["profile"] + budget]
    if r["diverged"] and not all_diverged:
        basis.append(f"{r['diverged']} more diverged, left out")
    if r.get("below_budget_left_out"):
        basis.append(f"{r['below_budget_left_out']} below the budget, left out")
    if r.get("still_improving"):  # a number that is no verdict on its own: say so where it is shown
        k = int(r["still_improving"])
        basis.append("still improving at the end" if k == r["n_runs"] else f"{k} still improving at the end")
    if r["corpus"] != corpus:
        basis.append(r["corpus"])
    done_asked = (owed or {}).get((r["arm"], r["corpus"], r["protocol"])) if r["profile"] == "paper" else None
    if done_asked:
        basis.append(f"{done_asked[0]} of the {done_asked[1]} seeds its issue asks")
    return f"{value} ({'; '.join(basis)})"


def _box_leak(rows: pd.DataFrame, corpus: str, protocol: str, bases: list[str] | None) -> str:
    """The leak cell: as published minus clean, at the ``paper`` profile else ``cpu``, on the first of
    ``bases`` where both arms ran (any corpus holding the claim's, the claim's own first, when None)."""
    from ser.arms import leak_pair, leak_size

    if rows.empty:
        return "–"
    why = ""  # why no leak, from the first profile (the paper's) whose two arms both ran
    for profile in ("paper", "cpu"):
        both = leak_pair(rows, profile, protocol=protocol)
        pools = bases or [c for c in both["corpus"].unique() if _holds(c, corpus, cross=False)]
        for c in sorted(pools, key=lambda c: c != corpus):
            pair = leak_pair(rows, profile, corpus=c, protocol=protocol)
            if pair["arm"].nunique() == 2 and not pair["paper_budget"].all():
                # as the arms table: an arm below the budget, or on part of the folds, gives no leak of the number
                at_budget = "runs_at_budget" in pair and pair["runs_at_budget"].all()
                why = why or (
                    "not every fold of the protocol has run yet" if at_budget else "an arm below the paper's budget"
                )
                continue
            d, lo, hi = leak_size(rows, profile, corpus=c, protocol=protocol)
            if math.isnan(d):
                continue
            leak = f"{d:+.1f}" + ("" if math.isnan(lo) else f" [{lo:+.1f}, {hi:+.1f}]") + f" ({profile}"
            if improving := int(pair["still_improving"].sum()):
                leak += f", {improving} of {int(pair['n_runs'].sum())} runs still improving"
            return leak + (f"; {c}" if c != corpus else "") + ")"
    return f"– ({why})" if why else "–"


def _speaker_arm(rows: pd.DataFrame) -> str:
    """The arm of the box's *speakers held out* column: ``speaker`` (``clean`` on a speaker-independent split)
    where a paper declares it, else ``clean`` where it ran on such a split itself (the wavelet paper's
    si3 folds), else the paper's text."""
    if rows.empty:
        return "paper_text"
    if (rows["arm"] == "speaker").any():
        return "speaker"
    if ((rows["arm"] == "clean") & rows["protocol"].isin(SPEAKER_PROTOCOLS)).any():
        return "clean"
    return "paper_text"


def verdict_box(records: list[dict], registry: dict, table: pd.DataFrame, baselines: list[dict] | None = None) -> str:
    """Markdown: the headline claims at a glance, for the top of a chapter, in the order declared: each
    claim, the main arm (the authors' code as it ran, else the paper's text), the clean arm, speakers
    held out, cross-corpus, the leak in points and the best baseline on the same split, each a mean with
    its 95 % interval and its basis, then the verdict of :func:`ser.claims.compare`. Where the arms ran
    both on the claim's corpus (or its stand-in) and on a pool that holds it, each corpus gets its own
    row, the claim's first: a pool is never mixed into, nor hidden behind, the single corpus."""
    heads = headline_claims(registry)
    if not heads:
        return "This paper's declaration names no headline claim.\n"
    parts = [_claim_rows(records, registry, table, baselines, head) for head in heads]
    several = any(len(rows) > 1 for rows, _, _ in parts)
    mains = {main for _, _, main in parts if main}  # (None: a claim with no runs, whose cells are all "–")
    mixed = len(mains) > 1  # claims whose main arms differ: one "as run" column, each cell naming its arm
    label = "as run" if mixed else _main_label(mains.pop() if mains else "paper_text")
    box = []
    for rows, _, main in parts:
        for row in rows:
            out = {"claim": row.pop("claim")}
            basis, cell = row.pop("_basis"), row.pop("_main")
            if several:  # the column goes after the claim's
                out["trained and tested on"] = basis
            out[label] = f"`{main}`: {cell}" if mixed and cell != "–" else cell
            box.append(out | row)
    stand_ins: dict[str, list[str]] = {}  # the corpus each claim reads -> the claims' own corpora it stands in for
    for (_, c, _), h in zip(parts, heads, strict=True):
        stand_ins.setdefault(f"`{h['corpus']}` (not available here)" if c is None else f"`{c}`", [])
        if c is not None and c != h["corpus"] and f"`{h['corpus']}`" not in stand_ins[f"`{c}`"]:
            stand_ins[f"`{c}`"].append(f"`{h['corpus']}`")
    corpora = [c + (f", standing in for {' and '.join(v)}" if v else "") for c, v in stand_ins.items()]
    note = (
        "\n\nMeans in % over runs with a 95 % Student-t interval (two runs: their two values instead, since a t "
        "interval on two runs spans most of the scale; a single run with per-item predictions: a bootstrap interval "
        "over its test items), then the basis: runs, profile, corpus when it is a pool or a stand-in. "
        + ("Corpus " if len(corpora) == 1 else "Corpora: ")
        + "; ".join(corpora)
        + "."
    )
    if mixed:
        note += (
            " *As run*: the authors' code as it ran (`as_published`) where a claim has it, else the paper's text "
            "(`paper_text`), each cell naming its arm."
        )
    if several:
        note += (
            " One row per corpus the arms ran on (″: as in the row above); the verdict reads the claim's own corpus "
            "(or its stand-in) alone, never a pool."
        )
    if any(row["speakers held out"] == "as *clean*" for row in box):
        note += " A claim whose own protocol holds speakers out has its *speakers held out* result in *clean*."
    return _md_table(pd.DataFrame(box)) + note + "\n"


def _main_label(main: str) -> str:
    return f"{'as published' if main == 'as_published' else 'paper text'} (`{main}`)"


def _claim_rows(
    records: list[dict], registry: dict, table: pd.DataFrame, baselines: list[dict] | None, head: dict
) -> tuple[list[dict], str | None, str | None]:
    """The verdict box's rows for one headline claim (one per corpus basis, see :func:`verdict_box`),
    each with the corpus it was trained and tested on under ``_basis`` (``–`` where nothing ran) and
    its main arm's cell under ``_main``; the corpus the claim is measured on (None: neither its own nor
    a stand-in), and its main arm: the authors' code as it ran where it has runs of the claim's
    metric, else the paper's text (None where it has no runs at all)."""
    from ser.arms import arm_rows
    from ser.owed import asked

    corpus, recs = headline_records(records, registry, head)
    rows = arm_rows(recs, head["metric"], registry=registry, baselines=baselines)
    main = "as_published" if not rows.empty and (rows["arm"] == "as_published").any() else "paper_text"
    proto = (head["protocol"],)
    owed = asked(registry, records) if registry.get("targets") else {}
    speaker_arm = _speaker_arm(rows)
    claimed = f"{head['value']:g}{' %' if head['unit'] == '%' else ''}"
    if head["unit"] == "" and head["value"] <= 1:
        claimed += f" ({100 * head['value']:g} %)"
    trow = table[(table["paper"] == registry["paper"]) & (table["claim"] == head["id"])]
    verdict = trow["status"].iloc[0] if len(trow) else "–"
    cross_baseline = _box_baselines(recs, head, corpus, main, baselines, registry, cross=True)
    armed = set()
    if len(rows):
        kept = rows["arm"].isin([main, "clean", speaker_arm]) & ~rows["corpus"].str.contains("-to-")
        armed = set(rows[kept]["corpus"])
    bases = sorted(armed, key=lambda c: (c != corpus, c))
    several = len(bases) > 1
    box = []
    for i, basis in enumerate(bases if several else [None]):
        row = {"claim": f"`{head['id']}`: {claimed} on {head['corpus']} ({head['source']})" if i == 0 else "″"}
        baseline_cells = [_box_baselines(recs, head, basis or corpus, main, baselines, registry)]
        if i == 0 and cross_baseline != "–":
            baseline_cells.append(f"cross-corpus {cross_baseline}")
        speakers = _box_cell(rows, speaker_arm, SPEAKER_PROTOCOLS, corpus, basis=basis, owed=owed)
        if head["protocol"] in SPEAKER_PROTOCOLS and speaker_arm == "clean" and speakers != "–":
            speakers = "as *clean*"  # the claim's own split holds speakers out: the clean cell is its result
        row |= {
            "_basis": f"`{basis or bases[0]}`" if bases else "–",
            "_main": _box_cell(rows, main, proto, corpus, basis=basis, owed=owed),
            "clean": _box_cell(rows, "clean", proto, corpus, basis=basis, owed=owed),
            "speakers held out": speakers,
            "cross-corpus": _box_cell(rows, "clean", ("cross",), corpus, cross=True, owed=owed) if i == 0 else "″",
            "leak (as published - clean), points": _box_leak(
                rows, corpus, head["protocol"], [basis] if several else None
            ),
            # each row's own splits (a pool's, a pool member's); the cross-corpus directions' on the first row
            "best baseline, same splits": "; ".join(c for c in baseline_cells if c != "–") or "–",
            # the rule's verdict reads the claim's corpus alone: on its row, else (no arm ran there) on the first
            "verdict": verdict
            if basis in (None, corpus) or (i == 0 and corpus not in bases)
            else f"– (the rule reads `{corpus}` alone)",
        }
        box.append(row)
    return box, corpus, None if rows.empty else main


def readings_of(registry: dict) -> list[str]:
    """The arms of a paper that are readings of its text: every arm but the authors'-code ones."""
    return [a for a in registry["arms"] if a not in ("as_published", "clean", "speaker", "paper_text")]


def readings_section(records: list[dict], registry: dict) -> str:
    """Markdown: what each reading changes (from the declaration) and its results beside the
    ``paper_text`` reading at the ``paper`` profile (:func:`ser.arms.readings_table`)."""
    from ser.arms import readings_table

    mine = [r for r in records if r["paper"] == registry["paper"]]
    about = "\n".join(f"- `{a}`: {registry['arms'][a]['about']}" for a in readings_of(registry))
    return about + "\n\n" + readings_table(mine)


def code_cells(nb: dict) -> list[str]:
    """Source of a notebook's code cells, without papermill's injected-parameters cell."""
    out = []
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code" or "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            continue
        src = cell.get("source", "")
        out.append("".join(src) if isinstance(src, list) else src)
    return out


def run_status_page(book_dir: Path, records: list[dict]) -> str:
    """MyST source: every run of the book with its arm, profile, when it ran, how long, at which
    commit (from the records it wrote), whether it failed, and whether the notebook's source changed
    since (then the executed copy in the book is stale)."""
    import json

    from ser.declaration import load_all
    from ser.paths import notebook_of

    rows = []
    for paper, decl in load_all().items():
        source = code_cells(json.loads(notebook_of(paper).read_text()))
        for entry in decl.get("runs", []):
            name, params = entry["name"], entry["params"]
            path = book_dir / "replications" / f"{name}.ipynb"
            row = {
                "run": f"[{name}](replications/{name})" if path.exists() else name,
                "paper": paper,
                "arm": params.get("arm", decl.get("default_arm", "–")),
                "profile": params.get("profile", "cpu"),
            }
            if not path.exists():
                rows.append(
                    row | {"ran": "not yet", "minutes": "–", "commit": "–", "outcome": "not run", "source": "–"}
                )
                continue
            nb = json.loads(path.read_text())
            pm = nb.get("metadata", {}).get("papermill", {})
            start, end = pm.get("start_time") or "", pm.get("end_time") or ""
            row["profile"] = (pm.get("parameters") or {}).get("profile", row["profile"])
            commits = sorted(
                {r["git_commit"][:10] + (" (dirty)" if r["git_commit"].endswith("-dirty") else "")
                 for r in records if r["paper"] == paper and start <= r.get("created", "") <= end + "~"}
            )  # fmt: skip
            failed = (book_dir / "replications" / f"{name}.failed.ipynb").exists() or pm.get("exception")
            rows.append(
                row
                | {
                    "ran": start[:16].replace("T", " ") or "–",
                    "minutes": f"{pm['duration'] / 60:.0f}" if pm.get("duration") else "–",
                    "commit": ", ".join(commits) or "–",
                    "outcome": "failed (the book keeps the last good copy)" if failed else "completed",
                    "source": "unchanged" if code_cells(nb) == source else "changed since it ran",
                }
            )
    out = [
        "# Run status",
        "",
        "Every run of the book (declared in `papers/claims/<paper>.yaml`), read when the book was built: when "
        "its executed notebook ran, for how long, at which commit (from the results files it wrote; *dirty* "
        "means uncommitted code), whether the last attempt failed, and whether the paper's notebook has "
        "changed since: *changed since it ran* means the page shows the code as it was then, and its "
        "numbers come from that code.",
        "",
        _md_table(pd.DataFrame(rows)),
        "",
    ]
    return "\n".join(out)


def write_csvs(static_dir: Path, records: list[dict], table: pd.DataFrame, baselines: list[dict] | None = None) -> None:
    """``runs.csv`` (one row per results file, with each run's bootstrap intervals) and ``claims.csv``
    (one row per claim) for download."""
    from core.io import atomic_write
    from ser.baselines import run_intervals
    from ser.claims import arm_of, convergence

    def bounds(r: dict) -> dict:
        boot = run_intervals(r, baselines or [])
        if boot is None:
            return {}
        return {
            f"{m}_{side}": boot[m][i] for m in ("accuracy", "ua", "macro_f1") for i, side in ((1, "low"), (2, "high"))
        } | {"interval_unit": boot["unit"]}

    runs = pd.DataFrame(
        [
            {
                "paper": r["paper"], "corpus": r["corpus"], "substitution": r.get("substitution") or "",
                "protocol": r["protocol"], "arm": arm_of(r), "profile": r["profile"],
                "seeds": " ".join(map(str, r["seeds"])), "fold": r.get("fold", ""),
                "config": (r.get("params") or {}).get("config") or (r.get("params") or {}).get("run") or "",
                "accuracy": r["metrics"].get("accuracy"), "macro_f1": r["metrics"].get("macro_f1"),
                "uar": r["metrics"].get("macro_recall"), "diverged": convergence(r)["diverged"],
                "still_improving": convergence(r)["still_improving"], "minutes": r["duration_s"] / 60,
                "git_commit": r["git_commit"], "device": r["device"], "file": Path(r["_file"]).name,
            } | bounds(r)
            for r in records
        ]
    )  # fmt: skip
    static_dir.mkdir(parents=True, exist_ok=True)
    for name, df in (("runs.csv", runs), ("claims.csv", table.drop(columns=["files"], errors="ignore"))):
        with atomic_write(static_dir / name) as fh:
            df.to_csv(fh, index=False)


def write_pages(book_dir: Path, results_dir: Path = RESULTS_DIR) -> list[Path]:
    """Write ``comparison.md``, ``runs.md`` and the scatter plot into ``book_dir``; return the paths."""
    from ser.owed import page as owed_page
    from ser.owed import standing_all
    from ser.report_speed import speed_page

    records = read_results(results_dir)
    baselines = read_baselines(results_dir / "baselines")
    table = compare_all(records, baselines=baselines)
    registries = load_registry()
    status = (
        table.groupby(["paper", "status"])
        .size()
        .unstack(fill_value=0)
        .reindex(columns=list(STATUSES), fill_value=0)
        .reset_index()
    )
    gen = book_dir / "_generated"
    gen.mkdir(exist_ok=True)
    pages = {
        book_dir / "comparison.md": comparison_page(results_dir, book_dir / "_static"),
        book_dir / "runs.md": runs_page(results_dir),
        book_dir / "baselines.md": baselines_page(baselines, records),
        book_dir / "explore.md": explore_page(records, baselines, results_dir.parent.parent),
        book_dir / "run-status.md": run_status_page(book_dir, records),
        book_dir / "speed.md": speed_page(results_dir / "bench", records),
        book_dir / "owed.md": owed_page(standing_all(records)),
        gen / "status.md": _md_table(status) + "\n\nNumber of claims per paper and status.\n",
        gen / "scorecard.md": scorecard(table, registries) + "\n",
    }
    for paper in table["paper"].unique():
        pages[gen / f"{paper}.md"] = paper_table(table[table["paper"] == paper]) + "\n"
        pages[gen / f"{paper}-runs.md"] = runs_summary(records, paper, summary_metrics(registries[paper]))
        pages[gen / f"{paper}-arms.md"] = headline_arms(records, registries[paper], book_dir / "_static", baselines)
        pages[gen / f"{paper}-baselines.md"] = paper_baselines(paper, baselines, records)
        pages[gen / f"{paper}-verdict.md"] = verdict_box(
            records, registries[paper], table[table["paper"] == paper], baselines
        )
        if readings_of(registries[paper]):
            pages[gen / f"{paper}-readings.md"] = readings_section(records, registries[paper])
        pages[gen / f"{paper}-evidence.md"] = paper_evidence(
            registries[paper], table[table["paper"] == paper], records, baselines, results_dir.parent.parent
        )
    write_csvs(book_dir / "_static", records, table, baselines)
    for path, text in pages.items():
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
    return list(pages)


def verdicts_text(papers: list[str] | None = None, claims: bool = False, results_dir: Path = RESULTS_DIR) -> str:
    """``ser verdicts``: for each paper (or those named), its headline claims beside every arm, with
    intervals and the verdict (:func:`verdict_box`), then the number of its claims per status; with
    ``claims``, one line per claim (claimed, reproduced, status and why). Read from the committed
    results files, as the book is, without building it. ``papers`` are declared papers (the command
    line checks the names)."""
    registries = load_registry()
    records = read_results(results_dir)
    baselines = read_baselines(results_dir / "baselines")
    table = compare_all(records, baselines=baselines)
    out = []
    for paper in dict.fromkeys(papers or sorted(registries)):  # each once, in the order given
        reg, mine = registries[paper], table[table["paper"] == paper]
        out += [f"## {paper}: {reg['title']}", "", verdict_box(records, reg, mine, baselines).rstrip(), ""]
        counts = mine["status"].value_counts()
        out.append("Claims: " + ", ".join(f"{STATUS_ICON[s]} {s} {counts[s]}" for s in STATUSES if s in counts))
        if claims:
            shown = pd.DataFrame(
                {
                    "claim": mine["claim"],
                    "claimed": [_fmt(v, u) for v, u in zip(mine["claimed"], mine["unit"], strict=True)],
                    "reproduced": [_reproduced(r, with_sd=False) for _, r in mine.iterrows()],
                    "status": [f"{STATUS_ICON[s]} {s}" for s in mine["status"]],
                    "why": [w if (w := _why(r)) and w != r["status"] else "–" for _, r in mine.iterrows()],
                }
            )
            out += ["", _md_table(shown)]
        out.append("")
    return "\n".join(out)
