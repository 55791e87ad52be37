from __future__ import annotations

import pandas as pd
import pytest

from core.data import COLUMNS, CORPORA, CorpusNotFoundError, load_corpus
from tests.conftest import write_tone

EXPECTED = {
    # corpus: (files, speakers, per-label counts) as measured on ../shared/data
    "baved": (1935, 60, {"low": 585, "neutral": 672, "high": 678}),
    "ravdess": (
        1440,
        24,
        {
            "neutral": 96,
            "calm": 192,
            "happy": 192,
            "sad": 192,
            "angry": 192,
            "fearful": 192,
            "disgust": 192,
            "surprised": 192,
        },
    ),
    "eyase": (579, 6, {"angry": 150, "happy": 132, "neutral": 150, "sad": 147}),
    "emodb": (
        535,
        10,
        {"anger": 127, "boredom": 81, "disgust": 46, "fear": 69, "happiness": 71, "sadness": 62, "neutral": 79},
    ),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_counts_labels_speakers(name, data_root):
    df = load_corpus(name, root=data_root)
    files, speakers, per_label = EXPECTED[name]
    assert len(df) == files
    assert df["speaker"].nunique() == speakers
    assert df["label_name"].value_counts().to_dict() == per_label
    assert set(df["label_name"]) == set(CORPORA[name].labels)
    assert list(df.columns[: len(COLUMNS)]) == COLUMNS
    assert df["utt_id"].is_unique
    assert (df.groupby("speaker")["gender"].nunique() == 1).all()
    assert set(df["gender"]) == {"f", "m"}
    # label and label_name agree with the registry's order
    assert all(CORPORA[name].labels[i] == n for i, n in zip(df["label"], df["label_name"], strict=True))


def test_corpus_specific_columns(data_root):
    baved = load_corpus("baved", root=data_root)
    assert set(baved["word"]) == set(range(7)) and (baved["level"] == baved["label"]).all()
    rav = load_corpus("ravdess", root=data_root)
    assert set(rav["intensity"]) == {"normal", "strong"} and set(rav["statement"]) == {1, 2}
    assert rav.groupby("gender")["speaker"].nunique().to_dict() == {"f": 12, "m": 12}
    eyase = load_corpus("eyase", root=data_root)
    # Female02/ holds files prefixed fm01: the speaker must come from the folder
    assert "eyase_female02" in set(eyase["speaker"])
    emodb = load_corpus("emodb", root=data_root)
    assert emodb["text"].nunique() == 10


def test_missing_corpus_error_names_corpus_place_and_source(tmp_path):
    with pytest.raises(CorpusNotFoundError) as err:
        load_corpus("ravdess", root=tmp_path)
    msg = str(err.value)
    assert "ravdess" in msg and str(tmp_path / "ravdess") in msg and "zenodo" in msg


def test_unknown_corpus():
    with pytest.raises(ValueError, match="unknown corpus 'bavde'.*baved"):
        load_corpus("bavde")


def test_env_data_root(monkeypatch, data_root):
    monkeypatch.setenv("SER_DATA", str(data_root))
    assert len(load_corpus("eyase")) == 579


def test_wav_and_flac_mixed_and_any_rate(tmp_path):
    root = tmp_path / "baved"
    write_tone(root / "0" / "1-m-20-0-2-5.wav", sr=44100, channels=2)
    write_tone(root / "3" / "2-f-21-3-0-6.flac", sr=8000)
    df = load_corpus("baved", root=tmp_path)
    assert df["label_name"].tolist() == ["high", "low"]
    assert df["utt_id"].tolist() == ["baved/0/1-m-20-0-2-5", "baved/3/2-f-21-3-0-6"]


def test_same_utterance_as_wav_and_flac_is_an_error(tmp_path):
    root = tmp_path / "baved"
    write_tone(root / "0" / "1-m-20-0-2-5.wav")
    write_tone(root / "0" / "1-m-20-0-2-5.flac")
    with pytest.raises(ValueError, match="both .wav and .flac"):
        load_corpus("baved", root=tmp_path)


def test_file_outside_layout_is_named(tmp_path):
    write_tone(tmp_path / "eyase" / "Female01" / "notes.wav")
    with pytest.raises(ValueError, match="notes.wav"):
        load_corpus("eyase", root=tmp_path)


def test_returns_dataframe(data_root):
    assert isinstance(load_corpus("emodb", root=data_root), pd.DataFrame)
