"""Tests of the scoring job wired into the game server."""
