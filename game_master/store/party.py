"""Party play's tables: seats, invites, rounds with their actions, and the table's events.

- ``seats``: who sits at a game (``player_id``), as ``host``, ``player`` or ``spectator``, with
  the character made on joining, a hash of the credential (never the credential itself), the
  browser that joined (so the game is on its list) and presence (``last_seen``, ``typing_until``).
- ``invites``: a hash of each 128-bit invite token, its role, expiry and revocation.
- ``rounds`` and ``actions``: one action per seated player per round, stored before the API's
  ``202`` and replaced until the round resolves. A round is claimed for resolving by one
  conditional UPDATE, so two resolves at once give one round.
- the table's events are in :mod:`.table`; each change here stores its event in the same
  transaction.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

from ..errors import InviteNotFound, RoundClosed, SeatsFull
from ..events import ACTION_SUBMITTED, PRESENCE, ROUND_OPENED, TYPING
from .connection import Database, Query
from .records import dumps, game_not_found
from .table import append_event

ACTORS = ("host", "player")  # the roles that act in rounds (spectators read)

SEAT_COLS = (
    "player_id, game_id, role, name, character, seat_order, browser, created_at, last_seen, "
    "typing_until"
)


@dataclass(frozen=True)
class Seat:
    """One seat of a game (a left seat is never returned)."""

    player_id: str
    game_id: str
    role: str
    name: str
    character: dict[str, Any] | None
    seat_order: int
    browser: str | None
    created_at: float
    last_seen: float | None
    typing_until: float | None

    @property
    def acts(self) -> bool:
        """True for the host and players: they act in rounds."""
        return self.role in ACTORS


@dataclass(frozen=True)
class Round:
    """A round of a party game: ``open`` (taking actions), ``resolving`` (its turn plays),
    ``resolved``, or ``failed`` (its turn failed; the actions are kept and it can be
    resolved again)."""

    id: str
    game_id: str
    number: int
    status: str
    deadline: float
    turn_id: str | None


def decode_seat(row: Any) -> Seat:
    """A seats row (SEAT_COLS order) as a Seat."""
    return Seat(
        player_id=row[0],
        game_id=row[1],
        role=row[2],
        name=row[3],
        character=json.loads(row[4]) if row[4] else None,
        seat_order=int(row[5]),
        browser=row[6],
        created_at=row[7],
        last_seen=row[8],
        typing_until=row[9],
    )


ROUND_COLS = "id, game_id, number, status, deadline, turn_id"


def decode_round(row: Any) -> Round:
    """A rounds row (ROUND_COLS order) as a Round."""
    return Round(row[0], row[1], int(row[2]), row[3], float(row[4]), row[5])


class PartyTables(Database):
    """Seats, invites, rounds, actions and table events."""

    # ------------------------------------------------------------------ seats

    def add_seat(
        self,
        game_id: str,
        *,
        role: str,
        name: str,
        character: dict[str, Any] | None,
        credential_hash: str,
        browser: str | None,
        max_actors: int,
        invite_hash: str | None = None,
        now: float | None = None,
    ) -> Seat:
        """Seat someone at the game (the host when the game is made, else through a live
        invite: InviteNotFound if it was revoked or expired meanwhile). Raises SeatsFull when
        ``max_actors`` hosts and players already sit there (spectators are not counted)."""
        now = time.time() if now is None else now
        player_id = uuid.uuid4().hex
        with self._tx() as q:
            # The game row's lock serialises joins, so two joins cannot both take the last seat.
            if q("SELECT id FROM games WHERE id = ? FOR UPDATE", game_id).fetchone() is None:
                raise game_not_found(game_id)
            if invite_hash is not None:
                live = q(
                    "SELECT 1 FROM invites WHERE token_hash = ? AND game_id = ? "
                    "AND revoked_at IS NULL AND expires_at > ?",
                    invite_hash,
                    game_id,
                    now,
                ).fetchone()
                if live is None:
                    raise InviteNotFound("This invite was revoked or has expired.")
            seated, last = q(
                "SELECT COUNT(CASE WHEN role IN ('host', 'player') AND left_at IS NULL "
                "THEN 1 END), COALESCE(MAX(seat_order), 0) FROM seats WHERE game_id = ?",
                game_id,
            ).fetchone()
            if role in ACTORS and int(seated) >= max_actors:
                raise SeatsFull(f"Every seat of this game is taken ({max_actors} players).")
            q(
                "INSERT INTO seats (player_id, game_id, role, name, character, seat_order, "
                "credential_hash, browser, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                player_id,
                game_id,
                role,
                name,
                dumps(character) if character is not None else None,
                int(last) + 1,
                credential_hash,
                browser,
                now,
            )
            if role != "host":
                append_event(
                    q,
                    self.dialect,
                    game_id,
                    PRESENCE,
                    {"player_id": player_id, "joined": True, "role": role, "name": name},
                )
        return self.seat(game_id, player_id)

    def seat(self, game_id: str, player_id: str) -> Seat:
        """A seated player of the game; GameNotFound-like KeyError when there is none."""
        row = self.read_one(
            f"SELECT {SEAT_COLS} FROM seats WHERE game_id = ? AND player_id = ? "
            "AND left_at IS NULL",
            game_id,
            player_id,
        )
        if row is None:
            raise KeyError(player_id)
        return decode_seat(row)

    def seats(self, game_id: str) -> list[Seat]:
        """The game's seats, in seat order (those who left are gone)."""
        rows = self.read_all(
            f"SELECT {SEAT_COLS} FROM seats WHERE game_id = ? AND left_at IS NULL "
            "ORDER BY seat_order",
            game_id,
        )
        return [decode_seat(r) for r in rows]

    def seat_by_credential(self, game_id: str, credential_hash: str) -> Seat | None:
        """The seat of the game this credential opens (None: it opens none of this game)."""
        row = self.read_one(
            f"SELECT {SEAT_COLS} FROM seats WHERE game_id = ? AND credential_hash = ? "
            "AND left_at IS NULL",
            game_id,
            credential_hash,
        )
        return decode_seat(row) if row is not None else None

    def leave_seat(self, game_id: str, player_id: str) -> None:
        """Free a seat (its past actions stay in the rounds they belong to)."""
        with self._tx() as q:
            q(
                "UPDATE seats SET left_at = ? WHERE game_id = ? AND player_id = ? "
                "AND left_at IS NULL",
                time.time(),
                game_id,
                player_id,
            )
            append_event(q, self.dialect, game_id, PRESENCE, {"player_id": player_id, "left": True})

    def touch_seat(
        self,
        game_id: str,
        player_id: str,
        *,
        online: bool | None = None,
        typing_until: float | None = None,
    ) -> int | None:
        """Record presence (``online``: a stream opened or closed) or typing; the id of the
        table event that says so, if any was stored."""
        now = time.time()
        with self._tx() as q:
            if typing_until is not None:
                q(
                    "UPDATE seats SET typing_until = ? WHERE game_id = ? AND player_id = ?",
                    typing_until,
                    game_id,
                    player_id,
                )
                return append_event(
                    q,
                    self.dialect,
                    game_id,
                    TYPING,
                    {"player_id": player_id, "typing": typing_until > now},
                )
            q(
                "UPDATE seats SET last_seen = ? WHERE game_id = ? AND player_id = ?",
                now if online is not False else None,
                game_id,
                player_id,
            )
            if online is None:
                return None
            return append_event(
                q, self.dialect, game_id, PRESENCE, {"player_id": player_id, "online": online}
            )

    def browser_games(self, browser: str) -> list[str]:
        """The games this browser joined (and still sits at), as a seat other than host."""
        rows = self.read_all(
            "SELECT game_id FROM seats WHERE browser = ? AND left_at IS NULL AND role <> 'host'",
            browser,
        )
        return [r[0] for r in rows]

    # ------------------------------------------------------------------ invites

    def add_invite(self, game_id: str, token_hash: str, role: str, expires_at: float) -> None:
        """Store an invite (its token's hash only)."""
        with self._tx() as q:
            q(
                "INSERT INTO invites (token_hash, game_id, role, expires_at, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                token_hash,
                game_id,
                role,
                expires_at,
                time.time(),
            )

    def revoke_invite(self, game_id: str, token_hash: str) -> bool:
        """Revoke an invite of this game; False when it has none by that token."""
        with self._tx() as q:
            changed = q(
                "UPDATE invites SET revoked_at = COALESCE(revoked_at, ?) "
                "WHERE token_hash = ? AND game_id = ?",
                time.time(),
                token_hash,
                game_id,
            ).rowcount
        return bool(changed)

    def live_invite(self, token_hash: str, now: float | None = None) -> tuple[str, str]:
        """(game id, role) of an invite that is neither revoked nor expired; else
        InviteNotFound (unknown, revoked and expired look alike)."""
        row = self.read_one(
            "SELECT game_id, role FROM invites WHERE token_hash = ? AND revoked_at IS NULL "
            "AND expires_at > ?",
            token_hash,
            time.time() if now is None else now,
        )
        if row is None:
            raise InviteNotFound("No such invite (it may have been revoked or have expired).")
        return row[0], row[1]

    # ------------------------------------------------------------------ rounds

    def current_round(self, game_id: str) -> Round | None:
        """The game's latest round that is not resolved (open, resolving or failed)."""
        row = self.read_one(
            f"SELECT {ROUND_COLS} FROM rounds WHERE game_id = ? AND status <> 'resolved' "
            "ORDER BY number DESC LIMIT 1",
            game_id,
        )
        return decode_round(row) if row is not None else None

    def _open_round(self, q: Query, game_id: str, seconds: float) -> tuple[Round, bool]:
        """The game's unresolved round, or a new open one (True when it was opened here)."""
        row = q(
            f"SELECT {ROUND_COLS} FROM rounds WHERE game_id = ? AND status <> 'resolved' "
            "ORDER BY number DESC LIMIT 1",
            game_id,
        ).fetchone()
        if row is not None:
            return decode_round(row), False
        last = q("SELECT COALESCE(MAX(number), 0) FROM rounds WHERE game_id = ?", game_id)
        number = int(last.fetchone()[0]) + 1
        deadline = time.time() + seconds
        rnd = Round(uuid.uuid4().hex, game_id, number, "open", deadline, None)
        q(
            "INSERT INTO rounds (id, game_id, number, status, deadline, opened_at) "
            "VALUES (?, ?, ?, 'open', ?, ?)",
            rnd.id,
            game_id,
            number,
            deadline,
            time.time(),
        )
        append_event(
            q, self.dialect, game_id, ROUND_OPENED, {"round": number, "deadline": deadline}
        )
        return rnd, True

    def open_round(self, game_id: str, seconds: float) -> Round:
        """The game's unresolved round, opening a new one (and its event) if there is none."""
        with self._tx() as q:
            q("SELECT id FROM games WHERE id = ? FOR UPDATE", game_id)
            return self._open_round(q, game_id, seconds)[0]

    def put_action(
        self,
        game_id: str,
        player_id: str,
        message: str,
        seconds: float,
        client_span: str | None = None,
    ) -> tuple[Round, list[str]]:
        """Store (or replace) a seated player's action for the open round, opening one if
        needed; the round and the actors still awaited. Committed before it returns, so the
        caller's 202 never promises an action that is not stored. RoundClosed while the round
        resolves."""
        now = time.time()
        with self._tx() as q:
            # Serialise with resolves: a claim and an action never interleave.
            q("SELECT id FROM games WHERE id = ? FOR UPDATE", game_id)
            rnd, _ = self._open_round(q, game_id, seconds)
            if rnd.status != "open" and rnd.status != "failed":
                raise RoundClosed(f"Round {rnd.number} is being resolved; wait for the next.")
            changed = q(
                "UPDATE actions SET message = ?, updated_at = ?, client_span = ? "
                "WHERE round_id = ? AND player_id = ?",
                message,
                now,
                client_span,
                rnd.id,
                player_id,
            ).rowcount
            if not changed:
                q(
                    "INSERT INTO actions (round_id, player_id, message, updated_at, client_span) "
                    "VALUES (?, ?, ?, ?, ?)",
                    rnd.id,
                    player_id,
                    message,
                    now,
                    client_span,
                )
            append_event(
                q,
                self.dialect,
                game_id,
                ACTION_SUBMITTED,
                {"round": rnd.number, "player_id": player_id},
            )
            waiting = self._waiting(q, game_id, rnd.id)
        return rnd, waiting

    def _waiting(self, q: Query, game_id: str, round_id: str) -> list[str]:
        """The seated actors who have not acted in the round, in seat order."""
        rows = q(
            "SELECT s.player_id FROM seats s WHERE s.game_id = ? AND s.left_at IS NULL "
            "AND s.role IN ('host', 'player') AND NOT EXISTS (SELECT 1 FROM actions a "
            "WHERE a.round_id = ? AND a.player_id = s.player_id) ORDER BY s.seat_order",
            game_id,
            round_id,
        ).fetchall()
        return [r[0] for r in rows]

    def round_actions(self, round_id: str) -> dict[str, str]:
        """The round's stored actions: player id → message."""
        rows = self.read_all("SELECT player_id, message FROM actions WHERE round_id = ?", round_id)
        return {r[0]: r[1] for r in rows}

    def waiting_for(self, game_id: str, round_id: str) -> list[str]:
        """The seated actors who have not acted in the round."""
        with self._tx(write=False) as q:
            return self._waiting(q, game_id, round_id)

    def claim_round(self, game_id: str, number: int) -> Round:
        """Take round ``number`` for resolving: one conditional UPDATE, so of two resolves at
        once exactly one wins (the other gets RoundClosed). A round whose turn failed or
        whose worker died (its turn no longer running) can be claimed again."""
        with self._tx() as q:
            q("SELECT id FROM games WHERE id = ? FOR UPDATE", game_id)
            changed = q(
                "UPDATE rounds SET status = 'resolving', turn_id = NULL "
                "WHERE game_id = ? AND number = ? AND (status IN ('open', 'failed') OR "
                "(status = 'resolving' AND turn_id IS NOT NULL AND EXISTS (SELECT 1 FROM turns t "
                "WHERE t.id = rounds.turn_id AND t.status NOT IN ('running', 'completed'))))",
                game_id,
                number,
            ).rowcount
            row = q(
                f"SELECT {ROUND_COLS} FROM rounds WHERE game_id = ? AND number = ?",
                game_id,
                number,
            ).fetchone()
        if not changed:
            state = row[3] if row is not None else "unknown"
            raise RoundClosed(f"Round {number} is not open (it is {state}).")
        return decode_round(row)

    def round_turn(
        self,
        round_id: str,
        status: str,
        *,
        turn_id: str | None = None,
        actions: list[dict[str, Any]] | None = None,
    ) -> None:
        """Set the round's status (resolving → resolved or failed; a claim whose turn could
        not start goes back to open), linking its turn and the actions it resolved."""
        with self._tx() as q:
            q(
                "UPDATE rounds SET turn_id = COALESCE(?, turn_id), "
                "actions = COALESCE(?, actions), status = ?, resolved_at = ? WHERE id = ?",
                turn_id,
                dumps(actions) if actions is not None else None,
                status,
                time.time() if status == "resolved" else None,
                round_id,
            )

    def actions_in_seat_order(self, rnd: Round) -> list[dict[str, Any]]:
        """Every actor seated for the round (and any who acted, then left), in seat order,
        with their action or None (a pass): ``{player_id, character_name, message}``."""
        rows = self.read_all(
            "SELECT s.player_id, s.name, a.message FROM seats s LEFT JOIN actions a "
            "ON a.round_id = ? AND a.player_id = s.player_id WHERE s.game_id = ? "
            "AND s.role IN ('host', 'player') AND (s.left_at IS NULL OR a.message IS NOT NULL) "
            "ORDER BY s.seat_order",
            rnd.id,
            rnd.game_id,
        )
        return [{"player_id": r[0], "character_name": r[1], "message": r[2]} for r in rows]

    def client_spans(self, round_id: str) -> dict[str, str]:
        """The round's actions that continue a client's trace: player id → that span."""
        rows = self.read_all(
            "SELECT player_id, client_span FROM actions WHERE round_id = ? "
            "AND client_span IS NOT NULL",
            round_id,
        )
        return {r[0]: r[1] for r in rows}

    def actions_by_turn(self, game_id: str) -> dict[str, list[dict[str, Any]]]:
        """For every turn of the game that resolved a round: the actions it resolved."""
        rows = self.read_all(
            "SELECT turn_id, actions FROM rounds WHERE game_id = ? AND turn_id IS NOT NULL "
            "AND actions IS NOT NULL",
            game_id,
        )
        return {r[0]: json.loads(r[1]) for r in rows}
