"""Run the Sunshare game server: ``python -m game_server``."""

from __future__ import annotations

from game_server.cli import main

raise SystemExit(main())
