"""Meter verification with Enedis consent: from the callback to a verified PRM.

The player starts from the game server (:meth:`Verifier.consent_url`), consents on
Enedis' page and comes back to the callback with ``autorisation_id`` and ``state``.
:meth:`Verifier.handle_callback` checks the signed state, resolves the consented meter
with ``subscribed_services`` and returns an :class:`Outcome` the web layer shows:

* the consented PRM is the registered one → the PRM is marked verified;
* it is another PRM no account uses (or the player registered none) → the outcome
  carries a signed ``correction_token``; posting it to :meth:`Verifier.apply_correction`
  switches the account to that PRM, verified;
* it belongs to another account → refused;
* refusal, expired or forged link, Enedis not propagated yet, quota, outage → a clear
  message (the link stays usable when trying again can help).

Every outcome has an English and a French message (:meth:`Outcome.message`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
import logging
from typing import Final

from custom_components.sunshare.enedis import EnedisError, EnedisRateLimitedError
from game_server.errors import GameError
from game_server.models import User
from game_server.services import GameService
from game_server.storage import ConflictError

from .config import Environment
from .dataconnect import DataConnectClient
from .errors import ConsentNotPropagatedError, InvalidStateError
from .state import StateSigner

_LOGGER = logging.getLogger(__name__)

SANDBOX_CLIENTS: Final[dict[str, int]] = {
    "22516914714270": 0,
    "11453290002823": 1,
    "32320647321714": 2,
    "12345678901234": 3,
    "10284856584123": 3,
    "42900589957123": 4,
    "24880057139941": 5,
    "12655648759651": 6,
    "64975835695673": 7,
    "63695879465986": 7,
    "22315546958763": 7,
    "26584978546985": 8,
}
"""Sandbox test customers: the state's last digit picks one (Enedis sandbox)."""


class OutcomeKind(StrEnum):
    """What came out of a consent callback or a correction."""

    VERIFIED = "verified"
    CORRECTABLE = "prm_correctable"
    CORRECTED = "prm_corrected"
    PRM_TAKEN = "prm_taken"
    REFUSED = "consent_refused"
    INVALID_LINK = "invalid_link"
    NOT_PROPAGATED = "not_propagated"
    QUOTA = "quota"
    UNAVAILABLE = "unavailable"


_MESSAGES: Final[dict[OutcomeKind, dict[str, str]]] = {
    OutcomeKind.VERIFIED: {
        "en": "Your meter {prm} is verified with Enedis.",
        "fr": "Votre compteur {prm} est vérifié auprès d'Enedis.",
    },
    OutcomeKind.CORRECTABLE: {
        "en": (
            "You gave consent for meter {prm}, but your account has {registered}. "
            "Use {prm} for your account?"
        ),
        "fr": (
            "Vous avez donné votre consentement pour le compteur {prm}, mais votre "
            "compte indique {registered}. Utiliser {prm} pour votre compte ?"
        ),
    },
    OutcomeKind.CORRECTED: {
        "en": "Your account now uses meter {prm}, verified with Enedis.",
        "fr": "Votre compte utilise maintenant le compteur {prm}, vérifié auprès d'Enedis.",
    },
    OutcomeKind.PRM_TAKEN: {
        "en": (
            "You gave consent for meter {prm}, which another account already uses; "
            "your meter {registered} is not verified. Ask the game admins if this is "
            "your meter."
        ),
        "fr": (
            "Vous avez donné votre consentement pour le compteur {prm}, déjà utilisé "
            "par un autre compte ; votre compteur {registered} n'est pas vérifié. "
            "Contactez les administrateurs du jeu si ce compteur est le vôtre."
        ),
    },
    OutcomeKind.REFUSED: {
        "en": (
            "Enedis did not give consent ({detail}). Your meter is not verified; you "
            "can try again from your dashboard."
        ),
        "fr": (
            "Enedis n'a pas transmis de consentement ({detail}). Votre compteur n'est "
            "pas vérifié ; vous pouvez réessayer depuis votre tableau de bord."
        ),
    },
    OutcomeKind.INVALID_LINK: {
        "en": (
            "This consent link is invalid, expired or already used. Start the meter "
            "verification again from your dashboard."
        ),
        "fr": (
            "Ce lien de consentement est invalide, expiré ou déjà utilisé. Relancez la "
            "vérification du compteur depuis votre tableau de bord."
        ),
    },
    OutcomeKind.NOT_PROPAGATED: {
        "en": (
            "Enedis has recorded your consent but not yet attached your meter to it. "
            "This usually takes a minute or two: try again shortly."
        ),
        "fr": (
            "Enedis a enregistré votre consentement mais n'y a pas encore rattaché "
            "votre compteur. Cela prend en général une minute ou deux : réessayez "
            "dans un instant."
        ),
    },
    OutcomeKind.QUOTA: {
        "en": "The server has used its Enedis quota for now; try again in an hour.",
        "fr": (
            "Le serveur a épuisé son quota Enedis pour le moment ; réessayez dans "
            "une heure."
        ),
    },
    OutcomeKind.UNAVAILABLE: {
        "en": "Enedis cannot be reached right now; try again later.",
        "fr": "Enedis est injoignable pour le moment ; réessayez plus tard.",
    },
}

RETRYABLE: Final = frozenset(
    {OutcomeKind.NOT_PROPAGATED, OutcomeKind.QUOTA, OutcomeKind.UNAVAILABLE}
)


@dataclass(frozen=True, kw_only=True, slots=True)
class Outcome:
    """The result of a verification step, ready to show."""

    kind: OutcomeKind
    user_id: str | None = None
    prm: str | None = None
    """The PRM Enedis attached to the consent (or the corrected PRM)."""
    registered_prm: str | None = None
    correction_token: str | None = None
    detail: str = ""
    language: str = "fr"

    @property
    def ok(self) -> bool:
        """Return whether the meter is now verified."""
        return self.kind in (OutcomeKind.VERIFIED, OutcomeKind.CORRECTED)

    @property
    def retryable(self) -> bool:
        """Return whether the same callback link may be tried again."""
        return self.kind in RETRYABLE

    def message(self, language: str | None = None) -> str:
        """Return the message in ``language`` (``fr`` or ``en``)."""
        lang = language or self.language
        template = _MESSAGES[self.kind].get(lang, _MESSAGES[self.kind]["en"])
        return template.format(
            prm=self.prm or "?",
            registered=self.registered_prm or ("aucun" if lang == "fr" else "none"),
            detail=self.detail or "?",
        )

    def as_dict(self) -> dict[str, object]:
        """Return the outcome as JSON-ready data."""
        return {
            "outcome": self.kind.value,
            "verified": self.ok,
            "prm": self.prm,
            "registered_prm": self.registered_prm,
            "correction_token": self.correction_token,
            "retryable": self.retryable,
            "message": self.message(),
        }


class Verifier:
    """Drive meter verification for every player (one per server)."""

    def __init__(
        self, service: GameService, client: DataConnectClient, signer: StateSigner
    ) -> None:
        """Use the game service, the Data Connect client and the state signer."""
        self.service = service
        self.client = client
        self.signer = signer

    def consent_url(self, user: User) -> str:
        """Return the Enedis consent page URL for a player."""
        test_client: int | None = None
        if self.client.config.environment is Environment.SANDBOX:
            test_client = SANDBOX_CLIENTS.get(user.prm or "", 0)
        state = self.signer.make_state(user.id, test_client=test_client)
        return self.client.consent_url(state)

    async def handle_callback(self, params: Mapping[str, str]) -> Outcome:
        """Return the outcome of Enedis' redirect back to the server."""
        try:
            state = self.signer.read_state(params.get("state", ""), consume=False)
        except InvalidStateError:
            return Outcome(kind=OutcomeKind.INVALID_LINK)
        user = await self.service.storage.get_user(state.user_id)
        if user is None or user.disabled:
            return Outcome(kind=OutcomeKind.INVALID_LINK)
        base = Outcome(
            kind=OutcomeKind.INVALID_LINK,
            user_id=user.id,
            registered_prm=user.prm,
            language=user.language,
        )
        if params.get("error"):
            self.signer.consume(state)
            detail = params.get("error_description") or params["error"]
            _LOGGER.info("Enedis consent refused for %s: %s", user.id, detail)
            return _with(base, kind=OutcomeKind.REFUSED, detail=detail[:200])
        autorisation_id = params.get("autorisation_id", "").strip()
        if not autorisation_id:
            return base
        try:
            prms = await self.client.resolve_prms(autorisation_id)
        except ConsentNotPropagatedError:
            return _with(base, kind=OutcomeKind.NOT_PROPAGATED)
        except EnedisRateLimitedError:
            return _with(base, kind=OutcomeKind.QUOTA)
        except EnedisError as err:
            _LOGGER.warning(
                "Cannot resolve Enedis consent %s: %s", autorisation_id, err
            )
            return _with(base, kind=OutcomeKind.UNAVAILABLE, detail=str(err))
        self.signer.consume(state)
        if user.prm is not None and user.prm in prms:
            await self._mark_verified(user, user.prm, autorisation_id)
            return _with(base, kind=OutcomeKind.VERIFIED, prm=user.prm)
        consented = prms[0]
        owner = await self.service.storage.get_user_by_prm(consented)
        if owner is not None and owner.id != user.id:
            _LOGGER.warning(
                "Account %s consented for a PRM used by account %s", user.id, owner.id
            )
            return _with(base, kind=OutcomeKind.PRM_TAKEN, prm=consented)
        token = self.signer.make_correction(user.id, consented)
        return _with(
            base, kind=OutcomeKind.CORRECTABLE, prm=consented, correction_token=token
        )

    async def apply_correction(self, token: str) -> Outcome:
        """Switch an account to the PRM of a correction offer, verified."""
        try:
            user_id, prm = self.signer.read_correction(token)
        except InvalidStateError:
            return Outcome(kind=OutcomeKind.INVALID_LINK)
        user = await self.service.storage.get_user(user_id)
        if user is None or user.disabled:
            return Outcome(kind=OutcomeKind.INVALID_LINK)
        base = Outcome(
            kind=OutcomeKind.PRM_TAKEN,
            user_id=user.id,
            prm=prm,
            registered_prm=user.prm,
            language=user.language,
        )
        owner = await self.service.storage.get_user_by_prm(prm)
        if owner is not None and owner.id != user.id:
            return base
        try:
            user = await self.service.update_profile(user, prm=prm)
        except (GameError, ConflictError):
            return base
        await self._mark_verified(user, prm, None)
        return _with(base, kind=OutcomeKind.CORRECTED)

    async def _mark_verified(
        self, user: User, prm: str, autorisation_id: str | None
    ) -> None:
        """Store the verified flag and audit it."""
        user.prm_verified = True
        await self.service.storage.update_user(user)
        await self.service.audit(
            user,
            "enedis.verify_prm",
            "user",
            user.id,
            prm=prm,
            autorisation_id=autorisation_id,
        )


def _with(outcome: Outcome, **changes: object) -> Outcome:
    """Return a copy of an outcome with some fields changed."""
    return replace(outcome, **changes)  # type: ignore[arg-type]
