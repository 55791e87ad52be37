"""Corpus registry and loaders.

Each loader returns a :class:`pandas.DataFrame` with one row per utterance and the
columns ``utt_id, path, corpus, speaker, gender, label, label_name`` plus
corpus-specific columns. ``utt_id`` is the path relative to the corpus folder
without its suffix, so it is the same for a WAV original and a FLAC copy.

>>> from core.data import load_corpus
>>> df = load_corpus("baved")            # uses SER_DATA or the user cache
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from core.audio import SUPPORTED_SUFFIXES
from core.config import data_root

COLUMNS = ["utt_id", "path", "corpus", "speaker", "gender", "label", "label_name"]


class CorpusNotFoundError(FileNotFoundError):
    """The corpus folder is missing or holds no audio."""


@dataclass(frozen=True)
class Corpus:
    """Static facts about a corpus and how to read it."""

    name: str
    folder: str
    title: str
    labels: tuple[str, ...]
    source: str
    citation: str
    parse: Callable[[Path, Path], dict]
    extra_columns: tuple[str, ...] = ()
    downloadable: bool = False
    notes: str = ""


def _audio_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in SUPPORTED_SUFFIXES and p.is_file())


def _bad_name(corpus: str, path: Path, pattern: str) -> ValueError:
    return ValueError(
        f"{corpus}: file name {path.name!r} ({path}) does not follow the corpus layout {pattern!r}; move or remove it"
    )


# --- BAVED -----------------------------------------------------------------
BAVED_LEVELS = ("low", "neutral", "high")
_BAVED_RE = re.compile(r"^(\d+)-([mf])-(\d+)-([0-6])-([0-2])-(\d+)$")


def _parse_baved(path: Path, root: Path) -> dict:
    m = _BAVED_RE.match(path.stem)
    if not m:
        raise _bad_name("baved", path, "<speaker>-<m|f>-<age>-<word 0-6>-<level 0-2>-<record>")
    spk, gender, age, word, level, record = m.groups()
    return {
        "speaker": f"baved_{int(spk):03d}",
        "gender": gender,
        "label": int(level),
        "age": int(age),
        "word": int(word),
        "level": int(level),
        "record": int(record),
    }


# --- RAVDESS ---------------------------------------------------------------
RAVDESS_EMOTIONS = ("neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised")
_RAVDESS_RE = re.compile(r"^03-01-(0[1-8])-(0[12])-(0[12])-(0[12])-(\d{2})$")


def _parse_ravdess(path: Path, root: Path) -> dict:
    m = _RAVDESS_RE.match(path.stem)
    if not m:
        raise _bad_name("ravdess", path, "03-01-EE-II-SS-RR-AA (speech, audio-only)")
    emo, intensity, statement, rep, actor = (int(g) for g in m.groups())
    return {
        "speaker": f"ravdess_{actor:02d}",
        "gender": "m" if actor % 2 else "f",
        "label": emo - 1,
        "intensity": "normal" if intensity == 1 else "strong",
        "statement": statement,
        "repetition": rep,
    }


# --- EYASE -----------------------------------------------------------------
EYASE_EMOTIONS = ("angry", "happy", "neutral", "sad")
_EYASE_CODES = {"ang": 0, "hap": 1, "neu": 2, "sad": 3}
_EYASE_RE = re.compile(r"^[a-z]+\d*_(ang|hap|neu|sad) \((\d+)\)$")
_EYASE_SPK = re.compile(r"^(Female|Male)(\d{2})$")


def _parse_eyase(path: Path, root: Path) -> dict:
    m = _EYASE_RE.match(path.stem)
    s = _EYASE_SPK.match(path.parent.name)
    if not m or not s:
        raise _bad_name("eyase", path, "<Female|Male>0N/<prefix>_<ang|hap|neu|sad> (<k>)")
    # The speaker comes from the folder: Female02/ holds files prefixed fm01.
    return {
        "speaker": f"eyase_{s.group(1).lower()}{s.group(2)}",
        "gender": "f" if s.group(1) == "Female" else "m",
        "label": _EYASE_CODES[m.group(1)],
        "take": int(m.group(2)),
    }


# --- EmoDB -----------------------------------------------------------------
EMODB_EMOTIONS = ("anger", "boredom", "disgust", "fear", "happiness", "sadness", "neutral")
_EMODB_LETTERS = {"W": 0, "L": 1, "E": 2, "A": 3, "F": 4, "T": 5, "N": 6}
_EMODB_MALE = {"03", "10", "11", "12", "15"}
_EMODB_RE = re.compile(r"^(03|08|09|10|11|12|13|14|15|16)([a-b]\d{2})([WLEAFTN])([a-z])$")


def _parse_emodb(path: Path, root: Path) -> dict:
    m = _EMODB_RE.match(path.stem)
    if not m:
        raise _bad_name("emodb", path, "SSTTTEV, e.g. 03a01Fa")
    spk, text, emo, version = m.groups()
    return {
        "speaker": f"emodb_{spk}",
        "gender": "m" if spk in _EMODB_MALE else "f",
        "label": _EMODB_LETTERS[emo],
        "text": text,
        "version": version,
    }


BAVED_URL = "https://github.com/40uf411/Basic-Arabic-Vocal-Emotions-Dataset/archive/6e3d512.zip"

CORPORA: dict[str, Corpus] = {
    "baved": Corpus(
        name="baved",
        folder="baved",
        title="Basic Arabic Vocal Emotions Dataset (BAVED)",
        labels=BAVED_LEVELS,
        source="https://github.com/40uf411/Basic-Arabic-Vocal-Emotions-Dataset",
        citation="a13x10 (A. Aouf), Basic Arabic Vocal Emotions Dataset, 2019-2024.",
        parse=_parse_baved,
        extra_columns=("age", "word", "level", "record"),
        downloadable=True,
    ),
    "ravdess": Corpus(
        name="ravdess",
        folder="ravdess",
        title="RAVDESS, speech audio (Audio_Speech_Actors_01-24)",
        labels=RAVDESS_EMOTIONS,
        source="https://zenodo.org/record/1188976 (Audio_Speech_Actors_01-24.zip)",
        citation="Livingstone & Russo (2018), PLoS ONE 13(5): e0196391.",
        parse=_parse_ravdess,
        extra_columns=("intensity", "statement", "repetition"),
    ),
    "eyase": Corpus(
        name="eyase",
        folder="eyase",
        title="EYASE, Egyptian Arabic semi-natural emotional speech",
        labels=EYASE_EMOTIONS,
        source="EYASE (El Seknedy & Fawzi, 2021): on request from the authors, or Kaggle",
        citation="El Seknedy & Fawzi (2021), EYASE, Egyptian Arabic speech emotion database.",
        parse=_parse_eyase,
        extra_columns=("take",),
    ),
    "emodb": Corpus(
        name="emodb",
        folder="emodb_2s",
        title="Berlin EmoDB (derived copy cut/padded to 2.0 s)",
        labels=EMODB_EMOTIONS,
        source="http://emodb.bilderbar.info (the full-length original)",
        citation="Burkhardt et al. (2005), A database of German emotional speech, Interspeech.",
        parse=_parse_emodb,
        extra_columns=("text", "version"),
        notes="The copy used here was cut or zero-padded to exactly 2.0 s by its publisher.",
    ),
}


def get_corpus(name: str) -> Corpus:
    """Return the registry entry for ``name`` or raise a clear error."""
    try:
        return CORPORA[name]
    except KeyError:
        raise ValueError(f"unknown corpus {name!r}; known corpora: {', '.join(sorted(CORPORA))}") from None


def corpus_dir(name: str, root: str | Path | None = None) -> Path:
    """Folder where corpus ``name`` is expected under the data root."""
    return data_root(root) / get_corpus(name).folder


def load_corpus(name: str, root: str | Path | None = None, download: bool = False) -> pd.DataFrame:
    """Index corpus ``name`` into a DataFrame (one row per utterance).

    ``root`` overrides the data root (see :mod:`core.config`). With
    ``download=True`` a downloadable corpus (BAVED) is fetched when missing.
    """
    corpus = get_corpus(name)
    folder = corpus_dir(name, root)
    files = _audio_files(folder) if folder.is_dir() else []
    if not files and download:
        if not corpus.downloadable:
            raise CorpusNotFoundError(
                f"corpus {name!r} cannot be downloaded automatically; get it from {corpus.source} "
                f"and put it in {folder}"
            )
        from core.download import download_baved

        download_baved(folder)
        files = _audio_files(folder)
    if not files:
        hint = "pass download=True or " if corpus.downloadable else ""
        raise CorpusNotFoundError(
            f"corpus {name!r} not found: no .wav/.flac files under {folder} "
            f"(data root from the argument, else SER_DATA, else the user cache). "
            f"To fix: {hint}get it from {corpus.source} and unpack it to {folder}, "
            f"or set SER_DATA to the folder that contains {corpus.folder}/."
        )
    rows = []
    for path in files:
        row = corpus.parse(path, folder)
        row["utt_id"] = f"{name}/{path.relative_to(folder).with_suffix('').as_posix()}"
        row["path"] = str(path)
        row["corpus"] = name
        row["label_name"] = corpus.labels[row["label"]]
        rows.append(row)
    df = pd.DataFrame(rows)
    df = df[COLUMNS + list(corpus.extra_columns)]
    if df["utt_id"].duplicated().any():
        dup = df.loc[df["utt_id"].duplicated(), "utt_id"].iloc[0]
        raise ValueError(f"{name}: utterance {dup!r} exists as both .wav and .flac under {folder}; keep one")
    return df.sort_values("utt_id", ignore_index=True)
