"""Player words are only ever story: inputs the CLI could interpret, through the real CLI.

Every line of ``cli_inputs.txt`` is played as a player message in one game (bundled CLI,
offline narrator, SQLite and PostgreSQL), and the requests the narrator received show that
the CLI delivered each one as written: no file read, no command run, nothing cleared.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from game_master import cli_sandbox
from game_master import master as master_module
from game_master.events import TurnCompleted
from game_master.player_words import clean, envelope
from game_master.service import GameService

CORPUS = Path(__file__).with_name("cli_inputs.txt")
FIRST = "I look around the square"  # the anchor every later request must still hold
GAME_INPUTS = 25  # inputs per game: short conversations keep each request small


def corpus(places: dict[str, str]) -> list[str]:
    """The corpus's inputs with their placeholders filled in."""
    inputs = []
    for line in CORPUS.read_text("utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            text = json.loads(line)
            for name, value in places.items():
                text = text.replace("{" + name + "}", value)
            inputs.append(text)
    return inputs


@dataclass
class Host:
    """A data folder with secrets planted where a CLI that read files would find them."""

    data: Path
    secrets: list[str]
    places: dict[str, str]

    @classmethod
    def plant(cls, root: Path) -> Host:
        """Canary files above and inside the data folder (the README's default layout)."""
        data = root / "data"
        data.mkdir(parents=True)
        secret = f"CANARY-{uuid.uuid4().hex}"
        for path in (root / "canary.env", root / ".env", data / "canary.env", data / ".env"):
            path.write_text(f"ANTHROPIC_API_KEY={secret}\nSECRET_KEY={secret}\n")
        places = {
            "canary": str(root / "canary.env"),
            "data": str(data),
            "config": str(data / "claude"),
            "root": str(root),
            "home": str(Path.home()),
        }
        return cls(data, [secret], places)

    def files(self) -> set[str]:
        """Every file under the data folder but the game's own records."""
        own = ("claude/live-", "game.db", "secret_key")
        found = {str(p.relative_to(self.data)) for p in self.data.rglob("*") if p.is_file()}
        return {f for f in found if not f.startswith(own)}


def user_texts(body: dict[str, Any]) -> list[str]:
    """The text of every user-role text block in a Messages request."""
    texts = []
    for message in body.get("messages") or []:
        if message.get("role") != "user":
            continue
        content = message.get("content")
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content
        texts += [b.get("text", "") for b in blocks or [] if b.get("type") == "text"]
    return texts


def model_requests(svc: GameService) -> list[dict[str, Any]]:
    """The Messages requests the offline narrator received (count_tokens aside)."""
    assert svc.narrator is not None
    return [
        r["body"]
        for r in svc.narrator.requests.snapshot()
        if r["path"].startswith("/v1/messages?") or r["path"] == "/v1/messages"
    ]


def problems_of_turn(
    svc: GameService, host: Host, wanted: str, first: str, sent: list[str]
) -> list[str]:
    """What is wrong with how one player message (sent as ``wanted``) reached the model."""
    bodies = model_requests(svc)
    svc.narrator.requests.clear()  # type: ignore[union-attr]
    asked = [b for b in bodies if user_texts(b) and user_texts(b)[-1] == wanted]
    found = []
    if not asked:
        found.append("no model request ends with the player's words as written")
    dump = json.dumps(bodies)
    found += [f"a planted secret reached the model ({s[:12]}…)" for s in host.secrets if s in dump]
    for body in asked:
        texts = user_texts(body)
        if texts[0] != first:
            found.append("the conversation lost its first turn (cleared or compacted)")
        if [t for t in texts if t not in sent]:
            found.append("the CLI added text of its own to the player's messages")
    return found


def play_corpus(
    svc: GameService, host: Host, inputs: list[str], wrap: Callable[[str], str] = envelope
) -> dict[str, list[str]]:
    """Play the inputs, a game per ``GAME_INPUTS`` of them; the problems found, by input.
    ``wrap`` is what the model must receive for a message (the envelope, in the app)."""
    failures: dict[str, list[str]] = {}
    before_files = host.files()
    for start in range(0, len(inputs), GAME_INPUTS):
        game = svc.create_game({"character": {"name": "Ada", "class": "rogue"}})
        sent: list[str] = []
        for text in [FIRST, *inputs[start : start + GAME_INPUTS]]:
            sent.append(wrap(text))
            done = list(svc.start_turn(game.id, text).events(timeout=60))[-1]
            found = problems_of_turn(svc, host, wrap(text), wrap(FIRST), sent)
            if not isinstance(done, TurnCompleted) or not done.narration.strip():
                found.append(f"the turn did not complete with a narration: {done!r:.200}")
            if found:
                failures[text] = found
    new_files = host.files() - before_files
    if new_files:
        failures["(the data folder)"] = [f"new files: {sorted(new_files)[:5]}"]
    return failures


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """SQLite in the data folder (the default), or a private PostgreSQL schema."""
    if request.param == "sqlite":
        return ""
    return str(request.getfixturevalue("pg_url"))


def test_every_input_the_cli_could_interpret_reaches_the_model_as_story(
    make_app: Callable[..., Flask], tmp_path: Path, database_url: str
) -> None:
    """Each corpus input arrives in the model's request literally (in its envelope) with no
    file content; the narration comes from the model; the conversation keeps its first turn;
    nothing new is written under the data folder."""
    host = Host.plant(tmp_path / "host")
    app = make_app(host.data, DATABASE_URL=database_url, GM_CONTEXT_BUDGET_TOKENS="0")
    svc: GameService = app.extensions["game_master"]
    inputs = corpus(host.places)
    assert len(inputs) >= 60
    failures = play_corpus(svc, host, inputs)
    assert not failures, json.dumps(failures, indent=1)[:4000]


def bare_words(text: str) -> str:
    """The player's text with no envelope: what the model got before the envelope existed."""
    return clean(text) or "(the player waits)"


def test_verbatim_prompts_alone_keep_every_input_story(
    make_app: Callable[..., Flask], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The main fix on its own: with no envelope around the words, no --bare and no deny
    rules, ``verbatim_prompts`` still delivers every corpus input as written (turn it off in
    cli_sandbox.VERBATIM_PROMPTS and this fails: slash commands run, files are read)."""
    monkeypatch.setattr(cli_sandbox, "CLI_FLAGS", {})
    monkeypatch.setattr(cli_sandbox, "CLI_SETTINGS", None)
    monkeypatch.setattr(master_module, "envelope", bare_words)
    host = Host.plant(tmp_path / "host")
    app = make_app(host.data, GM_CONTEXT_BUDGET_TOKENS="0")
    svc: GameService = app.extensions["game_master"]
    failures = play_corpus(svc, host, corpus(host.places), wrap=bare_words)
    assert not failures, json.dumps(failures, indent=1)[:4000]


def test_the_checks_catch_a_cli_that_interprets_player_text(
    make_app: Callable[..., Flask], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With every layer off (no verbatim prompts, no envelope, no --bare, no deny rules), the
    same checks report the file read and the commands the CLI answered itself."""
    monkeypatch.setattr(cli_sandbox, "VERBATIM_PROMPTS", False)
    monkeypatch.setattr(cli_sandbox, "CLI_FLAGS", {})
    monkeypatch.setattr(cli_sandbox, "CLI_SETTINGS", None)
    monkeypatch.setattr(master_module, "envelope", bare_words)
    host = Host.plant(tmp_path / "host")
    app = make_app(host.data, GM_CONTEXT_BUDGET_TOKENS="0")
    svc: GameService = app.extensions["game_master"]
    probes = corpus(host.places)
    picked = ["@" + host.places["canary"], "/cost", "/clear"]
    assert all(p in probes for p in picked)
    failures = play_corpus(svc, host, picked, wrap=bare_words)
    assert set(failures) >= set(picked), json.dumps(failures, indent=1)
    assert any("secret" in f for f in failures[picked[0]])


def test_the_corpus_names_every_slash_command_the_cli_knows(app: Flask) -> None:
    """The bundled CLI's own list of commands (as our sessions start it) is all in the corpus,
    so a CLI upgrade that adds a command fails here until the corpus plays it too."""
    svc: GameService = app.extensions["game_master"]
    master = svc.ensure_started().master
    game = svc.create_game({})

    async def commands() -> list[str]:
        session = await master.connect(game)
        try:
            info = await session.client.get_server_info()
        finally:
            await master.disconnect(session)
        return [c["name"] if isinstance(c, dict) else str(c) for c in info["commands"]]

    names = asyncio.run(commands())
    assert len(names) >= 20
    played = {text.split()[0] for text in corpus({}) if text.startswith("/")}
    missing = sorted(f"/{name}" for name in names if f"/{name}" not in played)
    assert not missing, f"add these slash commands to {CORPUS.name}: {missing}"
