"""Tests of the local demo (scripts/demo.py, scripts/demo_enedis.py)."""
