"""Settings: defaults → environment → overrides, typed; the one reader of the environment."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from game_master import ConfigError, create_app
from game_master.settings import Settings, settings_table
from game_master.testing import base_config

REPO = Path(__file__).resolve().parent.parent
# Read by gunicorn.conf.py for gunicorn itself, documented beside the app's settings.
GUNICORN_ENV = {"GM_FLUSH_DEADLINE_S", "GM_THREADS", "PORT", "GM_BIND"}


def test_defaults(tmp_path: Path) -> None:
    """No environment: defaults, data under the instance path, SQLite there."""
    s = Settings.load(tmp_path, environ={})
    assert s.data_dir == tmp_path.resolve()
    assert s.database_url == f"sqlite:///{tmp_path.resolve() / 'game_master.db'}"
    assert s.dataset_dir == tmp_path.resolve() / "datasets"
    assert s.turn_timeout_s == 120.0 and s.rate_turns_per_min == 30
    assert s.max_live_sessions is None and s.rate_limit_loopback is False
    assert s.braintrust_project == "game-master" and s.env == "development"


def test_environment_beats_default_and_config_beats_environment(tmp_path: Path) -> None:
    """Each layer wins over the one before; values are typed."""
    env = {"GM_TURN_TIMEOUT_S": "30", "GM_RATE_LIMIT_LOOPBACK": "yes", "GM_OFFLINE_SEED": "7"}
    s = Settings.load(tmp_path, environ=env)
    assert s.turn_timeout_s == 30.0 and s.rate_limit_loopback is True and s.offline_seed == 7
    s = Settings.load(tmp_path, environ=env, overrides={"GM_TURN_TIMEOUT_S": "45"})
    assert s.turn_timeout_s == 45.0 and s.offline_seed == 7
    # A blank variable means "not set", as in .env.example.
    assert Settings.load(tmp_path, environ={"GM_TURN_TIMEOUT_S": " "}).turn_timeout_s == 120.0


def test_settings_are_frozen(tmp_path: Path) -> None:
    """Nobody changes a setting after start-up."""
    s = Settings.load(tmp_path, environ={})
    with pytest.raises(AttributeError):
        s.model = "other"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("GM_TURN_TIMEOUT_S", "soon"),
        ("GM_TURN_TIMEOUT_S", "0"),
        ("GM_MAX_LIVE_SESSIONS", "-1"),
        ("GM_RATE_API_PER_MIN", "2.5"),
        ("GM_COOKIE_SECURE", "maybe"),
        ("GM_ENV", "staging"),
        ("DATABASE_URL", "mysql://x"),
    ],
)
def test_a_bad_value_names_the_variable(tmp_path: Path, name: str, value: str) -> None:
    """From the environment or from create_app(config), start-up stops naming it."""
    with pytest.raises(ConfigError, match=name):
        Settings.load(tmp_path, environ={name: value})
    with pytest.raises(ConfigError, match=name):
        create_app(base_config(tmp_path, **{name: value}))


def test_production_needs_a_secret_key(tmp_path: Path) -> None:
    """GM_ENV=production without SECRET_KEY stops start-up naming SECRET_KEY."""
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        Settings.load(tmp_path, environ={"GM_ENV": "production"})
    s = Settings.load(tmp_path, environ={"GM_ENV": "production", "SECRET_KEY": "k"})
    assert s.production


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, False),
        ({"ANTHROPIC_API_KEY": "  "}, False),
        ({"ANTHROPIC_API_KEY": "sk-1"}, True),
        ({"ANTHROPIC_AUTH_TOKEN": "t"}, True),
        ({"ANTHROPIC_BASE_URL": "http://127.0.0.1:9"}, True),
    ],
)
def test_has_anthropic_credentials(tmp_path: Path, env: dict[str, str], expected: bool) -> None:
    """A key, a token or a gateway URL means Claude; none means the offline narrator."""
    assert Settings.load(tmp_path, environ=env).has_anthropic_credentials is expected


def test_create_app_uses_the_one_decision(tmp_path: Path) -> None:
    """The app's offline flag and its service's settings come from the same object."""
    app = create_app(base_config(tmp_path / "a"))
    svc = app.extensions["game_master"]
    assert isinstance(svc.settings, Settings)
    assert svc.offline is not svc.settings.has_anthropic_credentials
    assert svc.settings.data_dir == (tmp_path / "a").resolve()
    assert app.config["TESTING"] is True  # Flask's own names pass through
    assert "GM_DATA_DIR" not in app.config
    svc.shutdown()


def test_secrets_stay_out_of_repr(tmp_path: Path) -> None:
    """A logged Settings never shows a key."""
    s = Settings.load(tmp_path, environ={"ANTHROPIC_API_KEY": "sk-secret", "SECRET_KEY": "xyz"})
    assert "sk-secret" not in repr(s) and "xyz" not in repr(s)


def test_nothing_else_reads_the_environment() -> None:
    """settings.py is the only reader of os.environ in game_master/ and tracing.py."""
    reads = re.compile(r"os\.environ(?!\.setdefault)|getenv\(")
    files = [REPO / "tracing.py", *sorted((REPO / "game_master").rglob("*.py"))]
    offenders = []
    for path in files:
        rel = path.relative_to(REPO).as_posix()
        # The settings module reads it; the test harness (game_master/testing) is not the app.
        if rel == "game_master/settings.py" or rel.startswith("game_master/testing/"):
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if reads.search(line):
                offenders.append(f"{rel}:{number}: {line.strip()}")
    assert offenders == []


def test_env_example_and_readme_list_every_setting() -> None:
    """.env.example and the README table name exactly the settings (plus gunicorn's)."""
    names = {row.env for row in settings_table()}
    example = set(re.findall(r"^([A-Z][A-Z0-9_]+)=", (REPO / ".env.example").read_text(), re.M))
    assert example - GUNICORN_ENV == names
    readme = (REPO / "README.md").read_text()
    missing = [name for name in names if f"| `{name}` |" not in readme]
    assert missing == []
    assert all(
        row.help and row.name == row.env.removeprefix("GM_").lower() for row in settings_table()
    )
