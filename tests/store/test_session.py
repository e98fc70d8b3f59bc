"""SqlSessionStore: the SDK's conformance suite, edge cases, and a resume on another "host"."""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path
from typing import Any

import pytest
from claude_agent_sdk.testing import run_session_store_conformance
from claude_agent_sdk.types import SessionKey

from game_master import create_app
from game_master.store import Store
from game_master.store.session import SqlSessionStore

KEY: SessionKey = {"project_key": "proj", "session_id": "sess"}


def _e(n: int, uid: str | None = None) -> Any:
    """A transcript-like entry; ``uid`` becomes its ``uuid`` when given."""
    entry: dict[str, Any] = {"type": "user", "n": n, "message": {"content": f"line {n}"}}
    if uid is not None:
        entry["uuid"] = uid
    return entry


# ---------------------------------------------------------------------------- conformance


def test_sdk_conformance_suite(db: Store) -> None:
    """The SDK's 14 SessionStore contracts hold on both databases, optional methods included."""
    adapter = SqlSessionStore(db)

    def make_store() -> SqlSessionStore:
        """A store that looks fresh: the suite expects isolation between contracts."""
        adapter.clear()
        return adapter

    asyncio.run(run_session_store_conformance(make_store))


def test_every_optional_method_is_implemented(db: Store) -> None:
    """The suite skips methods a store leaves to the Protocol; ours must test all four."""
    from claude_agent_sdk.types import SessionStore

    for name in ("list_sessions", "list_session_summaries", "delete", "list_subkeys"):
        assert getattr(SqlSessionStore, name) is not getattr(SessionStore, name), name


# ---------------------------------------------------------------------------- edge cases


def test_duplicate_uuids_are_stored_once(db: Store) -> None:
    """A uuid repeated in one batch or across batches is stored once, first copy wins."""
    s = SqlSessionStore(db)

    async def run() -> list[Any] | None:
        await s.append(KEY, [_e(1, "a"), _e(2, "b"), _e(3, "a")])
        await s.append(KEY, [_e(4, "b"), _e(5, "c")])
        await s.append(KEY, [_e(6, "a")])
        return await s.load(KEY)

    assert asyncio.run(run()) == [_e(1, "a"), _e(2, "b"), _e(5, "c")]


def test_same_uuid_in_another_session_or_subpath_is_kept(db: Store) -> None:
    """Deduplication is per transcript: other sessions and subagent transcripts keep theirs."""
    s = SqlSessionStore(db)
    other: SessionKey = {"project_key": "proj", "session_id": "other"}
    sub: SessionKey = {**KEY, "subpath": "subagents/agent-1"}

    async def run() -> None:
        for key in (KEY, other, sub):
            await s.append(key, [_e(1, "same")])
        for key in (KEY, other, sub):
            assert await s.load(key) == [_e(1, "same")]

    asyncio.run(run())


def test_entries_without_uuid_are_all_kept(db: Store) -> None:
    """Entries with no uuid (titles, tags, markers) are appended every time, even if equal."""
    s = SqlSessionStore(db)
    title: Any = {"type": "custom-title", "customTitle": "The Drowned Bell"}
    tag: Any = {"type": "tag", "tag": "x", "uuid": ""}

    async def run() -> list[Any] | None:
        await s.append(KEY, [title, title, tag])
        await s.append(KEY, [title])
        return await s.load(KEY)

    loaded = asyncio.run(run())
    assert loaded == [title, title, tag, title]


def test_order_is_preserved_across_three_batches(db: Store) -> None:
    """Entries come back in append-call order, whatever their uuids sort as."""
    s = SqlSessionStore(db)
    batches = [[_e(1, "zz"), _e(2)], [_e(3, "aa"), _e(4, "mm"), _e(5)], [_e(6, "00")]]

    async def run() -> list[Any] | None:
        for batch in batches:
            await s.append(KEY, batch)
        return await s.load(KEY)

    assert asyncio.run(run()) == [e for batch in batches for e in batch]


def test_entries_round_trip_unusual_json(db: Store) -> None:
    """Nested JSON, unicode, NUL and lone surrogates come back deep-equal."""
    s = SqlSessionStore(db)
    entry = {
        "type": "assistant",
        "uuid": "u1",
        "message": {"content": [{"type": "text", "text": "Ünïcødé ✓ \u0000 \ud800 ?"}]},
        "n": [1, 2.5, None, True, {"k": "v"}],
    }
    assert asyncio.run(_append_and_load(s, KEY, [entry])) == [entry]


async def _append_and_load(s: SqlSessionStore, key: SessionKey, entries: list[Any]) -> Any:
    """Append then load one key."""
    await s.append(key, entries)
    return await s.load(key)


def test_load_unknown_key_is_none(db: Store) -> None:
    """A key never written loads as None, including a subpath of a written session."""
    s = SqlSessionStore(db)

    async def run() -> None:
        assert await s.load({"project_key": "nope", "session_id": "nope"}) is None
        await s.append(KEY, [_e(1, "a")])
        assert await s.load({**KEY, "subpath": "subagents/agent-9"}) is None
        assert await s.load({"project_key": "proj", "session_id": "other"}) is None

    asyncio.run(run())


def test_mtime_is_epoch_ms_and_moves_forward(db: Store) -> None:
    """Every append moves a session's mtime strictly forward; summaries share the clock."""
    s = SqlSessionStore(db)

    async def run() -> list[int]:
        seen = []
        for i in range(3):
            await s.append(KEY, [_e(i, f"u{i}")])
            [listed] = await s.list_sessions("proj")
            [summary] = await s.list_session_summaries("proj")
            assert summary["mtime"] == listed["mtime"]
            seen.append(listed["mtime"])
        return seen

    seen = asyncio.run(run())
    assert seen == sorted(set(seen)) and seen[0] > 1e12


def test_pinned_project_key_lets_any_directory_resume(db: Store) -> None:
    """With ``project_key`` pinned, keys derived from different cwds reach the same rows."""
    s = SqlSessionStore(db, project_key="game-master")
    host_a: SessionKey = {"project_key": "-srv-a-sandbox", "session_id": "s1"}
    host_b: SessionKey = {"project_key": "-srv-b-sandbox", "session_id": "s1"}

    async def run() -> None:
        await s.append(host_a, [_e(1, "a")])
        assert await s.load(host_b) == [_e(1, "a")]
        assert [x["session_id"] for x in await s.list_sessions("anything")] == ["s1"]
        assert await SqlSessionStore(db).load(host_a) is None  # stored under the pin

    asyncio.run(run())


def test_concurrent_appends_from_four_threads_keep_every_entry(db: Store) -> None:
    """Four threads (each its own event loop) append at once; nothing is lost or doubled."""
    s = SqlSessionStore(db)
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    async def work(t: int) -> None:
        """25 batches: two unique entries, one without uuid, one uuid shared by all threads."""
        for i in range(25):
            batch = [_e(i, f"t{t}-{i}"), _e(i, f"shared-{i}"), _e(i), _e(i, f"t{t}x{i}")]
            await s.append(KEY, batch)

    def thread(t: int) -> None:
        """Wait for the others, then append."""
        try:
            barrier.wait(timeout=10)
            asyncio.run(work(t))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=thread, args=(t,)) for t in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=120)
    assert not errors, errors
    result = asyncio.run(s.load(KEY))
    loaded: list[Any] = list(result or [])
    uuids = [e.get("uuid") for e in loaded]
    assert len(loaded) == 4 * 25 * 3 + 25  # per thread: 2 unique + 1 without uuid; shared once
    assert sorted(u for u in uuids if u and u.startswith("shared-")) == sorted(
        f"shared-{i}" for i in range(25)
    )
    assert sum(1 for u in uuids if u is None) == 100
    for t in range(4):  # each thread's own entries stay in its call order
        mine = [e["n"] for e in loaded if str(e.get("uuid", "")).startswith(f"t{t}-")]
        assert mine == list(range(25))


def test_delete_is_scoped(db: Store) -> None:
    """Deleting a subpath keeps the main transcript; deleting main removes its subkeys."""
    s = SqlSessionStore(db)
    sub: SessionKey = {**KEY, "subpath": "subagents/agent-1"}

    async def run() -> None:
        await s.append(KEY, [_e(1, "a")])
        await s.append(sub, [_e(1, "a")])
        await s.delete(sub)
        assert await s.load(KEY) == [_e(1, "a")] and await s.list_subkeys(KEY) == []
        await s.append(sub, [_e(2, "b")])
        await s.delete(KEY)
        assert await s.load(sub) is None and await s.list_sessions("proj") == []

    asyncio.run(run())


# ---------------------------------------------------------------------------- end to end


def _app(data_dir: Path, database_url: str) -> Any:
    """An offline app on its own data dir ("host") and the shared database."""
    return create_app(
        {
            "GM_DATA_DIR": str(data_dir),
            "DATABASE_URL": database_url,
            "GM_OFFLINE_FIRST_TOKEN_MS": "0",
            "GM_OFFLINE_TOKENS_PER_S": "0",
            "GM_TURN_TIMEOUT_S": "60",
            "TESTING": True,
        }
    )


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_game_resumes_on_another_host_from_the_store(
    dialect: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Turn 1 on host A; turn 2 on host B with an empty CLAUDE_CONFIG_DIR; B's model saw turn 1."""
    if dialect == "sqlite":
        url = f"sqlite:///{tmp_path / 'shared.db'}"
    else:
        url = request.getfixturevalue("pg_url")

    svc = _app(tmp_path / "a", url).extensions["game_master"]
    try:
        game = svc.create_game({"character": {"name": "Ada", "class": "fighter"}})
        assert svc.ensure_started().master.options(game).session_store is not None
        events = list(svc.start_turn(game.id, "take the bread").events(timeout=60))
        assert type(events[-1]).__name__ == "TurnCompleted", events[-1]
        session_id = svc.store.get_game(game.id).session_id
        assert session_id
    finally:
        svc.shutdown(grace_s=5)

    svc = _app(tmp_path / "b", url).extensions["game_master"]
    try:
        config_b = svc.ensure_started().master.claude_config_dir
        assert not any(config_b.iterdir()), "host B must start with an empty CLAUDE_CONFIG_DIR"
        events = list(svc.start_turn(game.id, "look around").events(timeout=60))
        assert type(events[-1]).__name__ == "TurnCompleted", events[-1]
        assert svc.store.get_game(game.id).session_id == session_id
        assert svc.runtime is not None and svc.runtime.stats().resumes == 1
        assert svc.narrator is not None
        bodies = [r["body"] for r in svc.narrator.requests if isinstance(r.get("body"), dict)]
        first_turn = next(b for b in bodies if "tools" in b)
        history = json.dumps(first_turn["messages"])
        assert "take the bread" in history and "look around" in history
    finally:
        svc.shutdown(grace_s=5)
