"""Tests of the Linky meter kind (Home Assistant layer)."""
