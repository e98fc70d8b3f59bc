"""Claude transcripts mirrored into the game database, so a game resumes on any worker or host.

``SqlSessionStore`` implements the Claude Agent SDK's ``SessionStore`` protocol on top of
:class:`~game_master.store.Store` (SQLite or PostgreSQL). Pass it as
``ClaudeAgentOptions(session_store=...)``: the SDK mirrors every transcript line into
``claude_session_entries`` and, on ``resume``, loads the session back from there before the
CLI starts, so the local ``CLAUDE_CONFIG_DIR`` no longer has to survive or be shared.

Entries are stored as JSON text in append order (an autoincrement id); an entry's ``uuid``
is its idempotency key within one transcript (``INSERT ... ON CONFLICT DO NOTHING``), entries
without one are always appended. ``claude_sessions`` holds one row per transcript with its
modification time (epoch milliseconds) and, for main transcripts, the SDK's folded summary.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any, cast

from claude_agent_sdk import fold_session_summary
from claude_agent_sdk.types import (
    SessionKey,
    SessionListSubkeysKey,
    SessionStore,
    SessionStoreEntry,
    SessionStoreListEntry,
    SessionSummaryEntry,
)

from . import Store
from .connection import Query

MAIN = ""  # the subpath column's value for a main transcript
# Selects one transcript by its stored key (see SqlSessionStore._key).
_ONE = "project_key = ? AND session_id = ? AND subpath = ?"


def _now_ms() -> int:
    """Wall-clock time in Unix epoch milliseconds."""
    return int(time.time() * 1000)


def _entry_uuid(entry: Any) -> str | None:
    """The entry's idempotency key, or None when it has no usable ``uuid``."""
    value = entry.get("uuid") if isinstance(entry, dict) else None
    return value if isinstance(value, str) and value else None


class SqlSessionStore(SessionStore):
    """The SDK's ``SessionStore`` in the app's own database (SQLite or PostgreSQL).

    ``project_key`` pins every key to one project: the SDK derives the key from the CLI's
    working directory, which may differ between hosts; session ids are UUIDs, so one shared
    key is safe and lets any host resume any session. ``None`` keeps the SDK's keys as given.
    """

    def __init__(self, store: Store, *, project_key: str | None = None) -> None:
        """Use ``store`` (already migrated); optionally pin every key to ``project_key``."""
        self.store = store
        self.project_key = project_key

    # ------------------------------------------------------------------ helpers

    def _project(self, project_key: str) -> str:
        """The project key as stored: the pinned one when set."""
        return self.project_key if self.project_key is not None else project_key

    def _key(self, key: SessionKey | SessionListSubkeysKey) -> tuple[str, str, str]:
        """``(project_key, session_id, subpath)`` as stored; ``''`` is the main transcript."""
        subpath = cast("dict[str, Any]", key).get("subpath") or MAIN
        return self._project(key["project_key"]), key["session_id"], subpath

    # ------------------------------------------------------------------ protocol

    async def append(self, key: SessionKey, entries: list[SessionStoreEntry]) -> None:
        """Mirror a batch of transcript entries; duplicate uuids are ignored."""
        if entries:
            await asyncio.to_thread(self._append, key, list(entries))

    def _append(self, key: SessionKey, entries: list[SessionStoreEntry]) -> None:
        """Insert the batch and update the transcript's mtime and summary in one transaction."""
        project, session, subpath = self._key(key)
        now = _now_ms()
        with self.store.transaction() as q:
            # Lock this transcript's row first: appends to one session are serialised, so
            # the summary's read-fold-write never races and mtime only moves forward.
            q(
                "INSERT INTO claude_sessions (project_key, session_id, subpath, mtime) "
                "VALUES (?, ?, ?, 0) ON CONFLICT DO NOTHING",
                project,
                session,
                subpath,
            )
            row = q(
                f"SELECT mtime, summary FROM claude_sessions WHERE {_ONE} FOR UPDATE",
                project,
                session,
                subpath,
            ).fetchone()
            mtime = max(now, int(row[0]) + 1)
            added = self._insert_entries(q, (project, session, subpath), entries, mtime)
            summary = row[1]
            if subpath == MAIN and added:
                prev: SessionSummaryEntry | None = (
                    {"session_id": session, "mtime": int(row[0]), "data": json.loads(summary)}
                    if summary
                    else None
                )
                folded = fold_session_summary(prev, key, added)
                summary = json.dumps(folded["data"], ensure_ascii=True)
            q(
                f"UPDATE claude_sessions SET mtime = ?, summary = ? WHERE {_ONE}",
                mtime,
                summary,
                project,
                session,
                subpath,
            )

    @staticmethod
    def _insert_entries(
        q: Query, key: tuple[str, str, str], entries: list[SessionStoreEntry], mtime: int
    ) -> list[SessionStoreEntry]:
        """Insert entries in order; returns those actually stored (not duplicates)."""
        added: list[SessionStoreEntry] = []
        for entry in entries:
            stored = q(
                "INSERT INTO claude_session_entries "
                "(project_key, session_id, subpath, uuid, entry, created_ms) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                *key,
                _entry_uuid(entry),
                json.dumps(entry, ensure_ascii=True, separators=(",", ":")),
                mtime,
            ).rowcount
            if stored:
                added.append(entry)
        return added

    async def load(self, key: SessionKey) -> list[SessionStoreEntry] | None:
        """Every entry of a transcript in append order; None when it was never written."""
        return await asyncio.to_thread(self._load, key)

    def _load(self, key: SessionKey) -> list[SessionStoreEntry] | None:
        """Blocking body of :meth:`load`."""
        rows = self.store.read_all(
            f"SELECT entry FROM claude_session_entries WHERE {_ONE} ORDER BY id", *self._key(key)
        )
        return [json.loads(r[0]) for r in rows] if rows else None

    async def list_sessions(self, project_key: str) -> list[SessionStoreListEntry]:
        """Main transcripts of a project with their mtimes (epoch ms)."""
        return await asyncio.to_thread(self._list_sessions, project_key)

    def _main_transcripts(self, project_key: str, *, summarised: bool) -> list[Any]:
        """Rows ``(session_id, mtime, summary)`` of a project's main transcripts; with
        ``summarised`` only those that have a summary."""
        where = " AND summary IS NOT NULL" if summarised else ""
        return self.store.read_all(
            "SELECT session_id, mtime, summary FROM claude_sessions "
            f"WHERE project_key = ? AND subpath = ?{where}",
            self._project(project_key),
            MAIN,
        )

    def _list_sessions(self, project_key: str) -> list[SessionStoreListEntry]:
        """Blocking body of :meth:`list_sessions`."""
        rows = self._main_transcripts(project_key, summarised=False)
        return [{"session_id": r[0], "mtime": int(r[1])} for r in rows]

    async def list_session_summaries(self, project_key: str) -> list[SessionSummaryEntry]:
        """The SDK's folded summaries of a project's main transcripts."""
        return await asyncio.to_thread(self._list_session_summaries, project_key)

    def _list_session_summaries(self, project_key: str) -> list[SessionSummaryEntry]:
        """Blocking body of :meth:`list_session_summaries`."""
        rows = self._main_transcripts(project_key, summarised=True)
        return [{"session_id": r[0], "mtime": int(r[1]), "data": json.loads(r[2])} for r in rows]

    async def delete(self, key: SessionKey) -> None:
        """Delete a transcript; deleting a main transcript also deletes its subkeys."""
        await asyncio.to_thread(self._delete, key)

    def _delete(self, key: SessionKey) -> None:
        """Blocking body of :meth:`delete`."""
        project, session, subpath = self._key(key)
        where = "WHERE project_key = ? AND session_id = ?"
        params: tuple[str, ...] = (project, session)
        if subpath != MAIN:
            where += " AND subpath = ?"
            params += (subpath,)
        with self.store.transaction() as q:
            q(f"DELETE FROM claude_session_entries {where}", *params)
            q(f"DELETE FROM claude_sessions {where}", *params)

    async def list_subkeys(self, key: SessionListSubkeysKey) -> list[str]:
        """Subpaths (subagent transcripts) stored under a session."""
        return await asyncio.to_thread(self._list_subkeys, key)

    def _list_subkeys(self, key: SessionListSubkeysKey) -> list[str]:
        """Blocking body of :meth:`list_subkeys`."""
        project, session, _ = self._key(key)
        rows = self.store.read_all(
            "SELECT subpath FROM claude_sessions "
            "WHERE project_key = ? AND session_id = ? AND subpath <> ? ORDER BY subpath",
            project,
            session,
            MAIN,
        )
        return [r[0] for r in rows]

    # ------------------------------------------------------------------ maintenance

    def clear(self) -> None:
        """Delete every mirrored transcript (tests and administrative resets)."""
        with self.store.transaction() as q:
            q("DELETE FROM claude_session_entries")
            q("DELETE FROM claude_sessions")
