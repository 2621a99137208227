"""Enedis Data Connect on the game server: consent, verification, gateway, reconciliation.

``setup_enedis(app)`` mounts everything (see :mod:`.server`); settings come from the
``SUNSHARE_ENEDIS_*`` and ``SUNSHARE_PUBLIC_URL`` environment variables (:mod:`.config`).
Parsing, error classification and the rate limiter are the integration's pure Enedis
library (``custom_components.sunshare.enedis``). See ``docs/enedis-dataconnect.md``.
"""

from __future__ import annotations

# First: lets the library load where Home Assistant is not installed (the add-on).
from ._library import ensure_enedis_library as ensure_enedis_library
from .config import ConfigError, DataConnectConfig, Environment
from .dataconnect import DataConnectClient
from .errors import (
    ApplicationAuthError,
    ConsentNotPropagatedError,
    ConsentRevokedError,
    InvalidStateError,
    QuotaExceededError,
)
from .ratelimit import DataConnectRateLimiter
from .reconciliation import ReconcileReport, ReconciliationJob
from .server import ENEDIS_KEY, EnedisOptions, EnedisRuntime, setup_enedis
from .state import StateSigner
from .verification import Outcome, OutcomeKind, Verifier

__all__ = [
    "ENEDIS_KEY",
    "ApplicationAuthError",
    "ConfigError",
    "ConsentNotPropagatedError",
    "ConsentRevokedError",
    "DataConnectClient",
    "DataConnectConfig",
    "DataConnectRateLimiter",
    "EnedisOptions",
    "EnedisRuntime",
    "Environment",
    "InvalidStateError",
    "Outcome",
    "OutcomeKind",
    "QuotaExceededError",
    "ReconcileReport",
    "ReconciliationJob",
    "StateSigner",
    "Verifier",
    "setup_enedis",
]
