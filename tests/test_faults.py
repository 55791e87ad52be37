"""Fault injection: concurrent writers, a writer killed mid-file, a full disk. Nothing may be lost or
half-written: every file the project writes goes through :func:`core.io.atomic_write`."""

from __future__ import annotations

import errno
import json
import multiprocessing as mp
import os
import signal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.features import load_npy_checked, save_npy_atomic
from core.io import atomic_write
from core.splits import load_split, save_split
from ser import results

ROUNDS = 40


def _split(seed: int) -> pd.DataFrame:
    ids = [f"c/{i:03d}" for i in range(200)]
    parts = np.random.default_rng(seed).choice(["train", "val", "test"], size=200)
    return pd.DataFrame({"utt_id": ids, "part": parts})


def _record(writer: int, i: int) -> dict:
    return {
        "paper": "p", "claim_ids": [], "corpus": "c", "protocol": "random", "profile": "smoke", "seeds": [0],
        "metrics": {"accuracy": writer + i / 1000, "pad": list(range(2000))}, "params": {}, "duration_s": 1.0,
        "device": "cpu", "versions": {}, "git_commit": "x",
    }  # fmt: skip


def _writer(kind: str, folder: str, writer: int) -> None:
    target = os.path.join(folder, "target")
    for i in range(ROUNDS):
        if kind == "split":
            save_split(_split(writer), target + ".csv", seed=writer, protocol="random")
        elif kind == "result":
            results.write_result(_record(writer, i), folder, "target")
        else:
            save_npy_atomic(Path(target + ".npy"), np.full((300, 50), writer, dtype=np.float32))


@pytest.mark.parametrize("kind", ["split", "result", "cache"])
def test_two_processes_writing_one_file_leave_a_complete_one(tmp_path, kind):
    ctx = mp.get_context("fork")
    procs = [ctx.Process(target=_writer, args=(kind, str(tmp_path), w)) for w in (1, 2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0, f"a concurrent {kind} writer crashed"
    if kind == "split":
        back = load_split(tmp_path / "target.csv")
        assert len(back) == 200 and back["seed"].nunique() == 1  # one writer's file, whole
        assert back["part"].tolist() == _split(int(back["seed"][0]))["part"].tolist()
    elif kind == "result":
        rec = json.loads((tmp_path / "target.json").read_text())
        assert int(rec["metrics"]["accuracy"]) in (1, 2) and len(rec["metrics"]["pad"]) == 2000
    else:
        arr = load_npy_checked(tmp_path / "target.npy")  # checksum sidecar agrees with the array
        assert arr is not None and arr.shape == (300, 50) and len(np.unique(arr)) == 1
    assert not list(tmp_path.glob(".*.tmp")), "temporary files were left behind"


def _killed_writer(path: str) -> None:
    with atomic_write(path) as fh:
        fh.write('{"half": ')
        fh.flush()
        os.kill(os.getpid(), signal.SIGKILL)


def _reader(folder: str, stop, bad, good) -> None:
    target = os.path.join(folder, "target.json")
    while not stop.is_set():
        try:
            with open(target) as fh:
                text = fh.read()
        except FileNotFoundError:
            continue
        try:
            assert len(json.loads(text)["metrics"]["pad"]) == 2000
            good.value += 1
        except (ValueError, KeyError, AssertionError):
            bad.value += 1


def test_a_reader_never_sees_half_a_file_while_two_processes_write_it(tmp_path):
    ctx = mp.get_context("fork")
    stop, bad, good = ctx.Event(), ctx.Value("i", 0), ctx.Value("i", 0)
    reader = ctx.Process(target=_reader, args=(str(tmp_path), stop, bad, good))
    reader.start()
    writers = [ctx.Process(target=_writer, args=("result", str(tmp_path), w)) for w in (1, 2)]
    for p in writers:
        p.start()
    for p in writers:
        p.join(60)
    stop.set()
    reader.join(10)
    assert reader.exitcode == 0 and good.value > 0, "the reader did not run"
    assert bad.value == 0, f"a reader saw {bad.value} incomplete results files"


def test_a_writer_killed_mid_file_leaves_the_previous_file_and_readers_ignore_its_leftover(tmp_path):
    results.write_result(_record(1, 0), tmp_path, "run")
    before = (tmp_path / "run.json").read_text()
    p = mp.get_context("fork").Process(target=_killed_writer, args=(str(tmp_path / "run.json"),))
    p.start()
    p.join(30)
    assert p.exitcode == -signal.SIGKILL
    assert (tmp_path / "run.json").read_text() == before  # the old record, untouched
    assert list(tmp_path.glob(".run.json.*.tmp")), "the killed writer's temporary file should be the only trace"
    (rec,) = results.read_results(tmp_path)  # the leftover temporary file is not read as a record
    assert rec["metrics"]["accuracy"] == 1.0
    results.write_result(_record(2, 0), tmp_path, "run")  # a rerun replaces the record normally
    assert json.loads((tmp_path / "run.json").read_text())["metrics"]["accuracy"] == 2.0


def test_a_full_disk_keeps_the_previous_file(tmp_path, monkeypatch):
    save_split(_split(1), tmp_path / "s.csv", seed=1, protocol="random")
    before = (tmp_path / "s.csv").read_bytes()

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError, match="No space"):
        save_split(_split(2), tmp_path / "s.csv", seed=2, protocol="random")
    assert (tmp_path / "s.csv").read_bytes() == before
    assert not list(tmp_path.glob(".*.tmp"))


def _small_emodb(tmp_path: Path, data_root: Path, n: int = 6) -> Path:
    """A data root holding ``n`` EmoDB files and a manifest of them."""
    import hashlib
    import shutil

    src = sorted((data_root / "emodb_2s").glob("*.flac"))[:n]
    (tmp_path / "emodb_2s").mkdir()
    lines = []
    for f in src:
        shutil.copy(f, tmp_path / "emodb_2s" / f.name)
        lines.append(f"{hashlib.sha256(f.read_bytes()).hexdigest()}  emodb_2s/{f.name}")
    (tmp_path / "SHA256SUMS").write_text("\n".join(lines) + "\n")
    return tmp_path


def test_a_corpus_with_files_removed_or_changed_is_refused_unless_accepted(tmp_path, data_root, monkeypatch):
    import warnings

    from core.data import CorpusMismatchError, CorpusWarning, load_corpus

    root = _small_emodb(tmp_path, data_root)
    with pytest.warns(CorpusWarning, match="6 files where a complete copy has 535"):  # the count alone: a warning
        assert len(load_corpus("emodb", root=root)) == 6
    gone = sorted((root / "emodb_2s").glob("*.flac"))[0]
    gone.unlink()
    with pytest.raises(CorpusMismatchError, match=f"1 files of .*SHA256SUMS are missing \\({gone.name}\\)"):
        load_corpus("emodb", root=root)
    with pytest.warns(CorpusWarning, match="missing"):
        assert len(load_corpus("emodb", root=root, allow_partial=True)) == 5
    monkeypatch.setenv("SER_ALLOW_PARTIAL", "1")
    with pytest.warns(CorpusWarning, match="missing"):
        load_corpus("emodb", root=root)
    monkeypatch.delenv("SER_ALLOW_PARTIAL")
    (tmp_path / "b").mkdir()
    root = _small_emodb(tmp_path / "b", data_root)
    victim = sorted((root / "emodb_2s").glob("*.flac"))[1]
    data = bytearray(victim.read_bytes())
    data[-10] ^= 0xFF  # one flipped byte, same size and name
    victim.write_bytes(bytes(data))
    with pytest.raises(CorpusMismatchError, match=f"differ from their checksum .*{victim.name}"):
        load_corpus("emodb", root=root)
    victim.write_bytes(bytes(data[:-10] + bytes([data[-10] ^ 0xFF]) + data[-9:]))  # restored
    import shutil

    seventh = sorted((data_root / "emodb_2s").glob("*.flac"))[6]
    shutil.copy(seventh, root / "emodb_2s" / seventh.name)  # a file the manifest does not list
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        load_corpus("emodb", root=root)
    assert any("1 files are not in" in str(w.message) and seventh.name in str(w.message) for w in caught)


def test_a_malformed_manifest_is_an_error_naming_its_line(tmp_path):
    from core.manifest import read_manifest

    (tmp_path / "SHA256SUMS").write_text("abc  x.flac\n")
    with pytest.raises(ValueError, match=r"SHA256SUMS:1: not a"):
        read_manifest(tmp_path / "SHA256SUMS")


def test_write_json_writes_whole_indented_json_and_leaves_the_old_file_on_error(tmp_path):
    from core.io import write_json

    path = tmp_path / "sub" / "r.json"
    write_json(path, {"a": [1, 2]})
    assert path.read_text() == '{\n "a": [\n  1,\n  2\n ]\n}\n'
    with pytest.raises(TypeError):
        write_json(path, {"b": object()})  # not serialisable: the earlier file stays whole
    assert json.loads(path.read_text()) == {"a": [1, 2]} and [p.name for p in path.parent.iterdir()] == ["r.json"]
