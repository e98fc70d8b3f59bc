"""Compatibility home of the SDK SessionStore adapter, which lives in ``store.session``."""

from __future__ import annotations

from .store.session import MAIN, SqlSessionStore

__all__ = ["MAIN", "SqlSessionStore"]
