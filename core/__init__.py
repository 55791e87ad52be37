"""ser-replications core: corpora, features, models, training, evaluation and results.

Submodules are imported lazily so that ``import core`` stays cheap; use e.g.
``from core import data`` or ``import core.features``.
"""

__version__ = "0.1.0"
