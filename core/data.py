"""Corpus registry and loaders.

Each loader returns a :class:`pandas.DataFrame` with one row per utterance and the
columns ``utt_id, path, corpus, speaker, gender, label, label_name`` plus
corpus-specific columns. ``utt_id`` is the path relative to the corpus folder
without its suffix, so it is the same for a WAV original and a FLAC copy.

>>> from core.data import load_corpus
>>> df = load_corpus("baved")            # uses SER_DATA or the user cache
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from core import download as corpus_download
from core import tess
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
    # file counts of a complete copy (None: not known); a copy with another count gets a warning
    expected_files: tuple[int, ...] = ()


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


# --- English corpora of the Bonnefoy report (not available here; loaders follow their
# documented layouts and are tested on generated fixtures) ----------------------------
SAVEE_EMOTIONS = ("anger", "disgust", "fear", "happiness", "neutral", "sadness", "surprise")
_SAVEE_CODES = {"a": 0, "d": 1, "f": 2, "h": 3, "n": 4, "sa": 5, "su": 6}
_SAVEE_RE = re.compile(r"^(a|d|f|h|n|sa|su)(\d{2})$")


def _parse_savee(path: Path, root: Path) -> dict:
    m = _SAVEE_RE.match(path.stem)
    spk = path.parent.name
    if not m or spk not in ("DC", "JE", "JK", "KL"):
        raise _bad_name("savee", path, "<DC|JE|JK|KL>/<a|d|f|h|n|sa|su><nn>")
    return {"speaker": f"savee_{spk}", "gender": "m", "label": _SAVEE_CODES[m.group(1)], "sentence": int(m.group(2))}


CREMAD_EMOTIONS = ("anger", "disgust", "fear", "happy", "neutral", "sad")
_CREMAD_CODES = {"ANG": 0, "DIS": 1, "FEA": 2, "HAP": 3, "NEU": 4, "SAD": 5}
_CREMAD_RE = re.compile(r"^(1\d{3})_([A-Z]{3})_(ANG|DIS|FEA|HAP|NEU|SAD)_(LO|MD|HI|XX|X)$")


@functools.lru_cache(maxsize=8)
def _cremad_genders(root: Path) -> dict[str, str]:
    """Actor genders from ``VideoDemographics.csv`` when it sits in the corpus folder."""
    csv = root / "VideoDemographics.csv"
    if not csv.is_file():
        return {}
    demo = pd.read_csv(csv)
    sex = dict(zip(demo["ActorID"].astype(str), demo["Sex"].astype(str).str.lower(), strict=True))
    return {actor: ("m" if s.startswith("m") else "f") for actor, s in sex.items()}


def _parse_cremad(path: Path, root: Path) -> dict:
    m = _CREMAD_RE.match(path.stem)
    if not m:
        raise _bad_name("cremad", path, "<actor 1001-1091>_<sentence>_<ANG|DIS|FEA|HAP|NEU|SAD>_<LO|MD|HI|XX>")
    actor, sentence, emo, level = m.groups()
    return {
        "speaker": f"cremad_{actor}",
        "gender": _cremad_genders(root).get(actor, "u"),
        "label": _CREMAD_CODES[emo],
        "sentence": sentence,
        "level": level,
    }


TESS_EMOTIONS = tess.EMOTIONS


def _parse_tess(path: Path, root: Path) -> dict:
    """Speaker and emotion come from the folder (``OAF_neutral/OA_bite_neutral`` has the
    prefix ``OA``); the word from the file name, whose emotion must agree with the folder's."""
    layout = "<OAF|YAF>_<emotion>/<speaker>_<word>_<angry|disgust|fear|happy|neutral|ps|sad>"
    folder = tess.folder_parts(path.parent.name)
    m = tess.FILE_RE.match(path.stem)
    if not folder or not m or m.group(3).lower() != folder[1]:
        raise _bad_name("tess", path, layout)
    speaker, emo = folder
    return {
        "speaker": f"tess_{speaker}",
        "gender": "f",
        "label": TESS_EMOTIONS.index(emo),
        "word": m.group(2).lower(),
    }


JL_EMOTIONS = (
    "angry",
    "sad",
    "neutral",
    "happy",
    "excited",
    "anxious",
    "apologetic",
    "assertive",
    "concerned",
    "encouraging",
)
_JL_RE = re.compile(r"^(female|male)(\d)_(" + "|".join(JL_EMOTIONS) + r")_(\d+[ab])_(\d+)$")


def _parse_jl(path: Path, root: Path) -> dict:
    m = _JL_RE.match(path.stem)
    if not m:
        raise _bad_name("jl", path, "<female|male><n>_<emotion>_<sentence><a|b>_<take>")
    gender, n, emo, sentence, take = m.groups()
    return {
        "speaker": f"jl_{gender}{n}",
        "gender": gender[0],
        "label": JL_EMOTIONS.index(emo),
        "sentence": sentence,
        "take": int(take),
    }


ESD_EMOTIONS = ("angry", "happy", "neutral", "sad", "surprise")
_ESD_RE = re.compile(r"^(00(1[1-9]|20))_(\d{6})$")


def _parse_esd(path: Path, root: Path) -> dict:
    m = _ESD_RE.match(path.stem)
    emo = path.parent.name.lower()
    if not m or emo not in ESD_EMOTIONS or path.parent.parent.name != m.group(1):
        raise _bad_name(
            "esd", path, "<speaker 0011-0020>/<Angry|Happy|Neutral|Sad|Surprise>/<speaker>_<nnnnnn> (English part)"
        )
    return {"speaker": f"esd_{m.group(1)}", "gender": "u", "label": ESD_EMOTIONS.index(emo), "index": int(m.group(3))}


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
        expected_files=(1935,),
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
        expected_files=(1440,),
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
        expected_files=(579,),
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
        expected_files=(535,),
    ),
    "savee": Corpus(
        name="savee",
        folder="savee",
        title="Surrey Audio-Visual Expressed Emotion (SAVEE), audio",
        labels=SAVEE_EMOTIONS,
        source="http://kahlan.eps.surrey.ac.uk/savee/ (registration; AudioData/<speaker>/)",
        citation="Haq & Jackson (2009), Speaker-dependent audio-visual emotion recognition, AVSP.",
        parse=_parse_savee,
        extra_columns=("sentence",),
        expected_files=(480,),
    ),
    "cremad": Corpus(
        name="cremad",
        folder="cremad",
        title="CREMA-D, audio (AudioWAV)",
        labels=CREMAD_EMOTIONS,
        source="https://github.com/CheyneyComputerScience/CREMA-D (AudioWAV/; VideoDemographics.csv for genders)",
        citation="Cao et al. (2014), CREMA-D, IEEE Trans. Affective Computing 5(4).",
        parse=_parse_cremad,
        extra_columns=("sentence", "level"),
        notes="Gender is 'u' unless VideoDemographics.csv is in the corpus folder.",
        expected_files=(7442,),
    ),
    "tess": Corpus(
        name="tess",
        folder="tess",
        title="Toronto Emotional Speech Set (TESS)",
        labels=TESS_EMOTIONS,
        source="https://doi.org/10.5683/SP2/E8H2MF (University of Toronto, Borealis; formerly TSpace 1807/24487)",
        citation="Pichora-Fuller & Dupuis (2020), Toronto emotional speech set (TESS), Borealis, V1.",
        parse=_parse_tess,
        downloadable=True,
        extra_columns=("word",),
        notes="'ps' is 'pleasant surprise'. Two speakers only (OAF, YAF, both female): its "
        "speaker-independent protocol is train on one speaker, test on the other.",
        # 2800 as published; the shared copy leaves out 2 files that are not TESS speech (data README)
        expected_files=(2800, 2798),
    ),
    "jl": Corpus(
        name="jl",
        folder="jl",
        title="JL-Corpus (New Zealand English, primary and secondary emotions)",
        labels=JL_EMOTIONS,
        source="https://www.kaggle.com/datasets/tli725/jl-corpus",
        citation="James, Tian & Watson (2018), An open source emotional speech corpus for human robot "
        "interaction, Interspeech.",
        parse=_parse_jl,
        extra_columns=("sentence", "take"),
    ),
    "esd": Corpus(
        name="esd",
        folder="esd",
        title="Emotional Speech Dataset (ESD), English speakers 0011-0020",
        labels=ESD_EMOTIONS,
        source="https://github.com/HLTSingapore/Emotional-Speech-Data",
        citation="Zhou et al. (2021), Seen and unseen emotional style transfer for voice conversion, ICASSP.",
        parse=_parse_esd,
        extra_columns=("index",),
        notes="Only the English half (speakers 0011-0020) is indexed; gender is 'u' (not in the file layout).",
    ),
}

# Corpora the test machines have under ../shared/data; the others need a download or a local copy.
SHARED_CORPORA = ("baved", "ravdess", "eyase", "emodb", "tess")


def available_corpora(root: str | Path | None = None) -> list[str]:
    """Registered corpora whose folder holds audio under the data root."""
    return [n for n in CORPORA if (d := corpus_dir(n, root)).is_dir() and any(_audio_files(d))]


# --- The seven classes of the Bonnefoy report ----------------------------------------
SEVEN_EMOTIONS = ("angry", "surprise", "happy", "sad", "disgust", "neutral", "fearful")
# label_name of each corpus -> one of SEVEN_EMOTIONS; labels not listed are dropped
SEVEN_MAP: dict[str, dict[str, str]] = {
    # 'calm' is dropped: the report's 7 classes have no calm, and its RAVDESS count (1248, Table 7)
    # is exactly the 1440 speech files minus the 192 calm ones
    "ravdess": {
        "neutral": "neutral",
        "happy": "happy",
        "sad": "sad",
        "angry": "angry",
        "fearful": "fearful",
        "disgust": "disgust",
        "surprised": "surprise",
    },
    "savee": {
        "anger": "angry",
        "disgust": "disgust",
        "fear": "fearful",
        "happiness": "happy",
        "neutral": "neutral",
        "sadness": "sad",
        "surprise": "surprise",
    },
    "cremad": {
        "anger": "angry",
        "disgust": "disgust",
        "fear": "fearful",
        "happy": "happy",
        "neutral": "neutral",
        "sad": "sad",
    },
    "tess": {
        "angry": "angry",
        "disgust": "disgust",
        "fear": "fearful",
        "happy": "happy",
        "neutral": "neutral",
        "ps": "surprise",
        "sad": "sad",
    },
    # JL's secondary emotions (excited, anxious, ...) have no counterpart among the seven
    "jl": {"angry": "angry", "sad": "sad", "neutral": "neutral", "happy": "happy"},
    "esd": {"angry": "angry", "happy": "happy", "neutral": "neutral", "sad": "sad", "surprise": "surprise"},
    # not a corpus of the Bonnefoy report: mapped for cross-corpus runs (boredom has no counterpart)
    "emodb": {
        "anger": "angry",
        "disgust": "disgust",
        "fear": "fearful",
        "happiness": "happy",
        "neutral": "neutral",
        "sadness": "sad",
    },
}


def keep_shared(meta: pd.DataFrame, test_corpora: Sequence[str]) -> pd.DataFrame:
    """The rows of a :func:`combine_seven` frame whose emotion both sides of a cross-corpus run have: the
    ``test_corpora`` and the other corpora (the training side). Labels are left as they are."""
    side = meta["corpus"].isin(list(test_corpora))
    if not side.any() or side.all():
        raise ValueError(f"a cross-corpus run needs clips of {list(test_corpora)} and of other corpora")
    shared = set(meta.loc[side, "label_name"]) & set(meta.loc[~side, "label_name"])
    if not shared:
        raise ValueError(f"the corpora tested on ({list(test_corpora)}) share no emotion with the others")
    return meta[meta["label_name"].isin(shared)].reset_index(drop=True)


def combine_seven(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Concatenate corpora mapped onto :data:`SEVEN_EMOTIONS`; unmapped labels are dropped and
    ``source_label`` keeps each corpus's own label name."""
    parts = []
    for name, df in frames.items():
        if name not in SEVEN_MAP:
            raise ValueError(f"no 7-emotion mapping for corpus {name!r}; mapped: {sorted(SEVEN_MAP)}")
        mapped = df["label_name"].map(SEVEN_MAP[name])
        sub = df[mapped.notna()].assign(source_label=df["label_name"], label_name=mapped.dropna())
        parts.append(sub.assign(label=sub["label_name"].map(SEVEN_EMOTIONS.index)))
    if not parts:
        raise ValueError("combine_seven needs at least one corpus")
    return pd.concat(parts, ignore_index=True)


def get_corpus(name: str) -> Corpus:
    """Return the registry entry for ``name`` or raise a clear error."""
    try:
        return CORPORA[name]
    except KeyError:
        raise ValueError(f"unknown corpus {name!r}; known corpora: {', '.join(sorted(CORPORA))}") from None


def corpus_dir(name: str, root: str | Path | None = None) -> Path:
    """Folder where corpus ``name`` is expected under the data root."""
    return data_root(root) / get_corpus(name).folder


def load_corpus(
    name: str, root: str | Path | None = None, download: bool = False, allow_partial: bool | None = None
) -> pd.DataFrame:
    """Index corpus ``name`` into a DataFrame (one row per utterance).

    ``root`` overrides the data root (see :mod:`core.config`). With
    ``download=True`` a downloadable corpus (BAVED, TESS) is fetched when missing.

    The files are checked against the data root's ``SHA256SUMS`` (:mod:`core.manifest`) and the
    corpus's expected file count: files missing or changed raise :class:`CorpusMismatchError`
    unless ``allow_partial`` (default: ``SER_ALLOW_PARTIAL=1``), which turns it into a warning;
    files not in the manifest, or an unexpected count without a manifest, give a warning.
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
        try:
            getattr(corpus_download, f"download_{name}")(folder)
        except ValueError:
            raise  # the archive failed its checks: the message says which file and why
        except Exception as err:  # no network, server error, full disk: say what to do instead
            raise CorpusNotFoundError(
                f"corpus {name!r}: the download failed ({type(err).__name__}: {err}); get it from {corpus.source} "
                f"and put it in {folder}"
            ) from err
        files = _audio_files(folder)
    if not files:
        hint = "pass download=True or " if corpus.downloadable else ""
        raise CorpusNotFoundError(
            f"corpus {name!r} not found: no .wav/.flac files under {folder} "
            f"(data root from the argument, else SER_DATA, else the user cache). "
            f"To fix: {hint}get it from {corpus.source} and unpack it to {folder}, "
            f"or set SER_DATA to the folder that contains {corpus.folder}/."
        )
    _check_files(name, folder, files, corpus, allow_partial)
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


class CorpusMismatchError(ValueError):
    """A corpus copy whose files are missing or differ from its manifest."""


class CorpusWarning(UserWarning):
    """A corpus copy that differs from a complete one in a way that does not stop a run."""


def _check_files(name: str, folder: Path, files: list[Path], corpus: Corpus, allow_partial: bool | None) -> None:
    import os
    import warnings

    from core.manifest import check_corpus

    check = check_corpus(name, folder, files, corpus.expected_files)
    problems = check.problems()
    if not problems:
        return
    if allow_partial is None:
        allow_partial = os.environ.get("SER_ALLOW_PARTIAL", "") == "1"
    text = f"corpus {name!r} at {folder}: " + "; ".join(problems)
    if check.damaged and not allow_partial:
        raise CorpusMismatchError(
            text + ". Restore the copy (copy it again, or download it and check it with `sha256sum -c`), or "
            "accept it as it is with load_corpus(..., allow_partial=True) or SER_ALLOW_PARTIAL=1: results "
            "then record a different corpus fingerprint and are not comparable with the book's."
        )
    warnings.warn(
        text + ". Results on it record its fingerprint; compare them with the book's only if it matches.",
        CorpusWarning,
        stacklevel=3,
    )


def corpus_parts(name: str) -> list[str]:
    """The corpora of a results corpus name: ``ravdess``, a pool ``ravdess+tess`` or a cross-corpus
    pair ``emodb-to-ravdess`` (trained on the first side, tested on the second)."""
    return name.replace("-to-", "+").split("+")


def combine_fingerprints(parts: dict[str, dict]) -> dict[str, object]:
    """The fingerprint of a pool or cross-corpus pair from its corpora's :func:`fingerprint`, in the
    order of its name: their total file count, a hash of theirs, and each one under ``parts``."""
    import hashlib

    h = hashlib.sha256("".join(f"{name}\t{fp['sha256']}\n" for name, fp in parts.items()).encode())
    return {"files": sum(int(fp["files"]) for fp in parts.values()), "sha256": h.hexdigest()[:16], "parts": dict(parts)}


def fingerprint_of(name: str, known: dict[str, dict | None]) -> dict | None:
    """The fingerprint of results corpus ``name`` from those ``known`` by corpus: its own, or for a pool or
    cross-corpus pair its corpora's combined (:func:`combine_fingerprints`); None when one is unknown."""
    if name in known:
        return known[name]
    parts = {p: known.get(p) for p in corpus_parts(name)}
    return combine_fingerprints(parts) if len(parts) > 1 and all(parts.values()) else None


def fingerprint(meta: pd.DataFrame) -> dict[str, object]:
    """What identifies the copy of a corpus a run saw: file count and a hash of every utterance id
    with its file size (sizes from the file system). Two runs with different fingerprints saw
    different versions of the corpus (files added, removed or re-encoded)."""
    import hashlib
    import os

    h = hashlib.sha256()
    for utt, path in sorted(zip(meta["utt_id"], meta["path"], strict=True)):
        h.update(f"{utt}\t{os.stat(path).st_size}\n".encode())
    return {"files": int(len(meta)), "sha256": h.hexdigest()[:16]}
