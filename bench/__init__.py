"""Benchmarks: ``python -m bench`` (load over HTTP), ``bench.overhead`` (HTTP vs engine),
``bench.long`` (one 1,000-turn campaign) and ``bench.memory`` (a full pool of live games)."""
