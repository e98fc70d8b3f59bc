"""Saved games as use cases: a browser's list of its games, archiving one and restoring it.

A mixin of :class:`~game_master.service.GameService`; nothing here knows HTTP. A game
belongs to the browser whose signed cookie made it (``owner``); games made by API clients
have no owner and are never listed. Archiving hides a game from the list and deletes
nothing: the game stays readable and playable by its id, is listed among the archived ones,
and restoring it puts it back on the list.
"""

from __future__ import annotations

from typing import Any

from . import rules
from .store import GameRecord, SavedGame, Store


class SavedGameUseCases:
    """The start page's list of games, its archive and restore actions; mixed into GameService."""

    store: Store
    scenarios: rules.ScenarioLibrary

    def owned_game(self, game_id: str, owner: str | None) -> GameRecord:
        """The game if ``owner`` may see it (GameService provides it)."""
        raise NotImplementedError

    def saved_games(self, owner: str | None, *, archived: bool = False) -> list[dict[str, Any]]:
        """This browser's games but the archived ones, the most recently played first; with
        ``archived``, only the archived ones, the most recently archived first (none without
        an owner: a browser that never started a game)."""
        if owner is None:
            return []
        games = self.store.owned_games(owner, archived=archived)
        return [self.saved_view(game) for game in games]

    def saved_view(self, game: SavedGame) -> dict[str, Any]:
        """One game of the list as the API shows it; an adventure no longer on offer has
        a null title (the list never fails because of it)."""
        try:
            title: str | None = self.scenarios.get(game.scenario).title
        except KeyError:
            title = None
        character = game.state.character
        return {
            "id": game.id,
            "scenario": {"id": game.scenario, "title": title},
            "character": {"name": character.name, "class": character.cls, "level": character.level},
            "turns": game.turns,
            "last_played": game.last_played,
            "status": game.status,
            "created_at": game.created_at,
            "archived_at": game.archived_at,
        }

    def archive_game(self, game_id: str, owner: str | None) -> None:
        """Hide the game from its owner's list (idempotent); another browser's game is
        GameNotFound, as everywhere else."""
        self.owned_game(game_id, owner)
        self.store.archive_game(game_id)

    def restore_game(self, game_id: str, owner: str | None) -> None:
        """Put an archived game back on its owner's list (idempotent); another browser's game
        is GameNotFound, as everywhere else."""
        self.owned_game(game_id, owner)
        self.store.unarchive_game(game_id)
