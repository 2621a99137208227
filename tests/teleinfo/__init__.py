"""Tests of the Linky TIC protocol library."""
