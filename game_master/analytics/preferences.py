"""Preference datasets: the player's choice of one telling over another, as eval records.

When a player retries a turn and continues from one telling, the store records a preference
(``Store.preferences()``): a human judgement between two model outputs for one situation.
One record per preference, its id the preference id (so re-running never duplicates)::

    {"id": preference_id,
     "input": {"situation": "<the state before the turn, summarised>",
               "player_message": "..."},
     "chosen": "<the narration kept>", "rejected": "<the narration set aside>",
     "metadata": {"game_id", "turn_number", "chosen_turn_id", "rejected_turn_id",
                  "character", "scenario"}}
"""

from __future__ import annotations

import json
from typing import Any

from ..rules import GameState, Scenario, load_scenario
from ..store import GameRecord, Store, TurnRecord

Record = dict[str, Any]
PREVIOUS_CHARS = 1200


def _state_before(store: Store, turn: TurnRecord, game: GameRecord) -> GameState | None:
    """The game state just before ``turn`` (None for a turn stored before snapshots)."""
    # The store keeps the snapshot but offers no reader for it yet (its lines API restores
    # states rather than returning them); one read-only query until it does.
    row = store.read_one("SELECT state_before FROM turns WHERE id = ?", turn.id)
    if row is not None and row[0]:
        return GameState.from_dict(json.loads(row[0]))
    if turn.parent_id is None:
        return game.initial_state
    return None


def _name(scenario: Scenario | None, kind: str, key: str) -> str:
    """A location's or item's display name (its id when the scenario does not know it)."""
    if scenario is None:
        return key
    table: dict[str, Any] = scenario.locations if kind == "location" else scenario.items
    found = table.get(key)
    return str(found.name) if found is not None else key


def summarise(state: GameState | None, previous: str | None) -> str:
    """The situation a turn was played in: who, HP, conditions, where, carrying, last reply."""
    lines = []
    if state is None:
        lines.append("(the game state before this turn was not stored)")
    else:
        try:
            scenario: Scenario | None = load_scenario(state.scenario_id)
        except (KeyError, ValueError, OSError):  # unknown or broken scenario: show ids
            scenario = None
        char = state.character
        conditions = ", ".join(char.conditions) or "none"
        carried = ", ".join(_name(scenario, "item", i) for i in state.inventory) or "nothing"
        lines += [
            f"Character: {char.name}, level {char.level} {char.cls}; "
            f"HP {char.hp}/{char.max_hp}; conditions: {conditions}.",
            f"Location: {_name(scenario, 'location', state.location)}.",
            f"Carrying: {carried}.",
        ]
    if previous:
        text = " ".join(previous.split())
        if len(text) > PREVIOUS_CHARS:
            text = "…" + text[-PREVIOUS_CHARS:]
        lines.append(f"Previous narration: {text}")
    return "\n".join(lines)


def build_preference_records(
    store: Store, game_id: str | None = None, limit: int | None = None
) -> list[Record]:
    """One record per recorded preference, oldest first (the newest ``limit`` if given)."""
    prefs = store.preferences(game_id)
    if limit is not None:
        prefs = prefs[-limit:] if limit > 0 else []
    games: dict[str, GameRecord] = {}
    records = []
    for pref in prefs:
        gid = pref["game_id"]
        if gid not in games:
            games[gid] = store.get_game(gid)
        game = games[gid]
        chosen = store.get_turn(gid, pref["chosen_turn_id"])
        rejected = store.get_turn(gid, pref["rejected_turn_id"])
        previous = store.get_turn(gid, chosen.parent_id).narration if chosen.parent_id else None
        char = game.state.character
        records.append(
            {
                "id": pref["id"],
                "input": {
                    "situation": summarise(_state_before(store, chosen, game), previous),
                    "player_message": chosen.player_message,
                },
                "chosen": chosen.narration,
                "rejected": rejected.narration,
                "metadata": {
                    "game_id": gid,
                    "turn_number": chosen.number,
                    "chosen_turn_id": chosen.id,
                    "rejected_turn_id": rejected.id,
                    "character": {"name": char.name, "class": char.cls},
                    "scenario": game.scenario,
                },
            }
        )
    return records
