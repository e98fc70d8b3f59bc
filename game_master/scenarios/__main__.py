"""``python -m game_master.scenarios validate FILE...``: check adventures, writing nothing."""

from __future__ import annotations

from game_master.commands.scenarios import standalone

standalone(prog_name="python -m game_master.scenarios")
