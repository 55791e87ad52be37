"""Reference baselines on the split files of the book's runs (``ser baselines``).

Every split file a replication saved (``papers/results/<paper>/splits/*.csv``; each fold of a
k-fold file) gets one baseline record under ``papers/results/baselines/<paper>/``: every feature
set x classifier of :mod:`core.baselines` with its test accuracy (WA), UA and macro F1, and the
*best* one, chosen by validation UA (never by test), with bootstrap intervals and its per-item test
predictions, so that a model run on the same split can be compared with it item by item.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ser.paths import RESULTS_DIR, repo_relative

BASELINES_DIR = RESULTS_DIR / "baselines"
COPY = "#copy"


@dataclass
class Job:
    """One split (one fold of a k-fold split) to run the baselines on."""

    paper: str
    split_file: Path
    fold: int | None
    corpus: str
    protocol: str
    seed: int

    @property
    def name(self) -> str:
        return self.split_file.stem + ("" if self.fold is None else f"-fold{self.fold}")

    def out_path(self, root: Path = BASELINES_DIR) -> Path:
        return root / self.paper / f"{self.name}.json"


def jobs(
    results_dir: Path = RESULTS_DIR,
    papers: Sequence[str] | None = None,
    pattern: str = "*",
    skipped: list[tuple[Path, str]] | None = None,
) -> list[Job]:
    """The baseline jobs for every split file under ``results_dir`` (or ``papers``), one per fold.
    A split over several corpora (a pool, or a cross-corpus run) has none: it is appended to
    ``skipped`` with the reason, if given."""
    out = []
    for split_dir in sorted(results_dir.glob("*/splits")):
        paper = split_dir.parent.name
        if papers and paper not in papers:
            continue
        for f in sorted(split_dir.glob(f"{pattern}.csv")):
            split = pd.read_csv(f, dtype={"utt_id": str})
            if split.empty or not {"utt_id", "part", "seed", "protocol"} <= set(split.columns):
                raise ValueError(f"{f} is not a split file (columns utt_id, part, seed, protocol)")
            corpus = split_corpus(split)
            if corpus is None:
                if skipped is not None:
                    skipped.append((f, "mixes corpora in a k-fold file: baselines run pools and cross-corpus splits "
                                       "of train, val and test parts only"))  # fmt: skip
                continue
            common = {
                "paper": paper,
                "split_file": f,
                "corpus": corpus,
                "protocol": str(split["protocol"].iloc[0]),
                "seed": int(split["seed"].iloc[0]),
            }
            folds = _folds(split)
            out += [Job(fold=k, **common) for k in folds] if folds else [Job(fold=None, **common)]
    return out


def split_corpus(split: pd.DataFrame) -> str | None:
    """The corpus a split file covers, named as the model records name it: one corpus; a pool
    (``ravdess+tess``: several corpora in training and test); a cross-corpus split (``ravdess-to-tess``:
    trained on the first corpora, tested on the others only). ``None`` for a k-fold file over several."""
    corpus_of = split["utt_id"].str.split("/", n=1).str[0]
    corpora = sorted(set(corpus_of))
    if len(corpora) == 1:
        return corpora[0]
    if _folds(split):
        return None
    part = split["part"].astype(str)
    trained, tested = sorted(set(corpus_of[part != "test"])), sorted(set(corpus_of[part == "test"]))
    if not set(trained) & set(tested):
        return f"{'+'.join(trained)}-to-{'+'.join(tested)}"
    return "+".join(corpora)


def load_meta(name: str, data_root: str | None = None) -> pd.DataFrame:
    """The rows of a split's corpus: one corpus as loaded; several (a pool or a cross-corpus split)
    mapped onto the seven shared emotions (:func:`core.data.combine_seven`), as the runs pool them."""
    from core.data import combine_seven, corpus_parts, load_corpus

    names = corpus_parts(name)
    if len(names) == 1:
        return load_corpus(names[0], root=data_root)
    return combine_seven({c: load_corpus(c, root=data_root) for c in names})


# Splits for corpora that no replication uses yet live under this name (``papers/results/reference``).
REFERENCE = "reference"


def ensure_reference_splits(results_dir: Path = RESULTS_DIR, data_root: str | None = None) -> list[Path]:
    """Write the reference splits of TESS (no replication runs on it yet) if they are missing:
    a stratified 70/15/15 split (seed 0), and, TESS having two speakers only, train on one speaker
    and test on the other (validation: a stratified 10 % of the training speaker's clips).
    Returns the split files; a missing corpus is skipped with a message."""
    from core import splits
    from core.data import load_corpus

    out_dir = results_dir / REFERENCE / "splits"
    try:
        tess = load_corpus("tess", root=data_root)
    except (FileNotFoundError, ValueError) as err:
        print(f"reference splits: TESS skipped ({err})")
        return []
    written = []
    target = out_dir / "tess-random-seed0.csv"
    if not target.exists():
        splits.save_split(splits.random_split(tess, (0.7, 0.15, 0.15), 0), target, seed=0, protocol="random")
    written.append(target)
    for spk in sorted(tess["speaker"].unique()):
        target = out_dir / f"tess-speaker-test{str(spk).removeprefix('tess_')}.csv"
        if not target.exists():
            folds = pd.DataFrame({"utt_id": tess["utt_id"], "part": (tess["speaker"] == spk).astype(int)})
            part = splits.cv_parts(tess, folds, 1, seed=0)
            splits.save_split(
                pd.DataFrame({"utt_id": tess["utt_id"], "part": part}), target, seed=0, protocol="speaker"
            )
        written.append(target)
    return written


def _folds(split: pd.DataFrame) -> list[int]:
    """The folds of a k-fold split file (its ``part`` holds fold numbers), else ``[]``."""
    part = split["part"].astype(str)
    return sorted({int(p) for p in part}) if part.str.fullmatch(r"\d+").all() else []


def noise_recipe(job: Job) -> dict[str, Any] | None:
    """How the model runs on ``job``'s split made their noisy copies (from the ``params`` of the
    records next to the split's folder that saved it): ``{n_copies, snr_range, awgn_snr_db, seed,
    run}``, or ``None``."""
    from ser import results

    rel = repo_relative(job.split_file)
    folder = job.split_file.parent.parent
    for rec in results.read_results(folder) if folder.exists() else []:
        p = rec.get("params", {})
        if rec.get("split_file") == rel and p.get("noise_copies"):
            return {
                "n_copies": int(p["noise_copies"]),
                "snr_range": p.get("snr_range"),
                "awgn_snr_db": p.get("awgn_snr_db"),
                "seed": job.seed,
                "run": rec.get("run"),
            }
    return None


def parts_for(job: Job, meta: pd.DataFrame, recipe: dict[str, Any] | None = None) -> tuple[pd.DataFrame, np.ndarray]:
    """(rows of ``meta`` in the split, their parts) for ``job``.

    Noisy copies (``<id>#copyK``) in the training part of a clean split are left out (the baselines
    train on original clips only). A split whose validation or test part holds copies (noise copies
    made before the split, the leak of an ``as_published`` arm) is run on its copies too when the
    ``recipe`` of the model run that made them is known (:func:`noise_recipe`): the rows are then
    those of :func:`core.splits.with_copies` (``copy`` 0 for originals); without a recipe, or in a
    k-fold file, it raises :class:`NotRunnable`.
    """
    from core import splits
    from core.data import corpus_parts

    split = splits.load_split(job.split_file)
    copies = split["utt_id"].str.contains(COPY, regex=False)
    held_out = job.fold is not None or split.loc[copies, "part"].astype(str).isin(["val", "test"]).any()
    leaky = bool(copies.any() and held_out)
    if leaky and len(corpus_parts(job.corpus)) > 1:
        raise NotRunnable(
            "noisy copies were made before this split, some sit in its test part, and it pools several corpora: "
            "the baselines rebuild copies of one corpus only (the model record's 1-NN accuracy measures this leak)"
        )
    if leaky and (job.fold is not None or recipe is None):
        raise NotRunnable(
            "noisy copies were made before this split and some sit in its test part, and "
            + ("the split is k-fold" if job.fold is not None else "no model record says how they were made")
            + ", so the baselines cannot be trained on the same items (the model record's 1-NN accuracy "
            "measures this leak instead)"
        )
    if leaky:
        n_copies = int(split.loc[copies, "utt_id"].str.rsplit(COPY, n=1).str[1].astype(int).max())
        if n_copies != recipe["n_copies"]:
            raise ValueError(
                f"{job.split_file} holds {n_copies} copies per clip, its model record says {recipe['n_copies']}"
            )
        items = splits.with_copies(meta, n_copies)
    else:
        split, items = split[~copies], meta
    missing = set(split["utt_id"]) - set(items["utt_id"])
    if missing:
        raise ValueError(
            f"{job.split_file}: {len(missing)} utterances are not in the {job.corpus} corpus on disk "
            f"(for example {sorted(missing)[0]}); is the corpus complete?"
        )
    rows = items[items["utt_id"].isin(split["utt_id"])].reset_index(drop=True)
    if job.fold is None:
        return rows, splits.part_of(rows, split)
    return rows, splits.cv_parts(rows, split, job.fold, seed=job.seed)


def split_features(
    meta: pd.DataFrame,
    rows: pd.DataFrame,
    feature_sets: Sequence[str],
    recipe: dict[str, Any] | None = None,
    progress: bool = False,
    data_root: str | None = None,
) -> dict[str, np.ndarray]:
    """Each feature set's matrix for ``rows`` (originals of ``meta``, and with a ``recipe`` their
    noisy copies: the same SNR per clip and seeds as the model run, noise on the clip as read)."""
    from core import baselines as B
    from core import splits
    from core.features import copy_noise_seed, copy_snrs

    paths = meta["path"].tolist()
    n_copies = int(recipe["n_copies"]) if recipe and "copy" in rows else 0
    items = splits.with_copies(meta, n_copies)
    index = pd.Index(items["utt_id"]).get_indexer(rows["utt_id"])
    snr = copy_snrs(len(meta), recipe["seed"], recipe["snr_range"], recipe["awgn_snr_db"]) if n_copies else None
    out = {}
    wholes: dict[str, pd.DataFrame] = {}  # each corpus as loaded, once for every feature set
    for fs in feature_sets:
        blocks = [_originals(meta, fs, data_root, progress, wholes)]
        blocks += [
            B.functionals(paths, fs, noise_snr_db=snr, noise_seed=copy_noise_seed(recipe["seed"], k), progress=progress)
            for k in range(1, n_copies + 1)
        ]
        out[fs] = np.concatenate(blocks)[index]
    return out


def _originals(
    meta: pd.DataFrame, name: str, data_root: str | None, progress: bool, wholes: dict[str, pd.DataFrame]
) -> np.ndarray:
    """Feature set ``name`` of ``meta``'s clips. Rows from several corpora (a pool or a cross-corpus
    split) are read from each corpus's own matrix, cached for its one-corpus splits: the cache is keyed
    by the list of clips, so a pool's concatenated list would extract every clip again (ComParE's 6,373
    functionals of RAVDESS and TESS take longer than all the classifiers)."""
    from core import baselines as B
    from core.data import load_corpus

    names = meta["corpus"].unique().tolist() if "corpus" in meta else []
    if len(names) < 2:
        return B.functionals(meta["path"].tolist(), name, progress=progress)
    out = None
    for c in names:
        whole = wholes[c] if c in wholes else wholes.setdefault(c, load_corpus(c, root=data_root))
        feats = B.functionals(whole["path"].tolist(), name, progress=progress)
        mine = np.flatnonzero((meta["corpus"] == c).to_numpy())
        at = pd.Index(whole["path"]).get_indexer(meta["path"].iloc[mine])
        if (at < 0).any():
            raise ValueError(f"{(at < 0).sum()} {c} clips of the split are not in the corpus as loaded")
        if out is None:
            out = np.empty((len(meta), feats.shape[1]), dtype=feats.dtype)
        out[mine] = feats[at]
    return out


class NotRunnable(RuntimeError):
    """A split the baselines cannot be run on, with the reason."""


def run_job(
    job: Job,
    feature_sets: Sequence[str] | None = None,
    classifiers: Sequence[str] | None = None,
    data_root: str | None = None,
    progress: bool = False,
) -> dict[str, Any]:
    """Run every feature set x classifier on ``job``'s split and return its results record."""
    from core import baselines as B
    from core.data import combine_fingerprints, corpus_parts, fingerprint, load_corpus
    from ser import results

    start = time.perf_counter()
    meta = load_meta(job.corpus, data_root)
    names = corpus_parts(job.corpus)  # a pool's or cross pair's fingerprint is its whole corpora's, as the runs'
    whole = {c: fingerprint(load_corpus(c, root=data_root)) for c in names} if len(names) > 1 else None
    recipe = noise_recipe(job)
    rows, part = parts_for(job, meta, recipe)
    leaky = "copy" in rows
    feature_sets = list(feature_sets or B.FEATURE_SETS)
    feats = split_features(meta, rows, feature_sets, recipe if leaky else None, progress, data_root)
    y = rows["label"].to_numpy()
    groups = rows["speaker"].astype(str).to_numpy()
    table, best = B.evaluate_split(
        feats, y, part, groups=groups, classifiers=classifiers or B.CLASSIFIERS, seed=job.seed
    )
    te = part == "test"
    labels = sorted(rows["label_name"].unique(), key=lambda n: rows.loc[rows["label_name"] == n, "label"].iloc[0])
    name_of = dict(zip(rows["label"], rows["label_name"], strict=False))
    pred = best.pop("pred")
    return results.make_record(
        paper=job.paper,
        claim_ids=[],
        corpus=job.corpus,
        protocol=job.protocol,
        profile="baseline",
        seeds=[job.seed],
        metrics={k: best[k] for k in ("accuracy", "ua", "macro_f1")},
        params={"feature_sets": feature_sets, "classifiers": list(classifiers or B.CLASSIFIERS), "grids": B.GRIDS},
        duration_s=time.perf_counter() - start,
        arm="baseline",
        run=f"baseline-{job.paper}-{job.name}",
        # no epochs: each fit runs to convergence on fixed grids, so there is no reduced version of it
        budget={
            "profile": "baseline",
            "epochs_run": None,
            "stopping": "none: closed-form or converged fits",
            "weights": "final",
            "paper_budget": None,
        },
        split_file=repo_relative(job.split_file),
        corpus_fingerprint=combine_fingerprints(whole) if whole else fingerprint(meta),
        **(_leak_fields(rows, part, recipe, pred, y) if leaky else {}),
        fold=job.fold,
        best=best,
        table=table,
        labels=labels,
        n_train=int((part == "train").sum()),
        n_val=int((part == "val").sum()),
        n_test=int(te.sum()),
        test_speakers=int(rows.loc[te, "speaker"].nunique()),
        predictions={
            "utt_id": rows.loc[te, "utt_id"].tolist(),
            "speaker": rows.loc[te, "speaker"].astype(str).tolist(),
            "true": [name_of[v] for v in y[te]],
            "pred": [name_of[v] for v in pred],
        },
    )


def _leak_fields(
    rows: pd.DataFrame, part: np.ndarray, recipe: dict[str, Any], pred: np.ndarray, y: np.ndarray
) -> dict[str, Any]:
    """What a baseline record on a leaky split states: how its copies were rebuilt, the share of
    test items with a sibling in training, and the accuracy on the original test clips alone."""
    from core import splits

    te = part == "test"
    originals = (rows.loc[te, "copy"] == 0).to_numpy()
    return {
        "noisy_copies": {
            **recipe,
            "noise_on": "raw",
            "note": "rebuilt for the baselines: same copies per clip, SNR per clip and noise seeds as the model "
            "run; the noise is added to the clip as read (the baselines' features see whole clips), so a copy "
            "is a near-duplicate of its original as in the model run, not the same samples",
        },
        "leak": {
            "sibling_in_train": splits.sibling_leak(rows, part),
            "accuracy_originals": float((pred[originals] == y[te][originals]).mean()) if originals.any() else None,
            "n_test_originals": int(originals.sum()),
        },
    }


def run_all(
    selected: Iterable[Job],
    out_root: Path = BASELINES_DIR,
    skip_existing: bool = True,
    feature_sets: Sequence[str] | None = None,
    classifiers: Sequence[str] | None = None,
    data_root: str | None = None,
    workers: int = 1,
) -> list[dict[str, Any]]:
    """Run ``selected`` jobs (skipping those with a record unless ``skip_existing`` is False),
    ``workers`` at a time, writing each record as soon as it is done. Returns a status per job."""
    from concurrent.futures import ProcessPoolExecutor

    from tqdm.auto import tqdm

    todo = [j for j in selected if not (skip_existing and j.out_path(out_root).exists())]
    statuses: list[dict[str, Any]] = []
    bar = tqdm(total=len(todo), desc="baselines", unit="split")
    if workers <= 1:
        for job in todo:
            statuses.append(_do(job, out_root, feature_sets, classifiers, data_root))
            bar.set_postfix_str(job.name)
            bar.update()
    else:
        import multiprocessing

        ctx = multiprocessing.get_context("spawn")  # fresh processes: numba reads its cache folder at import
        slots = ctx.Value("i", 0)
        with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_one_thread, initargs=(slots,)) as pool:
            futures = [pool.submit(_do, j, out_root, feature_sets, classifiers, data_root) for j in todo]
            for fut in futures:
                statuses.append(fut.result())
                bar.update()
    bar.close()
    return statuses


def _one_thread(slots: Any) -> None:
    """Initialise a pool process: one thread, and (from the pool's shared counter) a numba cache of its
    own, ``<cache>/numba/baselines-<n>``: processes compiling librosa's kernels into one folder at once
    corrupt it (:func:`core.config.private_numba_cache`)."""
    import os

    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"
    _own_numba_cache(slots)
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:  # pragma: no cover
        pass


def _own_numba_cache(slots: Any) -> Path:
    """Take the next number from the pool's shared counter and use ``<cache>/numba/baselines-<n>``."""
    from core.config import private_numba_cache

    with slots.get_lock():
        n, slots.value = slots.value, slots.value + 1
    return private_numba_cache(f"baselines-{n}")


def _do(job: Job, out_root: Path, feature_sets, classifiers, data_root) -> dict[str, Any]:
    from ser import results

    try:
        rec = run_job(job, feature_sets, classifiers, data_root)
    except NotRunnable as err:
        return {"job": job.name, "paper": job.paper, "status": "not run", "reason": str(err)}
    out = job.out_path(out_root)
    out.parent.mkdir(parents=True, exist_ok=True)
    results.write_result(rec, out.parent, out.stem)
    b = rec["best"]
    return {
        "job": job.name,
        "paper": job.paper,
        "status": "done",
        "best": f"{b['features']}+{b['classifier']}",
        "ua": b["ua"],
        "accuracy": b["accuracy"],
        "seconds": rec["duration_s"],
    }


def read_baselines(root: Path = BASELINES_DIR) -> list[dict[str, Any]]:
    """Every baseline record under ``root``, validated like the other results."""
    from ser import results

    return results.read_results(root) if root.exists() else []


def baseline_for(record: dict[str, Any], baselines: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """The baseline record on the same split (and fold) as a model ``record``, if any."""
    split = record.get("split_file")
    if not split:
        return None
    same = [b for b in baselines if b.get("split_file") == split]
    return next((b for b in same if b.get("fold") is None or b.get("fold") == record.get("fold")), None)


# The claim metrics a baseline record can stand beside, and its name for each.
BASELINE_METRIC = {"accuracy": "accuracy", "ua": "ua", "macro_recall": "ua", "macro_f1": "macro_f1"}


def baseline_metric(metric: str) -> str | None:
    """The baseline metric beside a claim's metric: accuracy for any ``accuracy`` or
    ``accuracy/<variant>``, UA for macro recall, macro F1; ``None`` for per-class metrics."""
    if metric.split("/")[0] == "accuracy" and metric.count("/") <= 1:
        return "accuracy"
    return BASELINE_METRIC.get(metric)


def beside(
    records: Sequence[dict[str, Any]],
    baselines: Sequence[dict[str, Any]],
    metric: str = "accuracy",
    paired: bool = True,
) -> dict:
    """The best baseline on the splits of model ``records``, and a paired comparison with them.

    Returns ``{n, baseline, mean, low, high, metric, paired, reason}``: ``baseline`` names the
    feature set and classifier chosen on validation (the most frequent choice over the splits);
    ``mean`` is in [0, 1] with a t interval over splits (or the bootstrap interval of a single
    split); ``paired`` is :func:`core.stats.paired_difference` of the model's and the baseline's
    per-item correctness, pooled over splits (speakers resampled within each split's test part),
    or ``None`` with the ``reason`` when the model records keep no per-item predictions (or when
    ``paired`` is False: the record's predictions are not those of the metric's model).
    """
    from collections import Counter

    from core.stats import mean_interval, paired_difference

    key = baseline_metric(metric) or "accuracy"
    pairs = [(r, b) for r in records if (b := baseline_for(r, baselines)) is not None]
    out: dict[str, Any] = {
        "n": len(pairs),
        "metric": key,
        "baseline": "",
        "mean": np.nan,
        "low": np.nan,
        "high": np.nan,
        "paired": None,
        "reason": "",
    }
    if not pairs:
        out["reason"] = "no baseline on these splits"
        return out
    # one value per distinct split (several model records may share a split)
    by_split = {(b["split_file"], b.get("fold")): b for _, b in pairs}
    values = [b["best"][key] for b in by_split.values()]
    if len(values) > 1:
        out["mean"], out["low"], out["high"] = mean_interval(values)
    else:
        (b,) = by_split.values()
        out["mean"] = b["best"][key]
        if interval_is_meaningful(b):
            out["low"], out["high"] = b["best"][f"{key}_low"], b["best"][f"{key}_high"]
    out["values"] = values
    out["pairs"] = pairs
    names = Counter(f"{b['best']['features']} + {b['best']['classifier']}" for b in by_split.values())
    out["baseline"] = names.most_common(1)[0][0] + (
        f" (and {len(names) - 1} other choice(s))" if len(names) > 1 else ""
    )
    if not paired:
        out["reason"] = "the records' per-item predictions belong to another model than this metric's"
        return out
    a, c, groups = [], [], []
    for r, b in pairs:
        p = r.get("predictions")
        if not p:
            out["reason"] = "the model records keep no per-item predictions (made before they were recorded)"
            return out
        model = dict(zip(p["utt_id"], zip(p["true"], p["pred"], strict=True), strict=True))
        bp = b["predictions"]
        if set(model) != set(bp["utt_id"]):
            out["reason"] = "the model's and the baseline's test parts hold different items"
            return out
        for u, spk, t, pred in zip(bp["utt_id"], bp["speaker"], bp["true"], bp["pred"], strict=True):
            a.append(model[u][1] == model[u][0])
            c.append(pred == t)
            groups.append(spk)  # one speaker is one cluster across seeds and splits
    out["paired"] = paired_difference(a, c, groups=groups, mcnemar=len(pairs) == 1)
    return out


def speakers_of(record: dict[str, Any], baselines: Sequence[dict[str, Any]]) -> list[str] | None:
    """The speaker of each test item of a model record's predictions: stored with them, else joined
    from the baseline record on the same split (a noisy copy takes its original's speaker)."""
    p = record.get("predictions") or {}
    if "speaker" in p:
        return list(p["speaker"])
    b = baseline_for(record, baselines)
    if b is None or "speaker" not in (b.get("predictions") or {}):
        return None
    known = dict(zip(b["predictions"]["utt_id"], b["predictions"]["speaker"], strict=True))
    out = [known.get(u) or known.get(u.split(COPY)[0]) for u in p["utt_id"]]
    return None if any(s is None for s in out) else out


def _confusion_scores(c: np.ndarray) -> dict[str, np.ndarray]:
    """Accuracy, UA and macro F1 of a stack of confusion matrices ``(..., k, k)`` (rows: true class);
    classes absent from a matrix's true labels are left out of its UA and macro F1."""
    tp = np.diagonal(c, axis1=-2, axis2=-1)
    support, predicted = c.sum(-1), c.sum(-2)
    present = support > 0
    recall = np.divide(tp, support, out=np.zeros(tp.shape), where=present)
    denom = support + predicted
    f1 = np.divide(2 * tp, denom, out=np.zeros(tp.shape), where=denom > 0)
    n_present = present.sum(-1)
    return {
        "accuracy": tp.sum(-1) / c.sum((-2, -1)),
        "ua": (recall * present).sum(-1) / n_present,
        "macro_f1": (f1 * present).sum(-1) / n_present,
    }


def run_intervals(
    record: dict[str, Any], baselines: Sequence[dict[str, Any]] = (), n_boot: int = 1000
) -> dict[str, Any] | None:
    """WA, UA and macro F1 of one model run with 95 % bootstrap intervals, from its per-item
    predictions: ``{metric: (value, low, high), "unit": ..., "n": ...}``; speakers are resampled
    when the test part holds enough of them (see :func:`core.stats.resampling_unit`), clips
    otherwise. A record without predictions but with its confusion matrix gets a clip bootstrap
    (the pairs are in the matrix, the speakers are not); ``None`` when it has neither."""
    from core.stats import resampling_unit

    p = record.get("predictions")
    if p and p.get("true"):
        names = sorted(set(p["true"]) | set(p["pred"]))
        code = {n: i for i, n in enumerate(names)}
        t = np.array([code[v] for v in p["true"]])
        q = np.array([code[v] for v in p["pred"]])
        groups = speakers_of(record, baselines)
        if groups is None:
            unit = "clips (speakers not known)"
        else:  # fewer than MIN_SPEAKERS speakers: clips are resampled (groups becomes None)
            groups, unit = resampling_unit(groups)
    elif record.get("confusion"):  # an older run: its confusion matrix gives the pairs, not the speakers
        c = np.asarray(record["confusion"], dtype=int)
        if c.ndim != 2 or c.shape[0] != c.shape[1] or c.sum() == 0:
            return None
        names = list(range(len(c)))
        t = np.repeat(np.repeat(np.arange(len(c)), len(c)), c.ravel())
        q = np.repeat(np.tile(np.arange(len(c)), len(c)), c.ravel())
        groups, unit = None, "clips (from the confusion matrix: no per-item predictions kept)"
    else:
        return None
    k = len(names)
    codes = t * k + q
    rng = np.random.default_rng(0)
    if groups is None:  # clips: all resamples at once
        idx = rng.integers(0, len(codes), (n_boot, len(codes)))
        flat = (np.arange(n_boot)[:, None] * k * k + codes[idx]).ravel()
        boots = np.bincount(flat, minlength=n_boot * k * k).reshape(n_boot, k, k)
    else:
        from core.stats import _cluster_index

        boots = np.stack(
            [np.bincount(codes[i], minlength=k * k).reshape(k, k) for i in _cluster_index(groups, rng, n_boot)]
        )
    point = _confusion_scores(np.bincount(codes, minlength=k * k).reshape(k, k).astype(float))
    draws = _confusion_scores(boots.astype(float))
    out: dict[str, Any] = {"unit": unit, "unit_short": unit.split(" (")[0], "n": len(t)}
    for name in ("accuracy", "ua", "macro_f1"):
        low, high = np.nanquantile(draws[name], [0.025, 0.975])
        out[name] = (float(point[name]), float(low), float(high))
    return out


def interval_is_meaningful(b: dict[str, Any]) -> bool:
    """Whether a baseline record's bootstrap interval is worth showing: made with the current rule
    (``interval_unit`` stored), or, for older records, resampling at least
    :data:`core.stats.MIN_SPEAKERS` speakers or a single speaker's clips."""
    from core.stats import MIN_SPEAKERS

    if "interval_unit" in b["best"]:
        return True
    return b.get("test_speakers", 0) >= MIN_SPEAKERS or b.get("test_speakers") == 1


def versus(metric: str, b: dict) -> tuple[str, float]:
    """The model against the baseline in words, and the difference (model minus baseline, in the
    record's unit): the paired comparison when :func:`beside` made one, else a paired t interval over
    the splits (``over splits``), else ``undetermined`` (one split and no per-item predictions)."""
    from core.stats import mean_interval

    if b["paired"] is not None:
        p = b["paired"]
        return f"{p['word']} (paired items)", p["difference"]
    key = b["metric"]
    diffs = [r["metrics"][metric] - bl["best"][key] for r, bl in b.get("pairs", []) if metric in r["metrics"]]
    d, low, high = mean_interval(diffs)
    if np.isnan(low):
        return "undetermined (one split, no per-item predictions)", d
    word = "better" if low > 0 else "worse" if high < 0 else "no detectable difference"
    return f"{word} (over splits)", d


def write_bench(path: Path, statuses: Sequence[dict[str, Any]], wall_s: float, workers: int) -> dict[str, Any]:
    """Record the timing of a baseline matrix: wall time, CPU time in the jobs, and their ratio to
    ``workers`` cores (how well the fan-out used the machine), with the load average and commit."""
    import os

    from core.io import write_json
    from ser.results import device_info, git_commit

    done = [s for s in statuses if s["status"] == "done"]
    busy = sum(s["seconds"] for s in done)
    rec = {
        "what": "ser baselines: every split x feature set x classifier, features from the cache",
        "splits_run": len(done),
        "splits_not_runnable": len(statuses) - len(done),
        "workers": workers,
        "wall_s": round(wall_s, 1),
        "job_seconds": round(busy, 1),
        "splits_per_minute": round(60 * len(done) / wall_s, 2) if wall_s else None,
        "fraction_of_workers_busy": round(busy / (wall_s * workers), 3) if wall_s and workers else None,
        "cpu_count": os.cpu_count(),
        "load_average_1min_at_end": round(os.getloadavg()[0], 2),
        "device": device_info(),
        "git_commit": git_commit(),
    }
    write_json(path, rec)
    return rec
