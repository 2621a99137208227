"""Tests of the Enedis data kind (Home Assistant layer)."""
