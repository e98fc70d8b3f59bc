"""The JSON the API answers: a game, its turns, a saved game, a game's root-span summary.

Shapes only: the use cases (service.py, lines.py, saved.py) decide what to show; this
module decides how it looks. Nothing here knows HTTP.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import rules
from .store import GameRecord, SavedGame, Store, TurnRecord

GAME_TURNS = 50  # the newest turns in the game JSON; older ones page in


class GameViews:
    """Game, turn and saved-game JSON, reading what each needs from the store."""

    def __init__(
        self,
        store: Store,
        scenarios: rules.ScenarioLibrary,
        scenario_of: Callable[[str], rules.Scenario],
        offline: bool,
    ) -> None:
        """``scenario_of`` raises ScenarioUnavailable for an adventure no longer on offer."""
        self.store = store
        self.scenarios = scenarios
        self.scenario_of = scenario_of
        self.offline = offline

    def game(self, game: GameRecord) -> dict[str, Any]:
        """A game as the API returns it."""
        scenario = self.scenario_of(game.scenario)
        state = rules.public_state(game.state, scenario)
        turns = self.store.active_line(game.id, limit=GAME_TURNS)
        length = self.store.count_line(game.id)
        return {
            "id": game.id,
            "scenario": {
                "id": scenario.id,
                "title": scenario.title,
                "intro": scenario.intro,
                "goal": scenario.goal,
            },
            "status": game.status,
            "offline": self.offline,
            "created_at": game.created_at,
            "state": state,
            # The contract's top-level view of the game (the same objects as in "state").
            "character": state["character"],
            "location": state["location"],
            "inventory": state["inventory"],
            # The party's sheets in seat order (the host's character is the state's own).
            "party": self.party(game.id, game.state),
            # The active line's newest turns, oldest first; older ones page in.
            "turns": self.turns(game.id, turns),
            # "Story so far": one summary per closed chapter of the active line.
            "chronicle": [c.to_dict() for c in self.store.chronicle(game.id)],
            "line": {
                "branch_id": game.active_branch,
                "length": length,
                "older": length > len(turns),
            },
        }

    def party(self, game_id: str, state: rules.GameState | None = None) -> list[dict[str, Any]]:
        """Every seat's sheet as the page shows it: player id, role, character (a
        spectator has none), read from the game state where it lives (hit points change in
        play), else as the seat brought it; a game without seats has an empty party."""
        live: dict[str, dict[str, Any]] = {}
        if state is not None:
            for sheet in (state.character.to_dict(), *state.companions):
                live[str(sheet.get("name", "")).casefold()] = sheet
        sheets = []
        for seat in self.store.seats(game_id):
            brought = seat.character or {}
            character = live.get(str(brought.get("name", "")).casefold(), brought)
            sheets.append(
                {
                    "player_id": seat.player_id,
                    "role": seat.role,
                    "character": {
                        k: character[k]
                        for k in ("name", "class", "level", "hp", "max_hp", "ac")
                        if k in character
                    }
                    if seat.character
                    else None,
                }
            )
        return sheets

    def turns(self, game_id: str, turns: list[TurnRecord]) -> list[dict[str, Any]]:
        """Turns as the API shows them: ratings, and the ids of a retold turn's tellings."""
        ratings = self.store.latest_feedback(game_id)
        # A turn that resolved a party round lists each seat's action (a pass: null).
        rounds = self.store.actions_by_turn(game_id)
        views = []
        for t in turns:
            view = {**t.to_dict(), "feedback": ratings.get(t.id)}
            played = rounds.get(t.id) or rounds.get(t.alt_of or "")  # a retold round too
            if played is not None:
                view["actions"] = played
            if t.alt_count > 1:
                tellings = self.store.alternatives(game_id, t.id)
                view["alternatives"]["ids"] = [a.id for a in tellings]
            views.append(view)
        return views

    def saved(self, game: SavedGame) -> dict[str, Any]:
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


SUMMARY_TURNS = 50
EXCERPT_CHARS = 200


def game_summary(
    game: GameRecord, turns: list[TurnRecord]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Aggregated output and metadata for a game's root span (queryable per conversation)."""
    done = [t for t in turns if t.status == "completed"]
    char = game.state.character
    output = {
        "game_id": game.id,
        "character": {"name": char.name, "class": char.cls, "hp": char.hp, "max_hp": char.max_hp},
        "total_turns": len(turns),
        "completed_turns": len(done),
        "turns": [
            {
                "number": t.number,
                "player_message": t.player_message,
                "narration_excerpt": (t.narration or "")[:EXCERPT_CHARS],
                "tools": [c["name"] for c in t.tool_calls],
                "status": t.status,
            }
            for t in turns[-SUMMARY_TURNS:]
        ],
        "first_message": turns[0].player_message if turns else None,
        "latest_narration": done[-1].narration if done else None,
        "outcome": game.state.outcome,
        "location": game.state.location,
    }
    metadata = {"game_id": game.id, "total_turns": len(turns), "outcome": game.state.outcome}
    return output, metadata
