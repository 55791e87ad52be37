"""Measured numbers in prose: the book's ``{measured}`` role computes each number a chapter states
from the committed results records when the book is built, so that no reproduced number is typed
by hand and none goes stale when another seed lands.

A query is ``key=value`` words, e.g. ``arm=as_published protocol=sd3 metric=accuracy/lr0.001
show=values``:

- filters (each value an ``fnmatch`` pattern or a number, ``a|b`` for either): ``paper`` (a chapter's own by
  default), ``arm`` (``paper_text`` where a record names none), ``profile``, ``protocol``,
  ``corpus``, ``run``, ``seed``, ``diverged`` (``yes``/``no``), ``improving`` (``yes``/``no``: still
  improving at its end as the tables count it; a run ended by early stopping is not), ``params.<name>``,
  ``history.<field>`` and ``budget.<field>`` (e.g. ``history.stopped_early=False``); ``diverged``
  counts a run as the tables do (a stored flag, a training loss back at the chance level, or one
  class predicted for every test item); ``classes``: how many classes the model predicted on its
  test items (``classes=1|2``);
- ``metric``: a key of the records' ``metrics`` (default ``accuracy``) or a dotted path into the
  record (``history.best_epoch``, ``budget.epochs_run``); ``of``: how a per-epoch list such as
  ``history.val_acc`` becomes one number per run (``max``, ``min``, ``first``, ``last``, ``len``);
- ``show``: ``mean`` (default), ``values`` (each run in the order of its results file's name, joined
  "a, b and c"), ``same`` (the one value every run shares, an error if they differ), ``n`` (how
  many runs), ``sd``, ``mean_sd`` ("m ± sd"), ``min``, ``max``, ``range`` ("min to max"),
  ``interval`` ("m [low, high]", Student t; two runs: "m (a and b)"), ``leak`` (``as_published``
  minus ``clean`` as the arms table measures it: one corpus, protocol and profile, diverged runs left
  out; "+d [low, high]"; like the arms table it refuses arms below the paper's budget unless the query
  adds ``budget=below``);
- ``scale``: 100 by default for fractions (accuracy, F1, recall metrics), else 1; ``digits``: 1
  by default; ``add``: a number added to each value (``add=1`` turns 0-based epochs into ordinals);
- ``vs=baseline``: each run's value becomes the best reference baseline on the run's own split (chosen on
  that split's validation part, :mod:`ser.baselines`) minus the run's value, in points; a run whose split
  has no baseline is an error; ``show=positive`` then says on how many runs the baseline scored higher
  ("k of n"); ``vs=arm:<name>``: each run's value minus that of the run of arm ``<name>`` on the same test
  items, seeds, corpus, protocol and profile (:func:`ser.arms.pair_key`; a paired difference, in points;
  ``show=interval`` gives its Student t interval over the pairs); a run without such a twin is an error;
  the twin is the run of ``<name>`` that the query's ``params.*`` filters also select (so a study's run
  pairs with the same study), and two such runs on one split are an error;
- ``twin=<arm>``: keeps only the runs that have such a twin of arm ``<arm>`` (with a value of the metric),
  for the folds two arms have both run while one is still incomplete; state how many with ``show=n``
  under the same query. With ``vs=arm:<name>`` it must name the same arm.

A query that matches no record is an error, so a number whose evidence is gone fails the build; only
``show=n`` with ``diverged``, ``improving`` or ``classes`` may count none (``0``), when the runs it counts
among exist.
"""

from __future__ import annotations

import fnmatch
import math
import re
import statistics
from pathlib import Path

from ser.arms import is_proportion, mean_spread, pair_key
from ser.results import run_name

FILTERS = ("paper", "arm", "profile", "protocol", "corpus", "run", "seed", "diverged", "improving", "classes")
# filters that count a kind of run among the runs the rest of a query selects: with ``show=n`` they may count none
COUNT_FILTERS = frozenset({"diverged", "improving", "classes"})
PATH_FILTERS = ("params.", "history.", "budget.")  # a dotted path into the record, compared as text
OPTIONS = ("metric", "of", "show", "scale", "digits", "add", "vs", "budget", "twin")
SHOWS = ("mean", "values", "same", "n", "sd", "mean_sd", "min", "max", "range", "interval", "leak", "positive")
OFS = {"max": max, "min": min, "first": lambda v: v[0], "last": lambda v: v[-1], "len": len}
FRACTION_METRICS = (
    "war",
    "balanced_accuracy",
    "knn1_accuracy",
    "leak/sibling_in_train",
    "history.val_acc",
    "history.train_acc",
)  # fmt: skip  (besides ser.arms.is_proportion's)


def _looks_like_a_fraction(metric: str) -> bool:
    return any(w in metric for w in ("acc", "f1", "recall", "precision", "auc", "ua"))


class MeasuredError(ValueError):
    """A ``{measured}`` query that cannot be answered from the records."""


def parse(query: str, paper: str | None = None) -> dict[str, str]:
    """The query's words as a dict; unknown keys and malformed words are errors."""
    out: dict[str, str] = {} if paper is None else {"paper": paper}
    seen: set[str] = set()
    for word in query.split():
        key, sep, value = word.partition("=")
        if not sep or not value:
            raise MeasuredError(f"{{measured}} `{query}`: '{word}' is not key=value")
        if key not in FILTERS + OPTIONS and not key.startswith(PATH_FILTERS):
            raise MeasuredError(
                f"{{measured}} `{query}`: unknown key '{key}'; use {', '.join(FILTERS + OPTIONS)}, params.<name>, "
                "history.<field> or budget.<field>"
            )
        if key in out and not (key == "paper" and paper is not None and "paper" not in seen):
            raise MeasuredError(f"{{measured}} `{query}`: '{key}' is given twice")
        seen.add(key)
        out[key] = value
    if out.get("show", "mean") not in SHOWS:
        raise MeasuredError(f"{{measured}} `{query}`: show must be one of {', '.join(SHOWS)}")
    if "budget" in out and out.get("show") != "leak":
        raise MeasuredError(f"{{measured}} `{query}`: budget=below only qualifies show=leak")
    if out.get("budget", "below") != "below":
        raise MeasuredError(
            f"{{measured}} `{query}`: budget takes only 'below' (a leak stated below the paper's budget)"
        )
    if out.get("of", "max") not in OFS:
        raise MeasuredError(f"{{measured}} `{query}`: of must be one of {', '.join(OFS)}")
    vs = out.get("vs", "baseline")
    if vs != "baseline" and not (vs.startswith("arm:") and len(vs) > 4):
        raise MeasuredError(f"{{measured}} `{query}`: vs takes 'baseline' or 'arm:<name>'")
    if out.get("show") == "positive" and vs.startswith("arm:"):
        raise MeasuredError(f"{{measured}} `{query}`: show=positive counts runs below their baseline: use vs=baseline")
    if out.get("show") == "positive" and not out.get("vs"):
        raise MeasuredError(f"{{measured}} `{query}`: show=positive counts runs below their baseline: add vs=baseline")
    if "twin" in out and vs.startswith("arm:") and "vs" in out and out["twin"] != vs[4:]:
        raise MeasuredError(f"{{measured}} `{query}`: twin={out['twin']} pairs with another arm than {vs}")
    if "twin" in out and out.get("show") == "leak":
        raise MeasuredError(f"{{measured}} `{query}`: show=leak pairs the arms itself: drop twin")
    if out.get("vs") and out.get("show") == "leak":
        raise MeasuredError(f"{{measured}} `{query}`: show=leak compares arms, not a baseline: drop vs")
    return out


def _field(rec: dict, key: str) -> object:
    if key == "arm":
        return rec.get("arm") or "paper_text"
    if key == "run":
        return run_name(rec)
    if key == "seed":
        return "|".join(str(s) for s in rec.get("seeds") or [])
    if key == "diverged":  # as the tables count it: a stored flag, a loss back at chance, or one class predicted
        from ser.claims import convergence

        return "yes" if convergence(rec)["diverged"] else "no"
    if key == "improving":  # still improving at its end, as the tables count it (an early stop ends that)
        from ser.claims import convergence

        return "yes" if convergence(rec)["still_improving"] else "no"
    if key == "classes":
        from ser.claims import classes_predicted

        n = classes_predicted(rec)
        return "" if n is None else n  # a record without a confusion matrix matches no count (nor "*")
    if key.startswith(PATH_FILTERS):
        v: object = rec
        for part in key.split("."):
            v = v.get(part) if isinstance(v, dict) else None
        return v
    return rec.get(key)


def _name(rec: dict) -> str:
    """The results file a record was read from (its run's name for a record not read from a file)."""
    return Path(rec.get("_file", rec.get("run", "?"))).name


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _matches(value: object, pattern: str, key: str) -> bool:
    """``fnmatch`` on the text, or equality of numbers where both parse (``1e-4`` matches ``0.0001``)."""
    texts = str(value).split("|") if key == "seed" else [str(value)]
    for t in texts:
        for p in pattern.split("|"):
            a, b = _number(t), _number(p)
            if (a is not None and b is not None and a == b) or fnmatch.fnmatchcase(t, p):
                return True
    return False


def _natural(name: str) -> list:
    """Sort key that puts fold2 before fold10."""
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)]


def select(records: list[dict], q: dict[str, str]) -> list[dict]:
    """The records every filter of ``q`` matches, in the order of their results files' names."""
    keys = [k for k in q if k in FILTERS or k.startswith(PATH_FILTERS)]
    hits = [r for r in records if all(_matches(_field(r, k), q[k], k) for k in keys)]
    return sorted(hits, key=lambda r: (_natural(str(_field(r, "run"))), r.get("_file", "")))


def _value(rec: dict, metric: str, of: str | None = None) -> float | None:
    if metric in rec.get("metrics", {}):
        v = rec["metrics"][metric]
    else:
        v = rec
        for part in metric.split("."):
            v = v.get(part) if isinstance(v, dict) else None
    if isinstance(v, list) and of and v:
        v = OFS[of](v)
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def _join(texts: list[str]) -> str:
    return texts[0] if len(texts) == 1 else ", ".join(texts[:-1]) + " and " + texts[-1]


def _declaration(paper: str | None) -> dict | None:
    """The paper's declaration, or None for a query without one (a test's records)."""
    from ser import declaration

    try:
        return declaration.load(paper) if paper else None
    except (FileNotFoundError, declaration.DeclarationError):
        return None


# accuracies of a part of the test items, or not on the test part at all: no whole-split baseline compares
PARTIAL_ACCURACIES = ("peak_heldout", "originals")


def _versus_baseline(query: str, pairs: list[tuple[dict, float]], metric: str, baselines: list[dict]) -> list[float]:
    """Per run: the best baseline on its split minus the run's value (both as fractions)."""
    from ser.baselines import baseline_for, baseline_metric

    key = baseline_metric(metric)
    part = metric.partition("/")[2]
    partial = part in PARTIAL_ACCURACIES or any(
        part in (r.get("labels") or []) or part in str(r.get("corpus", "")).split("+") for r, _ in pairs
    )
    if key is None or partial:
        raise MeasuredError(f"{{measured}} `{query}`: no baseline reports '{metric}' (a whole test part's score)")
    out = []
    for r, v in pairs:
        b = baseline_for(r, baselines)
        if b is None:
            name = _name(r)
            raise MeasuredError(f"{{measured}} `{query}`: no baseline on the split of {name} (ser baselines)")
        out.append(b["best"][key] - v)
    return out


def _twin(query: str, q: dict[str, str], records: list[dict], arm: str, rec: dict) -> dict | None:
    """Arm ``arm``'s run on ``rec``'s split (:func:`ser.arms.pair_key`, as the readings table pairs them)
    that the query's ``params.*`` filters also select; two such runs are an error, never a silent choice."""
    key, params = pair_key(rec), {k: v for k, v in q.items() if k.startswith("params.")}
    found = [r for r in select(records, {"arm": arm} | params) if pair_key(r) == key]
    if len(found) > 1:
        names = ", ".join(sorted(_name(x) for x in found))
        hit = _name(rec)
        raise MeasuredError(
            f"{{measured}} `{query}`: two runs of arm {arm!r} on the test items of {hit} ({names}); "
            "add a params.<name> filter that tells them apart"
        )
    return found[0] if found else None


def _versus_arm(
    query: str, q: dict[str, str], pairs: list[tuple[dict, float]], metric: str, records: list[dict], arm: str
) -> list[float]:
    """Per run: its value minus that of arm ``arm``'s run on the same test items, seeds, corpus, protocol
    and profile (:func:`_twin`)."""
    out = []
    for r, v in pairs:
        twin = _twin(query, q, records, arm, r)
        w = None if twin is None else _value(twin, metric, q.get("of"))
        if w is None:
            name = _name(r)
            raise MeasuredError(f"{{measured}} `{query}`: no run of arm {arm!r} with '{metric}' on the split of {name}")
        out.append(v - w)
    return out


def answer(
    query: str, records: list[dict], paper: str | None = None, baselines: list[dict] | None = None
) -> tuple[str, list[str]]:
    """The text a query stands for and the results files it was computed from (``baselines``: the baseline
    records for ``vs=baseline``, read from ``papers/results/baselines`` when not given)."""
    q = parse(query, paper)
    hits = select(records, q)
    metric, show = q.get("metric", "accuracy"), q.get("show", "mean")
    if "twin" in q and hits:  # the runs that arm q["twin"] has also run, with the metric
        of = q.get("of")
        hits = [r for r in hits if _value(_twin(query, q, records, q["twin"], r) or {}, metric, of) is not None]
        if not hits:
            raise MeasuredError(f"{{measured}} `{query}`: no run of arm {q['twin']!r} on the split of any hit")
    if not hits and show == "n" and COUNT_FILTERS & set(q):
        # "how many of these runs are still improving" may be none: the runs asked about must exist
        base = select(records, {k: v for k, v in q.items() if k not in COUNT_FILTERS})
        if base:
            return "0", [_name(r) for r in base]
    if not hits:
        raise MeasuredError(f"{{measured}} `{query}` matches no results record (paper {q.get('paper')})")
    files = [_name(r) for r in hits]
    if show == "n":
        return str(len(hits)), files
    fraction = (is_proportion(metric) or metric in FRACTION_METRICS) and q.get("of") != "len"
    if "scale" not in q and not fraction and q.get("of") != "len" and _looks_like_a_fraction(metric):
        raise MeasuredError(f"{{measured}} `{query}`: is '{metric}' a fraction? give scale=100 or scale=1")
    scale = float(q.get("scale", 100 if fraction else 1))
    digits, add = int(q.get("digits", 1)), float(q.get("add", 0))
    pairs = [(r, _value(r, metric, q.get("of"))) for r in hits]
    missing = [Path(r.get("_file", "?")).name for r, v in pairs if v is None]
    if missing:
        raise MeasuredError(f"{{measured}} `{query}`: no numeric '{metric}' in {', '.join(missing)}")
    if q.get("vs", "").startswith("arm:"):
        pairs = list(zip(hits, _versus_arm(query, q, pairs, metric, records, q["vs"][4:]), strict=True))
    elif q.get("vs"):
        if baselines is None:
            from ser.baselines import read_baselines

            baselines = read_baselines()
        pairs = list(zip(hits, _versus_baseline(query, pairs, metric, baselines), strict=True))
    vals = [v * scale + add for _, v in pairs]
    paired = q.get("vs", "").startswith("arm:")  # differences between arms carry their sign

    def f(x: float, signed: bool = paired) -> str:
        return "–" if math.isnan(x) else (f"{x:+.{digits}f}" if signed else f"{x:.{digits}f}")

    if show == "values":
        return _join([f(v) for v in vals]), files
    if show == "positive":
        return f"{sum(v > 0 for v in vals)} of {len(vals)}", files
    if show == "same":
        if len({f(v) for v in vals}) > 1:
            raise MeasuredError(
                f"{{measured}} `{query}`: show=same, but the runs differ ({_join([f(v) for v in vals])})"
            )
        return f(vals[0]), files
    if show == "leak":  # as the arms table measures it: within one corpus, protocol and profile
        from ser.arms import arm_rows, leak_pair, leak_size

        groups = {(r["corpus"], r["protocol"], r["profile"]) for r in hits}
        if len(groups) != 1:
            raise MeasuredError(f"{{measured}} `{query}`: show=leak needs one corpus, protocol and profile: {groups}")
        (corpus, protocol, profile), arms = groups.pop(), {_field(r, "arm") for r in hits}
        if not {"as_published", "clean"} <= arms:
            raise MeasuredError(f"{{measured}} `{query}`: show=leak needs as_published and clean runs among its hits")
        rows = arm_rows(hits, metric, scale=scale, registry=_declaration(q.get("paper")))
        d, lo, hi = leak_size(rows, profile, corpus=corpus, protocol=protocol)
        # with the paper's declaration: the budget rules of the arms tables (never a mix of budgets)
        if math.isnan(d):
            raise MeasuredError(
                f"{{measured}} `{query}`: no leak: every run of an arm diverged, or one arm alone is below budget"
            )
        pair = leak_pair(rows, profile, corpus, protocol)  # the two arms compared, not every arm of the hits
        if not pair["paper_budget"].all() and q.get("budget") != "below":  # as the arms table: below the budget,
            raise MeasuredError(  # a difference is not the leak of the published number unless the query says so
                f"{{measured}} `{query}`: show=leak on runs below the paper's budget; add budget=below to state "
                "such a difference, and say in the text that it is below budget"
            )
        return f(d, True) + ("" if math.isnan(lo) else f" [{f(lo, True)}, {f(hi, True)}]"), files
    m = statistics.fmean(vals)
    sd = statistics.stdev(vals) if len(vals) > 1 else float("nan")
    text = {
        "mean": f(m),
        "sd": f(sd, False),
        "mean_sd": f"{f(m)} ± {f(sd, False)}",
        "min": f(min(vals)),
        "max": f(max(vals)),
        "range": f"{f(min(vals))} to {f(max(vals))}",
        "interval": mean_spread(vals, f),  # as every table of the book: two runs show their values
    }[show]
    return text, files


def chapter_paper(docname: str) -> str | None:
    """The paper a page is about: ``chapters/<paper>`` pages query their own paper by default."""
    m = re.fullmatch(r"chapters/(\w+)", docname)
    return m[1] if m else None
