"""Corpus manifests: is the copy on disk the one the results were made on?

A data root may hold a ``SHA256SUMS`` file (``<sha256>  <corpus folder>/<file>`` per line, as
``sha256sum`` writes it). :func:`check_corpus` compares a corpus folder with it (files missing,
files not listed, contents changed) and with the corpus's expected file count;
:func:`core.data.load_corpus` calls it on every load. File digests are memoised per process by
(path, size, modification time), so a corpus is hashed once per process (about 0.3 s for 50 MB).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

MANIFEST_NAME = "SHA256SUMS"
_DIGESTS: dict[tuple[str, int, int], str] = {}


def file_digest(path: str | Path) -> str:
    """SHA-256 of a file's bytes, memoised by (path, size, mtime)."""
    st = os.stat(path)
    key = (str(path), st.st_size, st.st_mtime_ns)
    if key not in _DIGESTS:
        h = hashlib.sha256()
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        _DIGESTS[key] = h.hexdigest()
    return _DIGESTS[key]


def read_manifest(path: Path) -> dict[str, str]:
    """``{relative path: sha256}`` of a ``sha256sum``-style file; a malformed line is an error."""
    out = {}
    for i, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        digest, _, name = line.partition("  ")
        if len(digest) != 64 or not name:
            raise ValueError(f"{path}:{i}: not a '<sha256>  <path>' line: {line[:80]!r}")
        out[name.lstrip("*")] = digest.lower()
    return out


@dataclass
class CorpusCheck:
    """What differs between a corpus folder and its manifest and expected file count."""

    corpus: str
    files: int
    manifest: Path | None = None
    missing: list[str] = field(default_factory=list)
    unlisted: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    expected: tuple[int, ...] = ()

    @property
    def damaged(self) -> bool:
        """Files of the manifest are missing or changed: the copy is not the published one."""
        return bool(self.missing or self.changed)

    @property
    def count_differs(self) -> bool:
        return bool(self.expected) and self.files not in self.expected

    def problems(self) -> list[str]:
        def some(names: list[str]) -> str:
            return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")

        out = []
        if self.missing:
            out.append(f"{len(self.missing)} files of {self.manifest} are missing ({some(self.missing)})")
        if self.changed:
            out.append(
                f"{len(self.changed)} files differ from their checksum in {self.manifest} ({some(self.changed)})"
            )
        if self.unlisted:
            out.append(f"{len(self.unlisted)} files are not in {self.manifest} ({some(self.unlisted)})")
        if self.count_differs:
            out.append(f"{self.files} files where a complete copy has {' or '.join(map(str, self.expected))}")
        return out


def check_corpus(name: str, folder: Path, files: list[Path], expected: tuple[int, ...] = ()) -> CorpusCheck:
    """Compare the audio ``files`` of corpus ``name`` in ``folder`` with the manifest of its data
    root (``folder.parent / SHA256SUMS``, entries under ``<folder name>/``) and ``expected`` counts."""
    check = CorpusCheck(name, len(files), expected=tuple(expected))
    manifest = folder.parent / MANIFEST_NAME
    if not manifest.is_file():
        return check
    from core.audio import SUPPORTED_SUFFIXES

    prefix = folder.name + "/"
    entries = {k.removeprefix("./"): v for k, v in read_manifest(manifest).items()}
    listed = {  # audio files only: a README or a metadata CSV in the manifest is not a clip
        k[len(prefix) :]: v
        for k, v in entries.items()
        if k.startswith(prefix) and Path(k).suffix.lower() in SUPPORTED_SUFFIXES
    }
    if not listed:
        return check
    check.manifest = manifest
    found = {p.relative_to(folder).as_posix(): p for p in files}
    check.missing = sorted(set(listed) - set(found))
    check.unlisted = sorted(set(found) - set(listed))
    check.changed = sorted(rel for rel in set(found) & set(listed) if file_digest(found[rel]) != listed[rel])
    return check
