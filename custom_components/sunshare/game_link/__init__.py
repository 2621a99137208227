"""The game link: a household's Home Assistant taking part in a Sunshare game."""
