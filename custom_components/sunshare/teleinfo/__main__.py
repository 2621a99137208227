"""Entry point: ``python -m custom_components.sunshare.teleinfo decode|simulate ...``."""

import sys

from .cli import main

sys.exit(main())
