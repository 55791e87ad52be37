"""The run context a paper notebook opens right after its parameters cell.

>>> run = open_run("parallel_cnn_lstm", globals())   # doctest: +SKIP

It reads the paper's declaration, validates the notebook's parameters against it (unknown names,
types, ranges), applies the chosen arm, resolves the profile and its budget, decides where results
go, and then serves the notebook: the corpus (subsampled as the profile says), split files, and
results records that carry the arm, the budget, the claims they answer (one matching rule,
:func:`ser.claims.match_claims`) and the environment.
"""

from __future__ import annotations

import ast
import json
import os
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ser import declaration
from ser.params import PROFILES, ParameterError, validate
from ser.paths import RESULTS_DIR, notebook_of

# Names IPython puts into a kernel's namespace; everything else that holds a plain value was set by
# the parameters cell or injected by papermill.
_KERNEL_NAMES = {"In", "Out", "get_ipython", "exit", "quit", "open_run"}
_LITERALS = (str, int, float, bool, list, dict, tuple, type(None))


def notebook_defaults(paper: str, notebook: Path | None = None) -> dict[str, Any]:
    """The literal assignments of the notebook's ``parameters`` cell: the home of every default."""
    nb = json.loads(Path(notebook or notebook_of(paper)).read_text())
    for cell in nb["cells"]:
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            source = "".join(cell["source"])
            out = {}
            for node in ast.parse(source).body:
                if not (
                    isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                ):
                    raise ParameterError(f"{paper}: the parameters cell may hold only `name = literal` lines")
                out[node.targets[0].id] = ast.literal_eval(node.value)
            return out
    raise ParameterError(f"{paper}: the notebook has no cell tagged 'parameters'")


def resolve_profile(profile: str | None) -> str:
    """``profile`` if given, else ``SER_PROFILE``, else ``'cpu'`` (the tests set ``SER_PROFILE=smoke``)."""
    chosen = profile if profile is not None else os.environ.get("SER_PROFILE", "cpu")
    if chosen not in PROFILES:
        raise ParameterError(f"profile must be one of {list(PROFILES)}, got {chosen!r}")
    return chosen


def results_destination(paper: str, params: dict[str, Any]) -> Path:
    """Where a run's results go, the rule of :func:`ser.run.start` for a run on this machine:
    ``results_dir`` if given, ``papers/results/<paper>`` when recording (not at ``smoke``), else
    the user cache."""
    from core.config import cache_dir

    if params.get("results_dir"):
        return Path(params["results_dir"])
    if params.get("record") and resolve_profile(params.get("profile")) != "smoke":
        return RESULTS_DIR / paper
    return cache_dir("results") / paper


def resolve_params(decl: dict, values: Mapping[str, Any], defaults: Mapping[str, Any]) -> tuple[dict, str]:
    """Validate ``values`` and apply the arm: ``(parameters, arm name)``.

    The arm's overrides apply to every parameter left at its notebook default; a parameter the
    caller changed *and* the arm sets to another value is an error, never a silent choice.
    """
    spec = declaration.parameter_spec(decl)
    params = validate(values, spec)
    arm = params["arm"] or decl["default_arm"]
    if arm not in decl["arms"]:
        raise ParameterError(f"unknown arm {arm!r}; the arms of {decl['paper']}: {', '.join(decl['arms'])}")
    params["arm"] = arm
    for name, value in decl["arms"][arm].get("params", {}).items():
        if params[name] != defaults.get(name) and params[name] != value:
            raise ParameterError(
                f"parameter {name!r}={params[name]!r} conflicts with arm {arm!r}, which sets {name}={value!r}; "
                f"drop one of them"
            )
        params[name] = value
    return validate(params, spec), arm


@dataclass
class Run:
    """One notebook execution: resolved parameters, profile and budget, and where records go."""

    paper: str
    decl: dict
    params: dict[str, Any]
    arm: str
    profile: str
    budget: dict[str, Any]
    out_dir: Path
    records: list[dict] = field(default_factory=list)
    fingerprints: dict[str, dict] = field(default_factory=dict)  # corpus -> core.data.fingerprint

    @property
    def arm_tag(self) -> str:
        """``-<arm>`` for record names, so that arms never share a results file; empty for the
        default arm, which keeps the names it had before arms existed."""
        return "" if self.arm == self.decl["default_arm"] else f"-{self.arm}"

    @property
    def paper_budget(self) -> dict[str, Any]:
        return self.decl["profiles"]["paper"]

    def is_paper_budget(self) -> bool:
        """Whether every budget number is at least the ``paper`` profile's (and nothing is subsampled).
        An arm that sets its own early-stopping patience (the authors' code's) is held to that one."""
        paper = dict(self.paper_budget)
        arm_patience = self.decl["arms"][self.arm].get("params", {}).get("patience")
        if arm_patience is not None and "patience" in paper:
            paper["patience"] = arm_patience
        return declaration.covers(self.budget, paper)

    def budget_block(
        self,
        epochs_run: int | None = None,
        stopping: str | None = None,
        weights: str = "best",
        steps_run: int | None = None,
    ) -> dict:
        """What a record says about its budget: profile, the numbers, epochs (and optimizer steps) run,
        and whether it is the paper's."""
        return {
            "profile": self.profile,
            **{k: v for k, v in self.budget.items() if k != "seeds"},  # a record states its own seeds
            **({"steps_run": steps_run} if steps_run is not None else {}),
            "epochs_run": epochs_run,
            "stopping": stopping,
            "weights": weights,
            "paper_budget": self.is_paper_budget(),
        }

    def load_corpus(self, name: str, seed: int = 0) -> pd.DataFrame:
        """Corpus ``name`` from the data root, subsampled to ``budget['per_class']`` clips per class if set;
        the fingerprint of the whole corpus goes into every record on it."""
        from core.data import fingerprint, load_corpus
        from core.experiment import subsample

        meta = load_corpus(name, root=self.params.get("data_root"))
        self.fingerprints[name] = fingerprint(meta)
        per_class = self.budget.get("per_class")
        return subsample(meta, per_class, seed=seed) if per_class else meta

    def save_split(self, split: pd.DataFrame, name: str, *, seed: int, protocol: str) -> Path:
        """Write a split file under ``<results>/splits/<name>.csv``."""
        from core.splits import save_split

        return save_split(split, self.out_dir / "splits" / f"{name}.csv", seed=seed, protocol=protocol)

    @property
    def stopping(self) -> str:
        """The stopping rule of this run's budget, in words."""
        patience = self.budget.get("patience")
        return f"early stopping on validation loss, patience {patience}" if patience else "none"

    def record_output(
        self,
        name: str,
        out: Any,
        *,
        corpus: str,
        protocol: str,
        seeds: list[int],
        labels: list[str],
        metrics: Mapping[str, Any] | None = None,
        config: Mapping[str, Any] | None = None,
        substitution: str | None = None,
        **extra: Any,
    ) -> dict:
        """:meth:`record` for one trained model (a :class:`core.experiment.RunOutput`): its metrics
        (``metrics`` replaces the flat ones), duration, learning curve, size, test count and confusion
        matrix come from ``out``, and so do per-item test predictions when ``out`` knows its test ids;
        the stopping rule from the budget unless ``stopping`` is given."""
        from core.experiment import flat_metrics

        extra.setdefault("stopping", self.stopping)
        predictions = out.predictions(list(labels)) if hasattr(out, "predictions") else None
        if predictions is not None:
            extra.setdefault("predictions", predictions)
        return self.record(
            name,
            corpus=corpus,
            protocol=protocol,
            seeds=seeds,
            metrics=flat_metrics(out) if metrics is None else metrics,
            config=config,
            duration_s=out.seconds,
            substitution=substitution,
            history=out.history.to_dict(),
            n_params=out.n_params,
            n_test=len(out.y_true),
            confusion=out.confusion,
            labels=list(labels),
            **extra,
        )

    def checkpoint(self, name: str) -> Path:
        """Where the training of record ``name`` keeps its per-epoch checkpoint (in the cache)."""
        from core.config import cache_dir

        return cache_dir("checkpoints") / self.paper / f"{name}-{self.profile}.ckpt"

    def record(
        self,
        name: str,
        *,
        corpus: str,
        protocol: str,
        seeds: list[int],
        metrics: Mapping[str, Any],
        config: Mapping[str, Any] | None = None,
        duration_s: float,
        substitution: str | None = None,
        history: Mapping[str, Any] | None = None,
        **extra: Any,
    ) -> dict:
        """Write one results record ``<results>/<name>.json`` and return it.

        ``config`` holds what distinguishes this record inside the run (a study's kernel, a
        model kind); it is stored under ``params`` on top of the run's parameters, and the claims
        it answers are those whose ``config`` it matches and whose metric it carries.
        """
        from ser import claims, results
        from ser.paths import repo_relative

        params = {**self.params, **(config or {})}
        extra = {k: repo_relative(v) if isinstance(v, Path) else v for k, v in extra.items()}
        epochs_run = len(history["val_loss"]) if history and "val_loss" in history else None
        weights = extra.pop("weights", "best")
        if weights == "final" and history and history.get("diverged") and history.get("restored") == "best":
            # the trainer restores the best weights of a run that diverged, whatever the run asked for
            weights = "best (the run diverged; the weights of its lowest validation loss were restored)"
        rec = results.make_record(
            paper=self.paper,
            claim_ids=claims.match_claims(self.decl, params | {"corpus": corpus, "protocol": protocol}, metrics),
            corpus=corpus,
            substitution=substitution,
            protocol=protocol,
            profile=self.profile,
            seeds=list(seeds),
            metrics=dict(metrics),
            params=params,
            duration_s=duration_s,
            arm=self.arm,
            run=name,
            budget=self.budget_block(epochs_run, extra.pop("stopping", None), weights, extra.pop("steps_run", None)),
            **({"corpus_fingerprint": fp} if (fp := self.fingerprint_of(corpus)) else {}),
            **({"history": dict(history)} if history is not None else {}),
            **extra,
        )
        results.write_result(rec, self.out_dir, name)
        self.records.append(rec)
        return rec

    def fingerprint_of(self, corpus: str) -> dict | None:
        """The fingerprint of ``corpus`` as loaded by this run; of a pool or cross-corpus pair, its corpora's
        combined (:func:`core.data.combine_fingerprints`); None when a corpus of it was not loaded here."""
        from core.data import fingerprint_of

        return fingerprint_of(corpus, self.fingerprints)

    def read_records(self, **match: Any) -> list[dict]:
        """Records of this paper and profile in the results folder (other invocations' too), filtered by ``match``."""
        from ser import results

        recs = [r for r in results.read_results(self.out_dir, self.paper) if r["profile"] == self.profile]
        return [r for r in recs if all(r.get(k) == v for k, v in match.items())]

    def header(self) -> str:
        """Markdown: profile and budget, arm, parameters that differ from the defaults, results folder."""
        budget = ", ".join(f"{k} {v}" for k, v in self.budget.items())
        about = self.decl["arms"][self.arm]["about"]
        paper = (
            "the paper's budget" if self.is_paper_budget() else "below the paper's budget: no verdict rests on it alone"
        )
        return (
            f"**Profile** `{self.profile}` ({budget}; {paper}). **Arm** `{self.arm}`: {about} "
            f"Results go to `{self.out_dir}`."
        )

    def claims_table(self, records: list[dict]) -> str:
        """Markdown: the paper's claims beside ``records`` and the best baseline on their splits, computed
        as on the book's comparison page."""
        from ser.baselines import read_baselines
        from ser.claims import compare
        from ser.report import paper_table

        table = compare(self.decl, records, notebook_exists=True, profiles=(self.profile,), baselines=read_baselines())
        return paper_table(table)

    def contradictions(self) -> str:
        """Markdown: where the paper contradicts itself or the data, and what it leaves unstated."""
        from ser.report import sourced_lines

        lines = sourced_lines(self.decl["contradictions"])
        if self.decl.get("unspecified"):
            lines += ["", "Not stated in the paper, chosen by us: " + "; ".join(self.decl["unspecified"]) + "."]
        return "\n".join(lines)


def _notebook_setup() -> None:
    """What every paper notebook wants: torch's UserWarnings silenced, seaborn's white grid."""
    import warnings

    import seaborn as sns

    warnings.filterwarnings("ignore", category=UserWarning, module="torch")
    sns.set_theme(style="whitegrid")


def open_run(paper: str, namespace: MutableMapping[str, Any]) -> Run:
    """Open the run of ``paper`` from a notebook's ``globals()``.

    The parameters are the plain values in ``namespace`` (the parameters cell and papermill's
    injected cell); a name the notebook does not declare is an error, with the closest match. The
    resolved values (arm applied) are written back into ``namespace``, so that the notebook's
    names hold what actually runs. It also silences torch's UserWarnings and sets seaborn's style.
    """
    decl = declaration.load(paper)
    defaults = notebook_defaults(paper)
    values = {
        k: v
        for k, v in namespace.items()
        if not k.startswith("_") and k not in _KERNEL_NAMES and isinstance(v, _LITERALS)
    }
    params, arm = resolve_params(decl, values, defaults)
    profile = resolve_profile(params["profile"])
    budget = dict(decl["profiles"][profile])
    for key in budget:  # a parameter of the same name, when set, overrides the profile's number
        if params.get(key) is not None:
            budget[key] = params[key]
    out_dir = results_destination(paper, {**params, "profile": profile})
    namespace.update(params)
    _notebook_setup()
    return Run(paper=paper, decl=decl, params=params, arm=arm, profile=profile, budget=budget, out_dir=out_dir)
