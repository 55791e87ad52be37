"""Book pages for the reference baselines: one table per paper, and the book-wide baselines page.

Every number is read from the baseline records (``papers/results/baselines``) and the model records
when the book is built; the sanity references come from ``papers/baselines-references.yaml``.
"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import pandas as pd
import yaml

from core.baselines import FEATURE_SETS, GRIDS, SKIP
from core.stats import MIN_SPEAKERS
from ser.arms import mean_spread
from ser.baselines import baseline_for, beside, interval_is_meaningful
from ser.claims import all_diverged, diverged
from ser.markdown import md_table
from ser.paths import REPO_ROOT

REFERENCES = REPO_ROOT / "papers" / "baselines-references.yaml"
# Protocol names of the papers' speaker-independent splits.
SPEAKER_PROTOCOLS = {"speaker", "si3"}


def _pct(v: float) -> str:
    return "–" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{100 * v:.1f}"


def _ci(b: dict, key: str) -> str:
    """Value [interval] of a baseline record's best row; no interval where it would mislead."""
    best = b["best"]
    if not interval_is_meaningful(b):
        return f"{_pct(best[key])} (no interval: {b.get('test_speakers')} test speakers)"
    note = " †" if best.get("interval_unit", "").startswith("clips (") else ""
    return f"{_pct(best[key])} [{_pct(best[f'{key}_low'])}, {_pct(best[f'{key}_high'])}]{note}"


def _md(df: pd.DataFrame) -> str:
    return md_table(df)


def _split_name(b: dict) -> str:
    return Path(b["split_file"]).stem + ("" if b.get("fold") is None else f" fold {b['fold']}")


def is_leaky(b: dict) -> bool:
    """A baseline record run on a leaky split (noisy copies of test clips in training)."""
    return "leak" in b


def same_splits(baselines: list[dict]) -> list[list[dict]]:
    """The baseline records grouped by clean split: two split files with the same content (a paper
    that saves one split under two names, e.g. per arm or balance version) form one group, its first
    record standing for it; leaky splits (:func:`is_leaky`) are in none: they have a table of their own
    (:func:`leak_table`)."""
    from core.manifest import file_digest  # memoised: the page's three tables hash each split once

    seen: dict[tuple, list[dict]] = {}
    for b in baselines:
        if is_leaky(b):
            continue
        path = REPO_ROOT / b["split_file"]
        content = file_digest(path) if path.exists() else b["split_file"]
        seen.setdefault((content, b.get("fold")), []).append(b)
    return list(seen.values())


def distinct(baselines: list[dict]) -> list[dict]:
    """One baseline record per distinct clean split (:func:`same_splits`): a split saved under two
    names counts once in any mean, and leaky splits count in none."""
    return [g[0] for g in same_splits(baselines)]


def models_on(b: dict, records: list[dict]) -> list[dict]:
    """Model records whose split (and fold) is the baseline record ``b``'s."""
    return [r for r in records if baseline_for(r, [b]) is b]


def _model_cell(b: dict, records: list[dict]) -> str:
    """Each model run on this split: its accuracy, and how it compares with the baseline."""
    cells = []
    for r in models_on(b, records):
        if "accuracy" not in r["metrics"]:
            continue
        cmp = beside([r], [b])
        word = f"{cmp['paired']['word']} (paired items)" if cmp["paired"] else "not paired: no per-item predictions"
        cells.append(f"{r.get('run') or Path(r['_file']).stem}: {_pct(r['metrics']['accuracy'])} ({word})")
    return "<br>".join(cells) or "–"


def paper_baselines(paper: str, baselines: list[dict], records: list[dict]) -> str:
    """Markdown: one row per split of ``paper``, the best baseline (chosen on validation) with intervals,
    and the model runs on the same split."""
    mine = [b for b in baselines if b["paper"] == paper]
    if not mine:
        return "No baseline has been run on this paper's splits yet (`ser baselines --paper " + paper + "`).\n"
    rows = [
        {
            "split": _split_name(b),
            "protocol": b["protocol"],
            "best baseline (chosen on validation)": f"{b['best']['features']} + {b['best']['classifier']}",
            "val UA": _pct(b["best"]["val_ua"]),
            "test UA [95 %]": _ci(b, "ua"),
            "test WA [95 %]": _ci(b, "accuracy"),
            "macro F1": _pct(b["best"]["macro_f1"]),
            "test items (speakers)": f"{b['n_test']} ({b['test_speakers']})",
            "model runs on this split: accuracy (vs baseline)": _model_cell(b, records),
        }
        for b in sorted(mine, key=lambda b: (b["corpus"], b["protocol"], _split_name(b)))
    ]
    out = (
        _md(pd.DataFrame(rows)) + "\n\nValues in %. Intervals resample speakers when the test part holds at least "
        f"{MIN_SPEAKERS}; † marks intervals that resample clips and hold only for the test speakers present; "
        "older records with 2 to 9 test speakers show none.\n"
    )
    leaks = leak_table(baselines, records, paper)
    if not leaks.empty:
        out += "\n**The leak alone, measured with the standard recipe.** " + LEAK_NOTE + "\n\n" + _md(leaks) + "\n"
    return out


def clean_twin(b: dict, baselines: list[dict]) -> dict | None:
    """The baseline on the clean split that matches leaky record ``b`` (same paper, corpus,
    protocol and seed; the split named ``clean`` where the leaky one is named ``as_published``)."""
    want = Path(b["split_file"]).name.replace("as_published", "clean")
    key = ("paper", "corpus", "protocol", "seeds")
    same = (c for c in baselines if not is_leaky(c) and all(c[k] == b[k] for k in key))
    return next((c for c in same if Path(c["split_file"]).name == want), None)


def leak_table(baselines: list[dict], records: list[dict], paper: str | None = None) -> pd.DataFrame:
    """How much the leak alone gives a standard recipe: for every leaky split, the best baseline's
    test accuracy there (and on its original clips only) beside the same recipe chosen on the clean
    split of the same seed, and the model's accuracy on each."""
    rows = []
    for b in baselines:
        if not is_leaky(b) or (paper and b["paper"] != paper):
            continue
        twin = clean_twin(b, baselines)

        def model_wa(base: dict | None) -> str:
            runs = models_on(base, records) if base else []
            shown = [f"{_pct(r['metrics']['accuracy'])} ({r['profile']})" for r in runs if "accuracy" in r["metrics"]]
            return ", ".join(shown) or "–"

        gain = 100 * (b["best"]["accuracy"] - twin["best"]["accuracy"]) if twin else None
        rows.append(
            {
                "leaky split": _split_name(b),
                "test items with a twin in training": _pct(b["leak"]["sibling_in_train"]),
                "best baseline there": f"{b['best']['features']} + {b['best']['classifier']}",
                "its WA [95 %]": _ci(b, "accuracy"),
                "its WA on original test clips": _pct(b["leak"]["accuracy_originals"]),
                "clean split of the same seed: best baseline WA": _ci(twin, "accuracy") if twin else "not run",
                "what the leak gives the baseline (points)": "–" if gain is None else f"{gain:+.1f}",
                "model WA: leaky split / clean split": f"{model_wa(b)} / {model_wa(twin)}",
            }
        )
    return pd.DataFrame(rows)


LEAK_NOTE = (
    "Noisy copies rebuilt for the baselines with the model run's copies per clip, SNR per clip and noise seeds "
    "(noise added to the clip as read, since the baselines' features see whole clips). *What the leak gives the "
    "baseline*: leaky-split WA minus clean-split WA of the best baseline (each chosen on its own validation part), "
    "from one seed: the part of a leaky claim that needs no model at all."
)


def summary_table(baselines: list[dict], records: list[dict]) -> pd.DataFrame:
    """One row per paper x corpus x protocol: splits, the usual choice, mean best-baseline UA and WA
    with t intervals over splits, and the mean accuracy of the model records answering a claim there."""
    groups: dict[tuple, list[list[dict]]] = {}  # each split: its baseline records under all its names
    for same in same_splits(baselines):
        groups.setdefault((same[0]["paper"], same[0]["corpus"], same[0]["protocol"]), []).append(same)
    rows = []
    for (paper, corpus, protocol), splits in sorted(groups.items()):
        bs = [same[0] for same in splits]
        ua = [b["best"]["ua"] for b in bs]
        wa = [b["best"]["accuracy"] for b in bs]
        # the runs on a split, whichever of its names their record gives (the arms of one paper may
        # save the same split twice): counting only the first name's runs hid the other arms' runs
        on = [
            [r for b in same for r in models_on(b, records) if r["claim_ids"] and "accuracy" in r["metrics"]]
            for same in splits
        ]
        answering = [r for runs in on for r in runs]
        choice = Counter(f"{b['best']['features']} + {b['best']['classifier']}" for b in bs).most_common(1)[0]
        chosen = _choose_model_group(answering) if answering else None  # chosen once, for both cells
        shown = {id(r) for r in _model_group(chosen)}
        # the baseline on the very splits the model cell's runs used: the comparison the row invites
        paired = [b["best"]["accuracy"] for b, runs in zip(bs, on, strict=True) if any(id(r) in shown for r in runs)]
        rows.append(
            {
                "paper": paper,
                "corpus": corpus,
                "protocol": protocol,
                "splits": len(bs),
                "usual best (times chosen)": f"{choice[0]} ({choice[1]})",
                "baseline UA": _with_interval(ua),
                "baseline WA": _with_interval(wa),
                "replicated model WA (runs)": _model_wa(answering, chosen),
                "baseline WA on the model's splits": f"{_with_interval(paired)} ({len(paired)})" if paired else "–",
            }
        )
    return pd.DataFrame(rows)


def _model_group(chosen: tuple[tuple, list[dict]] | None) -> list[dict]:
    """The runs :func:`_model_wa` averages of a :func:`_choose_model_group` choice, diverged runs left out
    (all of them when every one diverged)."""
    if chosen is None:
        return []
    g = chosen[1]
    return [r for r in g if not diverged(r)] or g


def _choose_model_group(runs: list[dict]) -> tuple[tuple, list[dict]]:
    """One arm, profile, budget, configuration and setting of ``runs``: the ``paper`` profile first, runs at
    the paper's budget first, the leak-free arms first (``clean``, ``speaker``, the paper's text, then the
    authors' code), then the group with the most runs that trained."""
    from ser.claims import arm_of, at_paper_budget, by_configuration, load_registry

    try:
        registry = load_registry(runs[0]["paper"])[runs[0]["paper"]]
    except (FileNotFoundError, KeyError):
        registry = {}
    groups = {
        (profile, arm, budget, f"{name}, {label}" if label else name): g
        for (profile, arm, budget, name, label), g in by_configuration(
            runs, lambda r: (r["profile"], arm_of(r), at_paper_budget(r, registry))
        ).items()
    }
    rank = ("clean", "speaker", "paper_text", "as_published")

    def order(kv: tuple) -> tuple:
        (profile, arm, budget, _label), g = kv
        healthy = sum(not diverged(r) for r in g)  # runs that trained count, not collapsed ones
        return (profile != "paper", not budget, rank.index(arm) if arm in rank else len(rank), arm, -healthy)

    return min(groups.items(), key=order)


def _model_wa(runs: list[dict], chosen: tuple[tuple, list[dict]] | None = None) -> str:
    """The model's mean accuracy on a group's (leak-free) splits from one arm, profile, budget,
    configuration and training setting only (:func:`_choose_model_group`), never leaky and clean arms,
    budgets or learning rates averaged together; diverged runs left out. Runs of the other arms, profiles
    or settings are counted, not averaged in."""
    if not runs:
        return "–"
    (profile, arm, budget, label), g = chosen or _choose_model_group(runs)
    kept = [r for r in g if not diverged(r)]
    what = f"`{arm}`, {profile}" + ("" if label == "main" else f", {label.removeprefix('main, ')}")
    what += "" if budget else ", below budget"
    basis = f"{len(kept)}; {what}"
    if kept and len(kept) < len(g):
        basis += f", {len(g) - len(kept)} diverged left out"
    others = len(runs) - len(g)
    more = f"; {others} other run(s) of other arms, profiles, budgets or settings not averaged in" if others else ""
    if not kept:
        return f"{all_diverged(len(g))} ({what}){more}"
    return f"{_with_interval([r['metrics']['accuracy'] for r in kept])} ({basis}){more}"


def _with_interval(values: list[float]) -> str:
    """Mean over splits with its spread, in % (:func:`ser.arms.mean_spread`)."""
    return mean_spread(values, _pct)


def sanity_table(baselines: list[dict]) -> pd.DataFrame:
    """Our speaker-independent eGeMAPS / ComParE UA (the classifier chosen on validation per split)
    beside the published reference figures."""
    ref = yaml.safe_load(REFERENCES.read_text())
    rows = []
    for r in ref["references"]:
        values = []
        for b in distinct(baselines):
            if b["corpus"] != r["corpus"] or b["protocol"] not in SPEAKER_PROTOCOLS:
                continue
            cands = [t for t in b["table"] if t["features"] == r["features"]]
            if cands:
                values.append(max(cands, key=lambda t: t["val_ua"])["ua"])
        rows.append(
            {
                "corpus": r["corpus"],
                "feature set": r["features"],
                "reference UA": f"{100 * r['value']:.0f}",
                "reference protocol": r["protocol"],
                "ours: UA (splits)": f"{_with_interval(values)} ({len(values)})" if values else "not run",
                "our protocol": "speaker-independent splits of the book"
                + ("; EmoDB is the 2-second copy" if r["corpus"] == "emodb" else ""),
            }
        )
    return pd.DataFrame(rows)


def matrix_table(baselines: list[dict]) -> pd.DataFrame:
    """Mean test UA of every feature set x classifier per corpus and protocol (for reading, not for
    choosing: the headline baseline is chosen on validation)."""
    rows = [
        {
            "corpus": b["corpus"],
            "protocol": b["protocol"],
            "features": t["features"],
            "classifier": t["classifier"],
            "ua": t["ua"],
        }  # fmt: skip
        for b in distinct(baselines)
        for t in b["table"]
    ]
    if not rows:
        return pd.DataFrame()
    df = pd.DataFrame(rows)
    pivot = df.pivot_table(
        index=["corpus", "protocol"], columns=["features", "classifier"], values="ua", aggfunc="mean"
    )
    pivot.columns = [f"{f} + {c}" for f, c in pivot.columns]
    return (100 * pivot).round(1).reset_index()


def baselines_page(baselines: list[dict], records: list[dict]) -> str:
    """MyST source of the book's baselines page."""
    grids = "; ".join(f"{k}: {', '.join('–' if v is None else f'{v:g}' for v in vals)}" for k, vals in GRIDS.items())
    out = [
        "# Baselines: is the model better than the standard recipe?",
        "",
        "Generated when the book is built from `papers/results/baselines/` (written by `ser baselines`).",
        "",
        "For every split file a replication saved (each fold of a k-fold file), standard feature sets "
        f"({'; '.join(f'**{k}**: {v}' for k, v in FEATURE_SETS.items())}) go through a median imputer and a "
        "standard scaler fitted on the training part, then a linear SVM, an RBF SVM, logistic regression and "
        f"a random forest (300 trees). C is chosen by unweighted average recall (UA) on the validation part "
        f"({grids}); {', '.join(f'{f} + {c}' for f, c in sorted(SKIP))} are left out (ComParE's 6,373 "
        "values go to the SVMs only). The **best baseline** of a split is the feature set and classifier "
        "with the highest validation UA: the test part chooses nothing. Test accuracy (WA), UA and macro F1 "
        "get 95 % bootstrap intervals that resample speakers when the test part holds several.",
        "",
        "On clean splits the baselines train on original clips only: noisy copies in a training part are left "
        "out. A split with copies in its test part (the BAVED `as_published` arm, noise added before the split) "
        "is run on rebuilt copies (below, *The leak alone*) and counts in no mean.",
        "",
    ]
    if not baselines:
        return "\n".join(out + ["No baseline records yet: run `ser baselines`.", ""])
    seconds = sum(b["duration_s"] for b in baselines)
    out += [
        f"{len(baselines)} split files ({len(distinct(baselines))} distinct splits), {seconds / 60:.1f} "
        "CPU-minutes in all (features from the cache). Means count each distinct split once.",
        "",
        "## Per paper, corpus and protocol",
        "",
        "Means over splits with a t interval (values in %; two splits: their two values). *Replicated model "
        "WA*: the mean test accuracy of the model records that answer a claim on these splits, from one arm, "
        "profile, budget and training setting only (the `paper` profile, runs at the paper's budget and the "
        "leak-free arms first; diverged runs left out), named in brackets with its run count; runs of other "
        "arms, profiles or settings are counted, never averaged in. *Baseline WA on the model's splits*: the "
        "baseline on exactly the splits of the runs in the model cell (their count in brackets), the "
        "comparison the row invites; the chapters compare the two split by split.",
        "",
        _md(summary_table(baselines, records)),
        "",
        *(
            ["## The leak alone", "", LEAK_NOTE, "", _md(leak_table(baselines, records)), ""]
            if any(is_leaky(b) for b in baselines)
            else []
        ),
        "## Sanity check against published figures",
        "",
        "Speaker-independent UA of eGeMAPS and ComParE (for each split, the classifier chosen on validation) "
        "beside published figures for the same feature sets. The protocols differ in detail (folds, "
        "classifiers, our EmoDB copy is cut to 2 seconds), so only a gross disagreement would point at a "
        f"problem. Source of the references: {yaml.safe_load(REFERENCES.read_text())['source']}.",
        "",
        _md(sanity_table(baselines)),
        "",
        "## Every feature set and classifier",
        "",
        "Mean test UA (%) over the splits of each corpus and protocol, for reading only: picking the best "
        "column here would be choosing on test.",
        "",
        _md(matrix_table(baselines).fillna("–")),
        "",
    ]
    return "\n".join(out)
