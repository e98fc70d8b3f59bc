"""Tests of the engine: the game master, tools and the CLI through scripted stubs."""
