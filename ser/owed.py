"""The evidence still owed: what each issue asks to be run at the paper's budget (a declaration's
``targets``) against the committed results, and the command of every run still missing.

A target names the records that count for it by a glob over their run names, how many seeds it needs
(and, for fold protocols, which folds each seed needs), and the papermill parameters of one run. A
seed counts when a record of it exists at the ``paper`` profile and at the paper's budget for every
fold; a diverged run counts as run (it is flagged, and the verdicts leave it out), a run below budget
does not. ``ser reproduce --owed`` prints this; the book's *Evidence owed* page shows it.
"""

from __future__ import annotations

import fnmatch
import json
import math
import statistics
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ser import declaration
from ser.results import ran_on_gpu, run_name


@dataclass
class Owed:
    """One target's standing: seeds complete, incomplete (some folds missing), diverged, still missing."""

    paper: str
    name: str
    issue: int
    seeds_required: int
    folds: list[int] | None
    done: list[int] = field(default_factory=list)
    partial: dict[int, list[int]] = field(default_factory=dict)  # seed: folds recorded so far
    diverged: list[int] = field(default_factory=list)
    minutes: list[float] = field(default_factory=list)  # per complete seed, summed over its folds
    run_minutes: list[float] = field(default_factory=list)  # per recorded training (one fold of a fold target)
    fold_minutes: list[float] = field(default_factory=list)  # per recorded (seed, fold) of a fold target, summed
    commands: list[str] = field(default_factory=list)
    runs: list[tuple[str, dict]] = field(default_factory=list)  # (run name, papermill parameters) per command
    cells: set[tuple[str, str, str]] = field(default_factory=set)  # (arm, corpus, protocol) of its records
    gpus: list[str] = field(default_factory=list)  # the GPUs, where every timed record ran on one (GPU minutes)
    about: str = ""

    @property
    def missing(self) -> int:
        return max(0, self.seeds_required - len(self.done))

    @property
    def usable(self) -> int:
        """Seeds run whose runs did not diverge (the ones a verdict can rest on)."""
        return len(self.done) - len(self.diverged)

    @property
    def median_minutes(self) -> float | None:
        """Median minutes per seed, of the seeds that did not diverge where there are any (a collapsed run
        often stops early, so it would understate what the next seed costs)."""
        timed = [(s, m) for s, m in zip(self.done, self.minutes, strict=True) if not math.isnan(m)]
        kept = [m for s, m in timed if s not in self.diverged] or [m for _, m in timed]
        return statistics.median(kept) if kept else None

    @property
    def fold_median(self) -> float | None:
        """Median minutes per fold (a fold's records summed: the main run and its companions), complete seed
        or not: the estimate of a fold target that has no complete seed yet."""
        return statistics.median(self.fold_minutes) if self.folds and self.fold_minutes else None

    @property
    def seed_estimate(self) -> float | None:
        """Minutes per seed: the median of complete seeds, else the median fold times the folds."""
        if self.median_minutes is not None:
            return self.median_minutes
        return None if self.fold_median is None else self.fold_median * len(self.folds or [])

    @property
    def seeds_owed(self) -> float:
        """Seeds still to run, a started seed counting by the fraction of its folds still missing."""
        if not self.folds:
            return float(self.missing)
        started = [self.partial[s] for s in sorted(self.partial)][: self.missing]  # finished first, as owed
        return self.missing - sum(len(set(f) & set(self.folds)) / len(self.folds) for f in started)

    @property
    def state(self) -> str:
        if self.missing:
            return f"{self.missing} to run"
        return "complete" + (
            f" ({self.usable} of {len(self.done)} usable, the others diverged)" if self.diverged else ""
        )


def _seeds_of(rec: dict) -> list[int]:
    seeds = rec.get("seeds")
    if seeds is None and "seed" in rec.get("params", {}):
        seeds = [rec["params"]["seed"]]
    return [int(s) for s in (seeds or [0])]


def run_params(decl: dict, params: dict, seed: int, folds: list[int] | None = None) -> dict:
    """The papermill parameters of one owed run: the target's, the paper profile, recording on, the
    seed (a list for notebooks that take ``seeds``) and the folds."""
    spec = decl["parameters"]
    one = dict(params) | {"profile": "paper", "record": True}
    if "seeds" in spec:
        one["seeds"] = [seed]
    elif "seed" in spec:
        one["seed"] = seed
    elif seed != 0:
        raise ValueError(f"{decl['paper']}: the notebook takes no seed, so seed {seed} cannot be run")
    if folds is not None:
        one["folds"] = folds
    return one


def flow(params: dict) -> str:
    """``params`` as one line of YAML (what papermill's ``-y`` and the declarations take)."""
    return yaml.safe_dump(params, default_flow_style=True, sort_keys=False, width=10_000).strip()


def command(
    decl: dict, target: str, params: dict, seed: int, folds: list[int] | None = None, name: str | None = None
) -> str:
    """The papermill command of one owed run of ``target`` (:func:`run_params`), executed into ``name``.ipynb
    (the run's name; by default ``<paper>-<target>-seed<N>``)."""
    one = run_params(decl, params, seed, folds)
    out = name or f"{decl['paper']}-{target}-seed{seed}"
    return f"papermill {decl['notebook']} {out}.ipynb -y '{flow(one)}'"


def _owe(o: Owed, decl: dict, t: dict, seed: int, folds: list[int] | None, per_fold: bool = False) -> None:
    """The run (or, ``per_fold``, one run per fold) of ``seed`` of target ``t`` over ``folds``."""
    for part in [[f] for f in folds or []] if per_fold and folds else [folds]:
        name = f"{decl['paper']}-{t['name']}-seed{seed}"
        if per_fold and part:
            name += f"-fold{part[0]}"
        elif seed in o.partial:  # the folds a started seed still lacks: a run of its own, never the first one's page
            name += "-folds" + "_".join(map(str, part or []))
        o.commands.append(command(decl, t["name"], t["params"], seed, part, name))
        o.runs.append((name, run_params(decl, t["params"], seed, part)))


def _tie(r: dict) -> tuple:
    """What ties the records one notebook run wrote: cell, seed, fold and commit."""
    return (r.get("arm"), r.get("corpus"), r.get("protocol"), tuple(_seeds_of(r)), r.get("fold"), r.get("git_commit"))


def _companions(hits: list[dict], records: list[dict]) -> list[dict]:
    """The records written beside ``hits`` by the same notebook runs that a target's pattern does not name
    (the wavelet notebook's lr-0.001 companion of each fold): their time is part of what a seed costs."""
    ties, own = {_tie(r) for r in hits if r.get("git_commit")}, {id(r) for r in hits}
    return [r for r in records if id(r) not in own and _tie(r) in ties]


def standing(decl: dict, records: list[dict], per_fold: bool = False) -> list[Owed]:
    """Every target of ``decl`` against ``records`` (read by :func:`ser.results.read_results`); with
    ``per_fold``, a seed of a fold target is owed as one run per fold (each short enough to end within a
    sitting, the seed complete when all have run) instead of one run of all its folds."""
    from ser.claims import at_paper_budget, diverged

    mine = [r for r in records if r.get("paper") == decl["paper"] and r.get("profile") == "paper"]
    mine = [r for r in mine if at_paper_budget(r, decl)]
    out = []
    for t in decl.get("targets", []):
        o = Owed(decl["paper"], t["name"], t["issue"], t["seeds"], t.get("folds"), about=t.get("about", ""))
        hits = [r for r in mine if fnmatch.fnmatchcase(run_name(r), t["runs"])]
        o.cells = {(r.get("arm", "paper_text"), r.get("corpus", ""), r.get("protocol", "")) for r in hits}
        timed = hits + _companions(hits, mine)  # the target's records and those its notebook runs wrote beside
        on_gpu = [r for r in timed if ran_on_gpu(r)]
        part_gpu: set[int] = set()  # seeds with a record timed on a GPU: their CPU minutes are not a whole seed's
        if on_gpu and len(on_gpu) < len(timed):  # minutes of one kind of machine: the CPU's, where there are any
            timed = [r for r in timed if not ran_on_gpu(r)]
            part_gpu = {s for r in on_gpu for s in _seeds_of(r)}
            on_gpu = []
        o.gpus = sorted({str(r["device"]) for r in on_gpu})  # every timed record ran on a GPU: GPU minutes
        kept = {id(r) for r in timed}
        o.run_minutes = [r["duration_s"] / 60 for r in hits if r.get("duration_s") and id(r) in kept]
        by_fold: dict[tuple[int, int], float] = {}
        seed_minutes: dict[int, float] = {}
        for r in timed:
            minutes = r.get("duration_s", 0.0) / 60
            for s in _seeds_of(r):
                seed_minutes[s] = seed_minutes.get(s, 0.0) + minutes
            if r.get("fold") is not None and minutes:
                key = (_seeds_of(r)[0], int(r["fold"]))
                by_fold[key] = by_fold.get(key, 0.0) + minutes
        o.fold_minutes = list(by_fold.values())
        by_seed: dict[int, list[dict]] = {}
        for r in hits:
            for s in _seeds_of(r):
                by_seed.setdefault(s, []).append(r)
        for s, recs in sorted(by_seed.items()):
            have = sorted({int(r["fold"]) for r in recs if r.get("fold") is not None})
            if o.folds is not None and not set(o.folds) <= set(have):
                o.partial[s] = have
                continue
            o.done.append(s)
            o.minutes.append(math.nan if s in part_gpu else seed_minutes.get(s, math.nan))  # NaN: not all on one kind
            if any(diverged(r) for r in recs):
                o.diverged.append(s)
        taken = set(o.done) | set(o.partial)
        owing: list[tuple[int, list[int] | None]] = []
        for s in sorted(o.partial):  # finish the folds of a started seed first
            if len(owing) < o.missing:
                owing.append((s, [f for f in o.folds or [] if f not in o.partial[s]]))
        s = 0
        while len(owing) < o.missing:
            if s not in taken:
                owing.append((s, o.folds))
            s += 1
        for s, folds in owing:
            _owe(o, decl, t, s, folds, per_fold)
        out.append(o)
    return out


def standing_all(records: list[dict], papers: list[str] | None = None, per_fold: bool = False) -> list[Owed]:
    """:func:`standing` for every declared paper (or ``papers``), in declaration order."""
    decls = declaration.load_all()
    return [o for p, d in decls.items() if not papers or p in papers for o in standing(d, records, per_fold)]


def _minutes(m: float) -> str:
    """Whole minutes, or "<1" for a run of seconds (EmotionNet's)."""
    return "<1" if m < 0.5 else f"{m:.0f}"


def _seeds(seeds: list[int]) -> str:
    return ", ".join(map(str, seeds)) if seeds else "none"


def page(owed: list[Owed]) -> str:
    """Markdown for the book: one row per target, then the commands of the runs still missing."""
    head = (
        "# Evidence owed\n\n"
        "What the open issues ask to be run at each paper's budget (the `targets` of "
        "`papers/claims/<paper>.yaml`), beside the seeds the committed results hold, read when the book was "
        "built. A seed counts when its run reached the paper's budget on every fold; a diverged run counts as "
        "run and is named (the verdicts leave it out), a run below budget does not count. A verdict on fewer "
        "seeds than asked is shown with its run count in the chapters; this page says what would complete it. "
        "`ser reproduce --owed` prints the same, with the command of each missing run.\n\n"
    )
    if not owed:
        return head + "No paper declares targets.\n"
    rows = [
        "| paper | target | issue | seeds asked | seeds recorded | of which diverged | started, folds missing | "
        "still to run | minutes per seed (median of recorded, or folds x median per fold) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for o in owed:
        partial = "; ".join(f"seed {s}: has folds {_seeds(f)}" for s, f in o.partial.items()) or "–"
        minutes = "–" if o.seed_estimate is None else _minutes(o.seed_estimate)
        if o.median_minutes is None and o.fold_median is not None:
            minutes += f" ({len(o.folds or [])} folds x {_minutes(o.fold_median)})"
        if o.gpus and o.seed_estimate is not None:
            minutes += f" on {', '.join(o.gpus)}"
        rows.append(
            f"| {o.paper} | `{o.name}` | #{o.issue} | {o.seeds_required}"
            + (f" x folds {_seeds(o.folds)}" if o.folds else "")
            + f" | {len(o.done)} ({_seeds(o.done)}) | {_seeds(o.diverged) if o.diverged else '–'} | {partial} | "
            f"{o.state} | {minutes} |"
        )
    complete = sum(not o.missing for o in owed)
    text = head + "\n".join(rows) + f"\n\n{complete} of {len(owed)} targets complete; {_owed_runs(owed)} still owed"
    text += f" ({estimate}).\n" if (estimate := time_owed(owed)) else ".\n"
    owing = [o for o in owed if o.commands]
    if owing:
        text += "\n## The runs still owed\n\n"
        first = _first_owner(owing)
        for o in owing:
            text += f"- `{o.paper}` / `{o.name}`" + (f": {o.about}" if o.about else "") + "\n"
            text += "".join(
                f"  - the same run as `{owner}`'s\n" if (owner := _other_owner(first, o, c)) else f"  - `{c}`\n"
                for c in o.commands
            )
    return text


def _in_turns(owed: list[Owed]) -> Iterator[tuple[Owed, str, str, dict]]:
    """Every owed run as ``(target, command, run name, parameters)``, one target after another in turns
    (each target's first missing seed, then each one's second, ...): the order :func:`queue` runs them."""
    depth = max((len(o.runs) for o in owed), default=0)
    for k in range(depth):
        for o in owed:
            if k < len(o.runs):
                yield o, o.commands[k] if k < len(o.commands) else "", *o.runs[k]


def _first_owner(owed: list[Owed]) -> dict[tuple[str, str], str]:
    """``{(paper, command): name of the target whose run :func:`queue` runs for it}``: one notebook run
    can answer several targets, and is then listed (and queued) once, under the target queued first."""
    by_params: dict[str, str] = {}
    first: dict[tuple[str, str], str] = {}
    for o, c, _, params in _in_turns(owed):
        first[(o.paper, c)] = by_params.setdefault(_run_key(o, params), o.name)
    return first


def _other_owner(first: dict[tuple[str, str], str], o: Owed, command: str) -> str | None:
    """The target queued first for ``command`` of ``o`` when that is another target, else None."""
    owner = first.get((o.paper, command), o.name)
    return owner if owner != o.name else None


def _run_key(o: Owed, params: dict) -> str:
    """One notebook run: its paper and parameters, whatever target owes it."""
    return json.dumps([o.paper, params], sort_keys=True)


def _owed_runs(owed: list[Owed]) -> str:
    """ "N seed runs", and how many notebook runs they take where targets share some."""
    total, distinct = sum(o.missing for o in owed), len(queue(owed))
    # one notebook run per (paper, parameters but the folds): where fewer than the seeds, targets share runs
    seeds = {_run_key(o, {k: v for k, v in p.items() if k != "folds"}) for o in owed for _, p in o.runs}
    why = (["some targets share one"] if len(seeds) < total else []) + (
        ["one per fold of a cross-validated seed"] if any(len(o.runs) > o.missing for o in owed) else []
    )
    return f"{total} seed runs" + (f" ({distinct} notebook runs: {' and '.join(why)})" if why else "")


def _corpus(o: Owed) -> str | None:
    return next((p.get("corpus") for _, p in o.runs if p.get("corpus")), None)


def time_owed(owed: list[Owed]) -> str:
    """The owed runs' time from each target's median recorded minutes per seed (one process), or, for a fold
    target with no complete seed, its median minutes per fold times the folds; a started seed counts by
    the folds it still lacks. A target with nothing recorded borrows the estimate of a target of the same
    paper, corpus and folds (said apart); the rest are counted as without an estimate:
    ``about 12.5 h of one process ..., about 30.0 h more ..., and 3 target(s) with no ... to estimate from``."""
    estimated = [o for o in owed if o.missing and o.seed_estimate is not None]
    known = [o.seeds_owed * o.seed_estimate for o in estimated if not o.gpus]
    on_gpu = [o.seeds_owed * o.seed_estimate for o in estimated if o.gpus]
    gpus = sorted({g for o in estimated for g in o.gpus})
    by_fold = any(o.median_minutes is None for o in estimated if not o.gpus)
    borrowed, borrowed_gpu, unknown = [], [], 0
    for o in (o for o in owed if o.missing and o.seed_estimate is None):
        kin = [
            k
            for k in owed
            if k.seed_estimate is not None and (k.paper, k.folds) == (o.paper, o.folds) and _corpus(k) == _corpus(o)
        ]
        if kin and _corpus(o):
            gpu_kin = [k.seed_estimate for k in kin if k.gpus]
            cpu_kin = [k.seed_estimate for k in kin if not k.gpus]
            # a CPU estimate where there is one (the machine a user has), else the GPU's, said apart
            (borrowed if cpu_kin else borrowed_gpu).append(o.seeds_owed * statistics.median(cpu_kin or gpu_kin))
            gpus = sorted(set(gpus) | {g for k in kin if k.gpus and not cpu_kin for g in k.gpus})
        else:
            unknown += 1
    parts = []
    if known:
        parts.append(
            f"about {sum(known) / 60:.1f} h of one process from the recorded minutes per seed"
            + (" (per fold where no seed is complete)" if by_fold else "")
        )
    if borrowed:
        parts.append(
            f"about {sum(borrowed) / 60:.1f} h more for {len(borrowed)} target(s) with nothing recorded, "
            "from the targets of the same paper and corpus"
        )
    if on_gpu or borrowed_gpu:
        text = f"about {sum(on_gpu) + sum(borrowed_gpu):.0f} min on a GPU ({', '.join(gpus)}) for "
        text += f"{len(on_gpu) + len(borrowed_gpu)} target(s) timed there"
        text += f" ({len(borrowed_gpu)} of them from the targets of the same paper and corpus)" if borrowed_gpu else ""
        parts.append(text + ", not CPU time")
    if unknown:
        parts.append(f"{unknown} target(s) with no recorded seed or fold to estimate from")
    if len(parts) > 1:
        parts[-1] = "and " + parts[-1]
    return ", ".join(parts)


def _per_seed(o: Owed) -> str:
    """``~15 min per seed``, or for a fold target with no complete seed ``~152 min per fold``; "" if unknown."""
    where = f" on {', '.join(o.gpus)}" if o.gpus else ""
    if o.median_minutes is not None:
        return f"~{_minutes(o.median_minutes)} min per seed{where}"
    return "" if o.fold_median is None else f"~{_minutes(o.fold_median)} min per fold{where}"


def report(owed: list[Owed]) -> str:
    """Plain text for ``ser reproduce --owed``: a line per target, then the commands."""
    lines = []
    first = _first_owner(owed)
    for o in owed:
        state = o.state
        extra = f", diverged {_seeds(o.diverged)}" if o.diverged else ""
        extra += "".join(f", seed {s} lacks folds" for s in o.partial)
        mins = f", {per}" if (per := _per_seed(o)) else ""
        lines.append(
            f"{o.paper:<20} {o.name:<34} #{o.issue} seeds {len(o.done)}/{o.seeds_required}"
            f" ({_seeds(o.done)}{extra}{mins}): {state}"
        )
        for c in o.commands:
            owner = _other_owner(first, o, c)
            lines.append(f"    (the same run as {owner}'s)" if owner else f"    {c}")
    lines.append(f"{sum(not o.missing for o in owed)} of {len(owed)} targets complete; {_owed_runs(owed)} owed")
    if estimate := time_owed(owed):
        lines.append(f"time owed: {estimate}")
    return "\n".join(lines)


def queue(owed: list[Owed], limit: int | None = None) -> list[tuple[str, str, dict]]:
    """The owed runs as ``(paper, run name, parameters)``, one target after another in turns (each
    target's first missing seed, then each one's second, ...), at most ``limit``. A run whose paper and
    parameters equal an earlier one's is queued once: one notebook run can answer several targets
    (ArabEmoNet's studies all come from one run of its notebook)."""
    out: list[tuple[str, str, dict]] = []
    seen: set[str] = set()
    for o, _, name, params in _in_turns(owed):
        key = _run_key(o, params)
        if key not in seen:
            seen.add(key)
            out.append((o.paper, name, params))
    return out[:limit] if limit is not None else out


def gpu_jobs(owed: list[Owed], limit: int | None = None) -> str:
    """The owed runs as ``scripts/gpu_check.sh``'s ``JOBS`` (``notebook:corpus:name:papermill args``, joined
    by ``;``), in :func:`queue`'s order: a lease then runs what is still owed, not what has already landed.
    The script adds the profile, ``record`` and its own ``results_dir``."""
    jobs = []
    for paper, name, params in queue(owed, limit):
        p = {k: v for k, v in params.items() if k not in ("profile", "record", "results_dir")}
        corpus = p.get("corpus") or next(iter(p.get("corpora") or []), "")
        jobs.append(f'{paper}:{corpus}:{name}:-y "{flow(p)}"')
    return ";".join(jobs)


def nav_title(paper: str, name: str) -> str:
    """A replication page's title in the sidebar: its run name less the paper's prefix (``emodb-sd-clean-seed1``),
    since the sidebar already nests it under the paper's chapter; the page keeps its full title."""
    rest = name[len(paper) + 1 :] if name.startswith(paper + "-") else ""
    return rest or "default run"


def titled_toc(toc: str) -> str:
    """``toc`` with a ``title:`` line (:func:`nav_title`) under every replication page that has none (the page's
    paper is the chapter it sits under); titles already there are kept."""
    lines, out, paper = toc.split("\n"), [], ""
    for i, ln in enumerate(lines):
        out.append(ln)
        entry = ln.strip()
        if entry.startswith("- file: chapters/"):
            paper = entry.removeprefix("- file: chapters/")
        elif entry.startswith("- file: replications/"):
            following = lines[i + 1].strip() if i + 1 < len(lines) else ""
            if not following.startswith("title:"):
                indent = ln[: len(ln) - len(ln.lstrip())] + "  "
                out.append(
                    f"{indent}title: {json.dumps(nav_title(paper, entry.removeprefix('- file: replications/')))}"
                )
    return "\n".join(out)


def _toc_lines(toc: str, paper: str) -> list[str]:
    return [ln for ln in toc.split("\n") if ln.strip() in (f"- file: replications/{paper}", f"- file: chapters/{paper}")
            or ln.strip().startswith(f"- file: replications/{paper}-")]  # fmt: skip


def declare(paper: str, name: str, params: dict, root: Path | None = None) -> None:
    """Make ``name`` a run of the book: a ``runs`` entry in the paper's declaration (appended: ``runs``
    is the file's last block) and a page under the paper's chapter in ``_toc.yml``, after its last one."""
    from ser.paths import REPO_ROOT

    root = root or REPO_ROOT
    decl_path = root / "papers" / "claims" / f"{paper}.yaml"
    text = decl_path.read_text()
    wanted = {k: v for k, v in params.items() if k != "record"}
    have = {r["name"]: r["params"] for r in yaml.safe_load(text).get("runs", [])}
    if name in have and have[name] != wanted:
        raise ValueError(f"{decl_path.name}: run {name} is declared with other parameters ({have[name]}), not {wanted}")
    if name not in have:
        new = text.rstrip("\n") + "\n" + f"  - {{name: {name}, params: {flow(wanted)}}}" + "\n"
        decl = yaml.safe_load(new)
        declaration.validate_declaration(decl, decl_path.name)  # never write a declaration that does not load
        if decl["runs"][-1] != {"name": name, "params": wanted}:
            raise ValueError(f"{decl_path.name}: `runs` is not the file's last block; cannot append run {name}")
        atomic_text(decl_path, new)
    toc_path = root / "_toc.yml"
    toc = toc_path.read_text()
    lines = toc.split("\n")
    if any(ln.strip() == f"- file: replications/{name}" for ln in lines):
        return
    mine = _toc_lines(toc, paper)
    if not mine:
        raise ValueError(f"_toc.yml has no chapter for {paper}: add chapters/{paper} first")
    last = max(i for i, ln in enumerate(lines) if ln in mine)
    if lines[last].strip() == f"- file: chapters/{paper}":
        raise ValueError(f"_toc.yml: chapters/{paper} has no sections yet: add its first page by hand")
    indent = lines[last][: len(lines[last]) - len(lines[last].lstrip())]
    if last + 1 < len(lines) and lines[last + 1].strip().startswith("title:"):  # the last page's own title line
        last += 1
    lines.insert(last + 1, indent + f"- file: replications/{name}")
    atomic_text(toc_path, titled_toc("\n".join(lines)))


def undeclare(paper: str, name: str, root: Path | None = None) -> None:
    """Take back :func:`declare` (a run that failed leaves no page and no entry behind)."""
    from ser.paths import REPO_ROOT

    root = root or REPO_ROOT
    for path, gone in (  # exact matches: taking back `x-seed0-fold1` keeps `x-seed0-fold10`
        (root / "papers" / "claims" / f"{paper}.yaml", lambda ln: ln.startswith(f"  - {{name: {name}, params:")),
        (root / "_toc.yml", lambda ln: ln.strip() == f"- file: replications/{name}"),
    ):
        lines = path.read_text().split("\n")
        kept: list[str] = []
        for i, ln in enumerate(lines):
            if gone(ln):
                continue
            if i and gone(lines[i - 1]) and ln.strip().startswith("title:"):  # the page's sidebar title goes with it
                continue
            kept.append(ln)
        if kept != lines:
            atomic_text(path, "\n".join(kept))


def atomic_text(path: Path, text: str) -> None:
    """Write ``path`` whole or not at all (a killed run never leaves half a declaration)."""
    from core.io import atomic_write

    with atomic_write(path) as fh:
        fh.write(text)


def asked(decl: dict, records: list[dict]) -> dict[tuple[str, str, str], tuple[int, int]]:
    """``{(arm, corpus, protocol): (seeds recorded, seeds asked)}`` for the targets of ``decl`` that are not
    complete yet, keyed by the cells of the arms tables their records fall in (a chapter can then say that a
    number rests on fewer seeds than its issue asks)."""
    out = {}
    for o in standing(decl, records):
        if o.missing:
            for cell in o.cells:
                out[cell] = (len(o.done), o.seeds_required)
    return out
