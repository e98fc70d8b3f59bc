"""Tests of deployment: gunicorn workers, PostgreSQL, signals."""
