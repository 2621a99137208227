"""Tests for the Sunshare project."""
