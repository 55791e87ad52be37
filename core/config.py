"""Where corpora and caches live.

Data root resolution order: an explicit argument, then the ``SER_DATA``
environment variable, then ``<user cache>/ser-replications/data``.
Feature caches go to ``SER_CACHE`` or ``<user cache>/ser-replications/cache``.
"""

from __future__ import annotations

import os
from pathlib import Path


def _user_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "ser-replications"


def data_root(root: str | os.PathLike | None = None) -> Path:
    """Return the folder that holds one sub-folder per corpus."""
    if root is not None:
        return Path(root).expanduser().resolve()
    env = os.environ.get("SER_DATA")
    if env:
        return Path(env).expanduser().resolve()
    return _user_cache() / "data"


def cache_dir(sub: str = "") -> Path:
    """Return (and create) the feature/split cache folder."""
    env = os.environ.get("SER_CACHE")
    base = Path(env).expanduser() if env else _user_cache() / "cache"
    path = base / sub if sub else base
    path.mkdir(parents=True, exist_ok=True)
    return path
