"""Checks of the integration's packaging that hassfest and the HACS action make."""
