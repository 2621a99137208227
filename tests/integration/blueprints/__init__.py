"""Tests for the automation blueprints."""
