"""Playing a corpus of player commands against the offline narrator and the real rules.

A corpus file ``tests/offline/corpus/<scenario id>.txt`` holds one player command a line.
Lines starting with ``@`` set the scene instead of being played:

- ``@new``: a fresh game (and a fresh conversation) at the scenario's start;
- ``@at <location id>``: the character is put there, then ``look around`` is played (and
  checked like any other line), so the narrator knows where it is;
- ``@carry <item id>``: the character now carries that item (taken from wherever it lay);
- ``@hp <n>``: the character's hit points are set to ``n``;
- ``@defeat <npc id>``: that foe is at 0 HP (what it guarded is free).

``#`` starts a comment. Each scene line changes the game state directly; the narrator only
ever learns of it through tool results, as it would in a real game. A played line may end in
``=>`` and expectations of that one reply (``corpus_checks.expectation_problems``):
``tool:NAME`` / ``!tool:NAME`` (called successfully, or not at all), ``refused:CODE``,
``carry:ITEM`` / ``!carry:ITEM``, ``at:PLACE``, ``unlocked:PLACE:DIRECTION``,
``outcome:OUTCOME``, ``says:WORDS`` / ``!says:WORDS`` (underscores for spaces, any case).

:class:`Table` plays a turn the way the CLI does, without the CLI: the narrator answers
one Messages request after another; each tool call it makes runs through the game's real
tool registry (``execute_tool``) against an in-memory game, and its result goes back as a
``tool_result`` in the next request, until the narrator ends the turn.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from game_master.offline import narrate
from game_master.rules import GameState, Scenario, load_scenario, new_game_state
from game_master.tools import TOOLS
from game_master.tools.mcp import execute_tool

CORPUS_DIR = Path(__file__).parent / "corpus"
T = TypeVar("T")
# What the CLI offers the model: every registered game tool, by its full name.
OFFERED = [
    {"name": spec.full_name, "description": spec.description, "input_schema": spec.schema}
    for spec in TOOLS.values()
]
MAX_REQUESTS = 10  # a turn that needs more requests than this is a narrator bug


@dataclass(frozen=True)
class Line:
    """One line of a corpus file: a command to play, or a scene instruction (``@...``)."""

    number: int
    text: str
    expect: tuple[str, ...] = ()

    @property
    def is_scene(self) -> bool:
        """Whether this line sets the scene rather than being played."""
        return self.text.startswith("@")


def corpus_files() -> list[Path]:
    """Every corpus file, one per scenario."""
    return sorted(CORPUS_DIR.glob("*.txt"))


def read_corpus(path: Path) -> list[Line]:
    """The meaningful lines of a corpus file (comments and blank lines dropped)."""
    lines = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        text = raw.split("#", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        text, _, expect = text.partition("=>")
        if text.strip():
            lines.append(Line(number, text.strip(), tuple(expect.split())))
    return lines


@dataclass
class ToolCall:
    """One tool call of a turn: name (short), input, result and whether it was refused."""

    name: str
    input: dict[str, Any]
    result: dict[str, Any]
    is_error: bool


@dataclass
class Turn:
    """One played command: what the player saw, the tool calls, the state around it."""

    command: str
    texts: list[str]
    calls: list[ToolCall]
    before: GameState
    after: GameState

    @property
    def prose(self) -> str:
        """Everything the player read this turn (lead-ins and the closing narration)."""
        return " ".join(t for t in self.texts if t)


@dataclass
class MemoryStore:
    """The game store the tools need, in memory: one game's state and its story so far."""

    state: GameState
    story: list[tuple[int, str, str]] = field(default_factory=list)  # turn, field, text

    def read_state(self, game_id: str) -> GameState:
        """The current state."""
        return self.state

    def update_state(
        self,
        game_id: str,
        change: Callable[[GameState], T],
        record: Callable[[T], dict[str, Any]] | None = None,
    ) -> T:
        """Apply ``change`` to a copy and keep it only when the rules did not refuse."""
        draft = copy.deepcopy(self.state)
        result = change(draft)
        self.state = draft
        return result

    def search_story(
        self, game_id: str, query: str, *, limit: int = 5, line_only: bool = True
    ) -> list[dict[str, Any]]:
        """Earlier player lines and narrations sharing a word with ``query``."""
        wanted = {w for w in query.lower().split() if len(w) > 2}
        hits = [
            {"turn": turn, "field": where, "excerpt": text[:200]}
            for turn, where, text in self.story
            if wanted & set(text.lower().split())
        ]
        return hits[-limit:]


class Table:
    """One game of a scenario and the conversation the narrator has about it."""

    def __init__(self, scenario: Scenario, seed: int = 7) -> None:
        """A fresh game at the scenario's start, with no conversation yet."""
        self.scenario = scenario
        self.seed = seed
        self.store = MemoryStore(new_game_state("Ada", "fighter", scenario, seed=seed))
        self.messages: list[dict[str, Any]] = []
        self.turns = 0

    # ---- scene instructions (the state changes behind the narrator's back)

    def move_to(self, location: str) -> None:
        """Put the character at ``location``."""
        assert location in self.scenario.locations, f"no location {location!r}"
        self.store.state.location = location
        self.store.state.fight = None  # a new scene: no fight follows the character there
        if location not in self.store.state.visited:
            self.store.state.visited.append(location)

    def give(self, item: str) -> None:
        """Put ``item`` in the character's pack, taking it from wherever it lay."""
        assert item in self.scenario.items, f"no item {item!r}"
        for items in self.store.state.location_items.values():
            if item in items:
                items.remove(item)
        if item not in self.store.state.inventory:
            self.store.state.inventory.append(item)

    # ---- playing

    def request(self) -> dict[str, Any]:
        """The Messages request the CLI would send now."""
        return {
            "model": "claude-offline",
            "max_tokens": 1024,
            "system": "You are the game master.",
            "tools": OFFERED,
            "messages": self.messages,
            "metadata": {"user_id": json.dumps({"session_id": f"corpus-{self.seed}"})},
        }

    def play(self, command: str) -> Turn:
        """Play one player command to the end of the narrator's turn."""
        before = copy.deepcopy(self.store.state)
        self.turns += 1
        self.messages.append({"role": "user", "content": [{"type": "text", "text": command}]})
        texts: list[str] = []
        calls: list[ToolCall] = []
        for _ in range(MAX_REQUESTS):
            reply = narrate(self.request(), seed=self.seed)
            self.messages.append({"role": "assistant", "content": reply.blocks})
            texts += [b["text"] for b in reply.blocks if b.get("type") == "text"]
            if not reply.tool_uses:
                break
            results = []
            for use in reply.tool_uses:
                name = use["name"].rsplit("__", 1)[-1]
                outcome = execute_tool(self.store, "corpus", self.scenario, name, use["input"])
                calls.append(ToolCall(name, use["input"], outcome.result, outcome.is_error))
                results.append(
                    {
                        "type": "tool_result",
                        "tool_use_id": use["id"],
                        "content": outcome.to_mcp()["content"],
                        "is_error": outcome.is_error,
                    }
                )
            self.messages.append({"role": "user", "content": results})
        else:
            raise AssertionError(f"{command!r}: no end to the turn after {MAX_REQUESTS} requests")
        turn = Turn(command, texts, calls, before, copy.deepcopy(self.store.state))
        self.store.story += [(self.turns, "player", command), (self.turns, "narration", turn.prose)]
        return turn


def play_corpus(path: Path) -> Iterator[tuple[Line, Turn, Table]]:
    """Play every line of a corpus file, yielding each played turn with its table."""
    scenario = load_scenario(path.stem)
    table = Table(scenario)
    for line in read_corpus(path):
        if not line.is_scene:
            yield line, table.play(line.text), table
            continue
        verb, _, arg = line.text[1:].partition(" ")
        if verb == "new":
            table = Table(scenario, seed=table.seed + 1)
        elif verb == "at":
            table.move_to(arg.strip())
            yield line, table.play("look around"), table
        elif verb == "carry":
            table.give(arg.strip())
        elif verb == "hp":
            table.store.state.character.hp = int(arg)
        elif verb == "defeat":
            table.store.state.foes[arg.strip()] = 0
        else:
            raise AssertionError(f"{path.name}:{line.number}: unknown scene line {line.text!r}")
