"""The store on SQLite and PostgreSQL: migrations, the turn lease, nothing lost, busy."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from game_master import rules
from game_master.errors import StoreBusy, TurnInProgress
from game_master.store import SCHEMA_VERSION, Store


def new_state() -> rules.GameState:
    """A fresh game state."""
    return rules.new_game_state("Ada", "fighter", rules.load_scenario(), seed=1)


def test_migrations_are_idempotent(db: Store) -> None:
    """Running migrations again (as every worker does at start-up) changes nothing."""
    assert db.migrate() == SCHEMA_VERSION
    assert db.migrate() == SCHEMA_VERSION


def test_concurrent_migrations_from_many_workers(tmp_path: Path, db: Store) -> None:
    """Four fresh processes' stores migrating at once all succeed."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            Store(db.url).migrate()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_turn_lease_allows_one_turn_at_a_time(db: Store) -> None:
    """A second begin_turn while the first runs is TurnInProgress; after finishing, fine."""
    game = db.create_game(new_state())
    first = db.begin_turn(game.id, "look", lease_owner="a", lease_seconds=60)
    with pytest.raises(TurnInProgress):
        db.begin_turn(game.id, "take bread", lease_owner="b", lease_seconds=60)
    db.finish_turn(first.id, status="completed", narration="You look.", tool_calls=[])
    second = db.begin_turn(game.id, "take bread", lease_owner="b", lease_seconds=60)
    assert (first.number, second.number) == (1, 2)
    assert [t.player_message for t in db.list_turns(game.id)] == ["look", "take bread"]


def test_expired_lease_marks_the_dead_turn_interrupted(db: Store) -> None:
    """A worker that died mid-turn leaves a lease; once expired, the game goes on and the
    dead turn is kept, marked failed, with the player's message."""
    game = db.create_game(new_state())
    db.begin_turn(game.id, "look", lease_owner="dead", lease_seconds=0.05)
    time.sleep(0.1)
    db.begin_turn(game.id, "look again", lease_owner="alive", lease_seconds=60)
    turns = db.list_turns(game.id)
    assert [(t.player_message, t.status, t.error_code) for t in turns] == [
        ("look", "failed", "interrupted"),
        ("look again", "running", None),
    ]


def test_state_change_is_all_or_nothing(db: Store) -> None:
    """A rule refusal inside update_state saves nothing."""
    game = db.create_game(new_state())

    def take_and_fail(state: rules.GameState) -> None:
        state.inventory.append("bread")
        raise rules.RuleError("no")

    with pytest.raises(rules.RuleError):
        db.update_state(game.id, take_and_fail)
    assert db.read_state(game.id).inventory == []


@pytest.mark.parametrize("text", ["nul\x00byte", "rtl\u202eoverride", "tag\U000e0041", "é ✓"])
def test_messages_round_trip(db: Store, text: str) -> None:
    """What the service stores comes back byte for byte (NUL is removed before storing)."""
    from game_master.service import validate_message

    stored = validate_message(text)
    game = db.create_game(new_state())
    turn = db.begin_turn(game.id, stored, lease_owner="a", lease_seconds=60)
    assert db.get_turn(game.id, turn.id).player_message == stored


def test_find_turns_by_text_treats_wildcards_literally(db: Store) -> None:
    """Searching for "100%" finds that turn only; % and _ are not wildcards."""
    game = db.create_game(new_state())
    for message in ("I am 100% sure", "I am 1000 sure", "snake_case"):
        turn = db.begin_turn(game.id, message, lease_owner="a", lease_seconds=60)
        db.finish_turn(turn.id, status="completed", narration="ok", tool_calls=[])
    found = db.find_turn_ids(text="100%")
    assert [db.get_turn(g, t).player_message for g, t in found] == ["I am 100% sure"]
    assert len(db.find_turn_ids(text="e_c")) == 1


def test_locked_sqlite_is_store_busy_not_a_500(tmp_path: Path) -> None:
    """A write that waits past the busy timeout raises StoreBusy with retry advice."""
    store = Store(f"sqlite:///{tmp_path / 'busy.db'}", busy_timeout_ms=300)
    store.migrate()
    game = store.create_game(new_state())
    blocker = sqlite3.connect(tmp_path / "busy.db", isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        started = time.monotonic()
        with pytest.raises(StoreBusy) as err:
            store.begin_turn(game.id, "look", lease_owner="a", lease_seconds=60)
        assert 0.25 < time.monotonic() - started < 5
        assert err.value.retry_after
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert store.begin_turn(game.id, "look", lease_owner="a", lease_seconds=60).number == 1


def test_locked_postgres_row_is_store_busy(pg_url: str) -> None:
    """On PostgreSQL a lock held past lock_timeout is StoreBusy too."""
    import psycopg

    store = Store(pg_url, busy_timeout_ms=300)
    store.migrate()
    game = store.create_game(new_state())
    with psycopg.connect(pg_url) as blocker:
        blocker.execute("SELECT 1 FROM games WHERE id = %s FOR UPDATE", (game.id,))
        with pytest.raises(StoreBusy):
            store.update_state(game.id, lambda s: None)
    store.update_state(game.id, lambda s: None)  # the lock is gone, the store recovers
