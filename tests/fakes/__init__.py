"""Fakes for what cannot exist in tests (the Enedis gateway host, GPIO chips, ...)."""
