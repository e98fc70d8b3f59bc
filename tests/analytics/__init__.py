"""Tests of game_master/analytics and evals: BTQL reports, scorers, the eval gate."""
