"""Fetching corpora that have a public archive (BAVED, TESS), with integrity checks.

The archive is fetched with pooch. GitHub builds its archives on the fly, so
their bytes (and hash) are not guaranteed stable; the integrity check that
matters is therefore on the *audio content*: after unpacking, the SHA-256 of
every file's decoded 16-bit samples must match ``registry/baved_pcm_sha256.txt``
(made from the reference copy). ``known_hash`` may still pin the archive bytes.

TESS copies differ in format, rate and folder spelling, so its check is by name (spelling-independent)
and duration (``registry/tess_durations.txt``, from the reference copy): every listed file must be
there and last as long as in the reference, and audio the list does not name is refused.
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


def refuse_unsafe(info: zipfile.ZipInfo) -> None:
    """Raise ``ValueError`` if an archive member would be written outside the unpack folder (an absolute
    path, ``..``, a drive) or is a link."""
    import stat

    name, parts = info.filename, Path(info.filename).parts
    if name.startswith(("/", "\\")) or ".." in parts or (parts and ":" in parts[0]):
        raise ValueError(f"archive member {name!r} would be written outside the unpack folder; refusing the archive")
    if stat.S_ISLNK(info.external_attr >> 16):
        raise ValueError(f"archive member {name!r} is a link; refusing the archive")


def check_members(zf: zipfile.ZipFile, manifest: dict[str, str]) -> None:
    """Refuse an archive before anything is unpacked if a member's path is absolute or leaves the
    unpack folder (``..``), if a member is a link, larger than :data:`MAX_MEMBER_BYTES`, or an audio
    file in a word folder that the manifest does not list (it would join the corpus unverified);
    other extra members are left out of the corpus folder."""

    firsts = {Path(i.filename).parts[0] for i in zf.infolist() if Path(i.filename).parts}
    top = len(firsts) == 1 and not next(iter(firsts)).isdigit()  # one top folder (a GitHub archive)
    for info in zf.infolist():
        name = info.filename
        parts = Path(name).parts
        refuse_unsafe(info)
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


TESS_MANIFEST = REGISTRY / "tess_durations.txt"
# The copy the shared reference was made from (data README); the canonical source is Borealis,
# doi:10.5683/SP2/E8H2MF, whose archive a user can pass as ``url`` (or unpack by hand).
TESS_URL = "https://github.com/NidupDorji/SpeechEmotionRecognitionSystemUsingPython/archive/4f35f4b.zip"
# In that copy these two are 5-second 44.1 kHz microphone recordings, not TESS speech (data README).
TESS_LEFT_OUT = ("OAF_angry/OAF_back_angry", "YAF_sad/YAF_beg_sad")
DURATION_TOLERANCE_MS = 5


def read_tess_manifest(path: Path = TESS_MANIFEST) -> dict[str, tuple[str, int]]:
    """``{spelling-independent key: (path under tess/ without suffix, duration in ms)}``."""
    from core import tess

    out = {}
    for line in path.read_text().splitlines():
        if line and not line.startswith("#"):
            ms, rel = line.split(maxsplit=1)
            folder, stem = rel.split("/")
            out[tess.key(folder, stem)] = (rel, int(ms))
    return out


def _tess_members(zf: zipfile.ZipFile, manifest: dict[str, tuple[str, int]]) -> dict[str, zipfile.ZipInfo]:
    """The archive's TESS audio members by key, after the checks of :func:`check_members` (paths that
    leave the folder, links, oversized members); audio in a TESS folder that is neither listed nor one
    of :data:`TESS_LEFT_OUT` is refused. A second copy of a listed file (some archives nest the corpus
    twice) is ignored."""

    from core import tess

    left_out = {tess.key(*n.split("/")) for n in TESS_LEFT_OUT}
    found: dict[str, zipfile.ZipInfo] = {}
    for info in zf.infolist():
        name = info.filename
        parts = Path(name).parts
        refuse_unsafe(info)
        if info.is_dir() or len(parts) < 2 or Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
            continue
        k = tess.key(parts[-2], Path(parts[-1]).stem)
        if k is None:
            continue
        if info.file_size > MAX_MEMBER_BYTES:
            raise ValueError(f"archive member {name!r} is {info.file_size} bytes; refusing the archive")
        if k in left_out:
            continue
        if k not in manifest:
            raise ValueError(f"archive member {name!r} is TESS audio the manifest does not list; refusing the archive")
        found.setdefault(k, info)
    missing = sorted(set(manifest) - set(found))
    if missing:
        raise ValueError(f"download incomplete: {len(missing)} TESS files missing, e.g. {manifest[missing[0]][0]}")
    return found


def download_tess(
    target: Path,
    url: str | None = None,
    known_hash: str | None = None,
    manifest: dict[str, tuple[str, int]] | None = None,
) -> Path:
    """Download TESS and unpack it into ``target`` (``<OAF|YAF>_<emotion>/<file>``, the reference copy's
    spelling), verified by name and duration against ``core/registry/tess_durations.txt``; the files keep
    their own format and rate (the loader reads any). Nothing is left half-written."""
    import pooch

    manifest = read_tess_manifest() if manifest is None else manifest
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".tess-") as tmp:
        archive = pooch.retrieve(url or TESS_URL, known_hash=known_hash, path=tmp, fname="tess.zip", progressbar=True)
        final = Path(tmp) / "tess"
        with zipfile.ZipFile(archive) as zf:
            members = _tess_members(zf, manifest)
            for k, info in members.items():
                rel, ms = manifest[k]
                out = final / f"{rel}{Path(info.filename).suffix.lower()}"
                out.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, open(out, "wb") as dst:
                    shutil.copyfileobj(src, dst)
                try:
                    got = sf.info(out)
                except RuntimeError as err:
                    raise ValueError(f"{info.filename}: not readable audio ({err})") from None
                got_ms = 1000 * got.frames / got.samplerate
                if abs(got_ms - ms) > DURATION_TOLERANCE_MS:
                    raise ValueError(
                        f"{info.filename}: {got_ms:.0f} ms where the reference copy has {ms} ms; refusing the archive"
                    )
        if target.exists():
            shutil.rmtree(target)
        shutil.move(str(final), target)
    return target
