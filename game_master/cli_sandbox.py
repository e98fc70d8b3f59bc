"""What the Claude Code CLI may see and do: nothing of the host, nothing of other games.

The model reaches the game only through its MCP tools (``tools=[]``, only ``mcp__game__*``
allowed). This module holds the rest of the CLI's lockdown, in one place:

* the app's secrets are blanked in the CLI's environment;
* settings come only from the command line (read-only; ``setting_sources=[]`` reads no
  file), denying every built-in tool;
* ``--bare``: no CLAUDE.md discovery, hooks, plugins, auto-memory or keychain reads, and no
  environment section (working directory, OS version) in the model's context;
* each live CLI gets its own ``CLAUDE_CONFIG_DIR``, removed when it stops, so no game can
  ever read another's transcript (they live in the database, mirrored by the SDK).

Above all, every session sets ``verbatim_prompts`` (``VERBATIM_PROMPTS``), so a player's
``@path`` or ``/command`` is story, never an instruction to the CLI.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from pathlib import Path

# Variables the CLI subprocess must never see: it inherits the app's environment, and a
# hijacked model must not be able to read app secrets through it.
SCRUBBED_ENV = (
    "SECRET_KEY",
    "FLASK_SECRET_KEY",
    "DATABASE_URL",
    "REDIS_URL",
    "BRAINTRUST_API_KEY",
    "GM_DEBUG_TOKEN",
)
# Claude Code's own tools. They are off (tools=[]); denying them too means that even a CLI
# that expanded an "@path" in a prompt would find the read refused (checked: a deny rule on
# Read stops the expansion).
# fmt: off
BUILTIN_TOOLS = [
    "Read", "Edit", "Write", "MultiEdit", "NotebookEdit", "Glob", "Grep", "LS", "Bash",
    "BashOutput", "KillShell", "WebFetch", "WebSearch", "Task", "Agent", "Skill", "SlashCommand",
    "TodoWrite", "ExitPlanMode",
]
# fmt: on
# Settings handed to the CLI on its command line: read-only, since no file holds them.
CLI_SETTINGS = json.dumps({"permissions": {"deny": BUILTIN_TOOLS, "defaultMode": "dontAsk"}})
# --bare: no CLAUDE.md discovery, hooks, plugins, auto-memory or keychain reads, and no
# environment section (working directory, OS version) in the model's context.
CLI_FLAGS: dict[str, str | None] = {"bare": None}
# The CLI delivers every prompt as written: no "@path" expansion, no slash commands.
VERBATIM_PROMPTS = True
CONFIG_PREFIX = "live-"


def new_config_dir(parent: Path) -> Path:
    """A fresh, private CLAUDE_CONFIG_DIR for one CLI process."""
    path = parent / f"{CONFIG_PREFIX}{os.getpid()}-{secrets.token_hex(8)}"
    path.mkdir(mode=0o700)
    return path


def sweep_config_dirs(parent: Path) -> None:
    """Remove the config folders of CLIs whose worker died without stopping them."""
    for path in parent.glob(f"{CONFIG_PREFIX}*"):
        pid = path.name.removeprefix(CONFIG_PREFIX).split("-", 1)[0]
        if pid.isascii() and pid.isdecimal() and not _alive(int(pid)):
            shutil.rmtree(path, ignore_errors=True)


def _alive(pid: int) -> bool:
    """True when a process with this id exists on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
