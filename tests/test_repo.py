"""Repository hygiene: CI runs the README's test command; no audio or checkpoints are tracked."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    return re.findall(r"```bash\n(.*?)\n```", text, flags=re.S)


def test_ci_calls_the_readme_test_command():
    test_cmd = next(c for c in _readme_commands() if "pytest" in c)
    assert test_cmd in (ROOT / ".ci" / "run").read_text()


def test_no_audio_features_or_checkpoints_tracked():
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    bad = [f for f in files if re.search(r"\.(wav|flac|mp3|ogg|npy|npz|pt|pth|ckpt)$", f, re.I)]
    assert not bad, bad


def test_book_config_is_one_real_copy():
    for name in ("_config.yml", "_toc.yml"):
        link = ROOT / "book" / name
        assert link.is_symlink() and link.resolve() == (ROOT / name).resolve()


def test_the_lock_file_agrees_with_every_pin_of_pyproject():
    import tomllib

    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = [d for d in deps["dependencies"] + deps["optional-dependencies"]["test"] if "==" in d]
    lock = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            lock[name.lower().replace("_", "-")] = version.split("+")[0]  # torch's +cpu local tag
    for pin in pins:
        name, version = pin.split("==")
        name = name.split("[")[0]  # an extra (dask[distributed]) pins the package itself
        assert lock.get(name.lower().replace("_", "-")) == version, f"requirements.lock disagrees with {pin}"


def test_the_readme_states_the_recorded_times():
    """The run times in the README are generated from the recorded durations, never typed by hand
    (regenerate with SER_REGEN_README=1, which fails the test when it changed the file, for review)."""
    import os
    import re

    from ser.cli import readme_times

    readme = ROOT / "README.md"
    text = readme.read_text()
    block = re.search(r"<!-- readme-times:start -->\n(.*?)\n<!-- readme-times:end -->", text, re.S)
    assert block, "the README lost its readme-times block"
    if os.environ.get("SER_REGEN_README") and block.group(1) != readme_times():
        readme.write_text(text.replace(block.group(1), readme_times()))
        pytest.fail("regenerated the README's times: review `git diff README.md`, then rerun without SER_REGEN_README")
    assert block.group(1) == readme_times(), "README times are stale: rerun with SER_REGEN_README=1"


def test_every_committed_run_has_the_reference_baseline_on_its_own_split():
    """The book sets each run beside the best standard baseline on the same split: a results file
    landed without ``ser baselines`` on its split shows "no baseline on these splits" in every table
    (the padded 8-s EmoDB arm's seed 0 did until 2026-12-05)."""
    from ser.baselines import read_baselines
    from ser.land import baselines_owed
    from ser.results import read_results

    owed = baselines_owed(read_results(), read_baselines())
    assert not owed, "committed runs without a reference baseline on their split; run: " + "; ".join(owed)
