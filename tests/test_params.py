from __future__ import annotations

import pytest

from ser.params import Param, ParameterError, from_spec, validate
from ser.run import resolve_profile

SPEC = {
    "lr": from_spec({"type": "float", "gt": 0, "help": "learning rate"}),
    "epochs": Param((int, type(None)), "epochs"),
    "protocol": Param((str,), "protocol", choices=("random", "speaker")),
}


def test_valid():
    assert validate({"lr": 0.1, "epochs": None, "protocol": "random"}, SPEC)["lr"] == 0.1


def test_unknown_name_suggests():
    with pytest.raises(ParameterError, match="unknown parameter 'lrr'. Did you mean 'lr'"):
        validate({"lrr": 0.1, "lr": 0.1, "epochs": 1, "protocol": "random"}, SPEC)


@pytest.mark.parametrize("bad", [{"lr": "0.1"}, {"lr": -1.0}, {"epochs": True}, {"epochs": 2.5}, {"protocol": "loso"}])
def test_bad_values_name_the_parameter(bad):
    values = {"lr": 0.1, "epochs": 1, "protocol": "random", **bad}
    with pytest.raises(ParameterError, match=repr(next(iter(bad)))):
        validate(values, SPEC)


def test_profile(monkeypatch):
    monkeypatch.setenv("SER_PROFILE", "smoke")
    assert resolve_profile(None) == "smoke" and resolve_profile("cpu") == "cpu"
    monkeypatch.delenv("SER_PROFILE")
    assert resolve_profile(None) == "cpu"
    with pytest.raises(ParameterError, match="profile"):
        resolve_profile("fast")
