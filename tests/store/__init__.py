"""Tests of the store package: SQLite and PostgreSQL."""
