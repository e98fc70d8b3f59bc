"""Missing services: outside CI their tests skip with a reason; with CI=true the run fails."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from game_master.testing import REPO, free_port

# One test per way a test says what it needs: a marker, or the database fixtures.
NEEDY_TESTS = textwrap.dedent(
    """
    import pytest

    @pytest.mark.redis
    def test_needs_redis():
        pass

    @pytest.mark.browser
    def test_needs_chromium():
        pass

    def test_needs_postgres(db):
        pass
    """
)


def run_needy_tests(tmp_path: Path, ci: str | None) -> subprocess.CompletedProcess[str]:
    """Run NEEDY_TESTS with tests/conftest.py as a plugin while every service is absent."""
    (tmp_path / "test_needy.py").write_text(NEEDY_TESTS)
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env.update(
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])),
        GM_TEST_PG_URL=f"postgresql://postgres@127.0.0.1:{free_port()}/test",
        GM_TEST_REDIS_URL=f"redis://127.0.0.1:{free_port()}/0",
        GM_CHROMIUM=str(tmp_path / "no-chromium"),
    )
    if ci is not None:
        env["CI"] = ci
    cmd = [sys.executable, "-m", "pytest", "-p", "tests.conftest", "-q", "-rs"]
    cmd += ["-c", str(REPO / "pyproject.toml"), "--rootdir", str(tmp_path), str(tmp_path)]
    return subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)


def test_outside_ci_missing_services_skip_with_their_reason(tmp_path: Path) -> None:
    """No CI: the run passes; each needy test is skipped saying what is missing."""
    result = run_needy_tests(tmp_path, ci=None)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert "1 passed, 3 skipped" in out, out  # db's sqlite half runs
    for reason in ("no Redis answers at", "no PostgreSQL answers at", "Chromium not found at"):
        assert reason in out, out


@pytest.mark.parametrize("ci", ["true", "1"])
def test_in_ci_missing_services_fail_the_run(tmp_path: Path, ci: str) -> None:
    """CI=true: the run stops before any test, fails, and names every missing service."""
    result = run_needy_tests(tmp_path, ci=ci)
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    assert "CI=true but a service the tests need is missing" in out, out
    for reason in ("no Redis answers at", "no PostgreSQL answers at", "Chromium not found at"):
        assert reason in out, out
    assert "passed" not in out and "skipped" not in out, out
