"""Saved games as use cases: a browser's list of its games, and archiving one.

A mixin of :class:`~game_master.service.GameService`; nothing here knows HTTP. A game
belongs to the browser whose signed cookie made it (``owner``); games made by API clients
have no owner and are never listed. Archiving hides a game from the list and deletes
nothing: the game stays readable and playable by its id.
"""

from __future__ import annotations

from typing import Any

from . import rules
from .store import GameRecord, SavedGame, Store


class SavedGameUseCases:
    """The start page's list of games and its archive action; mixed into GameService."""

    store: Store
    scenarios: rules.ScenarioLibrary

    def owned_game(self, game_id: str, owner: str | None) -> GameRecord:
        """The game if ``owner`` may see it (GameService provides it)."""
        raise NotImplementedError

    def saved_games(self, owner: str | None) -> list[dict[str, Any]]:
        """This browser's games but the archived ones, the most recently played first
        (none without an owner: a browser that never started a game)."""
        if owner is None:
            return []
        return [self.saved_view(game) for game in self.store.owned_games(owner)]

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
        }

    def archive_game(self, game_id: str, owner: str | None) -> None:
        """Hide the game from its owner's list (idempotent); another browser's game is
        GameNotFound, as everywhere else."""
        self.owned_game(game_id, owner)
        self.store.archive_game(game_id)
