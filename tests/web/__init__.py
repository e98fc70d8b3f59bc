"""Tests of the HTTP layer (game_master/web.py): routes, SSE, the contract."""
