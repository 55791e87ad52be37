"""Classical baselines on fixed-length feature vectors.

Two layers: EmotionNet's Table IV set (scikit-learn defaults, as that paper ran them), and the
book's reference baselines: standard functionals (eGeMAPS v02 and ComParE 2016 from openSMILE,
MFCC statistics, the 124 LLDs) with linear/RBF SVMs, logistic regression and a random forest in
pipelines fitted on the training part only, hyper-parameters chosen on the validation part (or
inner folds), and the best feature set and classifier chosen on validation too: never on test.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.svm import SVC


def make_baselines(seed: int) -> dict:
    """EmotionNet's Table IV set: LR (max_iter 500), SVM, RF, k-NN and an MLP, otherwise defaults.

    Estimators with randomness get ``random_state=seed`` so runs are repeatable.
    """
    return {
        "lr": LogisticRegression(max_iter=500),
        "svm": SVC(random_state=seed),
        "rf": RandomForestClassifier(random_state=seed),
        "knn": KNeighborsClassifier(),
        "mlp": MLPClassifier(random_state=seed),
    }


def run_baselines(
    x_tr: np.ndarray, y_tr: np.ndarray, x_te: np.ndarray, y_te: np.ndarray, seed: int
) -> dict[str, dict[str, float]]:
    """Fit each baseline on the training part and score it once on the test part.

    Returns ``{name: {accuracy, macro_f1, weighted_f1, converged}}``; a default MLP or LR
    that stops at its iteration limit is reported with ``converged = 0.0`` rather than hidden.
    """
    out = {}
    for name, est in make_baselines(seed).items():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            est.fit(x_tr, y_tr)
        pred = est.predict(x_te)
        out[name] = {
            "accuracy": float(accuracy_score(y_te, pred)),
            "macro_f1": float(f1_score(y_te, pred, average="macro", zero_division=0)),
            "weighted_f1": float(f1_score(y_te, pred, average="weighted", zero_division=0)),
            "converged": float(not any(issubclass(w.category, ConvergenceWarning) for w in caught)),
        }
    return out


def nearest_neighbour_accuracy(
    x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, y_test: np.ndarray
) -> float:
    """Test accuracy of a 1-nearest-neighbour classifier on flattened features (Euclidean): what
    memorising the training set alone scores, a direct measure of near-duplicates across the split."""
    knn = KNeighborsClassifier(n_neighbors=1).fit(x_train.reshape(len(x_train), -1), y_train)
    return float((knn.predict(x_test.reshape(len(x_test), -1)) == y_test).mean())


# --- reference baselines ---------------------------------------------------------------------

FEATURE_SETS = {
    "egemaps": "eGeMAPS v02, 88 functionals (openSMILE)",
    "compare": "ComParE 2016, 6,373 functionals (openSMILE)",
    "mfcc_stats": "mean and std of 40 MFCCs and their deltas (librosa), 160 values",
    "lld124": "the 124 LLD statistics of the EmotionNet notebook",
}
# Hyper-parameter grids, searched on the validation part: C for the SVMs and logistic regression.
# The random forest has no grid (300 trees, sqrt features); the validation part still ranks it.
GRIDS: dict[str, list[float | None]] = {
    "linear_svm": [1e-4, 1e-3, 1e-2, 1e-1],
    "rbf_svm": [0.1, 1.0, 10.0, 100.0],
    "logreg": [1e-3, 1e-2, 1e-1, 1.0],
    "rf": [None],
}
CLASSIFIERS = tuple(GRIDS)
# ComParE's 6,373 values go to the two SVMs only (the ComParE challenges' own baseline is an SVM);
# logistic regression and the forest run on the compact sets, where they are cheap.
SKIP = {("compare", "logreg"), ("compare", "rf")}
MIN_SAMPLES = 2048  # one FFT frame of librosa's MFCC; shorter clips are padded with silence


@dataclass(frozen=True)
class FunctionalsConfig:
    """One fixed-length feature set per clip (see :data:`FEATURE_SETS`), from audio at ``sr``."""

    name: str
    sr: int = 16000
    n_mfcc: int = 40

    def __post_init__(self) -> None:
        if self.name not in FEATURE_SETS:
            raise ValueError(f"unknown feature set {self.name!r}; choose one of {', '.join(FEATURE_SETS)}")


def _opensmile(name: str):
    try:
        import opensmile
    except ImportError as err:  # pragma: no cover - a declared dependency
        raise ImportError("the eGeMAPS/ComParE baselines need the 'opensmile' package: pip install opensmile") from err
    fs = {"egemaps": opensmile.FeatureSet.eGeMAPSv02, "compare": opensmile.FeatureSet.ComParE_2016}[name]
    return opensmile.Smile(feature_set=fs, feature_level=opensmile.FeatureLevel.Functionals)


def mfcc_stats(wav: np.ndarray, sr: int = 16000, n_mfcc: int = 40) -> np.ndarray:
    """Mean and standard deviation over frames of ``n_mfcc`` MFCCs and their deltas."""
    import librosa

    m = librosa.feature.mfcc(y=wav, sr=sr, n_mfcc=n_mfcc)
    d = librosa.feature.delta(m, mode="nearest") if m.shape[1] > 1 else np.zeros_like(m)
    return np.concatenate([m.mean(1), m.std(1), d.mean(1), d.std(1)])


def functionals(
    paths: Sequence[str],
    name: str,
    *,
    noise_snr_db: float | Sequence[float] | None = None,
    noise_seed: int = 0,
    cache: bool = True,
    progress: bool = True,
) -> np.ndarray:
    """``(N, d)`` feature matrix of set ``name`` for ``paths``, cached like the other features.

    Audio is read by :func:`core.audio.load_audio` (mono, resampled to 16 kHz), so stereo or
    other rates are handled; a clip shorter than one analysis window is padded with silence.
    With ``noise_snr_db`` (one SNR, or one per clip) clip ``i`` first gets white noise at that SNR
    from ``np.random.default_rng([noise_seed, i])`` (:func:`core.features.awgn`): the features of
    noisy copies, as a replication's augmentation makes them.
    """
    from tqdm.auto import tqdm

    from core.audio import load_audio
    from core.config import cache_dir
    from core.features import LLDConfig, awgn, cache_key, extract_lld, lld, load_npy_checked, save_npy_atomic

    cfg = FunctionalsConfig(name)
    paths = [str(p) for p in paths]
    if name == "lld124" and noise_snr_db is None:
        return extract_lld(paths, LLDConfig(sr=cfg.sr), cache=cache, progress=progress)
    extra: dict = {}
    if name in ("egemaps", "compare"):
        import opensmile

        extra["opensmile"] = opensmile.__version__
    snrs = None
    if noise_snr_db is not None:
        snrs = np.broadcast_to(np.asarray(noise_snr_db, dtype=float), (len(paths),))
        extra |= {"noise_snr_db": snrs.tolist(), "noise_seed": int(noise_seed)}
    target = cache_dir("features") / f"functionals-{name}-{cache_key(paths, cfg, extra)}.npy"
    if cache and (hit := load_npy_checked(target)) is not None:
        return hit
    smile = _opensmile(name) if name in ("egemaps", "compare") else None
    desc = f"{name} functionals" + (" +AWGN" if snrs is not None else "")
    rows = []
    for i, p in enumerate(tqdm(paths, desc=desc, disable=not progress, mininterval=2)):
        wav = load_audio(p, cfg.sr)
        if snrs is not None:
            wav = awgn(wav, float(snrs[i]), np.random.default_rng([noise_seed, i]))
        if name == "lld124":
            rows.append(lld(wav, LLDConfig(sr=cfg.sr)))
            continue
        if len(wav) < MIN_SAMPLES:  # a few analysis frames at least: pad very short clips with silence
            wav = np.pad(wav, (0, MIN_SAMPLES - len(wav)))
        if smile is not None:
            rows.append(smile.process_signal(wav, cfg.sr).to_numpy()[0])
        else:
            rows.append(mfcc_stats(wav, cfg.sr, cfg.n_mfcc))
    out = np.asarray(rows, dtype=np.float64)
    if cache:
        save_npy_atomic(target, out)
    return out


def make_preprocessor():
    """Median imputation then standard scaling: fitted on training rows only."""
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    return Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())])


def make_classifier(classifier: str, c: float | None, seed: int = 0):
    """A fresh classifier of the grid; SVMs take precomputed kernels (see :class:`_Kernels`)."""
    if classifier in ("linear_svm", "rbf_svm"):
        return SVC(kernel="precomputed", C=c)
    if classifier == "logreg":
        return LogisticRegression(C=c, max_iter=2000)
    if classifier == "rf":
        return RandomForestClassifier(n_estimators=300, random_state=seed, n_jobs=1)
    raise ValueError(f"unknown classifier {classifier!r}; choose one of {', '.join(CLASSIFIERS)}")


class _Kernels:
    """Linear and RBF kernels against the training rows, computed once per split and feature set.

    The RBF width is scikit-learn's ``gamma='scale'``: 1 / (n_features * variance of the scaled
    training matrix).
    """

    def __init__(self, z_train: np.ndarray) -> None:
        self.z = z_train
        self.sq = (z_train**2).sum(1)
        var = z_train.var()
        self.gamma = 1.0 / (z_train.shape[1] * var) if var > 0 else 1.0

    def __call__(self, z: np.ndarray, kind: str) -> np.ndarray:
        dot = z @ self.z.T
        if kind == "linear_svm":
            return dot
        d2 = np.maximum((z**2).sum(1)[:, None] + self.sq[None, :] - 2 * dot, 0.0)
        return np.exp(-self.gamma * d2)


@dataclass
class Fitted:
    """A preprocessor and a classifier fitted on the training rows; predicts any rows of ``x``."""

    prep: object
    clf: object
    kind: str
    kernels: _Kernels | None = None

    def predict(self, x: np.ndarray) -> np.ndarray:
        z = self.prep.transform(x)
        return self.clf.predict(self.kernels(z, self.kind) if self.kernels is not None else z)


def _fit(x_fit, y_fit, classifier, c, seed, hook, cache):
    """Fit preprocessor (cached per training matrix) and classifier on the given training rows."""
    if "prep" not in cache:
        if hook:
            hook(x_fit)
        prep = make_preprocessor().fit(x_fit)
        z = prep.transform(x_fit)
        cache.update(prep=prep, z=z, kernels=_Kernels(z) if classifier.endswith("svm") else None)
    z, kernels = cache["z"], None
    if classifier.endswith("svm"):
        kernels = cache["kernels"] or _Kernels(z)
        cache["kernels"] = kernels
        key = f"K-{classifier}"
        if key not in cache:
            cache[key] = kernels(z, classifier)
        z = cache[key]
    if hook:
        hook(z)
    clf = make_classifier(classifier, c, seed).fit(z, y_fit)
    return Fitted(cache["prep"], clf, classifier, kernels)


def uar(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Unweighted average recall (UA): the mean of per-class recalls over the classes present."""
    from sklearn.metrics import balanced_accuracy_score

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(balanced_accuracy_score(y_true, y_pred))


def macro_f1(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    return float(f1_score(y_true, y_pred, average="macro", zero_division=0))


def _inner_folds(y: np.ndarray, groups: np.ndarray | None, seed: int, k: int = 3):
    from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

    if groups is not None and len(np.unique(groups)) >= k:
        return list(StratifiedGroupKFold(k, shuffle=True, random_state=seed).split(y, y, groups))
    return list(StratifiedKFold(k, shuffle=True, random_state=seed).split(y, y))


def select_and_fit(
    x: np.ndarray,
    y: np.ndarray,
    part: np.ndarray,
    classifier: str,
    seed: int = 0,
    groups: np.ndarray | None = None,
    hook: Callable[[np.ndarray], None] | None = None,
) -> dict:
    """Choose the grid value of ``classifier`` by validation UA, then fit on the training part.

    Selection uses the ``'val'`` rows when there are any, else 3 inner folds of the training rows
    (grouped by ``groups``, e.g. speakers). Test rows are never passed to any ``fit`` nor used in
    a choice; ``hook``, when given, sees every matrix a ``fit`` receives (the tests use it to prove
    that). Returns ``{model, c, val_ua, selection, seconds}``.
    """
    if classifier not in GRIDS:
        raise ValueError(f"unknown classifier {classifier!r}; choose one of {', '.join(CLASSIFIERS)}")
    start = time.perf_counter()
    tr, va = np.flatnonzero(part == "train"), np.flatnonzero(part == "val")
    scores: dict = {}
    cache: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if len(va):
            selection = "validation part"
            fits = {c: _fit(x[tr], y[tr], classifier, c, seed, hook, cache) for c in GRIDS[classifier]}
            scores = {c: uar(y[va], m.predict(x[va])) for c, m in fits.items()}
        else:
            g = None if groups is None else groups[tr]
            selection = "3 inner folds of the training part" + (" grouped by speaker" if g is not None else "")
            folds = _inner_folds(y[tr], g, seed)
            for c in GRIDS[classifier]:
                per_fold = []
                for a, b in folds:
                    m = _fit(x[tr[a]], y[tr[a]], classifier, c, seed, hook, {})
                    per_fold.append(uar(y[tr[b]], m.predict(x[tr[b]])))
                scores[c] = float(np.mean(per_fold))
            fits = None
        best = max(scores, key=lambda c: (scores[c], -(c or 0)))  # ties: the smaller C (stronger regularisation)
        model = fits[best] if fits else _fit(x[tr], y[tr], classifier, best, seed, hook, {})
    return {
        "model": model,
        "c": best,
        "val_ua": scores[best],
        "selection": selection,
        "seconds": time.perf_counter() - start,
    }


def evaluate_split(
    feats: dict[str, np.ndarray],
    y: np.ndarray,
    part: np.ndarray,
    *,
    groups: np.ndarray | None = None,
    classifiers: Sequence[str] = CLASSIFIERS,
    seed: int = 0,
    hook: Callable[[np.ndarray], None] | None = None,
) -> tuple[list[dict], dict]:
    """Every feature set x classifier (less :data:`SKIP`) on one split: ``(rows, best)``.

    Each row has the chosen C, validation UA and test accuracy (WA), UA and macro F1. ``best`` is
    the row with the highest validation UA (the test never chooses), with its test predictions and
    bootstrap intervals (speakers resampled when the test part holds enough of them; the unit is
    stored as ``interval_unit``).
    """
    from core.stats import bootstrap_interval, resampling_unit

    te = part == "test"
    if not te.any() or not (part == "train").any():
        raise ValueError("evaluate_split needs a non-empty train and test part")
    rows, preds = [], {}
    for fs, x in feats.items():
        for clf in classifiers:
            if (fs, clf) in SKIP:
                continue
            fit = select_and_fit(x, y, part, clf, seed, groups, hook)
            pred = fit["model"].predict(x[te])
            preds[(fs, clf)] = pred
            rows.append(
                {
                    "features": fs,
                    "classifier": clf,
                    "c": fit["c"],
                    "val_ua": fit["val_ua"],
                    "selection": fit["selection"],
                    "seconds": round(fit["seconds"], 2),
                    "accuracy": float(accuracy_score(y[te], pred)),
                    "ua": uar(y[te], pred),
                    "macro_f1": macro_f1(y[te], pred),
                }
            )
    top = max(rows, key=lambda r: r["val_ua"])
    pred = preds[(top["features"], top["classifier"])]
    g = None if groups is None else groups[te]
    best = dict(top)
    best["interval_unit"] = resampling_unit(g)[1]
    for name, fn in (("accuracy", accuracy_score), ("ua", uar), ("macro_f1", macro_f1)):
        value, low, high = bootstrap_interval(y[te], pred, fn, groups=g, seed=seed)
        best[name], best[f"{name}_low"], best[f"{name}_high"] = value, low, high
    best["pred"] = pred
    return rows, best
