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


def private_numba_cache(owner: str) -> Path:
    """Point numba's on-disk cache (``NUMBA_CACHE_DIR``) at a folder of ``owner``'s own, for this
    process and every process it starts, and return it.

    librosa compiles its kernels with ``cache=True`` into its package folder. Two processes that
    compile the same function into one folder at once leave an index and code that no longer match,
    and every later process that loads them crashes (a segfault in ``librosa.yin`` on two Dask
    workers, and in librosa's ``peak_pick`` on two test workers of a fresh CI machine, 2026-12-01).
    The folder is ``<NUMBA_CACHE_DIR>/<owner>`` when the caller set one, else ``<cache>/numba/<owner>``;
    later processes of the same owner reuse it, and calling it again for the same owner changes
    nothing. Call it before numba is imported for it to apply to this process too (children always
    inherit it).
    """
    if not owner or "/" in owner or owner.startswith("."):
        raise ValueError(f"numba cache owner must be a plain folder name, not {owner!r}")
    base = os.environ.get("NUMBA_CACHE_DIR")
    if base and Path(base).name == owner:
        path = Path(base).expanduser()  # already this owner's
    else:
        path = Path(base).expanduser() / owner if base else cache_dir(f"numba/{owner}")
    path.mkdir(parents=True, exist_ok=True)
    os.environ["NUMBA_CACHE_DIR"] = str(path)
    return path


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
