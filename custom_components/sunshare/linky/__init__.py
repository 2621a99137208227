"""Home Assistant adapter of the Linky meter kind (TIC reader)."""
