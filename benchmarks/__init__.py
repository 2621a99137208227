"""Benchmarks (speed and memory targets); run them by hand, not in the test suite."""
