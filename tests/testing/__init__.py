"""Tests of the harness itself (game_master/testing) and of the suite's CI gate."""
