"""Tests of tracing: tracing.py, spans, the Braintrust recorder, distributed traces."""
