"""BAVED download against a loopback HTTP server that serves an archive built here."""

from __future__ import annotations

import functools
import hashlib
import http.server
import threading
import zipfile
from pathlib import Path

import numpy as np
import pytest

from core.data import load_corpus
from core.download import download_baved, pcm_sha256, read_manifest
from tests.conftest import write_tone


def _serve(www: Path):
    """An HTTP server for the files of ``www`` on 127.0.0.1 (stop it with ``shutdown``)."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(www))
    handler.log_message = lambda *a, **k: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


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
    server = _serve(www)
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


@pytest.fixture()
def tess_archive(tmp_path):
    """A copy of TESS as the mirror spells it (capitalised folders, 'pleasant_surprised', the corpus
    nested twice, 24,414 Hz WAV, an AIFF under a .wav name, one left-out microphone recording),
    served on 127.0.0.1, with the manifest of the reference copy's spelling."""
    import soundfile as sf

    top = tmp_path / "src" / "SpeechEmotionRecognitionSystemUsingPython-4f35f4b"
    inner = top / "TESS_Toronto_emotional_speech_set_data"
    files = {  # mirror spelling -> (reference spelling, seconds)
        "OAF_Fear/OAF_food_fear": ("OAF_fear/OAF_food_fear", 1.5),
        "YAF_pleasant_surprised/YAF_bar_ps": ("YAF_pleasant_surprise/YAF_bar_ps", 1.25),
        "OAF_neutral/OA_bite_neutral": ("OAF_neutral/OA_bite_neutral", 2.0),
    }
    for i, (mirror, (_, sec)) in enumerate(files.items()):
        write_tone(inner / f"{mirror}.wav", sr=24414, seconds=sec, freq=200 + 50 * i)
    (inner / "YAF_angry").mkdir()
    sf.write(inner / "YAF_angry" / "YAF_germ_angry.wav", np.zeros(24414, np.float32), 24414, format="AIFF")
    files["YAF_angry/YAF_germ_angry"] = ("YAF_angry/YAF_germ_angry", 1.0)
    write_tone(inner / "OAF_angry" / "OAF_back_angry.wav", sr=44100, seconds=5.0)  # not TESS speech: left out
    write_tone(inner / "again" / "OAF_Fear" / "OAF_food_fear.wav", sr=24414, seconds=1.5)  # nested twice
    (top / "notebook.ipynb").write_text("{}")
    www = tmp_path / "www"
    www.mkdir()
    archive = www / "tess.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for p in sorted(top.parent.rglob("*")):
            zf.write(p, p.relative_to(top.parent).as_posix())
    from core import tess

    manifest = {tess.key(*ref.split("/")): (ref, round(1000 * sec)) for ref, sec in files.values()}
    server = _serve(www)
    yield f"http://127.0.0.1:{server.server_address[1]}/tess.zip", archive, manifest
    server.shutdown()


def test_tess_download_normalises_names_checks_durations_and_loads(tess_archive, tmp_path):
    from core.download import download_tess

    url, _, manifest = tess_archive
    target = download_tess(tmp_path / "data" / "tess", url=url, manifest=manifest)
    got = sorted(p.relative_to(target).as_posix() for p in target.rglob("*.wav"))
    assert got == sorted(f"{ref}.wav" for ref, _ in manifest.values())  # reference spelling, left-out file gone
    df = load_corpus("tess", root=tmp_path / "data", allow_partial=True)
    assert sorted(df["label_name"]) == ["angry", "fear", "neutral", "ps"]
    assert set(df["speaker"]) == {"tess_OAF", "tess_YAF"}
    assert not [p for p in target.parent.iterdir() if p.name.startswith(".tess-")]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("duration", "where the reference copy has"),
        ("extra", "the manifest does not list"),
        ("missing", "TESS files missing"),
        ("escape", "outside the unpack folder"),
    ],
)
def test_a_tess_archive_that_fails_a_check_leaves_nothing(tess_archive, tmp_path, change, message):
    from core.download import download_tess

    url, archive, manifest = tess_archive
    manifest = dict(manifest)
    if change == "duration":
        k = next(iter(manifest))
        manifest[k] = (manifest[k][0], manifest[k][1] + 50)
    elif change == "missing":
        manifest["OAF/sad/oaf_beg_sad"] = ("OAF_sad/OAF_beg_sad", 1000)
    else:
        name = "x/OAF_sad/OAF_new_sad.wav" if change == "extra" else "x/../../evil.wav"
        with zipfile.ZipFile(archive, "a") as zf:
            zf.writestr(name, b"RIFF0000")
    target = tmp_path / "data" / "tess"
    with pytest.raises(ValueError, match=message):
        download_tess(target, url=url, manifest=manifest)
    assert not target.exists() and not [p for p in target.parent.iterdir() if p.name.startswith(".tess-")]


def test_the_tess_manifest_matches_the_shared_copy(data_root):
    from core.download import read_tess_manifest

    manifest = read_tess_manifest()
    assert len(manifest) == 2798
    import soundfile as sf

    for rel, ms in sorted(manifest.values())[::300]:
        info = sf.info(Path(data_root) / "tess" / f"{rel}.flac")
        assert abs(1000 * info.frames / info.samplerate - ms) <= 1


def test_a_failed_download_is_a_clear_corpus_error(monkeypatch, tmp_path):
    def offline(target):
        raise ConnectionError("no route to host")

    monkeypatch.setattr("core.download.download_tess", offline)
    with pytest.raises(FileNotFoundError, match=r"the download failed \(ConnectionError: no route to host\); get it"):
        load_corpus("tess", root=tmp_path, download=True)
