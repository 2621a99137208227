"""Tests of the pulse counting logic."""
