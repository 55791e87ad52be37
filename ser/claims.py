"""Claims (in each paper's declaration, ``papers/claims/<paper>.yaml``) and their comparison with results.

A claim is a number a paper prints, with its source. Its status is computed,
never typed in:

- ``reproduced``: measured on the paper's corpus and protocol, and the claimed
  value lies within the tolerance of the mean over seeds;
- ``reproduced only with the leak``: the ``as_published`` arm (the authors' code, leaks kept)
  reproduces it and the ``clean`` arm, at the paper's budget, does not;
- ``not reproduced``: measured the same way at the paper's budget, outside the tolerance, and no
  run of it still improving at its last epoch (a model-size claim needs no budget);
- ``inconclusive: still improving``: outside the tolerance at the paper's budget, but some runs'
  validation loss was still falling at their last epoch, so the budget may not have sufficed;
- ``inconclusive: reduced budget``: outside the tolerance, but only runs below the paper's
  budget (or on fewer folds than its protocol) exist, so the gap may be under-training;
- ``diverged: no verdict``: every run of the reproduced column diverged (a non-finite loss, a
  training loss back at the chance level, or one class for every item), so it says what the
  setting does to training, not whether the claim holds;
- ``substituted corpus``: the method was run, but on another corpus (or on a
  modified copy, such as the 2-second EmoDB, which the record marks as a substitution);
- ``data unavailable``: neither the paper's corpus nor a declared stand-in that could answer it is available
  (a stand-in without the claim's emotion cannot); a claim whose stand-in could answer it but has not yet
  is ``not yet run``;
- ``clean arm only: no verdict``: no run of the main arm, but the ``clean`` arm ran for the claim
  (BAVED's Table 2 learning rates, which the issue asks on the clean arm): the claimed number was
  made with the authors' leaks, so a clean run below it says what the leak-free recipe does at that
  setting, not that the claim fails; the reason gives the clean mean. Clean runs that reach the
  claim at the paper's budget make it ``reproduced`` (without the leaks), on a stand-in corpus
  ``substituted corpus``, all collapsed ``diverged: no verdict``;
- ``not run``: the registry gives a reason (e.g. pretrained weights unavailable);
- ``not yet run``: no results file addresses the claim.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from ser import declaration
from ser.declaration import DECLARATIONS_DIR
from ser.paths import REPO_ROOT

CLAIMS_DIR = DECLARATIONS_DIR
# Corpora whose claims can get a verdict here (the ones in the shared data).
AVAILABLE_CORPORA = {"baved", "ravdess", "eyase", "emodb", "tess"}
# |mean - claim| allowed for "reproduced": percentage points for "%", absolute otherwise
# "M" (millions of parameters): half a unit of the 0.01 M the papers print
TOLERANCE = {"%": 2.0, "": 0.02, "loss": 0.05, "M": 0.005}
STATUSES = (
    "reproduced",
    "reproduced only with the leak",
    "not reproduced",
    "inconclusive: still improving",
    "inconclusive: reduced budget",
    "diverged: no verdict",
    "substituted corpus",
    "data unavailable",
    "clean arm only: no verdict",
    "not run",
    "not yet run",
)
# The arm whose runs carry the verdict: the authors' code as it ran when it exists, else the paper's
# text read literally (records made before arms existed are that).
MAIN_ARMS = ("as_published", "paper_text")


def load_registry(paper: str | None = None, directory: Path = DECLARATIONS_DIR) -> dict[str, dict]:
    """``{paper: declaration}`` for every declaration file (or one paper), validated."""
    if paper is not None:
        return {paper: declaration.load(paper, directory)}
    return declaration.load_all(directory)


def validate_registry(reg: Any, name: str = "registry") -> None:
    """Raise ``ValueError`` with the offending path if ``reg`` breaks the declaration schema."""
    declaration.validate_declaration(reg, name)


def match_claims(decl: dict, config: Mapping[str, Any], metrics: Mapping[str, Any]) -> list[str]:
    """The one rule for which claims a record answers: the claim is run (no ``not_run``), the record
    carries the claim's metric, and the claim's ``config`` is a subset of the record's configuration.

    Corpus and protocol are not matched here: :func:`compare` takes each claim's corpus (or its
    declared stand-in) and protocol from the records, so a record on a stand-in corpus or another
    protocol is shown in its own column, never averaged into the paper's.
    """
    missing = object()
    return sorted(
        c["id"]
        for c in decl["claims"]
        if not c.get("not_run")
        and c["metric"] in metrics
        and all(config.get(k, missing) == v for k, v in c.get("config", {}).items())
    )


def is_loss(metric: str) -> bool:
    """``loss`` and per-model losses such as ``loss/serdnn``."""
    return metric == "loss" or metric.startswith("loss/")


def tolerance(claim: dict) -> float:
    if is_loss(claim["metric"]):
        return TOLERANCE["loss"]
    return TOLERANCE[claim["unit"]]


def _scale(claim: dict) -> float:
    return 100.0 if claim["unit"] == "%" else 1.0


def _best_profile(records: list[dict], profiles: tuple[str, ...]) -> tuple[list[dict], str]:
    """The records of the earliest profile in ``profiles`` that has any, and that profile."""
    profile = next((p for p in profiles if any(r["profile"] == p for r in records)), profiles[0])
    return [r for r in records if r["profile"] == profile], profile


def config_name(rec: dict) -> str:
    """The configuration a record belongs to: its ``config`` or ``run`` parameter, with the balance."""
    params = rec.get("params", {})
    name = params.get("config") or params.get("run") or "main"
    balance = params.get("balance")
    return f"{name} ({balance})" if balance and balance not in name else name


# training settings that tell two runs of one arm and configuration apart in the runs table (a study of
# learning rates, a run without its scheduler): shown in the run's name where they differ within a group
SETTINGS = ("lr", "scheduler", "epochs", "batch_size", "optimizer", "weight_decay", "pool", "duration")


def setting_labels(recs: list[dict]) -> list[str]:
    """Per record, the settings of :data:`SETTINGS` whose values differ across ``recs`` (``lr 0.02``)."""

    # a setting at the top of the params, or (records that keep it there alone) in their training config
    def setting(params: dict, k: str):
        return params.get(k, (params.get("train") or {}).get(k))

    params = [{k: setting(r.get("params") or {}, k) for k in SETTINGS} for r in recs]
    varying = [k for k in SETTINGS if len({repr(p[k]) for p in params}) > 1]
    return [", ".join(f"{k} {p[k]}" for k in varying) for p in params]


def by_configuration(records: list[dict], key: Callable[[dict], tuple]) -> dict[tuple, list[dict]]:
    """``records`` grouped by ``key(record)``, then by configuration (:func:`config_name`), then by the
    training settings that tell that configuration's runs apart (:func:`setting_labels`): keys are
    ``(*key(record), name, label)``, with ``label`` empty where no setting differs."""
    first: dict[tuple, list[dict]] = {}
    for r in records:
        first.setdefault((*key(r), config_name(r)), []).append(r)
    groups: dict[tuple, list[dict]] = {}
    for k, g in first.items():
        for r, label in zip(g, setting_labels(g), strict=True):
            groups.setdefault((*k, label), []).append(r)
    return groups


def arm_of(rec: dict) -> str:
    """A record's arm; records made before arms existed read the paper's text literally."""
    return rec.get("arm", "paper_text")


def at_paper_budget(rec: dict, registry: dict) -> bool:
    """Whether a record ran at the paper's budget: its own ``budget`` block says so, or (records made
    before budgets were recorded) its profile's budget in the declaration covers the ``paper`` one."""
    if "budget" in rec:
        return bool(rec["budget"].get("paper_budget")) and not stopped_short(rec, registry)
    profiles = registry.get("profiles")
    if not profiles:
        return rec["profile"] == "paper"
    if not declaration.covers(profiles.get(rec["profile"], {}), profiles["paper"]):
        return False
    steps = profiles["paper"].get("steps")
    if steps:  # a budget in optimizer steps: what the record's epochs allowed on its training set
        p = rec.get("params", {})
        train = p.get("train") or {}
        n, bs, ep = p.get("n_train") or rec.get("n_train"), train.get("batch_size"), train.get("epochs")
        if not (n and bs and ep) or ep * declaration.steps_per_epoch(n, bs) < steps:
            return False
    return True


def stopped_short(rec: dict, registry: dict) -> bool:
    """A record of a budget in optimizer steps whose early stopping counted its patience in its own epochs
    where the authors' counted theirs (the ``paper`` profile's ``epoch_steps``): it stopped before the step
    budget after waiting far fewer steps than the authors' run would have (Bonnefoy records before
    2026-12-02: 5 epochs of ~31 steps on RAVDESS, where the co-author's 5 epochs were 4,235 steps)."""
    b = rec.get("budget") or {}
    epoch_steps = ((registry.get("profiles") or {}).get("paper") or {}).get("epoch_steps")
    if not epoch_steps or not b.get("steps") or b.get("epoch_steps"):
        return False
    return (b.get("steps_run") or 0) < b["steps"]


def _usable(recs: list[dict]) -> tuple[list[dict], int, bool]:
    """The runs of one column a mean may use: those that did not diverge, or all of them when every one
    diverged; with the count of diverged runs and whether all did."""
    bad = sum(diverged(r) for r in recs)
    if bad < len(recs):
        return [r for r in recs if not diverged(r)], bad, False
    return recs, bad, bool(recs)


class Column(NamedTuple):
    """The runs of one column of a claim's comparison (:func:`column`)."""

    runs: list[dict]  # the runs a mean may use (:func:`_usable`)
    profile: str  # the profile they come from
    n_diverged: int
    all_diverged: bool
    every: list[dict]  # every run of that profile, diverged ones included
    short: int = 0  # runs of that profile below the paper's budget, left out beside runs at it


def column(
    records: Iterable[dict],
    protocol: str,
    arm: str,
    profiles: tuple[str, ...] = ("paper", "cpu"),
    registry: dict | None = None,
) -> Column:
    """One arm's runs on one protocol as the comparison counts them: the earliest profile in ``profiles``
    that has any, within it the runs at the paper's budget where some are (``registry`` given), diverged
    runs left out of the mean unless all diverged. ``records`` are a claim's (:func:`claim_records`);
    :func:`compare` and the chapters' verdict box both take their columns here."""
    every, profile = _best_profile([r for r in records if r["protocol"] == protocol and arm_of(r) == arm], profiles)
    short = 0
    if registry is not None:
        every, short = prefer_at_budget(every, registry)
    runs, bad, all_bad = _usable(every)
    return Column(runs, profile, bad, all_bad, every, short)


def prefer_at_budget(recs: list[dict], registry: dict) -> tuple[list[dict], int]:
    """The runs at the paper's budget when some are, else all; with how many below-budget runs were left
    out (a mean never mixes runs of the paper's budget with runs stopped short of it)."""
    full = [r for r in recs if at_paper_budget(r, registry)]
    if full and len(full) < len(recs):
        return full, len(recs) - len(full)
    return recs, 0


def claim_records(records: Iterable[dict], claim: dict, corpus: str | None) -> list[dict]:
    """The records that answer ``claim`` on ``corpus`` alone: naming the claim, reporting its metric."""
    return [
        r
        for r in records
        if claim["id"] in r["claim_ids"] and claim["metric"] in r["metrics"] and r["corpus"] == corpus
    ]


def claim_corpus(claim: dict, registry: dict) -> str | None:
    """The one corpus a claim is measured on: its own when we have it, else the registry's declared
    stand-in (never an average of several); None when neither exists."""
    return (
        claim["corpus"] if claim["corpus"] in AVAILABLE_CORPORA else registry.get("substitute", {}).get(claim["corpus"])
    )


def _class_missing(metric: str, corpus: str) -> bool:
    """Whether a per-class metric (``f1/fear``) names an emotion that ``corpus`` does not have, so that no
    run on it can answer the claim (suffixes that are no corpus's label, e.g. ``accuracy/k3``, are not)."""
    from core.data import CORPORA

    cls = metric.partition("/")[2]
    labels = {label for c in CORPORA.values() for label in c.labels}
    return cls in labels and corpus in CORPORA and cls not in CORPORA[corpus].labels


def folds_cover(recs: list[dict], registry: dict) -> bool:
    """Whether records of a fold protocol hold every fold of the ``paper`` profile (a record is one fold,
    at the paper's budget on its own; a mean over fewer folds is a reduced protocol, not the paper's)."""
    folds = (registry.get("profiles") or {}).get("paper", {}).get("folds")
    have = {r.get("fold") for r in recs}
    if not folds or None in have:  # no folds in the paper's protocol, or records that are not per fold
        return True
    if recs and all("-to-" in r.get("corpus", "") for r in recs):  # across corpora the test part is the other corpus:
        return True  # one fold per seed (a second would only redraw the validation part)
    return set(folds) <= have


# Papers whose models train on their own compound loss (no chance-level cross-entropy to compare
# with), for records made before the trainer recorded its loss kind.
COMPOUND_LOSS_PAPERS = ("emotionnet", "cnn_blstm_attention")  # VAE + classifier; cross-entropy + L2


def classes_predicted(rec: dict) -> int | None:
    """How many classes the model predicted for at least one test item (non-empty columns of its
    confusion matrix); None for a record without one."""
    conf = rec.get("confusion")
    if not conf or len(conf) < 2:
        return None
    return sum(any(row[j] for row in conf) for j in range(len(conf[0])))


def one_class(rec: dict) -> bool:
    """Whether the model predicted the same class for every test item (its confusion matrix has one
    non-empty column): a collapsed network, whatever its loss curve says."""
    conf = rec.get("confusion")
    return classes_predicted(rec) == 1 and sum(map(sum, conf)) > 1


def convergence(rec: dict) -> dict[str, bool]:
    """``diverged`` and ``still_improving`` of a record: as stored, or (records made before the
    trainer diagnosed itself) derived from its learning curve by the same rule
    (:meth:`core.train.History.diagnose`). A model that predicts one class for every test item has
    collapsed and counts as diverged (a compound loss, e.g. cross-entropy plus L2, hides that from the
    chance-level rule)."""
    out = _convergence(rec)
    if one_class(rec):
        out["diverged"] = True
    return out


def _convergence(rec: dict) -> dict[str, bool]:
    from core.stats import at_chance

    hist = rec.get("history") or {}
    loss = hist.get("loss") or ("compound" if rec.get("paper") in COMPOUND_LOSS_PAPERS else "cross_entropy")
    known = len(rec.get("labels") or []) or len(rec.get("confusion") or [])  # 0: the class count is unknown
    if ("diverged" in hist and "still_improving" in hist) or not hist.get("val_loss"):
        # a run that early stopping ended had stopped improving (records before this rule could say otherwise)
        improving = bool(hist.get("still_improving")) and not hist.get("stopped_early")
        # records made before the rule read "at the chance level" as "above it": the stored curve decides
        back = bool(known) and loss == "cross_entropy" and at_chance(hist.get("train_loss") or [], known)
        return {"diverged": bool(hist.get("diverged")) or back, "still_improving": improving}
    from core.train import History

    n_classes = known or 2

    budget = (rec.get("params", {}).get("train") or {}).get("epochs") or len(hist["val_loss"])
    h = History(
        val_loss=list(hist["val_loss"]),
        train_loss=list(hist.get("train_loss", [])),
        epochs_budget=budget,
        loss=loss,
        stopped_early=bool(hist.get("stopped_early")),
    )
    h.diagnose(n_classes)
    return {"diverged": h.diverged, "still_improving": h.still_improving}


def diverged(rec: dict) -> bool:
    return convergence(rec)["diverged"]


def all_diverged(n: int) -> str:
    """How the tables say that each of ``n`` runs diverged: "its one run diverged" or "all 3 runs diverged"."""
    return "its one run diverged" if n == 1 else f"all {n} runs diverged"


def _meets(c: dict, mean: float, tol: float) -> bool:
    """Within the tolerance, or better than the claim (higher, or lower for a loss; not for sizes)."""
    if abs(mean - c["value"]) <= tol:
        return True
    if c["unit"] == "M":
        return False
    return mean <= c["value"] if is_loss(c["metric"]) else mean >= c["value"]


def baseline_columns(claim: dict, records: list[dict], baselines: list[dict] | None) -> dict[str, Any]:
    """The best reference baseline on the splits of ``records`` beside ``claim``'s metric, in the
    claim's unit, and the model against it (:func:`ser.baselines.versus`)."""
    from ser.baselines import baseline_metric, beside, versus

    nan = np.nan
    cols: dict[str, Any] = dict(baseline="", baseline_mean=nan, baseline_low=nan, baseline_high=nan, baseline_n=0)
    cols.update(vs_baseline="", vs_baseline_diff=nan)
    if baselines is None or not records or claim["unit"] == "M" or baseline_metric(claim["metric"]) is None:
        return cols
    # items are paired on correctness, so only an accuracy claim of the record's own model is paired
    b = beside(records, baselines, claim["metric"], paired=claim["metric"] == "accuracy")
    if not b["n"]:
        cols["vs_baseline"] = b["reason"]
        return cols
    k = _scale(claim)
    word, diff = versus(claim["metric"], b)
    cols.update(baseline=b["baseline"], baseline_mean=b["mean"] * k, baseline_low=b["low"] * k)
    cols.update(baseline_high=b["high"] * k, baseline_n=b["n"], vs_baseline=word, vs_baseline_diff=diff * k)
    cols["baseline_values"] = [v * k for v in b.get("values", [])]  # one per distinct split
    return cols


def _selects_on_test(rec: dict) -> bool:
    """Whether a run picked its epoch on its test part (the authors' code of some papers)."""
    return bool((rec.get("params") or {}).get("select_on_test"))


def _mean_all(claim: dict, col: Column) -> float:
    """A column's mean with its diverged runs included."""
    return float(np.mean([r["metrics"][claim["metric"]] * _scale(claim) for r in col.every]))


def _met_only_without(claim: dict, col: Column, row: dict) -> bool:
    """Whether the claim is met by the column's mean only because diverged runs were left out of it (a
    collapsed run is known by its test predictions too, so a "reproduced" must hold with them included)."""
    if not col.n_diverged or col.all_diverged:
        return False
    return not _meets(claim, _mean_all(claim, col), row["tolerance"])


def _met_only_note(claim: dict, col: Column) -> str:
    return (
        f"the claim is met only with the {col.n_diverged} diverged run(s) left out (with them the mean is "
        f"{_mean_all(claim, col):.4g}), and a verdict may not rest on which runs were called collapsed"
    )


def compare(
    registry: dict,
    records: Iterable[dict],
    notebook_exists: bool,
    profiles: tuple[str, ...] = ("paper", "cpu"),
    baselines: list[dict] | None = None,
) -> pd.DataFrame:
    """One row per claim with claimed and reproduced values and a computed status.

    Only records of ``profiles`` count (the book: ``paper`` and ``cpu``; a notebook may
    pass its own profile); where several exist, the earliest in ``profiles`` wins, for the
    paper's protocol and the speaker-independent column separately.
    Records count only on the claim's corpus or, when that is unavailable, on the
    registry's ``substitute`` for it (e.g. ``{kedas: eyase}``); results on other stand-ins
    are shown in the paper's chapter, not averaged in here. The reproduced value is on the
    claim's protocol; the speaker-independent value is shown beside it when it exists. With
    ``baselines`` (records of :mod:`ser.baselines`), each row also carries the best baseline on the
    same splits as the reproduced value (:func:`baseline_columns`).
    """
    records = [r for r in records if r["paper"] == registry["paper"] and r["profile"] in profiles]
    rows = []
    for c in registry["claims"]:
        # one corpus per claim: the paper's own, else the registry's chosen stand-in (never an average of several)
        corpus = claim_corpus(c, registry)
        mine = claim_records(records, c, corpus)
        main_arm = next((a for a in MAIN_ARMS if any(arm_of(r) == a for r in mine)), MAIN_ARMS[-1])
        # each column takes its own best profile: a paper-profile run on the paper's split does not
        # hide a cpu run with speakers held out; within it, diverged runs are counted and left out of
        # the mean unless every run of that column diverged (then its values are theirs, and say so)
        col = column(mine, c["protocol"], main_arm, profiles, registry)
        same, profile, n_diverged, all_diverged = col.runs, col.profile, col.n_diverged, col.all_diverged
        all_folds = folds_cover(col.every, registry)  # every fold ran, diverged ones included
        clean_col = column(mine, c["protocol"], "clean", profiles, registry)
        clean, clean_profile, clean_diverged, clean_all_diverged = clean_col[:4]
        # the clean column at the paper's budget on every fold, and, besides, done learning
        clean_budget = bool(clean) and all(at_paper_budget(r, registry) for r in clean) and folds_cover(clean, registry)
        clean_done = clean_budget and not any(convergence(r)["still_improving"] for r in clean)
        speakers = [r for r in mine if r["protocol"] == "speaker" and c["protocol"] != "speaker"]
        spk_arm = "speaker" if any(arm_of(r) == "speaker" for r in speakers) else "paper_text"
        spk_col = column(speakers, "speaker", spk_arm, profiles, registry)
        spk, spk_profile, spk_diverged, spk_all_diverged = spk_col[:4]
        main_diverged = n_diverged
        n_diverged += clean_diverged + spk_diverged  # the row's total; the notes count each column
        k = _scale(c)
        vals = np.array([r["metrics"][c["metric"]] * k for r in same], dtype=float)
        clean_vals = np.array([r["metrics"][c["metric"]] * k for r in clean], dtype=float)
        spk_vals = np.array([r["metrics"][c["metric"]] * k for r in spk], dtype=float)
        corpora = sorted({r["corpus"] for r in same})
        row = {
            "paper": registry["paper"],
            "claim": c["id"],
            "source": c["source"],
            "metric": c["metric"],
            "unit": c["unit"],
            "claimed": c["value"],
            "claimed_corpus": c["corpus"],
            "protocol": c["protocol"],
            "n": len(vals),
            "mean": vals.mean() if len(vals) else np.nan,
            "std": vals.std(ddof=1) if len(vals) > 1 else np.nan,
            "corpus_used": ", ".join(corpora),
            "profile": profile if len(vals) else "",
            "speaker_mean": spk_vals.mean() if len(spk_vals) else np.nan,
            "speaker_std": spk_vals.std(ddof=1) if len(spk_vals) > 1 else np.nan,
            "speaker_n": len(spk_vals),
            "speaker_profile": spk_profile if len(spk_vals) else "",
            "arm": main_arm if len(vals) else "",
            "at_budget": bool(same) and all(at_paper_budget(r, registry) for r in same),
            "all_folds": all_folds,
            "clean_mean": clean_vals.mean() if len(clean_vals) else np.nan,
            "clean_std": clean_vals.std(ddof=1) if len(clean_vals) > 1 else np.nan,
            "clean_n": len(clean_vals),
            "clean_profile": clean_profile if len(clean_vals) else "",
            "diverged": n_diverged,
            "all_diverged": all_diverged,
            "clean_all_diverged": clean_all_diverged,
            "speaker_all_diverged": spk_all_diverged,
            "tolerance": tolerance(c),
            "files": sorted(r.get("_file", "") for r in same + clean + spk),
        }
        row["paper_budget"] = row["at_budget"] and row["all_folds"]
        row["difference"] = row["mean"] - c["value"] if len(vals) else np.nan
        improving = sum(convergence(r)["still_improving"] for r in same)
        row["improving"] = improving
        row["main_diverged"] = main_diverged
        # the clean column meets the claim with its diverged runs counted too (as the main column must)
        clean_meets = (
            bool(len(clean_vals))
            and _meets(c, row["clean_mean"], row["tolerance"])
            and not _met_only_without(c, clean_col, row)
        )
        leak_note = ""
        row.update(baseline_columns(c, same, baselines))
        # a model-size claim (unit M) does not depend on the data, so a stand-in corpus still gives a verdict
        size_claim = c["unit"] == "M"
        # a stand-in corpus rules out a verdict whatever the runs did (the reason says if they diverged)
        if len(vals) and not size_claim and (corpora != [c["corpus"]] or any(r.get("substitution") for r in same)):
            status = "substituted corpus"
        elif len(vals) and all_diverged and not size_claim:
            status = "diverged: no verdict"
        elif len(vals) and _meets(c, row["mean"], row["tolerance"]) and not _met_only_without(c, col, row):
            status = "reproduced"
            clean_at_budget = clean_done and not clean_all_diverged  # a collapsed clean arm measures no leak
            if main_arm == "as_published" and clean_at_budget and not clean_meets:
                status = "reproduced only with the leak"
            elif main_arm == "as_published" and not clean_at_budget:
                why_not = (
                    "all its runs diverged"
                    if clean and clean_all_diverged
                    else "its runs were still improving at their end"
                    if clean_budget
                    else "it has not run to the paper's budget"
                )
                leak_note = (
                    "as published, with the authors' leaks"
                    + (" (the epoch chosen on the test part)" if any(_selects_on_test(r) for r in same) else "")
                    + f"; the clean arm gives no word yet on whether the number needs the leaks: {why_not}"
                )
        elif len(vals) and _meets(c, row["mean"], row["tolerance"]):  # met only with collapsed runs left out
            status = "diverged: no verdict"
            leak_note = _met_only_note(c, col)
        elif len(vals) and size_claim:  # a parameter count does not depend on training
            status = "not reproduced"
        elif len(vals) and row["paper_budget"]:
            status = "inconclusive: still improving" if improving else "not reproduced"
        elif len(vals):
            status = "inconclusive: reduced budget"
        elif len(clean_vals) and not size_claim:  # only the leak-free arm ran: it cannot fail a number the leaks made
            clean_corpora = sorted({r["corpus"] for r in clean})
            if clean_corpora != [c["corpus"]] or any(r.get("substitution") for r in clean):
                status = "substituted corpus"
            elif clean_all_diverged:
                status = "diverged: no verdict"
            elif clean_done and clean_meets:
                status = "reproduced"  # without the leaks, at the paper's budget: the stronger result
            elif clean_done and _meets(c, row["clean_mean"], row["tolerance"]):  # only with collapsed runs left out
                status = "diverged: no verdict"
                leak_note = _met_only_note(c, clean_col)
            else:
                status = "clean arm only: no verdict"
            # the row's arm and budget are now the clean column's
            row.update(
                arm="clean", profile=clean_profile, corpus_used=", ".join(clean_corpora), paper_budget=clean_budget
            )
        elif c.get("not_run"):
            status = "not run"
        elif notebook_exists and (corpus is None or _class_missing(c["metric"], corpus)):
            status = "data unavailable"  # neither the paper's corpus nor a stand-in that could answer is here
        else:
            status = "not yet run"
        row["status"] = status
        row["verdict_note"] = leak_note  # the scorecard's reason reads it (also joined into the reason below)
        notes = [c.get("not_run", ""), leak_note]
        clean_only = not len(vals) and row["arm"] == "clean"
        # diverged runs counted column by column: a total over columns would set one column's runs beside
        # another's "all diverged"
        for name, bad, every_bad, shown in (
            ("main", main_diverged, all_diverged, not clean_only),
            ("clean", clean_diverged, clean_all_diverged, True),
            ("speakers-held-out", spk_diverged, spk_all_diverged, True),
        ):
            if bad and shown:
                kept = f"all runs of the {name} column diverged" if every_bad else f"of the {name} column, left out"
                notes.append(f"{bad} diverged run(s), {kept}" if every_bad else f"{bad} diverged run(s) {kept}")
        if improving:
            notes.append(f"{improving} of {len(same)} run(s) still improving at their last epoch")
        if col.short:
            notes.append(f"{col.short} run(s) below the paper's budget left out beside those at it")
        if clean_only:
            unit = " %" if c["unit"] == "%" else ""
            budget = "at the paper's budget" if clean_budget else "below budget"
            notes.append(
                f"only the clean arm ran: {row['clean_mean']:.4g}{unit} over {len(clean_vals)} run(s), {budget}; "
                "the claim was made with the authors' leaks"
            )
        row["reason"] = "; ".join(n for n in notes if n)
        rows.append(row)
    return pd.DataFrame(rows)


def compare_all(records: list[dict], directory: Path = CLAIMS_DIR, baselines: list[dict] | None = None) -> pd.DataFrame:
    """:func:`compare` for every registered paper, concatenated."""
    frames = []
    for reg in load_registry(directory=directory).values():
        frames.append(compare(reg, records, (REPO_ROOT / reg["notebook"]).exists(), baselines=baselines))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
