"""Shared fixtures: an app on a temporary data dir with tracing off, clients, databases.

Harness code (servers, stubs, the Braintrust recorder) lives in ``game_master.testing``.
Tests that need PostgreSQL, Redis or Chromium say so (marker ``postgres``/``redis``/
``browser``, or the ``pg_url``/``db`` fixtures): outside CI they skip with the reason when the
service is missing; with ``CI=true`` the run fails loudly instead of passing by skipping.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from game_master import create_app
from game_master.testing import PG_URL, SCRUB_ENV, base_config, in_ci, missing

SERVICE_MARKERS = ("postgres", "redis", "browser")


def fail_ci(reasons: list[str]) -> None:
    """End the whole run: CI must have every service, so a missing one is a broken build."""
    pytest.exit(
        "CI=true but a service the tests need is missing:\n  "
        + "\n  ".join(reasons)
        + "\n(.ci/run sets them up; outside CI these tests skip instead)",
        returncode=1,
    )


def require(service: str) -> None:
    """Skip (or, in CI, fail the run) when ``service`` is missing."""
    reason = missing(service)
    if reason is None:
        return
    if in_ci():
        fail_ci([reason])
    pytest.skip(reason)


def services_needed(item: pytest.Item) -> set[str]:
    """The services a collected test needs, from its markers and database fixtures."""
    needed = {m for m in SERVICE_MARKERS if item.get_closest_marker(m)}
    callspec = getattr(item, "callspec", None)
    params = callspec.params if callspec is not None else {}
    if "pg_url" in getattr(item, "fixturenames", ()) or params.get("db") == "postgresql":
        needed.add("postgres")
    return needed


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    """With CI=true, every service must be there: stop the run before any test if one is
    missing. Checked once, in the main process (with pytest-xdist, workers collect the
    tests, and an exit there is a crash of the worker, not a clear failure)."""
    if in_ci() and not hasattr(session.config, "workerinput"):
        reasons = [reason for service in SERVICE_MARKERS if (reason := missing(service))]
        if reasons:
            fail_ci(reasons)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip tests whose service is missing (outside CI; in CI the session start checked)."""
    needs = {item.nodeid: services_needed(item) for item in items}
    wanted = set().union(*needs.values()) if needs else set()
    reasons = {service: missing(service) for service in sorted(wanted)}
    absent = {service: reason for service, reason in reasons.items() if reason}
    if absent and in_ci():
        fail_ci(list(absent.values()))
    for item in items:
        for service in sorted(needs[item.nodeid] & absent.keys()):
            item.add_marker(pytest.mark.skip(reason=absent[service]))


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests start from an environment with no keys and no database URL."""
    for name in SCRUB_ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def make_app(tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """Build apps on demand (same data dir unless given); all shut down after the test."""
    apps: list[Flask] = []

    def make(data_dir: Path | None = None, **overrides: Any) -> Flask:
        app = create_app(base_config(data_dir or tmp_path / "data", **overrides))
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.extensions["game_master"].shutdown(grace_s=5)


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    """An offline app with tracing off."""
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """Flask's test client for ``app``."""
    return app.test_client()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL URL whose tables live in a private, throw-away schema."""
    require("postgres")
    import psycopg

    schema = f"gm_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """A migrated Store on SQLite (a temp file) or PostgreSQL (a private schema)."""
    from game_master.store import Store

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.db'}"
    else:
        url = request.getfixturevalue("pg_url")
    store = Store(url, busy_timeout_ms=1000)
    store.migrate()
    yield store
    store.close()
