"""What each game tool does: read the arguments, run the rules in one store transaction.

Every handler takes ``(store, game_id, scenario, args)``; the arguments are an object, so a
tool that acts on a character can later take an optional ``character`` without reshaping.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from .. import rules
from ..lore import lore_index
from ..rules import GameState, Scenario, combat, locks, people
from ..rules.party import acting_as
from ..rules.rest import short_rest
from . import args as a

T = TypeVar("T")


class StateStore(Protocol):
    """What the tools need from the store: read, and change atomically."""

    def read_state(self, game_id: str) -> GameState:
        """The current state of a game."""
        ...

    def update_state(
        self,
        game_id: str,
        change: Callable[[GameState], T],
        record: Callable[[T], dict[str, Any]] | None = None,
    ) -> T:
        """Apply ``change`` in one transaction (recording the call on the running turn)."""
        ...

    def search_story(
        self, game_id: str, query: str, *, limit: int = 5, line_only: bool = True
    ) -> list[dict[str, Any]]:
        """What happened on the game's line that matches ``query``: turn, field, excerpt."""
        ...


Handler = Callable[[StateStore, str, Scenario, dict[str, Any]], dict[str, Any]]


class AsCharacter:
    """A StateStore whose states show the named party member as ``state.character``
    (rules/party.acting_as), so a handler written for one character acts on that one."""

    def __init__(self, store: StateStore, name: str) -> None:
        """Wrap ``store`` for the character called ``name``."""
        self.store = store
        self.name = name

    def read_state(self, game_id: str) -> GameState:
        """The state as the named character sees it (a copy; nothing is saved)."""
        state = self.store.read_state(game_id)
        with acting_as(state, self.name) as seen:
            return GameState.from_dict(seen.to_dict())

    def update_state(
        self,
        game_id: str,
        change: Callable[[GameState], T],
        record: Callable[[T], dict[str, Any]] | None = None,
    ) -> T:
        """``change`` applied with the named character in place, then written back."""

        def as_them(state: GameState) -> T:
            with acting_as(state, self.name) as seen:
                return change(seen)

        return self.store.update_state(game_id, as_them, record)

    def search_story(
        self, game_id: str, query: str, *, limit: int = 5, line_only: bool = True
    ) -> list[dict[str, Any]]:
        """As the wrapped store."""
        return self.store.search_story(game_id, query, limit=limit, line_only=line_only)


def for_character(handler: Handler) -> Handler:
    """``handler`` taking an optional ``character`` argument: the party member it acts on
    (absent, or the host's name: the game's own character, as in a solo game)."""

    def run(store: StateStore, gid: str, sc: Scenario, x: dict[str, Any]) -> dict[str, Any]:
        name = a.text(x, "character", False)
        return handler(AsCharacter(store, name) if name else store, gid, sc, x)

    run.__doc__ = handler.__doc__
    return run


def roll(store: StateStore, gid: str, sc: Scenario, x: dict[str, Any]) -> dict[str, Any]:
    """Roll dice."""
    notation, adv, reason = a.text(x, "notation"), a.advantage(x), a.text(x, "reason", False)
    result = store.update_state(gid, lambda s: rules.roll_dice(s, notation, adv))
    return {**result, "reason": reason}


def check(store: StateStore, gid: str, sc: Scenario, x: dict[str, Any]) -> dict[str, Any]:
    """A d20 ability or skill check."""
    skill, dc, adv = a.text(x, "skill"), a.integer(x, "dc"), a.advantage(x)
    result = store.update_state(gid, lambda s: rules.ability_check(s, skill, dc, adv))
    return {**result, "reason": a.text(x, "reason", False)}


def sheet(store: StateStore, gid: str, sc: Scenario, x: dict[str, Any]) -> dict[str, Any]:
    """The character sheet, pack, place and goal."""
    state = store.read_state(gid)
    return {
        **state.character.to_dict(),
        "inventory": [sc.items[i].name for i in state.inventory],
        "location": sc.locations[state.location].name,
        "goal": sc.goal,
        "outcome": state.outcome,
    }


def hp(store: StateStore, gid: str, sc: Scenario, x: dict[str, Any]) -> dict[str, Any]:
    """Damage or heal the character."""
    amount, reason = a.integer(x, "amount"), a.text(x, "reason", False)
    return store.update_state(gid, lambda s: rules.change_hp(s, amount, reason, sc))


def condition(store: StateStore, gid: str, sc: Scenario, x: dict[str, Any]) -> dict[str, Any]:
    """Add or remove a condition."""
    condition, active = a.text(x, "condition"), a.boolean(x, "active", True)
    return store.update_state(gid, lambda s: rules.set_condition(s, condition, active))


def look(store: StateStore, gid: str, sc: Scenario, x: dict[str, Any]) -> dict[str, Any]:
    """What the character sees here."""
    return rules.describe_location(store.read_state(gid), sc)


def move(store: StateStore, gid: str, sc: Scenario, x: dict[str, Any]) -> dict[str, Any]:
    """Go through an exit."""
    direction = a.text(x, "direction")
    return store.update_state(gid, lambda s: rules.move(s, sc, direction))


def take(store: StateStore, gid: str, sc: Scenario, x: dict[str, Any]) -> dict[str, Any]:
    """Pick an item up."""
    item = a.text(x, "item")
    return store.update_state(gid, lambda s: rules.take_item(s, sc, item))


def drop(store: StateStore, gid: str, sc: Scenario, x: dict[str, Any]) -> dict[str, Any]:
    """Put a carried item down."""
    item = a.text(x, "item")
    return store.update_state(gid, lambda s: rules.drop_item(s, sc, item))


def use(store: StateStore, gid: str, sc: Scenario, x: dict[str, Any]) -> dict[str, Any]:
    """Use a carried item."""
    item = a.text(x, "item")
    return store.update_state(gid, lambda s: rules.use_item(s, sc, item))


def lore(store: StateStore, gid: str, sc: Scenario, x: dict[str, Any]) -> dict[str, Any]:
    """Search the scenario's lore."""
    query = a.text(x, "query")
    return {"query": query, "results": lore_index(sc).search(query)}


RECALL_RESULTS = 5


def recall(store: StateStore, gid: str, sc: Scenario, x: dict[str, Any]) -> dict[str, Any]:
    """Search the story so far."""
    query = a.text(x, "query")
    hits = store.search_story(gid, query, limit=RECALL_RESULTS)
    results = []
    for hit in hits:
        found = {"turn": hit["turn"], "excerpt": hit["excerpt"], "from": hit["field"]}
        if hit.get("chapter") is not None:
            found["chapter"] = hit["chapter"]
        results.append(found)
    return {"query": query, "results": results}


def rest(store: StateStore, gid: str, sc: Scenario, x: dict[str, Any]) -> dict[str, Any]:
    """A short rest."""
    return store.update_state(gid, lambda s: short_rest(s, sc))


# ----------------------------------------------------------------------------- scores


def check_scores(result: dict[str, Any]) -> dict[str, float]:
    """A check's success and margin."""
    if not isinstance(result.get("margin"), int):
        return {}
    return {
        "check_success": 1.0 if result.get("success") else 0.0,
        "check_margin": max(0.0, min(1.0, (result["margin"] + 10) / 20)),
    }


def hp_scores(result: dict[str, Any]) -> dict[str, float]:
    """The danger of the HP lost."""
    if not isinstance(result.get("change"), int):
        return {}
    lost = max(0, -result["change"])
    return {"danger": min(1.0, lost / max(1, int(result.get("max_hp") or 1)))}


def attack(store: StateStore, gid: str, sc: Scenario, x: dict[str, Any]) -> dict[str, Any]:
    """The character attacks a foe here; the foes then take their turns."""
    target, weapon = a.text(x, "target", False), a.text(x, "weapon", False)
    return store.update_state(gid, lambda s: combat.attack(s, sc, target, weapon))


def flee(store: StateStore, gid: str, sc: Scenario, x: dict[str, Any]) -> dict[str, Any]:
    """The character breaks away from a fight; each foe gets a free attack."""
    direction = a.text(x, "direction", False)
    return store.update_state(gid, lambda s: combat.flee(s, sc, direction))


def death_save(store: StateStore, gid: str, sc: Scenario, x: dict[str, Any]) -> dict[str, Any]:
    """The down character's death saving throw."""
    return store.update_state(gid, lambda s: combat.death_save(s, sc))


def unlock(store: StateStore, gid: str, sc: Scenario, x: dict[str, Any]) -> dict[str, Any]:
    """Unlock a way here with its key."""
    way, key = a.text(x, "way", False), a.text(x, "key", False)
    return store.update_state(
        gid, lambda s: combat.after_action(s, sc, locks.unlock(s, sc, way, key))
    )


def ask(store: StateStore, gid: str, sc: Scenario, x: dict[str, Any]) -> dict[str, Any]:
    """A person here answers, in their own words."""
    person, about = a.text(x, "person", False), a.text(x, "about", False)
    return people.ask(store.read_state(gid), sc, person, about)


def find_way(store: StateStore, gid: str, sc: Scenario, x: dict[str, Any]) -> dict[str, Any]:
    """Where a known place, person or item lies, and the way there."""
    return people.find_way(store.read_state(gid), sc, a.text(x, "to"))
