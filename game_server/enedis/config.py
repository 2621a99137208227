"""Settings of the server's Enedis Data Connect application (from the environment).

The add-on passes its options as environment variables: ``enedis_client_id`` →
``SUNSHARE_ENEDIS_CLIENT_ID``, ``enedis_client_secret`` → ``SUNSHARE_ENEDIS_CLIENT_SECRET``,
``enedis_environment`` (``production`` or ``sandbox``) → ``SUNSHARE_ENEDIS_ENVIRONMENT``
and ``public_url`` → ``SUNSHARE_PUBLIC_URL``. The return URL to register on Enedis'
DataHub is ``public_url + CALLBACK_PATH``. ``SUNSHARE_ENEDIS_API_URL`` and
``SUNSHARE_ENEDIS_AUTHORIZE_URL`` override the hosts (tests, a future Enedis move).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
import os
from typing import Final

CALLBACK_PATH: Final = "/enedis/callback"
"""Path of the consent callback on the game server."""
CONSENT_PATH: Final = "/enedis/consent"
"""Path that sends a logged-in player to the Enedis consent page."""
CORRECT_PATH: Final = "/enedis/correct"
"""Path of the form that replaces a player's PRM by the one they consented for."""

ENV_CLIENT_ID: Final = "SUNSHARE_ENEDIS_CLIENT_ID"
ENV_CLIENT_SECRET: Final = "SUNSHARE_ENEDIS_CLIENT_SECRET"  # noqa: S105
ENV_ENVIRONMENT: Final = "SUNSHARE_ENEDIS_ENVIRONMENT"
ENV_PUBLIC_URL: Final = "SUNSHARE_PUBLIC_URL"
ENV_API_URL: Final = "SUNSHARE_ENEDIS_API_URL"
ENV_AUTHORIZE_URL: Final = "SUNSHARE_ENEDIS_AUTHORIZE_URL"


class Environment(StrEnum):
    """Which Enedis platform the application is registered on."""

    PRODUCTION = "production"
    SANDBOX = "sandbox"


API_URLS: Final[dict[Environment, str]] = {
    Environment.PRODUCTION: "https://gw.ext.prod.api.enedis.fr",
    Environment.SANDBOX: "https://gw.ext.prod-sandbox.api.enedis.fr",
}
AUTHORIZE_URLS: Final[dict[Environment, str]] = {
    Environment.PRODUCTION: (
        "https://mon-compte-particulier.enedis.fr/dataconnect/v2/oauth2/authorize"
    ),
    Environment.SANDBOX: "https://ext.hml.api.enedis.fr/dataconnect/v2/oauth2/authorize",
}


class ConfigError(ValueError):
    """The Enedis settings are incomplete or wrong; the message says which."""


@dataclass(frozen=True, kw_only=True, slots=True)
class DataConnectConfig:
    """Credentials and hosts of the server's Data Connect application."""

    client_id: str
    client_secret: str = field(repr=False)
    environment: Environment = Environment.PRODUCTION
    public_url: str = ""
    """The server's public URL (the consent callback is under it)."""
    api_url: str | None = None
    """Overrides the API host of the environment."""
    authorize_url: str | None = None
    """Overrides the consent page of the environment."""
    consent_duration: str = "P1Y"
    """How long the player's consent lasts (ISO 8601, at most 3 years)."""

    @property
    def api_base(self) -> str:
        """Return the API host, without a trailing slash."""
        return (self.api_url or API_URLS[self.environment]).rstrip("/")

    @property
    def authorize_endpoint(self) -> str:
        """Return the URL of the consent page."""
        return self.authorize_url or AUTHORIZE_URLS[self.environment]

    @property
    def redirect_url(self) -> str:
        """Return the return URL to register on DataHub for this application."""
        return self.public_url.rstrip("/") + CALLBACK_PATH

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None
    ) -> DataConnectConfig | None:
        """Return the settings from the environment, or None when not configured."""
        env = os.environ if environ is None else environ
        client_id = env.get(ENV_CLIENT_ID, "").strip()
        client_secret = env.get(ENV_CLIENT_SECRET, "").strip()
        if not client_id and not client_secret:
            return None
        if not client_id or not client_secret:
            raise ConfigError(
                f"Enedis Data Connect needs both {ENV_CLIENT_ID} and "
                f"{ENV_CLIENT_SECRET}; only one is set"
            )
        raw_environment = env.get(ENV_ENVIRONMENT, "").strip().lower() or "production"
        try:
            environment = Environment(raw_environment)
        except ValueError as err:
            raise ConfigError(
                f"{ENV_ENVIRONMENT} must be 'production' or 'sandbox', "
                f"not {raw_environment!r}"
            ) from err
        public_url = env.get(ENV_PUBLIC_URL, "").strip()
        if public_url and not public_url.startswith(("http://", "https://")):
            raise ConfigError(
                f"{ENV_PUBLIC_URL} must be the server's public http(s) URL: Enedis "
                f"sends players back to it + {CALLBACK_PATH}"
            )
        return cls(
            client_id=client_id,
            client_secret=client_secret,
            environment=environment,
            public_url=public_url,
            api_url=env.get(ENV_API_URL, "").strip() or None,
            authorize_url=env.get(ENV_AUTHORIZE_URL, "").strip() or None,
        )
