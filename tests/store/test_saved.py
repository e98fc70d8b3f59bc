"""The store's saved games: an owner's list and the archive marker, on an upgraded database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from game_master import rules
from game_master.store import SCHEMA_VERSION, Store


@pytest.fixture(params=["sqlite", "postgresql"])
def v5_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A store at schema version 5, before games could be archived."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
    else:
        url = request.getfixturevalue("pg_url")
    store = Store(url, busy_timeout_ms=1000)
    assert store.migrate(up_to=5) == 5
    yield store
    store.close()


def test_games_from_before_the_migration_are_listed_and_can_be_archived(v5_db: Store) -> None:
    """Migrating keeps every old game listed for its owner; archiving one hides only it."""
    scenario = rules.ScenarioLibrary(None).get(rules.DEFAULT_SCENARIO)
    state = rules.new_game_state("Ada", "fighter", scenario)
    old = v5_db.create_game(state, owner="me")
    other = v5_db.create_game(state, owner="someone else")
    assert v5_db.migrate() == SCHEMA_VERSION
    newer = v5_db.create_game(state, owner="me")
    assert [g.id for g in v5_db.owned_games("me")] == [newer.id, old.id]
    assert [g.id for g in v5_db.owned_games("someone else")] == [other.id]

    v5_db.archive_game(old.id)
    assert [g.id for g in v5_db.owned_games("me")] == [newer.id]
    assert v5_db.get_game(old.id).state.character.name == "Ada"


def test_archived_games_listed_apart_and_unarchived(v5_db: Store) -> None:
    """The archived list holds what the list hides, newest archive first; unarchiving puts a
    game back; an unknown game is GameNotFound."""
    from game_master.errors import GameNotFound

    assert v5_db.migrate() == SCHEMA_VERSION
    scenario = rules.ScenarioLibrary(None).get(rules.DEFAULT_SCENARIO)
    state = rules.new_game_state("Ada", "fighter", scenario)
    first, second = (v5_db.create_game(state, owner="me") for _ in range(2))
    assert v5_db.owned_games("me", archived=True) == []
    v5_db.archive_game(first.id)
    v5_db.archive_game(second.id)
    archived = v5_db.owned_games("me", archived=True)
    assert [g.id for g in archived] == [second.id, first.id]
    assert all(g.archived_at is not None for g in archived)
    v5_db.unarchive_game(second.id)
    assert [g.id for g in v5_db.owned_games("me")] == [second.id]
    assert [g.id for g in v5_db.owned_games("me", archived=True)] == [first.id]
    with pytest.raises(GameNotFound):
        v5_db.unarchive_game("0" * 32)
