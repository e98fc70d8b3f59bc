"""Run the offline narrator standalone: ``python -m game_master.offline [--port 8765]``."""

from __future__ import annotations

from .server import main

raise SystemExit(main())
