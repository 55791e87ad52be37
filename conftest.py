"""Test-wide settings, applied before any notebook kernel starts (kernels inherit the env).

- ``SER_PROFILE=smoke``: ``pytest --nbmake papers/`` runs every notebook at the smoke
  profile (seconds) unless the caller already set SER_PROFILE.
- ``SER_DATA`` defaults to ``../shared/data`` next to the checkout when that exists.
"""

import os
from pathlib import Path

os.environ.setdefault("SER_PROFILE", "smoke")
_shared = Path(__file__).resolve().parent.parent / "shared" / "data"
if "SER_DATA" not in os.environ and _shared.is_dir():
    os.environ["SER_DATA"] = str(_shared)
os.environ.setdefault("MPLBACKEND", "Agg")
