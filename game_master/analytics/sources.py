"""Pick where analytics answers come from: Braintrust (a key is set) or the local database."""

from __future__ import annotations

from typing import Protocol

from ..settings import Settings
from ..store import Store
from .btql import BtqlAnalytics, BtqlClient
from .local import LocalAnalytics
from .models import GameRow, SpanRow, ToolStat, TurnRow


class Analytics(Protocol):
    """The questions both sources answer, with the same return types."""

    source: str

    def recent_games(
        self, limit: int = 20, since: float | None = None, until: float | None = None
    ) -> list[GameRow]:
        """Newest games with their aggregated story."""
        ...

    def search(self, text: str, limit: int = 20) -> list[TurnRow]:
        """Turns whose player message or narration contains ``text``."""
        ...

    def turns(
        self, since: float | None = None, until: float | None = None, limit: int = 100
    ) -> list[TurnRow]:
        """Turns in a time window."""
        ...

    def tool_stats(self, since: float | None = None, until: float | None = None) -> list[ToolStat]:
        """Calls, errors and latency per tool."""
        ...

    def low_rated(self, threshold: float = 0.5, limit: int = 50) -> list[TurnRow]:
        """Turns rated or scored below ``threshold``."""
        ...

    def game_trace(self, game_id: str) -> list[SpanRow]:
        """Every span of one game's trace."""
        ...


def braintrust_project() -> str:
    """The Braintrust project name (BRAINTRUST_PROJECT or the app's default)."""
    return Settings.from_env().braintrust_project


def open_analytics(
    store: Store,
    *,
    local: bool = False,
    api_key: str | None = None,
    api_url: str | None = None,
    project: str | None = None,
) -> Analytics:
    """BTQL when a Braintrust key is set (and ``local`` is not asked for), else the database.

    ``api_key``, ``api_url`` and ``project`` default to the settings (the environment).
    """
    settings = Settings.from_env()
    key = api_key if api_key is not None else settings.braintrust_api_key
    if local or not key:
        return LocalAnalytics(store)
    client = BtqlClient(key, api_url or settings.braintrust_api_url)
    return BtqlAnalytics(client, project or settings.braintrust_project)
