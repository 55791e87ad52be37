"""Classical baselines on fixed-length feature vectors (scikit-learn defaults unless a paper says otherwise)."""

from __future__ import annotations

import warnings

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
