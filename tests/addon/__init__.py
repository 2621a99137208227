"""Tests for the Home Assistant add-on that runs the game server."""
