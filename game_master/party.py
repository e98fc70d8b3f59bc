"""Party play as use cases: seats and invites, credentials, rounds, and the table stream.

Composed into :class:`~game_master.service.GameService` as ``service.party``; nothing here
knows HTTP (web.py turns a request into a :class:`Caller`). The rules:

- The creator of a game is its host, seated with the game and given a credential (a browser
  also keeps it in its signed cookie, one credential per game). A game made before party
  play has no seats: its owning browser is its host, seated on first use.
- The host makes invites (128-bit tokens, expiring, revocable); joining takes a seat (a player
  with a character made as in a solo game, or a spectator) and hands out a credential good
  for that game only. Unknown, revoked and expired invites are all 404. A player may leave.
- A round takes one action per acting seat (host and players), stored before the 202 and
  replaced until the round resolves. It resolves when every seated actor has acted, when the
  host says so, or when ``GM_ROUND_SECONDS`` run out (a timer in the process that opened it,
  and any worker's next request or stream tick); one conditional UPDATE claims it, so two
  resolves give one round. Its turn plays on the agent runtime and every event goes to the
  table stream. A game with one actor plays each action at once, as a solo turn.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import rules, spans
from .errors import (
    GameMasterError,
    GameNotFound,
    InvalidInput,
    InviteNotFound,
    NotYourSeat,
    RoundClosed,
)
from .events import LINE_CHANGED, TurnCompleted, TurnError
from .inputs import parse_new_game, validate_message
from .rules import party as party_rules
from .runtime import TurnHandle
from .store import GameRecord, Round, Seat, TableEvent
from .table import TableFeed

if TYPE_CHECKING:
    from .service import GameService

log = logging.getLogger(__name__)

INVITE_SECONDS = 7 * 24 * 3600  # an invite link lasts a week unless revoked
TYPING_SECONDS = 6.0  # "typing…" lasts this long after the last keystroke report
ROLES = ("player", "spectator")
MAX_NAME_CHARS = 40


def credential_hash(credential: str) -> str:
    """What the store keeps of a credential or token: its SHA-256 (never the secret)."""
    return hashlib.sha256(credential.encode("utf-8", "surrogateescape")).hexdigest()


@dataclass(frozen=True)
class Caller:
    """Who is asking: the browser's owner id (signed cookie) and the credential it presents
    for this game (bearer header, or the cookie's credential of this game)."""

    owner: str | None = None
    credential: str | None = None


@dataclass(frozen=True)
class Joined:
    """A taken seat and the credential that opens it."""

    seat: Seat
    credential: str

    def to_dict(self) -> dict[str, Any]:
        """The join answer."""
        return {
            "game_id": self.seat.game_id,
            "player": {"id": self.seat.player_id, "name": self.seat.name, "role": self.seat.role},
            "credential": self.credential,
        }


class PartyUseCases:
    """Seats, invites, rounds and the table stream of every game of this process."""

    def __init__(self, games: GameService) -> None:
        """The process's GameService: store, settings, runtime, views."""
        self.games = games
        self.store = games.store
        self.settings = games.settings
        self.feed = TableFeed(self.store)
        self._timers: dict[str, threading.Timer] = {}
        self._timers_lock = threading.Lock()

    # ------------------------------------------------------------------ seats

    def seat_host(self, game: GameRecord, browser: str | None) -> str:
        """Seat the creator of a new game as its host; the host's credential."""
        credential = secrets.token_urlsafe(32)
        self.store.add_seat(
            game.id,
            role="host",
            name=game.state.character.name,
            character=game.state.character.to_dict(),
            credential_hash=credential_hash(credential),
            browser=browser,
            max_actors=self.settings.party_seats,
        )
        return credential

    def whois(self, game_id: str, caller: Caller) -> Seat | None:
        """The caller's seat at the game (None: not seated). A game made before party play
        has no seats: its owning browser is the host, seated now."""
        if caller.credential:
            seat = self.store.seat_by_credential(game_id, credential_hash(caller.credential))
            if seat is not None:
                return seat
        game = self.store.get_game(game_id)
        if game.owner is not None and game.owner == caller.owner:
            seats = self.store.seats(game_id)
            host = next((s for s in seats if s.role == "host"), None)
            if host is None:
                self.seat_host(game, caller.owner)
                host = next(s for s in self.store.seats(game_id) if s.role == "host")
            return host
        return None

    def seated(self, game_id: str, caller: Caller) -> Seat:
        """The caller's seat; GameNotFound (as if there were no game) for anyone else."""
        seat = self.whois(game_id, caller)
        if seat is None:
            raise GameNotFound(f"No game {game_id!r}.")
        return seat

    def host(self, game_id: str, caller: Caller) -> Seat:
        """The caller's seat if it is the host's; NotYourSeat (403) for another seat."""
        seat = self.seated(game_id, caller)
        if seat.role != "host":
            raise NotYourSeat("Only the host can do that.")
        return seat

    def require_host_of_party(self, game_id: str, caller: Caller) -> None:
        """Retry, rewind and lines of play are the host's in a game with other seats (403
        for them); a solo game keeps today's rule (its owner, or its id for API games)."""
        if len(self.store.seats(game_id)) <= 1:
            return
        seat = self.whois(game_id, caller)
        if seat is None or seat.role != "host":
            raise NotYourSeat("In a party game only the host can do that.")

    def readable_game(self, game_id: str, caller: Caller) -> GameRecord:
        """The game for its owner, a browser seated at it, or a credential of one of its
        seats; GameNotFound for anyone else."""
        try:
            return self.games.owned_game(game_id, caller.owner, read=True)
        except GameNotFound:
            if caller.credential and self.whois(game_id, caller) is not None:
                return self.store.get_game(game_id)
            raise

    def line_changed(self, game_id: str, reason: str, turn_id: str | None = None) -> None:
        """Tell every seat that the host retold, rewound or switched the line of play."""
        data: dict[str, Any] = {"reason": reason}
        if turn_id is not None:
            data["turn_id"] = turn_id
        self.publish(game_id, LINE_CHANGED, data)

    def leave(self, game_id: str, caller: Caller) -> None:
        """Free the caller's seat (the host cannot leave its own game)."""
        seat = self.seated(game_id, caller)
        if seat.role == "host":
            raise NotYourSeat("The host cannot leave the game; archive it instead.")
        self.store.leave_seat(game_id, seat.player_id)
        if seat.character is not None:
            name = str(seat.character["name"])
            self.store.update_state(game_id, lambda s: party_rules.remove_companion(s, name))
        self.feed.published(game_id)

    # ------------------------------------------------------------------ invites

    def create_invite(self, game_id: str, caller: Caller, payload: Any) -> dict[str, Any]:
        """Host only: a new invite ``{token, role, expires_at}`` (the view adds its url)."""
        self.host(game_id, caller)
        role = payload.get("role") if isinstance(payload, dict) else None
        if role not in ROLES:
            raise InvalidInput("'role' must be 'player' or 'spectator'")
        token = secrets.token_urlsafe(16)  # 128 bits
        expires_at = time.time() + INVITE_SECONDS
        self.store.add_invite(game_id, credential_hash(token), role, expires_at)
        return {"token": token, "role": role, "expires_at": expires_at}

    def revoke_invite(self, game_id: str, caller: Caller, token: str) -> None:
        """Host only: joining with the token is then 404."""
        self.host(game_id, caller)
        if not self.store.revoke_invite(game_id, credential_hash(token)):
            raise InviteNotFound("This game has no such invite.")

    def invite_role(self, token: str) -> str:
        """What a live invite seats ("player" or "spectator"); InviteNotFound otherwise."""
        return self.store.live_invite(credential_hash(token))[1]

    def join(self, token: str, payload: Any, browser: str | None) -> Joined:
        """Take a seat with an invite: a player brings a character (as in a new game), a
        spectator a name. InviteNotFound, SeatsFull, InvalidInput."""
        game_id, role = self.store.live_invite(credential_hash(token))
        if not isinstance(payload, dict):
            payload = {}
        character: dict[str, Any] | None = None
        if role == "player":
            game = self.store.get_game(game_id)
            new = parse_new_game({**payload, "scenario": game.scenario})
            try:
                state = rules.new_game_state(
                    new.name,
                    new.cls,
                    self.games.scenario_of(game.scenario),
                    method=new.method,
                    abilities=new.abilities,
                    backstory=new.backstory,
                )
            except rules.RuleError as exc:
                raise InvalidInput(str(exc), rule=exc.code) from exc
            character = state.character.to_dict()
            name = state.character.name
        else:
            name = payload.get("name", "Spectator")
            if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME_CHARS:
                raise InvalidInput(f"'name' must be 1-{MAX_NAME_CHARS} characters")
            name = name.strip()
        credential = secrets.token_urlsafe(32)
        seat = self.store.add_seat(
            game_id,
            role=role,
            name=name,
            character=character,
            credential_hash=credential_hash(credential),
            browser=browser,
            max_actors=self.settings.party_seats,
            invite_hash=credential_hash(token),
        )
        if character is not None:
            # The game state holds every seated character: tools can name this one.
            self.store.update_state(game_id, lambda s: party_rules.add_companion(s, character))
        self.feed.published(game_id)
        return Joined(seat, credential)

    # ------------------------------------------------------------------ the table

    def party(self, game_id: str, caller: Caller) -> dict[str, Any]:
        """The table as a seat sees it: host, seats with presence and typing, the round."""
        me = self.seated(game_id, caller)
        self.resolve_if_overdue(game_id)
        seats = self.store.seats(game_id)
        now = time.time()
        fresh = 2 * self.settings.sse_heartbeat_s + 5
        rnd = self.store.current_round(game_id)
        round_view = None
        if rnd is not None:
            acted = set(self.store.round_actions(rnd.id))
            round_view = {
                "number": rnd.number,
                "status": rnd.status,
                "acted": [s.player_id for s in seats if s.player_id in acted],
                "waiting_for": self.store.waiting_for(game_id, rnd.id),
                "deadline": rnd.deadline,
            }
        return {
            "game_id": game_id,
            "you": {"player_id": me.player_id, "role": me.role},
            "host": next((s.player_id for s in seats if s.role == "host"), None),
            "max_players": self.settings.party_seats,
            "seats": [
                {
                    "player_id": s.player_id,
                    "character_name": s.name,
                    "role": s.role,
                    "online": s.last_seen is not None and now - s.last_seen < fresh,
                    "typing": s.typing_until is not None and s.typing_until > now,
                }
                for s in seats
            ],
            "round": round_view,
        }

    def typing(self, game_id: str, caller: Caller, payload: Any) -> None:
        """A seat is typing (``{"typing": true}``) or stopped; spectators never type."""
        seat = self.seated(game_id, caller)
        if not seat.acts:
            raise NotYourSeat("A spectator reads and never acts.")
        flag = payload.get("typing", True) if isinstance(payload, dict) else True
        if not isinstance(flag, bool):
            raise InvalidInput("'typing' must be true or false")
        until = time.time() + TYPING_SECONDS if flag else 0.0
        self.store.touch_seat(game_id, seat.player_id, typing_until=until)
        self.feed.published(game_id)

    def publish(self, game_id: str, kind: str, data: dict[str, Any]) -> int:
        """Store a table event and wake this process's streams (NOTIFY wakes the others)."""
        event_id = self.store.add_table_event(game_id, kind, data)
        self.feed.published(game_id)
        return event_id

    def follow(
        self, game_id: str, caller: Caller, last_event_id: Any
    ) -> Iterator[TableEvent | None]:
        """The table stream: stored events after ``last_event_id`` (without one, from the
        round in play), then each new one as it is stored; None at once (the seat is
        checked) and on each quiet heartbeat."""
        seat = self.seated(game_id, caller)
        after = parse_event_id(last_event_id)
        if after is None:
            after = self.store.last_round_event(game_id)
        waiter = self.feed.subscribe(game_id)  # before the first read: nothing slips between
        heartbeat = self.settings.sse_heartbeat_s
        self.store.touch_seat(game_id, seat.player_id, online=True)
        self.feed.published(game_id)
        try:
            yield None  # the seat is checked: the caller may answer 200 and start streaming
            while True:
                events = self.store.table_events(game_id, after)
                for event in events:
                    after = event.id
                    yield event
                if events:
                    continue
                if self.feed.closing:
                    return  # the worker stops: the client reconnects with Last-Event-ID
                if not waiter.wait(heartbeat):
                    self.store.touch_seat(game_id, seat.player_id)
                    self.resolve_if_overdue(game_id)
                    yield None
        finally:
            try:
                self.store.touch_seat(game_id, seat.player_id, online=False)
                self.feed.published(game_id)
            except Exception:  # presence is a courtesy; a closing stream never fails on it
                log.debug("could not record %s going offline", seat.player_id, exc_info=True)
            self.feed.unsubscribe(waiter)  # last: shutdown waits for it before closing the store

    # ------------------------------------------------------------------ rounds

    def act(
        self, game_id: str, caller: Caller, message: Any, parent: str | None = None
    ) -> dict[str, Any]:
        """Store (or replace) the caller's action for the open round; ``{round,
        waiting_for}``. The last awaited action resolves the round before answering."""
        text = validate_message(message)
        seat = self.seated(game_id, caller)
        if not seat.acts:
            raise NotYourSeat("A spectator reads and never acts.")
        self.resolve_if_overdue(game_id)
        traced = spans.submitted_action_span(
            parent, game_id=game_id, player_id=seat.player_id, message=text
        )
        rnd, waiting = self.store.put_action(
            game_id, seat.player_id, text, self.settings.round_seconds, client_span=traced
        )
        self.feed.published(game_id)
        self.arm_timer(rnd)
        if not waiting:
            # Another request may have resolved it first: one round all the same.
            with contextlib.suppress(RoundClosed):
                self.resolve_round(game_id, rnd.number, parent=parent)
        return {"round": rnd.number, "waiting_for": waiting}

    def resolve(self, game_id: str, caller: Caller, number: int, parent: str | None) -> None:
        """Host only: resolve round ``number`` now; those who did not act pass."""
        self.host(game_id, caller)
        self.resolve_round(game_id, number, parent=parent)

    def resolve_if_overdue(self, game_id: str) -> None:
        """Resolve the game's open round if its deadline passed (any worker may)."""
        self.store.reap_dead_turns(game_id)
        rnd = self.store.current_round(game_id)
        if rnd is None or rnd.status != "open" or rnd.deadline > time.time():
            return
        try:
            self.resolve_round(game_id, rnd.number)
        except RoundClosed:
            pass
        except GameMasterError as exc:
            log.warning("round %s of game %s could not resolve: %s", rnd.number, game_id, exc)

    def arm_timer(self, rnd: Round) -> None:
        """Resolve the round at its deadline from this process (once per round)."""
        key = f"{rnd.game_id}:{rnd.number}"
        with self._timers_lock:
            if key in self._timers:
                return
            delay = max(0.0, rnd.deadline - time.time())
            timer = threading.Timer(delay, self._deadline, args=(rnd.game_id, key))
            timer.daemon = True
            self._timers[key] = timer
        timer.start()

    def stop(self) -> None:
        """Shutdown: cancel this process's round timers (any worker's next look at an
        overdue round resolves it) and end its table streams."""
        with self._timers_lock:
            timers, self._timers = list(self._timers.values()), {}
        for timer in timers:
            timer.cancel()
        self.feed.stop()

    def _deadline(self, game_id: str, key: str) -> None:
        """The timer's end: resolve the round if it is still open and overdue."""
        with self._timers_lock:
            self._timers.pop(key, None)
        try:
            self.resolve_if_overdue(game_id)
        except Exception:
            log.warning("the round timer of game %s failed", game_id, exc_info=True)

    def resolve_round(self, game_id: str, number: int, *, parent: str | None = None) -> str:
        """Claim round ``number`` (RoundClosed if another resolve has it) and play it as one
        turn whose events go to the table stream; the turn's id."""
        # A round whose worker died is claimable again once its turn shows as interrupted.
        self.store.reap_dead_turns(game_id)
        rnd = self.store.claim_round(game_id, number)
        actions = self.store.actions_in_seat_order(rnd)
        try:
            handle = self._start(game_id, rnd, actions, parent)
        except BaseException:
            self.store.round_turn(rnd.id, "failed")
            raise
        self.store.round_turn(rnd.id, "resolving", turn_id=handle.turn.id, actions=actions)
        threading.Thread(
            target=self._relay, args=(handle, rnd), name=f"round-{game_id[:8]}", daemon=True
        ).start()
        return handle.turn.id

    def _start(
        self, game_id: str, rnd: Round, actions: list[dict[str, Any]], parent: str | None
    ) -> TurnHandle:
        """Begin the round's turn on the runtime (one actor: that action, as a solo turn)."""
        runtime = self.games.ensure_started()
        self.games.lines.played_on_from(game_id)
        if len(actions) == 1 and actions[0]["message"] is not None:
            return runtime.start_turn(game_id, actions[0]["message"], parent=parent)
        linked = self.store.client_spans(rnd.id)
        classes = {s.player_id: (s.character or {}).get("class") for s in self.store.seats(game_id)}
        traced = [
            {
                **a,
                "client_span": linked.get(a["player_id"]),
                "character_class": classes.get(a["player_id"]),
            }
            for a in actions
        ]
        summary = "\n".join(
            f"{a['character_name']}: {a['message'] if a['message'] is not None else '(passes)'}"
            for a in actions
        )
        return runtime.start_turn(game_id, summary, parent=parent, actions=traced)

    def _relay(self, handle: TurnHandle, rnd: Round) -> None:
        """Store each event of the round's turn on the table (with its turn_id). The round
        is settled before its last event is stored, so a seat that sees the end finds the
        round resolved (the next one opens with its first action; its clock starts then)."""
        turn_id = handle.turn.id
        settled = False
        try:
            for event in handle.events(timeout=self.settings.turn_timeout_s + 60):
                if isinstance(event, TurnCompleted | TurnError):
                    status = "resolved" if isinstance(event, TurnCompleted) else "failed"
                    self.store.round_turn(rnd.id, status)
                    settled = True
                self.publish(rnd.game_id, event.name, {**event.to_dict(), "turn_id": turn_id})
                if settled:
                    return
        except Exception:
            log.warning(
                "relaying round %s of game %s failed", rnd.number, rnd.game_id, exc_info=True
            )
        if not settled:
            try:
                self.store.round_turn(rnd.id, "failed")
                self.feed.published(rnd.game_id)
            except Exception:
                log.warning(
                    "could not settle round %s of %s", rnd.number, rnd.game_id, exc_info=True
                )


def parse_event_id(value: Any) -> int | None:
    """A Last-Event-ID as an int (None when absent or not a number: start afresh)."""
    if value is None:
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        return None
    return number if number >= 0 else None
