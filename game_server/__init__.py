"""Sunshare game server: accounts, teams, challenges, scoring, leaderboards, web pages."""

__version__ = "0.1.0"
