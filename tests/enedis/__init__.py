"""Tests of the pure Enedis metering-data library."""
