"""Analytics, datasets and evals over Game Master play logs (Braintrust BTQL or the local DB).

Framework-free: ``game_master/commands.py`` wires these functions to ``flask --app app gm``.
"""

from __future__ import annotations

from .models import AnalyticsError, GameRow, SpanRow, ToolStat, TurnRow

__all__ = ["AnalyticsError", "GameRow", "SpanRow", "ToolStat", "TurnRow"]
