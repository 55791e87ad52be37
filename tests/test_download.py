"""BAVED download against a loopback HTTP server that serves an archive built here."""

from __future__ import annotations

import functools
import hashlib
import http.server
import threading
import zipfile
from pathlib import Path

import pytest

from core.data import load_corpus
from core.download import download_baved, pcm_sha256, read_manifest
from tests.conftest import write_tone


@pytest.fixture()
def served_archive(tmp_path):
    """A GitHub-style archive (one top folder) of three BAVED-named files, served on 127.0.0.1."""
    src = tmp_path / "src" / "Basic-Arabic-Vocal-Emotions-Dataset-6e3d512"
    names = ["0/1-m-20-0-0-1", "0/1-m-20-0-2-2", "5/7-f-21-5-1-3"]
    for i, n in enumerate(names):
        write_tone(src / f"{n}.wav", freq=200 + 100 * i)
    (src / "README.md").write_text("fixture")
    (src / "tools").mkdir()
    (src / "tools" / "x.py").write_text("print()")
    www = tmp_path / "www"
    www.mkdir()
    archive = www / "baved.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for p in sorted(src.parent.rglob("*")):
            zf.write(p, p.relative_to(src.parent).as_posix())
    manifest = {n: pcm_sha256(src / f"{n}.wav") for n in names}
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(www))
    handler.log_message = lambda *a, **k: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/baved.zip", archive, manifest
    server.shutdown()


def test_download_unpacks_verifies_and_loads(served_archive, tmp_path):
    url, archive, manifest = served_archive
    sha = hashlib.sha256(archive.read_bytes()).hexdigest()
    target = tmp_path / "data" / "baved"
    download_baved(target, url=url, known_hash=f"sha256:{sha}", manifest=manifest)
    assert sorted(p.name for p in target.iterdir()) == ["0", "5", "README.md"]
    df = load_corpus("baved", root=tmp_path / "data")
    assert df["label_name"].tolist() == ["low", "high", "neutral"]
    assert not [p for p in target.parent.iterdir() if p.name.startswith(".baved-")]


def test_bad_archive_hash_leaves_nothing(served_archive, tmp_path):
    url, _, manifest = served_archive
    target = tmp_path / "data" / "baved"
    with pytest.raises(ValueError, match="(?i)hash"):
        download_baved(target, url=url, known_hash="sha256:" + "0" * 64, manifest=manifest)
    assert not target.exists()


def test_changed_audio_is_rejected(served_archive, tmp_path):
    url, _, manifest = served_archive
    manifest = {**manifest, "0/1-m-20-0-0-1": "f" * 64}
    target = tmp_path / "data" / "baved"
    with pytest.raises(ValueError, match="checksum mismatch.*1-m-20-0-0-1"):
        download_baved(target, url=url, manifest=manifest)
    assert not target.exists()


def test_missing_files_are_rejected(served_archive, tmp_path):
    url, _, manifest = served_archive
    with pytest.raises(ValueError, match="1 files missing"):
        download_baved(tmp_path / "baved", url=url, manifest={**manifest, "6/9-m-1-6-0-0": "0" * 64})


def test_reference_manifest_matches_shared_copy(data_root):
    manifest = read_manifest()
    assert len(manifest) == 1935
    some = sorted(manifest)[::400]
    for name in some:
        assert pcm_sha256(Path(data_root) / "baved" / f"{name}.flac") == manifest[name]


def test_load_corpus_download_flag_uses_download(monkeypatch, tmp_path):
    calls = []

    def fake(target):
        calls.append(target)
        write_tone(Path(target) / "0" / "1-m-20-0-1-0.wav")

    monkeypatch.setattr("core.download.download_baved", fake)
    df = load_corpus("baved", root=tmp_path, download=True)
    assert calls == [tmp_path.resolve() / "baved"] and len(df) == 1
    with pytest.raises(FileNotFoundError, match="cannot be downloaded automatically"):
        load_corpus("eyase", root=tmp_path, download=True)


@pytest.mark.parametrize(
    ("member", "message"),
    [
        ("Basic-Arabic-Vocal-Emotions-Dataset-6e3d512/../../evil.txt", "outside the unpack folder"),
        ("/etc/evil.txt", "outside the unpack folder"),
        ("Basic-Arabic-Vocal-Emotions-Dataset-6e3d512/0/9-m-20-0-0-9.wav", "manifest does not list"),
    ],
)
def test_unexpected_or_escaping_members_are_refused_before_unpacking(served_archive, tmp_path, member, message):
    url, archive, manifest = served_archive
    with zipfile.ZipFile(archive, "a") as zf:
        zf.writestr(member, b"RIFF0000")
    target = tmp_path / "data" / "baved"
    with pytest.raises(ValueError, match=message):
        download_baved(target, url=url, manifest=manifest)
    assert not target.exists() and not (tmp_path / "evil.txt").exists()
    assert not [p for p in target.parent.iterdir() if p.name.startswith(".baved-")]
