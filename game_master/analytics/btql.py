"""BTQL over the Braintrust API: pure query builders, response parsers and a small client.

Queries use BTQL's pipe syntax and are sent as ``POST {api_url}/btql`` with
``{"query": "<text>", "fmt": "json"}`` and ``Authorization: Bearer <key>``; the answer is
``{"data": [rows...], "schema": ..., "cursor": ...}``. Every builder is a pure function so
tests can compare the exact text; every parser takes the decoded JSON answer.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import requests

from .models import AnalyticsError, GameRow, SpanRow, ToolStat, TurnRow, parse_time

DEFAULT_API_URL = "https://api.braintrust.dev"
TURN_SCORES = ("player_rating", "narration_length_in_range", "used_tools_for_state_changes")
TRACE_LIMIT = 1000


@dataclass(frozen=True)
class BtqlQuery:
    """One BTQL query; ``text()`` renders the pipe syntax the API and the sandbox accept."""

    source: str
    select: str | None = "*"
    filter: str | None = None
    dimensions: str | None = None
    measures: str | None = None
    sort: str | None = None
    limit: int | None = None

    def text(self) -> str:
        """The query as pipe-delimited BTQL clauses."""
        parts = []
        if self.dimensions or self.measures:
            if self.dimensions:
                parts.append(f"dimensions: {self.dimensions}")
            if self.measures:
                parts.append(f"measures: {self.measures}")
        elif self.select:
            parts.append(f"select: {self.select}")
        parts.append(f"from: {self.source}")
        if self.filter:
            parts.append(f"filter: {self.filter}")
        if self.sort:
            parts.append(f"sort: {self.sort}")
        if self.limit is not None:
            parts.append(f"limit: {self.limit}")
        return " | ".join(parts)

    def body(self) -> dict[str, Any]:
        """The JSON body of ``POST /btql``."""
        return {"query": self.text(), "fmt": "json"}


def lit(value: Any) -> str:
    """A BTQL literal: strings double-quoted with JSON escapes, numbers as they are."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(str(value), ensure_ascii=False)


def iso_literal(ts: float) -> str:
    """An ISO-8601 UTC timestamp literal for comparisons with ``created``."""
    from datetime import UTC, datetime

    return lit(datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"))


def logs(project_id: str) -> str:
    """The span-shaped project-logs source (``spans``: filters select spans, not traces)."""
    return f"project_logs({lit(project_id)}) spans"


def _and(*clauses: str | None) -> str:
    """Clauses joined with ``and`` (None skipped)."""
    return " and ".join(c for c in clauses if c)


def _window(since: float | None, until: float | None) -> str | None:
    """A ``created`` range clause, or None."""
    return (
        _and(
            f"created >= {iso_literal(since)}" if since is not None else None,
            f"created < {iso_literal(until)}" if until is not None else None,
        )
        or None
    )


def _like(text: str) -> str:
    """An ILIKE pattern matching ``text`` anywhere (its own % and _ escaped)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return lit(f"%{escaped}%")


# ---------------------------------------------------------------------------- builders


def recent_games_query(
    project_id: str, limit: int = 20, since: float | None = None, until: float | None = None
) -> BtqlQuery:
    """Root ``game`` spans, newest first; their output is the game's aggregated story."""
    return BtqlQuery(
        source=logs(project_id),
        filter=_and('span_attributes.name = "game"', _window(since, until)),
        sort="created desc",
        limit=limit,
    )


def search_turns_query(project_id: str, text: str, limit: int = 20) -> BtqlQuery:
    """``turn`` spans whose player message (input) or narration (output) contains ``text``."""
    pattern = _like(text)
    return BtqlQuery(
        source=logs(project_id),
        filter=_and(
            'span_attributes.name = "turn"',
            f"(input ILIKE {pattern} or output ILIKE {pattern})",
        ),
        sort="created desc",
        limit=limit,
    )


def turns_query(
    project_id: str, since: float | None = None, until: float | None = None, limit: int = 100
) -> BtqlQuery:
    """``turn`` spans in a time window, newest first."""
    return BtqlQuery(
        source=logs(project_id),
        filter=_and('span_attributes.name = "turn"', _window(since, until)),
        sort="created desc",
        limit=limit,
    )


def tool_stats_query(
    project_id: str, since: float | None = None, until: float | None = None
) -> BtqlQuery:
    """Per tool span name: calls, span errors, rule refusals, latency (seconds)."""
    return BtqlQuery(
        source=logs(project_id),
        dimensions="span_attributes.name as tool",
        measures=", ".join(
            [
                "count(1) as calls",
                "count(error) as errors",
                "sum(scores.rule_refusal) as refusals",
                "avg(metrics.end - metrics.start) as avg_seconds",
                "max(metrics.end - metrics.start) as max_seconds",
            ]
        ),
        filter=_and('span_attributes.type = "tool"', _window(since, until)),
    )


def low_rated_query(
    project_id: str,
    threshold: float = 0.5,
    limit: int = 50,
    scores: Iterable[str] = TURN_SCORES,
) -> BtqlQuery:
    """``turn`` spans with a player rating or a heuristic score below ``threshold``."""
    below = " or ".join(f"scores.{name} < {lit(threshold)}" for name in scores)
    return BtqlQuery(
        source=logs(project_id),
        filter=_and('span_attributes.name = "turn"', f"({below})"),
        sort="created desc",
        limit=limit,
    )


def game_root_query(project_id: str, game_id: str) -> BtqlQuery:
    """The root ``game`` span of one game (to learn its ``root_span_id``)."""
    return BtqlQuery(
        source=logs(project_id),
        filter=_and('span_attributes.name = "game"', f"metadata.game_id = {lit(game_id)}"),
        limit=1,
    )


def trace_query(project_id: str, root_span_id: str, limit: int = TRACE_LIMIT) -> BtqlQuery:
    """Every span of one trace, oldest first."""
    return BtqlQuery(
        source=logs(project_id),
        filter=f"root_span_id = {lit(root_span_id)}",
        sort="created asc",
        limit=limit,
    )


# ---------------------------------------------------------------------------- parsers


def rows_of(answer: Any) -> list[dict[str, Any]]:
    """The ``data`` rows of a BTQL answer; AnalyticsError when the shape is wrong."""
    if not isinstance(answer, dict) or not isinstance(answer.get("data"), list):
        raise AnalyticsError("unexpected BTQL answer: no 'data' list")
    return [r for r in answer["data"] if isinstance(r, dict)]


def _scores(row: dict[str, Any]) -> dict[str, float]:
    """Numeric scores of a row."""
    raw = row.get("scores") or {}
    return {
        k: float(v)
        for k, v in raw.items()
        if isinstance(v, int | float) and not isinstance(v, bool)
    }


def parse_games(answer: Any) -> list[GameRow]:
    """GameRows from root ``game`` spans (output = views.game_summary's output)."""
    games = []
    for row in rows_of(answer):
        out: dict[str, Any] = row["output"] if isinstance(row.get("output"), dict) else {}
        meta: dict[str, Any] = row.get("metadata") or {}
        inp: dict[str, Any] = row["input"] if isinstance(row.get("input"), dict) else {}
        games.append(
            GameRow(
                game_id=str(out.get("game_id") or meta.get("game_id") or row.get("id")),
                created=parse_time(row.get("created")),
                character=out.get("character") or inp.get("character") or {},
                total_turns=int(out.get("total_turns") or meta.get("total_turns") or 0),
                completed_turns=int(out.get("completed_turns") or 0),
                outcome=out.get("outcome"),
                location=out.get("location"),
                first_message=out.get("first_message"),
                latest_narration=out.get("latest_narration"),
                source="braintrust",
            )
        )
    return games


def parse_turns(answer: Any) -> list[TurnRow]:
    """TurnRows from ``turn`` spans (input = player message, output = narration)."""
    turns = []
    for row in rows_of(answer):
        meta = row.get("metadata") or {}
        output = row.get("output")
        message = row.get("input")
        turns.append(
            TurnRow(
                turn_id=str(meta.get("turn_id") or row.get("id")),
                game_id=meta.get("game_id"),
                number=meta.get("turn_number"),
                player_message=message if isinstance(message, str) else "",
                narration=output if isinstance(output, str) else None,
                tools=list(meta.get("tools") or []),
                scores=_scores(row),
                created=parse_time(row.get("created")),
                span_id=row.get("span_id"),
                source="braintrust",
            )
        )
    return turns


def _num(value: Any) -> float:
    """A number from an aggregate cell (None and strings count as 0)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def parse_tool_stats(answer: Any) -> list[ToolStat]:
    """ToolStats from the aggregate rows of :func:`tool_stats_query`, most called first."""
    stats = []
    for row in rows_of(answer):
        avg, top = row.get("avg_seconds"), row.get("max_seconds")
        stats.append(
            ToolStat(
                tool=str(row.get("tool")),
                calls=int(_num(row.get("calls"))),
                errors=int(_num(row.get("errors")) + _num(row.get("refusals"))),
                avg_ms=round(_num(avg) * 1000, 1) if avg is not None else None,
                max_ms=round(_num(top) * 1000, 1) if top is not None else None,
            )
        )
    return sorted(stats, key=lambda s: (-s.calls, s.tool))


def parse_spans(answer: Any) -> list[SpanRow]:
    """SpanRows of a trace, in the answer's order."""
    spans = []
    for row in rows_of(answer):
        attrs = row.get("span_attributes") or {}
        parents = row.get("span_parents") or []
        metrics = row.get("metrics") or {}
        spans.append(
            SpanRow(
                span_id=str(row.get("span_id") or row.get("id")),
                parent_id=parents[0] if parents else None,
                name=str(attrs.get("name") or "?"),
                type=attrs.get("type"),
                input=row.get("input"),
                output=row.get("output"),
                error=row.get("error"),
                scores=_scores(row),
                metadata=row.get("metadata") or {},
                start=parse_time(metrics.get("start")),
                end=parse_time(metrics.get("end")),
            )
        )
    return spans


# ---------------------------------------------------------------------------- client


class BtqlClient:
    """Sends BTQL to ``{api_url}/btql`` with the project's key; resolves project ids."""

    def __init__(
        self,
        api_key: str,
        api_url: str | None = None,
        *,
        timeout: float = 30.0,
        session: requests.Session | None = None,
    ) -> None:
        """``api_url`` defaults to the public API (open_analytics passes BRAINTRUST_API_URL)."""
        self.api_key = api_key
        self.api_url = (api_url or DEFAULT_API_URL).rstrip("/")
        self.timeout = timeout
        self.session = session or requests.Session()

    def _headers(self) -> dict[str, str]:
        """Bearer auth and JSON."""
        return {"Authorization": f"Bearer {self.api_key}", "Content-Type": "application/json"}

    def _json(self, resp: requests.Response) -> Any:
        """The decoded answer; AnalyticsError with the status and a short body otherwise."""
        if resp.status_code >= 400:
            raise AnalyticsError(f"Braintrust answered HTTP {resp.status_code}: {resp.text[:300]}")
        try:
            return resp.json()
        except ValueError as exc:
            raise AnalyticsError("Braintrust answered with something that is not JSON") from exc

    def run(self, query: BtqlQuery) -> Any:
        """Run one query; the decoded JSON answer."""
        try:
            resp = self.session.post(
                f"{self.api_url}/btql",
                json=query.body(),
                headers=self._headers(),
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            raise AnalyticsError(f"could not reach Braintrust at {self.api_url}: {exc}") from exc
        return self._json(resp)

    def project_id(self, name: str) -> str:
        """The id of the project called ``name``; AnalyticsError when there is none."""
        try:
            resp = self.session.get(
                f"{self.api_url}/v1/project",
                params={"project_name": name},
                headers=self._headers(),
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            raise AnalyticsError(f"could not reach Braintrust at {self.api_url}: {exc}") from exc
        objects = (self._json(resp) or {}).get("objects") or []
        if not objects:
            raise AnalyticsError(f"no Braintrust project named {name!r}")
        return str(objects[0]["id"])


class BtqlAnalytics:
    """The analytics questions answered from Braintrust project logs."""

    source = "braintrust"

    def __init__(self, client: BtqlClient, project: str) -> None:
        """Answer for ``project`` (a name; its id is looked up on first use)."""
        self.client = client
        self.project = project
        self._project_id: str | None = None

    @property
    def project_id(self) -> str:
        """The project's id (looked up once)."""
        if self._project_id is None:
            self._project_id = self.client.project_id(self.project)
        return self._project_id

    def recent_games(
        self, limit: int = 20, since: float | None = None, until: float | None = None
    ) -> list[GameRow]:
        """Newest games with their aggregated story."""
        return parse_games(
            self.client.run(recent_games_query(self.project_id, limit, since, until))
        )

    def search(self, text: str, limit: int = 20) -> list[TurnRow]:
        """Turns whose player message or narration contains ``text``."""
        return parse_turns(self.client.run(search_turns_query(self.project_id, text, limit)))

    def turns(
        self, since: float | None = None, until: float | None = None, limit: int = 100
    ) -> list[TurnRow]:
        """Turns in a time window, newest first."""
        return parse_turns(self.client.run(turns_query(self.project_id, since, until, limit)))

    def tool_stats(self, since: float | None = None, until: float | None = None) -> list[ToolStat]:
        """Calls, errors and latency per tool."""
        return parse_tool_stats(self.client.run(tool_stats_query(self.project_id, since, until)))

    def low_rated(self, threshold: float = 0.5, limit: int = 50) -> list[TurnRow]:
        """Turns rated or scored below ``threshold``."""
        return parse_turns(self.client.run(low_rated_query(self.project_id, threshold, limit)))

    def game_trace(self, game_id: str) -> list[SpanRow]:
        """Every span of one game's trace (empty when the game has no root span)."""
        roots = rows_of(self.client.run(game_root_query(self.project_id, game_id)))
        if not roots:
            return []
        root_span_id = str(roots[0].get("root_span_id") or roots[0].get("span_id"))
        return parse_spans(self.client.run(trace_query(self.project_id, root_span_id)))
