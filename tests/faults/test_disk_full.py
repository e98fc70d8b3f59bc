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
    """With the database's disk full, a turn is a 503 ``store_unavailable`` with Retry-After
    (never a 500); the moment space is freed, the same game plays and nothing is stuck."""
    app = make_app(DATABASE_URL=f"sqlite:///{small_disk / 'game.db'}")
    client = app.test_client()
    gid = client.post("/api/games", json={}).get_json()["id"]
    assert client.post(f"/api/games/{gid}/turns", json={"message": "look"}).status_code == 200
    filler = fill(small_disk)
    resp = client.post(f"/api/games/{gid}/turns", json={"message": "take the bread"})
    assert resp.status_code == 503, resp.get_data(as_text=True)
    assert resp.get_json()["error"]["code"] == "store_unavailable"
    assert int(resp.headers["Retry-After"]) >= 1
    filler.unlink()
    resp = client.post(f"/api/games/{gid}/turns", json={"message": "take the bread"})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    turns = client.get(f"/api/games/{gid}").get_json()["turns"]
    assert [t["status"] for t in turns][-1] == "completed"
    assert "running" not in [t["status"] for t in turns]
