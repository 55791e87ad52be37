"""Test-wide settings, applied before any notebook kernel starts (kernels inherit the env).

- ``SER_PROFILE=smoke``: ``pytest --nbmake papers/`` runs every notebook at the smoke
  profile (seconds) unless the caller already set SER_PROFILE.
- ``SER_DATA`` defaults to ``../shared/data`` next to the checkout when that exists, and a
  relative ``SER_DATA`` is made absolute here: notebook kernels run in ``papers/``, where a
  path relative to the repository root would point elsewhere.
- Under ``pytest -n N`` (pytest-xdist, the README's test command) each worker and the kernels it
  starts use one thread (``OMP_NUM_THREADS=1`` unless set): two workers on a 2-core machine then
  share it without oversubscribing it, and each worker (with its kernels) compiles into a numba
  cache of its own (``<cache>/numba/pytest-gwN``): on a fresh CI machine both workers compiled
  librosa's kernels into its package folder at once and every later process segfaulted.
"""

import os
from pathlib import Path

os.environ.setdefault("SER_PROFILE", "smoke")
_shared = Path(__file__).resolve().parent.parent / "shared" / "data"
if "SER_DATA" not in os.environ and _shared.is_dir():
    os.environ["SER_DATA"] = str(_shared)
if os.environ.get("SER_DATA"):
    os.environ["SER_DATA"] = str(Path(os.environ["SER_DATA"]).expanduser().resolve())
os.environ.setdefault("MPLBACKEND", "Agg")
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("MKL_NUM_THREADS", "1")
    from core.config import private_numba_cache

    private_numba_cache(f"pytest-{os.environ['PYTEST_XDIST_WORKER']}")
