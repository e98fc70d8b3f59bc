"""Lines of play as use cases: retry a turn, flip its tellings, rewind, switch lines, page.

Composed into :class:`~game_master.service.GameService` as ``service.lines``; nothing here
knows HTTP. Going back never deletes: retries are alternatives,
rewinds start a new line, and the player's pick between tellings becomes a preference,
stored and traced when they play on from it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from . import spans
from .errors import InvalidInput
from .numbers import whole_number_text
from .views import GAME_TURNS

if TYPE_CHECKING:
    from .runtime import TurnHandle
    from .service import GameService

log = logging.getLogger(__name__)

MAX_PAGE = 200
# turns.number is an INTEGER column (32 bits on PostgreSQL); a larger ``before`` names no
# turn, and SQLite cannot even bind one past 64 bits (an OverflowError, i.e. a 500).
MAX_TURN_NUMBER = 2**31 - 1


def whole_number(value: Any, name: str, *, low: int = 0, high: int | None = None) -> int:
    """A JSON or query value that must be a whole number in range; InvalidInput otherwise."""
    if isinstance(value, str):
        value = whole_number_text(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"'{name}' must be a whole number")
    if value < low or (high is not None and value > high):
        bounds = f"from {low} to {high}" if high is not None else f"at least {low}"
        raise InvalidInput(f"'{name}' must be {bounds}")
    return value


class LineUseCases:
    """Retry, choose, rewind, lines of play and paging, on top of the game use cases."""

    def __init__(self, games: GameService) -> None:
        """The process's GameService: its store, runtime, ownership rule and views."""
        self.games = games
        self.store = games.store

    def turns_page(
        self, game_id: str, before: Any, limit: Any, owner: str | None
    ) -> dict[str, Any]:
        """The active line's turns numbered below ``before``, newest first, ``limit`` of them."""
        self.games.owned_game(game_id, owner, read=True)
        before_n = (
            None
            if before in (None, "")
            else whole_number(before, "before", low=1, high=MAX_TURN_NUMBER)
        )
        size = (
            GAME_TURNS
            if limit in (None, "")
            else whole_number(limit, "limit", low=1, high=MAX_PAGE)
        )
        turns = self.store.active_line(game_id, before=before_n, limit=size)
        oldest = turns[0].number if turns else None
        return {
            "turns": list(reversed(self.games.views.turns(game_id, turns))),
            "next_before": oldest if oldest is not None and oldest > 1 else None,
        }

    def played_on_from(self, game_id: str) -> None:
        """The player plays on from the line's latest turn: if it was retold, that telling is
        their pick — stored (by the store) and sent to Braintrust as feedback on both spans."""
        head = self.store.active_line(game_id, limit=1)
        if not head or head[0].alt_count < 2:
            return
        for chosen, rejected in self.store.prefer(game_id, head[0].id):
            if chosen.span_id and rejected.span_id:
                spans.log_preference(chosen.span_id, rejected.span_id, game_id)

    def retry_turn(
        self, game_id: str, turn_id: str, *, parent: str | None, owner: str | None
    ) -> TurnHandle:
        """Tell the line's latest turn again from the state before it (409 if not latest)."""
        self.games.owned_game(game_id, owner)
        turn = self.store.get_turn(game_id, turn_id)
        # A retold party round is told again from its players' own words, each in its
        # envelope, as the first telling was (not from the turn's one-line summary).
        rounds = self.store.actions_by_turn(game_id)
        actions = rounds.get(turn.id) or rounds.get(turn.alt_of or "")
        return self.games.ensure_started().start_turn(
            game_id,
            turn.player_message,
            parent=parent,
            retry_of=turn.id,
            actions=actions if actions and len(actions) > 1 else None,
        )

    def alternative_of(self, game_id: str, turn_id: str) -> dict[str, Any]:
        """Which telling ``turn_id`` is: 1-based index, how many there are, the first's id."""
        tellings = self.store.alternatives(game_id, turn_id)
        ids = [t.id for t in tellings]
        return {"index": ids.index(turn_id) + 1, "count": len(ids), "of": ids[0]}

    def choose(self, game_id: str, turn_id: str, owner: str | None) -> dict[str, Any]:
        """Make that telling current: its state and Claude session continue from there."""
        self.games.owned_game(game_id, owner)
        return self.games.views.game(self.store.choose(game_id, turn_id, prefer=False))

    # ------------------------------------------------------------------ lines

    def rewind(self, game_id: str, payload: Any, owner: str | None) -> dict[str, Any]:
        """Go back to just after turn N (0 = the start); later turns become an inactive line."""
        game = self.games.owned_game(game_id, owner)
        if not isinstance(payload, dict) or "to_turn" not in payload:
            raise InvalidInput("body must be a JSON object with 'to_turn'")
        if isinstance(payload["to_turn"], str):
            raise InvalidInput("'to_turn' must be a whole number")
        to_turn = whole_number(payload["to_turn"], "to_turn")
        game, branch = self.store.rewind(game_id, to_turn)
        spans.rewind_span(game.trace_root, game_id, to_turn, branch)
        return self.games.views.game(game)

    def branches(self, game_id: str, owner: str | None) -> list[dict[str, Any]]:
        """The game's lines of play, newest first, the active one marked."""
        self.games.owned_game(game_id, owner, read=True)
        return self.store.branches(game_id)

    def activate_branch(self, game_id: str, branch_id: str, owner: str | None) -> dict[str, Any]:
        """Switch to another line of play: its state and Claude session come back."""
        self.games.owned_game(game_id, owner)
        return self.games.views.game(self.store.activate_branch(game_id, branch_id))
