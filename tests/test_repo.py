"""Repository hygiene: CI runs the README's test command; no audio or checkpoints are tracked."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

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
