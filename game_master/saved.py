"""Saved games as use cases: a browser's list of its games, archiving one and restoring it.

Composed into :class:`~game_master.service.GameService` as ``service.saved``; nothing here
knows HTTP. A game
belongs to the browser whose signed cookie made it (``owner``); games made by API clients
have no owner and are never listed. Archiving hides a game from the list and deletes
nothing: the game stays readable and playable by its id, is listed among the archived ones,
and restoring it puts it back on the list.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .service import GameService


class SavedGames:
    """The start page's list of games, its archive and restore actions."""

    def __init__(self, games: GameService) -> None:
        """The process's GameService: its store, ownership rule and views."""
        self.games = games
        self.store = games.store

    def saved_games(self, owner: str | None, *, archived: bool = False) -> list[dict[str, Any]]:
        """This browser's games but the archived ones, the most recently played first; with
        ``archived``, only the archived ones, the most recently archived first (none without
        an owner: a browser that never started a game)."""
        if owner is None:
            return []
        games = self.store.owned_games(owner, archived=archived)
        return [self.games.views.saved(game) for game in games]

    def archive_game(self, game_id: str, owner: str | None) -> None:
        """Hide the game from its owner's list (idempotent); another browser's game is
        GameNotFound, as everywhere else."""
        self.games.owned_game(game_id, owner)
        self.store.archive_game(game_id)

    def restore_game(self, game_id: str, owner: str | None) -> None:
        """Put an archived game back on its owner's list (idempotent); another browser's game
        is GameNotFound, as everywhere else."""
        self.games.owned_game(game_id, owner)
        self.store.unarchive_game(game_id)
