"""Tests for the pure scoring rules library (hand-computed examples)."""
