"""A real full disk under SQLite: a small tmpfs holds the database and is filled up."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MiB tmpfs (skipped with a reason where mounting is not allowed)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip() or done.returncode}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path) -> Path:
    """Fill the disk to the last byte; returns the filler file."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (65536, 1):
            try:
                while os.write(fd, b"\0" * size):
                    pass
            except OSError:
                pass
    finally:
        os.close(fd)
    return filler


def test_a_full_disk_is_503_and_the_game_plays_once_space_is_back(
    make_app: Callable[..., Flask], small_disk: Path
) -> None:
    """With the database's disk full, /healthz says the store cannot write and a turn is a
    503 ``store_unavailable`` with Retry-After (never a 500); the moment space is freed,
    /healthz is ok again and the same game plays, nothing stuck."""
    app = make_app(DATABASE_URL=f"sqlite:///{small_disk / 'game.db'}")
    client = app.test_client()
    gid = client.post("/api/games", json={}).get_json()["id"]
    assert client.post(f"/api/games/{gid}/turns", json={"message": "look"}).status_code == 200
    filler = fill(small_disk)
    health = client.get("/healthz")
    assert health.status_code == 503, "a store that cannot write is not healthy"
    store = health.get_json()["store"]
    assert store["writable"] is False and "disk is full" in store["problem"]
    resp = client.post(f"/api/games/{gid}/turns", json={"message": "take the bread"})
    assert resp.status_code == 503, resp.get_data(as_text=True)
    assert resp.get_json()["error"]["code"] == "store_unavailable"
    assert int(resp.headers["Retry-After"]) >= 1
    filler.unlink()
    health = client.get("/healthz")
    assert health.status_code == 200 and health.get_json()["store"]["writable"] is True
    resp = client.post(f"/api/games/{gid}/turns", json={"message": "take the bread"})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    turns = client.get(f"/api/games/{gid}").get_json()["turns"]
    assert [t["status"] for t in turns][-1] == "completed"
    assert "running" not in [t["status"] for t in turns]


def test_a_read_only_postgresql_is_a_write_problem(pg_url: str) -> None:
    """A PostgreSQL that answers reads but refuses writes (a standby after a failover, a
    read-only default) is what /healthz reports, where a bare ``SELECT 1`` says all is well."""
    from game_master.store import Store

    writable = Store(pg_url)
    read_only = Store(pg_url + "%20-cdefault_transaction_read_only%3Don")
    try:
        assert writable.write_problem() is None
        assert read_only.ping()
        assert "read-only" in (read_only.write_problem() or "")
    finally:
        writable.close()
        read_only.close()
