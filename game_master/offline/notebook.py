"""What the narrator has seen of the game, from the tool results in the request alone.

The narrator knows no scenario file. Like a player with a notebook it remembers what every
result showed: each place (its exits, the words for its ways, who and what was there), the
items it saw and what the character carries, the people and their topics, a fight under
way, and whether the character lies dying.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .conversation import Step, blocks_of, result_payload, short_tool_name


def is_place(result: dict[str, Any]) -> bool:
    """Whether a tool result describes a location (a look, a move or a flight)."""
    return isinstance(result.get("exits"), dict) and bool(result.get("name"))


@dataclass
class Notebook:
    """Everything seen so far; ``learn`` adds one tool result."""

    places: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> latest result
    here: dict[str, Any] | None = None  # the place the character stands in
    trail: list[str] = field(default_factory=list)  # places in the order they were seen
    items: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> {"name", "words"}
    carried: list[str] = field(default_factory=list)  # names of the items carried
    people: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> npc + "at"
    fight: dict[str, Any] | None = None  # the fight under way, as the last blow showed it
    down: bool = False  # the character lies at 0 HP, making death saves
    goal: str = ""

    def learn(self, name: str, result: dict[str, Any], args: dict[str, Any] | None = None) -> None:
        """Note what one successful tool result shows."""
        if is_place(result):
            self._place(result)
        if name == "get_character":
            self.carried = [str(n) for n in result.get("inventory") or []]
            self.goal = str(result.get("goal") or self.goal)
        elif name == "take_item" and result.get("name"):
            self._carry(str(result["name"]), True)
        elif name == "drop_item" and result.get("name"):
            self._carry(str(result["name"]), False)
        elif name == "use_item" and result.get("consumed") and not result.get("unlocked"):
            self._carry(str(result.get("name")), False)
        if name == "attack":
            self.fight = result.get("fight") if isinstance(result.get("fight"), dict) else None
            if result.get("defeated") and result.get("name") in self.people:
                self.people[str(result["name"])]["defeated"] = True
        elif name == "flee":
            self.fight = None
        if "down" in result:
            self.down = bool(result.get("down")) and not result.get("dead")
        if name in ("take_item", "use_item", "unlock") and self.here and result.get("unlocked"):
            locked = [d for d in self.here.get("locked_exits") or [] if d != result["unlocked"]]
            self.here = dict(self.here, locked_exits=locked)

    def _place(self, result: dict[str, Any]) -> None:
        """A place seen: the map, the people there, the items lying there."""
        name = str(result["name"])
        self.places[name] = result
        self.here = result
        if not self.trail or self.trail[-1] != name:
            self.trail.append(name)
        for item in result.get("items") or []:
            if isinstance(item, dict) and item.get("name"):
                self.items[str(item["name"])] = item
        for npc in result.get("npcs") or []:
            if isinstance(npc, dict) and npc.get("name"):
                self.people[str(npc["name"])] = {**npc, "at": name}

    def _carry(self, name: str, carried: bool) -> None:
        """An item taken (or given up)."""
        self.items.setdefault(name, {"name": name})
        if carried and name not in self.carried:
            self.carried.append(name)
        elif not carried and name in self.carried:
            self.carried.remove(name)

    def previous(self) -> str:
        """The place seen before the one the character stands in ('' when none)."""
        here = str((self.here or {}).get("name", ""))
        return next((p for p in reversed(self.trail) if p != here), "")

    def present(self) -> list[dict[str, Any]]:
        """The people standing here (a defeated foe is no longer one of them)."""
        if self.here is None:
            return []
        return [
            n for n in self.here.get("npcs") or []
            if isinstance(n, dict) and not n.get("defeated")
            and not self.people.get(str(n.get("name")), {}).get("defeated")
        ]  # fmt: skip

    def items_here(self) -> list[dict[str, Any]]:
        """The items lying here, as the last look showed them."""
        if self.here is None:
            return []
        return [i for i in self.here.get("items") or [] if isinstance(i, dict)]


def read_notebook(request: dict[str, Any], before: int | None = None) -> Notebook:
    """The notebook of every tool result in the request's messages before ``before``."""
    book = Notebook()
    calls: dict[str, tuple[str, dict[str, Any]]] = {}
    for message in [m for m in request.get("messages") or [] if isinstance(m, dict)][:before]:
        for block in blocks_of(message.get("content")):
            if block.get("type") == "tool_use":
                raw = block.get("input")
                calls[str(block.get("id"))] = (
                    short_tool_name(str(block.get("name", ""))),
                    raw if isinstance(raw, dict) else {},
                )
            elif block.get("type") == "tool_result" and not block.get("is_error"):
                payload = result_payload(block)
                if "error" not in payload:
                    name, args = calls.get(str(block.get("tool_use_id")), ("", {}))
                    book.learn(name, payload, args)
    return book


def with_steps(book: Notebook, steps: list[Step]) -> Notebook:
    """The notebook after this turn's successful steps too."""
    for step in steps:
        if not step.is_error:
            book.learn(step.name, step.result, step.input)
    return book
