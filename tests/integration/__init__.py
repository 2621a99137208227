"""Tests for the Home Assistant integration layer."""
