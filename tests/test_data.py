from __future__ import annotations

import numpy as np
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
    # 2 of the 2800 files are left out of the shared copy (its README says why)
    "tess": (
        2798,
        2,
        {"angry": 399, "disgust": 400, "fear": 400, "happy": 400, "neutral": 400, "ps": 400, "sad": 399},
    ),
}
GENDERS = {"tess": {"f"}}  # both TESS actors are women


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
    assert set(df["gender"]) == GENDERS.get(name, {"f", "m"})
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


def test_tess_speaker_and_emotion_come_from_the_folder(data_root):
    tess = load_corpus("tess", root=data_root)
    # the original's quirk: OAF_neutral/ holds one file with the prefix OA
    quirk = tess[tess["utt_id"] == "tess/OAF_neutral/OA_bite_neutral"]
    assert quirk[["speaker", "label_name", "word"]].values.tolist() == [["tess_OAF", "neutral", "bite"]]
    assert tess.groupby("speaker").size().to_dict() == {"tess_OAF": 1399, "tess_YAF": 1399}
    # the 'pleasant surprise' folders map to the file names' 'ps'
    assert (tess.loc[tess["utt_id"].str.contains("pleasant_surprise"), "label_name"] == "ps").all()


@pytest.mark.parametrize(
    "rel, expected",
    [
        ("OAF_neutral/OA_bite_neutral.wav", ("tess_OAF", "neutral", "bite")),
        ("OAF_Pleasant_surprise/OAF_bath_ps.wav", ("tess_OAF", "ps", "bath")),
        ("YAF_pleasant_surprised/YAF_dog_ps.wav", ("tess_YAF", "ps", "dog")),
        ("OAF_Sad/OAF_back_sad.wav", ("tess_OAF", "sad", "back")),
    ],
)
def test_tess_folder_spellings(tmp_path, rel, expected):
    write_tone(tmp_path / "tess" / rel, seconds=0.1)
    df = load_corpus("tess", root=tmp_path)
    assert tuple(df[["speaker", "label_name", "word"]].iloc[0]) == expected


@pytest.mark.parametrize(
    "rel", ["OAF_sad/OAF_back_angry.wav", "XAF_sad/XAF_back_sad.wav", "OAF_calm/OAF_back_calm.wav"]
)
def test_tess_rejects_a_file_whose_folder_disagrees(tmp_path, rel):
    write_tone(tmp_path / "tess" / rel, seconds=0.1)
    with pytest.raises(ValueError, match="does not follow the corpus layout"):
        load_corpus("tess", root=tmp_path)


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


def test_the_fingerprint_changes_when_the_corpus_does(tmp_path):
    import pandas as pd

    from core.data import fingerprint

    paths = []
    for i in range(3):
        p = tmp_path / f"c{i}.wav"
        write_tone(p, seconds=0.1 * (i + 1))
        paths.append(str(p))
    meta = pd.DataFrame({"utt_id": [f"x/{i}" for i in range(3)], "path": paths})
    fp = fingerprint(meta)
    assert fp["files"] == 3 and fingerprint(meta.iloc[::-1]) == fp  # order does not matter
    assert fingerprint(meta.iloc[:2])["sha256"] != fp["sha256"]  # a file removed
    write_tone(tmp_path / "c0.wav", seconds=0.5)  # a file re-encoded
    assert fingerprint(meta)["sha256"] != fp["sha256"]


def test_near_silent_clips_are_counted_in_the_corpus_summary(tmp_path):
    from core import stats

    loud, quiet, silent = tmp_path / "loud.wav", tmp_path / "quiet.wav", tmp_path / "silent.wav"
    write_tone(loud, amplitude=0.5)
    write_tone(quiet, amplitude=1e-4)
    write_tone(silent, amplitude=0.0)
    df = pd.DataFrame({"path": [str(loud), str(quiet), str(silent)], "corpus": "x", "speaker": "s", "gender": "f",
                       "label_name": ["a", "b", "a"], "seconds": 1.0})  # fmt: skip
    df = stats.with_levels(df)
    assert df["rms_dbfs"].iloc[0] == pytest.approx(20 * np.log10(0.5 / np.sqrt(2)), abs=0.1)
    assert df["rms_dbfs"].iloc[2] == float("-inf")
    assert stats.summary(df)["near-silent clips (< -60 dBFS)"] == 2
