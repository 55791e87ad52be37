"""Paper declarations: ``papers/claims/<paper>.yaml``, one file per paper, read by the notebook's
run context, ``ser reproduce`` and the book.

A declaration holds the paper's identity and claims (with sources and contradictions), and how
we run it:

- ``parameters``: the spec of every notebook parameter (type, range, help; see :mod:`ser.params`).
  Their *defaults* live in one place only, the notebook's ``parameters`` cell.
- ``profiles``: ``paper``, ``cpu`` and ``smoke``, each with every budget number (epochs,
  patience, folds, subsampling); the three share the same keys.
- ``arms``: named configurations (parameter overrides) such as the paper's text read literally or
  a speaker-independent protocol; ``default_arm`` names the one a plain run uses.
- ``runs``: the runs of the book, each a name (its executed notebook) and its parameters.

The schema is closed: an unknown key fails with the file, the key path and what is allowed.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from ser.params import PROFILES, SPEC_KEYS, Param, from_spec
from ser.paths import PAPERS_DIR

DECLARATIONS_DIR = PAPERS_DIR / "claims"
# Parameters every paper notebook takes; their specs are declared here once, not per paper.
COMMON_PARAMETERS: dict[str, dict[str, Any]] = {
    "profile": {"type": "str|null", "choices": [*PROFILES, None], "help": "run profile; None: $SER_PROFILE, else cpu"},
    "arm": {"type": "str|null", "help": "a named configuration of the declaration; None: its default arm"},
    "data_root": {"type": "str|null", "help": "folder holding the corpora; None: $SER_DATA, else the user cache"},
    "results_dir": {"type": "str|null", "help": "where results files go; None: see `record`"},
    "record": {
        "type": "bool",
        "help": "True: write results to papers/results/<paper> (ser reproduce does); False: to the cache",
    },
}

_SCALAR = {"type": ["string", "number", "boolean", "null"]}
_VALUE = {"anyOf": [_SCALAR, {"type": "array"}, {"type": "object"}]}
_PARAM_SPEC = {
    "type": "object",
    "required": ["type", "help"],
    "additionalProperties": False,
    "properties": {k: {} for k in SPEC_KEYS}
    | {"type": {"type": "string", "pattern": r"^(str|int|float|bool|list|null)(\|(str|int|float|bool|list|null))*$"}},
}
# A statement about the paper with the places in its text that support it (contradictions, notes).
_SOURCED_TEXT = {
    "type": "object",
    "required": ["id", "text", "sources"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string"},
        "text": {"type": "string"},
        "sources": {"type": "array", "items": {"type": "string"}},
    },
}
SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": [
        "paper",
        "title",
        "authors",
        "source_file",
        "links",
        "notebook",
        "corpus",
        "protocol",
        "claims",
        "contradictions",
    ],
    "properties": {
        "paper": {"type": "string", "pattern": "^[a-z0-9_]+$"},
        "title": {"type": "string"},
        "authors": {"type": "string"},
        "source_file": {"type": "string"},
        # where a reader finds the paper: at least one of its DOI, a public page, or the authors' code
        "links": {
            "type": "object",
            "additionalProperties": False,
            "anyOf": [{"required": ["doi"]}, {"required": ["page"]}, {"required": ["code"]}],
            "properties": {
                "doi": {"type": "string", "pattern": r"^10\.\d{4,9}/\S+$"},
                "page": {"type": "string", "pattern": "^https://"},
                "code": {"type": "string", "pattern": "^https://"},
                "venue": {"type": "string"},
            },
        },
        "notebook": {"type": "string", "pattern": r"^papers/[a-z0-9_]+\.ipynb$"},
        "corpus": {"type": "string"},
        "protocol": {"type": "string"},
        "protocol_text": {"type": "string"},
        "substitute": {"type": "object", "additionalProperties": {"type": "string"}},
        "claims": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["id", "metric", "value", "unit", "corpus", "protocol", "source"],
                "additionalProperties": False,
                "properties": {
                    "id": {"type": "string", "pattern": r"^[A-Za-z0-9_.\-]+$"},
                    "metric": {"type": "string"},
                    "value": {"type": "number"},
                    "unit": {"enum": ["%", "", "M", "loss"]},
                    "corpus": {"type": "string"},
                    "protocol": {"type": "string"},
                    "source": {"type": "string", "minLength": 3},
                    "config": {"type": "object"},
                    "headline": {"type": "boolean"},
                    "note": {"type": "string"},
                    "not_run": {"type": "string"},
                },
            },
        },
        "contradictions": {
            "type": "array",
            "items": _SOURCED_TEXT,
        },
        "notes": {  # facts about the paper's text itself (integrity), with their place in it
            "type": "array",
            "items": _SOURCED_TEXT,
        },
        "unspecified": {"type": "array", "items": {"type": "string"}},
        "parameters": {"type": "object", "additionalProperties": _PARAM_SPEC},
        "profiles": {
            "type": "object",
            "required": list(PROFILES),
            "additionalProperties": False,
            "properties": {p: {"type": "object", "additionalProperties": _VALUE} for p in PROFILES},
        },
        "default_arm": {"type": "string"},
        "arms": {
            "type": "object",
            "minProperties": 1,
            "additionalProperties": {
                "type": "object",
                "required": ["about"],
                "additionalProperties": False,
                "properties": {"about": {"type": "string"}, "params": {"type": "object"}},
            },
        },
        "targets": {  # the runs an issue asks for at the paper's budget (ser.owed counts what is still missing)
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "runs", "seeds", "params", "issue"],
                "additionalProperties": False,
                "properties": {
                    "name": {"type": "string", "pattern": r"^[a-z0-9_]+(-[a-z0-9_.]+)*$"},  # as a run's
                    "runs": {"type": "string", "minLength": 1},  # glob over the records' run names
                    "seeds": {"type": "integer", "minimum": 1},
                    "folds": {"type": "array", "minItems": 1, "items": {"type": "integer", "minimum": 0}},
                    "params": {"type": "object"},  # papermill parameters of one run, seeds aside
                    "issue": {"type": "integer", "minimum": 1},
                    "about": {"type": "string"},
                },
            },
        },
        "runs": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "params"],
                "additionalProperties": False,
                "properties": {
                    "name": {"type": "string", "pattern": r"^[a-z0-9_]+(-[a-z0-9_.]+)*$"},
                    "params": {"type": "object"},
                    "about": {"type": "string"},
                },
            },
        },
    },
}
# the parts a paper with a run context declares together
RUNNABLE = ("parameters", "profiles", "arms", "default_arm")


class DeclarationError(ValueError):
    """A declaration file breaks its schema or contradicts itself."""


def validate_declaration(decl: Any, name: str = "declaration") -> None:
    """Raise :class:`DeclarationError` naming ``name``, the key path and the rule broken."""
    try:
        jsonschema.validate(decl, SCHEMA)
    except jsonschema.ValidationError as err:
        where = "/".join(str(p) for p in err.absolute_path)
        allowed = ""
        if err.validator == "additionalProperties" and isinstance(err.schema.get("properties"), dict):
            allowed = f"; allowed keys: {', '.join(sorted(err.schema['properties']))}"
        raise DeclarationError(f"{name}: {where or 'top level'}: {err.message}{allowed}") from None
    ids = [c["id"] for c in decl["claims"]]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise DeclarationError(f"{name}: duplicate claim ids {dup}")
    present = [k for k in RUNNABLE if k in decl]
    if present and len(present) != len(RUNNABLE):
        raise DeclarationError(
            f"{name}: a runnable paper declares all of {list(RUNNABLE)}; missing {sorted(set(RUNNABLE) - set(present))}"
        )
    for part in ("runs", "targets"):
        names = [r["name"] for r in decl.get(part, [])]
        if len(set(names)) != len(names):
            raise DeclarationError(f"{name}: {part}: duplicate names")
    if not present:
        return
    keys = {p: set(decl["profiles"][p]) for p in PROFILES}
    if len({frozenset(k) for k in keys.values()}) != 1:
        raise DeclarationError(f"{name}: profiles: paper, cpu and smoke must set the same budget keys, got {keys}")
    params = set(decl["parameters"]) | set(COMMON_PARAMETERS)
    clash = sorted(set(decl["parameters"]) & set(COMMON_PARAMETERS))
    if clash:
        raise DeclarationError(f"{name}: parameters: {clash} are common to every paper and declared in ser.declaration")
    for pname, spec in decl["parameters"].items():
        try:
            from_spec(spec)
        except ValueError as err:
            raise DeclarationError(f"{name}: parameters/{pname}: {err}") from None
    if decl["default_arm"] not in decl["arms"]:
        raise DeclarationError(f"{name}: default_arm {decl['default_arm']!r} is not one of arms {sorted(decl['arms'])}")
    for where, overrides in [(f"arms/{a}/params", v.get("params", {})) for a, v in decl["arms"].items()] + [
        (f"{part}/{r['name']}/params", r["params"]) for part in ("runs", "targets") for r in decl.get(part, [])
    ]:
        unknown = sorted(set(overrides) - params)
        if unknown:
            raise DeclarationError(f"{name}: {where}: unknown parameter(s) {unknown}; known: {sorted(params)}")
        if "arm" in overrides and overrides["arm"] not in decl["arms"]:
            raise DeclarationError(f"{name}: {where}: arm {overrides['arm']!r} is not one of {sorted(decl['arms'])}")
    for t in decl.get("targets", []):
        seed_keys = sorted({"seeds", "seed", "folds"} & set(t["params"]))
        if seed_keys:
            raise DeclarationError(
                f"{name}: targets/{t['name']}/params: {seed_keys} are set per owed run (give `seeds:` and `folds:` "
                "of the target instead)"
            )
        if "folds" in t and "folds" not in params:
            raise DeclarationError(f"{name}: targets/{t['name']}: folds given, but the notebook takes no `folds`")


@functools.cache
def _load(path: Path, mtime: float) -> dict:
    decl = yaml.safe_load(path.read_text())
    validate_declaration(decl, path.name)
    if path.stem != decl["paper"]:
        raise DeclarationError(f"{path.name}: 'paper' is {decl['paper']!r}, expected {path.stem!r}")
    return decl


def load(paper: str, directory: Path = DECLARATIONS_DIR) -> dict:
    """The validated declaration of ``paper`` (a fresh copy: callers may change it)."""
    path = Path(directory) / f"{paper}.yaml"
    if not path.is_file():
        known = sorted(p.stem for p in Path(directory).glob("*.yaml"))
        raise DeclarationError(f"no declaration for paper {paper!r} ({path}); known papers: {known}")
    return json.loads(json.dumps(_load(path, path.stat().st_mtime)))


def load_all(directory: Path = DECLARATIONS_DIR) -> dict[str, dict]:
    """``{paper: declaration}`` for every file in ``directory``."""
    return {p.stem: load(p.stem, directory) for p in sorted(Path(directory).glob("*.yaml"))}


def parameter_spec(decl: dict) -> dict[str, Param]:
    """Every parameter of the paper's notebook, the common ones included, as :class:`Param`."""
    return {name: from_spec(spec) for name, spec in (decl["parameters"] | COMMON_PARAMETERS).items()}


# budget keys that say how many runs a profile makes, not how much each run gets: a record is one seed
# (and one fold), so a run of one seed or one fold of the paper's list is still at the paper's budget
RUN_SHAPE = frozenset({"seeds", "folds", "study_folds"})


def covers(budget: dict, paper: dict) -> bool:
    """Whether ``budget`` is at least the ``paper`` profile's: every number at least as large, every
    other list a superset, and no subsampling where the paper has none. The :data:`RUN_SHAPE` keys
    (seeds, folds) count runs, not the budget of each, so they are not compared."""
    for key, ref in paper.items():
        mine = budget.get(key)
        if key in RUN_SHAPE:
            continue
        if key == "patience":  # a shorter patience stops earlier; a longer one, or none, does not shorten the budget
            if ref is not None and mine is not None and mine < ref:
                return False
            continue
        if isinstance(ref, (int, float)) and not isinstance(ref, bool):
            if mine is None or mine < ref:
                return False
        elif isinstance(ref, list):
            if mine is None or not set(ref) <= set(mine):
                return False
        elif ref is None and mine is not None:
            return False
    return True


def steps_per_epoch(n_train: int, batch_size: int) -> int:
    """Optimizer steps of one epoch (the last, smaller batch is a step, as Keras and the trainer take it)."""
    if int(n_train) < 1 or int(batch_size) < 1:
        raise ValueError(f"no optimizer step from {n_train} training items in batches of {batch_size}")
    return -(-int(n_train) // int(batch_size))


def epochs_for_steps(epochs: int, steps: int | None, n_train: int, batch_size: int) -> int:
    """A profile's epochs, raised so that a budget of ``steps`` optimizer steps (if any) can be reached on
    ``n_train`` items; early stopping may still end a run sooner."""
    if not steps:
        return epochs
    return max(epochs, -(-int(steps) // steps_per_epoch(n_train, batch_size)))


def patience_in_epochs(patience: int | None, epoch_steps: int | None, n_train: int, batch_size: int) -> int | None:
    """A patience counted in the authors' epochs of ``epoch_steps`` optimizer steps, in epochs of this run's
    training set: the same number of steps, rounded up (unchanged without ``epoch_steps`` or a patience)."""
    if patience is None or not epoch_steps:
        return patience
    return -(-int(patience) * int(epoch_steps) // steps_per_epoch(n_train, batch_size))


def runnable(decl: dict) -> bool:
    """Whether the paper's notebook opens a run context (declares parameters, profiles and arms)."""
    return "parameters" in decl
