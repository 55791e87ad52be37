"""Fetching corpora that have a public archive (BAVED), with integrity checks.

The archive is fetched with pooch. GitHub builds its archives on the fly, so
their bytes (and hash) are not guaranteed stable; the integrity check that
matters is therefore on the *audio content*: after unpacking, the SHA-256 of
every file's decoded 16-bit samples must match ``registry/baved_pcm_sha256.txt``
(made from the reference copy). ``known_hash`` may still pin the archive bytes.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import soundfile as sf

from core.audio import SUPPORTED_SUFFIXES

REGISTRY = Path(__file__).parent / "registry"
BAVED_MANIFEST = REGISTRY / "baved_pcm_sha256.txt"
BAVED_URL = "https://github.com/40uf411/Basic-Arabic-Vocal-Emotions-Dataset/archive/6e3d512.zip"


def pcm_sha256(path: str | Path) -> str:
    """SHA-256 of a file's samples decoded as 16-bit integers (container-independent)."""
    data, sr = sf.read(path, dtype="int16", always_2d=True)
    h = hashlib.sha256(f"{sr}:{data.shape[1]}:".encode())
    h.update(np.ascontiguousarray(data).tobytes())
    return h.hexdigest()


def read_manifest(path: Path = BAVED_MANIFEST) -> dict[str, str]:
    """``{relative path without suffix: pcm sha256}``."""
    out = {}
    for line in path.read_text().splitlines():
        if line and not line.startswith("#"):
            digest, name = line.split(maxsplit=1)
            out[name] = digest
    return out


def verify(folder: Path, manifest: dict[str, str]) -> None:
    """Raise ``ValueError`` naming the first file whose samples differ from the manifest."""
    found = {
        p.relative_to(folder).with_suffix("").as_posix(): p
        for p in folder.rglob("*")
        if p.suffix.lower() in SUPPORTED_SUFFIXES
    }
    missing = sorted(set(manifest) - set(found))
    if missing:
        raise ValueError(f"download incomplete: {len(missing)} files missing, e.g. {missing[0]} in {folder}")
    for name, digest in sorted(manifest.items()):
        if pcm_sha256(found[name]) != digest:
            raise ValueError(f"checksum mismatch for {found[name]}: its samples differ from the reference copy")


# Largest archive member accepted (BAVED's clips are a few hundred kB); a bigger one is refused.
MAX_MEMBER_BYTES = 50 * 2**20


def check_members(zf: zipfile.ZipFile, manifest: dict[str, str]) -> None:
    """Refuse an archive before anything is unpacked if a member's path is absolute or leaves the
    unpack folder (``..``), if a member is a link, larger than :data:`MAX_MEMBER_BYTES`, or an audio
    file in a word folder that the manifest does not list (it would join the corpus unverified);
    other extra members are left out of the corpus folder."""
    import stat

    firsts = {Path(i.filename).parts[0] for i in zf.infolist() if Path(i.filename).parts}
    top = len(firsts) == 1 and not next(iter(firsts)).isdigit()  # one top folder (a GitHub archive)
    for info in zf.infolist():
        name = info.filename
        parts = Path(name).parts
        if name.startswith(("/", "\\")) or ".." in parts or (parts and ":" in parts[0]):
            raise ValueError(
                f"archive member {name!r} would be written outside the unpack folder; refusing the archive"
            )
        if stat.S_ISLNK(info.external_attr >> 16):
            raise ValueError(f"archive member {name!r} is a link; refusing the archive")
        if info.file_size > MAX_MEMBER_BYTES:
            raise ValueError(f"archive member {name!r} is {info.file_size} bytes, more than expected; refusing it")
        if Path(name).suffix.lower() in SUPPORTED_SUFFIXES:
            # the corpus is the word folders (0..6) under the archive's top folder, if it has one
            rel = parts[1:] if top else parts
            key = Path(*rel).with_suffix("").as_posix()
            if rel[0].isdigit() and key not in manifest:
                raise ValueError(f"archive member {name!r} is audio the reference manifest does not list; refusing it")


def download_baved(
    target: Path,
    url: str | None = None,
    known_hash: str | None = None,
    manifest: dict[str, str] | None = None,
) -> Path:
    """Download and unpack BAVED into ``target`` (``<word>/<file>.wav``), verified.

    Nothing is left half-written: the archive is unpacked and verified in a
    temporary folder next to ``target`` and only then moved into place.
    """
    import pooch

    url = url or BAVED_URL
    manifest = read_manifest() if manifest is None else manifest
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".baved-") as tmp:
        archive = pooch.retrieve(url, known_hash=known_hash, path=tmp, fname="baved.zip", progressbar=True)
        staging = Path(tmp) / "unpacked"
        with zipfile.ZipFile(archive) as zf:
            check_members(zf, manifest)
            zf.extractall(staging)
        roots = [p for p in staging.iterdir() if p.is_dir()]
        root = roots[0] if len(roots) == 1 and not (staging / "0").exists() else staging
        # keep the seven word folders and the dataset's own metadata
        final = Path(tmp) / "baved"
        final.mkdir()
        for item in root.iterdir():
            if item.is_dir() and item.name.isdigit():
                shutil.move(str(item), final / item.name)
            elif item.name in ("README.md", "naming.txt", "speakers_info.json"):
                shutil.move(str(item), final / item.name)
        verify(final, manifest)
        if target.exists():
            shutil.rmtree(target)
        shutil.move(str(final), target)
    return target
