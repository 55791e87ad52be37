"""TESS naming, shared by its loader (:mod:`core.data`) and its download (:mod:`core.download`).

Folders are ``<OAF|YAF>_<emotion>``; copies in circulation spell the emotion differently
(``OAF_Fear``, ``OAF_Pleasant_surprise``, ``YAF_pleasant_surprised``), so folders match
case-insensitively and through :data:`FOLDER_EMOTIONS`. Files are ``<speaker>_<word>_<emo>``, the
speaker prefix taken from the folder (``OAF_neutral/OA_bite_neutral`` has the prefix ``OA``).
"""

from __future__ import annotations

import re

EMOTIONS = ("angry", "disgust", "fear", "happy", "neutral", "ps", "sad")
FOLDER_EMOTIONS = {e: e for e in EMOTIONS} | {"pleasant_surprise": "ps", "pleasant_surprised": "ps"}
FOLDER_RE = re.compile(r"^(OAF|YAF)_([a-z_]+)$", re.IGNORECASE)
FILE_RE = re.compile(r"^([a-z]+)_([a-z]+)_(angry|disgust|fear|happy|neutral|ps|sad)$", re.IGNORECASE)


def folder_parts(folder: str) -> tuple[str, str] | None:
    """``(speaker, emotion code)`` of a TESS folder name, or None if it is not one."""
    m = FOLDER_RE.match(folder)
    emo = FOLDER_EMOTIONS.get(m.group(2).lower()) if m else None
    return (m.group(1).upper(), emo) if m and emo else None


def key(folder: str, stem: str) -> str | None:
    """A spelling-independent name of one TESS file (``OAF/ps/oaf_back_ps``), or None."""
    parts = folder_parts(folder)
    return f"{parts[0]}/{parts[1]}/{stem.lower()}" if parts else None
