"""Several characters in one game: the host's is ``state.character``, the other seated
players' are ``state.companions``. A tool call that names a character acts on that one:
:func:`acting_as` puts its sheet in ``state.character`` for the call and writes it back, so
every rule written for one character serves the party unchanged."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .character import Character
from .refusals import refuse
from .state import GameState


def party_names(state: GameState) -> list[str]:
    """Every character's name, the host's first."""
    return [state.character.name, *(c["name"] for c in state.companions)]


def add_companion(state: GameState, sheet: dict[str, Any]) -> None:
    """Seat another character (a sheet as ``Character.to_dict`` gives it)."""
    state.companions.append(Character.from_dict(sheet).to_dict())


def remove_companion(state: GameState, name: str) -> None:
    """A character leaves the party (the first by that name)."""
    for i, sheet in enumerate(state.companions):
        if sheet["name"] == name:
            del state.companions[i]
            return


@contextmanager
def acting_as(state: GameState, name: str | None) -> Iterator[GameState]:
    """``state`` with the named character as ``state.character`` (None or the host's name:
    unchanged); its sheet is written back after. An unknown name is ``unknown_character``."""
    if name is None or name.strip().casefold() == state.character.name.casefold():
        yield state
        return
    wanted = name.strip().casefold()
    index = next(
        (i for i, c in enumerate(state.companions) if str(c["name"]).casefold() == wanted), None
    )
    if index is None:
        raise refuse(
            "unknown_character",
            f"no character called {name!r} in the party",
            character=name,
            party=party_names(state),
        )
    host = state.character
    state.character = Character.from_dict(state.companions[index])
    try:
        yield state
    finally:
        state.companions[index] = state.character.to_dict()
        state.character = host
