"""The code's own checks: ruff (lint) and mypy (types) on the app, as STYLE.md asks."""

from __future__ import annotations

import subprocess
import sys

import pytest

from game_master.testing import REPO


def run(*cmd: str) -> subprocess.CompletedProcess[str]:
    """Run a tool from this interpreter's environment in the repository."""
    return subprocess.run(
        [sys.executable, "-m", *cmd], cwd=REPO, capture_output=True, text=True, timeout=300
    )


def test_ruff_is_clean() -> None:
    """No lint findings anywhere in the repository."""
    pytest.importorskip("ruff", reason="ruff is not installed (pip install -e '.[test]')")
    result = run("ruff", "check", "--output-format", "concise", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_is_clean() -> None:
    """The app, tracing.py and the package type-check."""
    pytest.importorskip("mypy", reason="mypy is not installed (pip install -e '.[test]')")
    result = run("mypy", "game_master", "app.py", "tracing.py")
    assert result.returncode == 0, result.stdout + result.stderr
