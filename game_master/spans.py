"""Every span the app opens, and the scores and feedback logged on spans.

The one module of the package that talks to Braintrust's span API (analytics' dataset and
eval calls aside); ``tracing.py`` owns set-up, flush, per-request logger restore, status and
permalinks. Nothing here raises into a turn, a tool or a request: telemetry failures are
logged and dropped. Without a Braintrust logger ``braintrust.start_span`` returns a no-op
span, so callers never branch on whether tracing is on.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import TYPE_CHECKING, Any

import braintrust
from braintrust.span_types import SpanTypeAttribute

import tracing

if TYPE_CHECKING:
    from .tools import ToolOutcome

log = logging.getLogger(__name__)

Span = Any  # a braintrust Span (or its no-op stand-in)


# ---------------------------------------------------------------------- the game's root


def start_game_trace(game_id: str, game_input: dict[str, Any]) -> str | None:
    """Start and end a root span ``game``; return its exported form (None when off).

    Every turn of the game parents its ``turn`` span on this export, across requests,
    workers and restarts; :func:`update_game_trace` later fills in the output.
    """
    logger = tracing.get_logger()
    if logger is None:
        return None
    try:
        span = logger.start_span(
            name="game",
            type=SpanTypeAttribute.TASK,
            input=game_input,
            metadata={"game_id": game_id},
        )
        exported = span.export()
        span.end()
        return str(exported)
    except Exception as exc:
        log.warning("could not start the game's root span: %s", exc)
        return None


def update_game_trace(exported: str, output: dict[str, Any], metadata: dict[str, Any]) -> bool:
    """Merge aggregated output into a game's root span (``braintrust.update_span``)."""
    if tracing.get_logger() is None or not exported:
        return False
    try:
        braintrust.update_span(exported=exported, output=output, metadata=metadata)
        return True
    except Exception as exc:
        log.warning("could not update the game's root span: %s", exc)
        return False


def log_feedback(span_id: str, score: float, comment: str | None) -> bool:
    """Attach a player's rating to a span as Braintrust feedback; False when not sent."""
    logger = tracing.get_logger()
    if logger is None:
        return False
    try:
        logger.log_feedback(
            id=span_id,
            scores={"player_rating": score},
            comment=comment,
            source="app",
        )
        return True
    except Exception as exc:
        log.warning("could not send feedback to Braintrust: %s", exc)
        return False


# ---------------------------------------------------------------------- turns and tools


def turn_span(
    *,
    game_id: str,
    turn_id: str,
    turn_number: int,
    player_message: str,
    model: str | None,
    game_root: str | None,
    parent: str | None,
    line: dict[str, Any] | None = None,
) -> AbstractContextManager[Span]:
    """The ``turn`` span: parent of the SDK's spans, child of ``parent`` or the game's root.

    ``line`` places the turn in the game's lines of play (branch id, and for a retold turn
    the first telling's id and this telling's index), so alternatives can be compared.
    """
    kwargs: dict[str, Any] = {}
    parent = usable_parent(parent, turn_id)
    if parent or game_root:
        kwargs["parent"] = parent or game_root
    return braintrust.start_span(
        name="turn",
        type=SpanTypeAttribute.TASK,
        input=player_message,
        metadata={
            "game_id": game_id,
            "turn_id": turn_id,
            "turn_number": turn_number,
            "model": model or "default",
            "game_root": game_root,
            **(line or {}),
        },
        **kwargs,
    )


def submitted_action_span(
    parent: str | None, *, game_id: str, player_id: str, message: str
) -> str | None:
    """A ``player_action`` span continuing an acting client's trace (its
    ``x-bt-parent-span``); its export, which the round's ``turn`` span's child for this
    seat names as ``client_span``. None without a usable parent or with tracing off."""
    parent = usable_parent(parent, player_id)
    if parent is None:
        return None
    try:
        with braintrust.start_span(
            name="player_action",
            type=SpanTypeAttribute.TASK,
            input=message,
            metadata={"game_id": game_id, "player_id": player_id},
            parent=parent,
        ) as span:
            exported = span.export()
        return str(exported) if exported else None
    except Exception:
        log.warning("could not trace a player's action", exc_info=True)
        return None


def action_spans(turn: Span, actions: list[dict[str, Any]]) -> None:
    """A party round's turn span gets one ``player_action`` child per seat: the player's id,
    the character, and the words (None: the player passed). Never raises into the turn."""
    for action in actions:
        try:
            child = turn.start_span(
                name="player_action",
                type=SpanTypeAttribute.TASK,
                input=action.get("message"),
                metadata={
                    "player_id": action.get("player_id"),
                    "character": action.get("character_name"),
                    "passed": action.get("message") is None,
                    "client_span": action.get("client_span"),
                },
            )
            child.end()
        except Exception:
            log.warning("could not log a player's action span", exc_info=True)


MAX_PARENT_CHARS = 4096


def usable_parent(exported: str | None, turn_id: str) -> str | None:
    """A caller's ``x-bt-parent-span`` if Braintrust can parse it, else None (one warning).

    The header comes from the client; a malformed one must cost the turn its caller's
    parent (it hangs under the game's root instead), never the turn itself.
    """
    if not exported:
        return None
    try:
        from braintrust.span_identifier_v4 import SpanComponentsV4

        if len(exported) > MAX_PARENT_CHARS:
            raise ValueError(f"longer than {MAX_PARENT_CHARS} characters")
        SpanComponentsV4.from_str(exported)
    except Exception as exc:
        log.warning("turn %s: ignoring a malformed x-bt-parent-span header: %s", turn_id, exc)
        return None
    return exported


def trace_info(span: Span) -> dict[str, Any] | None:
    """Ids that tie a stored turn to its span (None when tracing is off).

    ``id`` is the span's row id (what feedback refers to); ``span_id`` and
    ``root_span_id`` place it in the trace tree.
    """
    row_id = getattr(span, "id", None)
    if not row_id:
        return None
    return {
        "id": row_id,
        "span_id": getattr(span, "span_id", None),
        "root_span_id": getattr(span, "root_span_id", None),
    }


def log_current_scores(scores: dict[str, float]) -> None:
    """Log ``scores`` on the current span (a tool's, inside a tool call); never raises."""
    if not scores:
        return
    try:
        braintrust.current_span().log(scores=scores)
    except Exception:  # telemetry never breaks a tool
        log.debug("could not log scores on the current span", exc_info=True)


def current_span_export() -> str | None:
    """The current span, exported for an ``x-bt-parent-span`` header (None when off)."""
    try:
        exported = braintrust.current_span().export()
    except Exception:  # telemetry never breaks a tool
        log.debug("could not export the current span", exc_info=True)
        return None
    return str(exported) if exported else None


def worker_tool_call(
    name: str,
    args: dict[str, Any],
    *,
    game_id: str,
    parent: str | None,
    execute: Callable[[], ToolOutcome],
) -> ToolOutcome:
    """``worker_execute_tool`` → the tool's span → ``execute()`` (the rules engine)."""
    kwargs: dict[str, Any] = {"parent": parent} if parent else {}
    with braintrust.start_span(
        name="worker_execute_tool",
        type=SpanTypeAttribute.TASK,
        input={"tool": name, "args": args},
        metadata={"game_id": game_id, "worker_pid": os.getpid()},
        **kwargs,
    ) as outer:
        with braintrust.start_span(name=name, type=SpanTypeAttribute.TOOL, input=args) as span:
            outcome = execute()
            span.log(output=outcome.result, metadata={"is_error": outcome.is_error})
        outer.log(output={"is_error": outcome.is_error})
    return outcome


# ---------------------------------------------------------------------- the command-line client


def client_conversation(game_id: str, server: str) -> AbstractContextManager[Span | None]:
    """The client's root span ``client_conversation`` (None when tracing is off)."""
    logger = tracing.get_logger()
    if logger is None:
        return nullcontext(None)
    span: AbstractContextManager[Span] = logger.start_span(
        name="client_conversation",
        type=SpanTypeAttribute.TASK,
        metadata={"game_id": game_id, "server": server},
    )
    return span


@contextmanager
def client_turn(root: Span | None, message: str) -> Iterator[Span | None]:
    """A ``client_turn`` span under the conversation (None when tracing is off)."""
    if root is None:
        yield None
        return
    with root.start_span(name="client_turn", input=message) as span:
        yield span


# ---------------------------------------------------------------------- lines of play


def rewind_span(game_root: str | None, game_id: str, to_turn: int, branch_id: str) -> None:
    """A ``rewind`` span under the game's root: the line went back to just after ``to_turn``."""
    if tracing.get_logger() is None:
        return
    try:
        kwargs: dict[str, Any] = {"parent": game_root} if game_root else {}
        with braintrust.start_span(
            name="rewind",
            type=SpanTypeAttribute.TASK,
            input={"to_turn": to_turn},
            output={"branch_id": branch_id},
            metadata={"game_id": game_id, "branch_id": branch_id},
            **kwargs,
        ):
            pass
    except Exception as exc:  # telemetry never breaks a rewind
        log.warning("could not log the rewind of game %s: %s", game_id, exc)


def log_preference(chosen_span: str, rejected_span: str, game_id: str) -> bool:
    """A player's pick between two tellings, as feedback on both spans (1 chosen, 0 not).

    Each side names the other span in its metadata, so a pairwise dataset can be rebuilt
    from the feedback alone. False when tracing is off or Braintrust refused.
    """
    logger = tracing.get_logger()
    if logger is None:
        return False
    try:
        for span, score, other, key in (
            (chosen_span, 1.0, rejected_span, "rejected_span_id"),
            (rejected_span, 0.0, chosen_span, "chosen_span_id"),
        ):
            logger.log_feedback(
                id=span,
                scores={"preferred": score},
                metadata={key: other, "game_id": game_id},
                source="app",
            )
        return True
    except Exception as exc:
        log.warning("could not send a preference to Braintrust: %s", exc)
        return False


def chapter_span(
    game_root: str | None, game_id: str, number: int, summary: str, meta: dict[str, Any]
) -> None:
    """A ``chapter`` span under the game's root: a chapter closed, its summary the output."""
    if tracing.get_logger() is None:
        return
    try:
        kwargs: dict[str, Any] = {"parent": game_root} if game_root else {}
        with braintrust.start_span(
            name="chapter",
            type=SpanTypeAttribute.TASK,
            input={"chapter": number},
            output=summary,
            metadata={"game_id": game_id, "chapter": number, **meta},
            **kwargs,
        ):
            pass
    except Exception as exc:  # telemetry never breaks a turn
        log.warning("could not log chapter %s of game %s: %s", number, game_id, exc)


def arc_span(game_root: str | None, game_id: str, summary: str, meta: dict[str, Any]) -> None:
    """An ``arc`` span under the game's root: chapters rolled into an arc, its summary the
    output (``meta`` names its level, chapters and turns)."""
    if tracing.get_logger() is None:
        return
    try:
        kwargs: dict[str, Any] = {"parent": game_root} if game_root else {}
        with braintrust.start_span(
            name="arc",
            type=SpanTypeAttribute.TASK,
            input={k: meta.get(k) for k in ("level", "first_chapter", "last_chapter")},
            output=summary,
            metadata={"game_id": game_id, **meta},
            **kwargs,
        ):
            pass
    except Exception as exc:  # telemetry never breaks a turn
        log.warning("could not log an arc of game %s: %s", game_id, exc)
