"""Benchmark tasks whose evaluations cost microseconds and report simulated training time (issue 33)."""
