"""Tests of the game server's web pages."""
