"""The GameMasterError hierarchy: callers branch on type and attributes, never on text."""

from __future__ import annotations


class GameMasterError(Exception):
    """Base of every error the app answers to a client; carries an HTTP status and a code."""

    status = 500
    code = "internal_error"

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        """Keep the player-facing message and optional retry advice (seconds)."""
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


class InvalidInput(GameMasterError):
    """The request is malformed or a value is out of range; ``rule`` names the game rule it
    broke (a refusal code from rules/refusals.py) when the rules refused it."""

    status = 400
    code = "invalid_input"

    def __init__(self, message: str, *, rule: str | None = None) -> None:
        """Keep the message and the refused rule's code, if any."""
        super().__init__(message)
        self.rule = rule


class Forbidden(GameMasterError):
    """The caller may not do this (cross-site request, missing debug token)."""

    status = 403
    code = "forbidden"


class GameNotFound(GameMasterError):
    """No game with that id (or not one this browser owns)."""

    status = 404
    code = "game_not_found"


class TurnNotFound(GameMasterError):
    """No turn with that id in that game."""

    status = 404
    code = "turn_not_found"


class TurnInProgress(GameMasterError):
    """Another turn of the same game is running (on any worker)."""

    status = 409
    code = "turn_in_progress"


class ScenarioUnavailable(GameMasterError):
    """The game's scenario is no longer on offer (its file was removed or broke)."""

    status = 409
    code = "scenario_unavailable"


class PayloadTooLarge(GameMasterError):
    """The request body is larger than the app accepts (Werkzeug's name for the code)."""

    status = 413
    code = "request_entity_too_large"


class HeadersTooLarge(GameMasterError):
    """The request's headers together are larger than the app accepts."""

    status = 431
    code = "request_header_fields_too_large"


class UnsupportedMediaType(GameMasterError):
    """The request body is not JSON."""

    status = 415
    code = "unsupported_media_type"


class RateLimited(GameMasterError):
    """Too many requests from one client."""

    status = 429
    code = "rate_limited"


class AgentUnavailable(GameMasterError):
    """The model service or the Claude CLI cannot serve the turn right now."""

    status = 503
    code = "agent_unavailable"


class TurnTimeout(AgentUnavailable):
    """The turn ran past its deadline."""

    code = "turn_timeout"


class StoreBusy(GameMasterError):
    """The database stayed locked past the busy timeout."""

    status = 503
    code = "store_busy"


class StoreUnavailable(GameMasterError):
    """The database cannot take the operation now (disk full, server down or restarting)."""

    status = 503
    code = "store_unavailable"


class NotYourSeat(Forbidden):
    """Party play: this seat may not do that (a spectator acting, a player resolving or
    acting for another, a non-host managing invites, retrying or rewinding)."""

    code = "not_your_seat"


class InviteNotFound(GameMasterError):
    """No such invite, or it was revoked or has expired (all alike: 404)."""

    status = 404
    code = "invite_not_found"


class SeatsFull(GameMasterError):
    """Every player seat of the party game is taken (GM_PARTY_SEATS)."""

    status = 409
    code = "seats_full"


class PlayInRounds(GameMasterError):
    """A game with several acting seats is played in rounds (POST .../actions), not turns."""

    status = 409
    code = "party_game"


class RoundClosed(GameMasterError):
    """That round is not open: it is resolving or resolved (an action or a resolve came
    too late, or a second resolve lost the race)."""

    status = 409
    code = "round_closed"


# What a player reads when a turn fails, in one place. Each keeps the promise that the
# player's words are stored, so they can simply try again.
SAVED = "Your action is saved; try again."


def turn_stumbled() -> AgentUnavailable:
    """The turn failed for a reason of ours (the CLI crashed, a bug): a 503."""
    return AgentUnavailable(f"The game master stumbled. {SAVED}")


def turn_too_slow() -> TurnTimeout:
    """The turn ran past GM_TURN_TIMEOUT_S: a 504."""
    return TurnTimeout(f"The game master took too long to answer. {SAVED}")


def model_unreachable(status: int | None) -> AgentUnavailable:
    """The model service failed the turn (``status``: its HTTP answer, if any); after a 429
    or 529 the player is told to wait ten seconds."""
    detail = f" (model service answered {status})" if status else ""
    return AgentUnavailable(
        f"The game master could not reach the story engine{detail}. {SAVED}",
        retry_after=10 if status in (429, 529) else None,
    )
