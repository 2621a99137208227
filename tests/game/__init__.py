"""Tests for the game server client library."""
