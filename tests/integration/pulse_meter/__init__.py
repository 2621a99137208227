"""Tests of the pulse meter kind."""
