"""Tests of the GPIO hardware layer."""
