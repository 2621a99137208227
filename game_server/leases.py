"""Leases: run a job once per store when several server processes share it.

A lease is a row of the store (``leases``: name, holder, expires_at) that one process at
a time holds (``Storage.acquire_lease``: atomic insert, or take-over once expired). The
scoring job holds ``scoring`` while its process runs the passes, renewing it before each
pass and between chunks; the Enedis reconciliation takes ``enedis.reconcile`` for the
day. A holder that dies stops renewing: its lease expires and another process takes it
over. :class:`LeaseKeeper` keeps one lease for one holder.
"""

from __future__ import annotations

import logging
import os
import socket
from time import monotonic
import uuid

from game_server.storage import Storage
from game_server.storage.base import Lease

LOGGER = logging.getLogger(__name__)

LEASE_TTL_ENV = "SUNSHARE_LEASE_TTL"
"""Environment variable: seconds a lease lasts without renewal (default 120)."""
DEFAULT_TTL = 120.0


class LeaseLost(Exception):  # noqa: N818 - a state, not a failure of the caller
    """Another process took the lease over (this one was too slow to renew it)."""


def new_holder_id() -> str:
    """Return a holder id unique to this process and call: ``host/pid/random``."""
    return f"{socket.gethostname()}/{os.getpid()}/{uuid.uuid4().hex[:8]}"


def lease_ttl() -> float:
    """Return the lease time of ``SUNSHARE_LEASE_TTL`` (seconds; default 120)."""
    raw = os.environ.get(LEASE_TTL_ENV, "").strip()
    if raw:
        try:
            value = float(raw)
        except ValueError:
            LOGGER.warning(
                "%s=%r is not a number: %gs", LEASE_TTL_ENV, raw, DEFAULT_TTL
            )
        else:
            if value > 0:
                return value
            LOGGER.warning("%s must be positive: %gs", LEASE_TTL_ENV, DEFAULT_TTL)
    return DEFAULT_TTL


class LeaseKeeper:
    """One holder's hold on one named lease: take it, renew it, give it up."""

    def __init__(
        self,
        storage: Storage,
        name: str,
        *,
        ttl: float | None = None,
        holder: str | None = None,
    ) -> None:
        """Keep the lease ``name`` of a store for ``holder`` (a new id by default)."""
        self.storage = storage
        self.name = name
        self.ttl = lease_ttl() if ttl is None else ttl
        self.holder = holder or new_holder_id()
        self.held = False
        """Whether the last acquire or renewal succeeded."""
        self._renewed = float("-inf")
        self._skipped_for: str | None = None
        """The other holder last logged (a skipped pass is logged once per holder)."""

    async def acquire(self) -> Lease | None:
        """Take or renew the lease; None (logged once per other holder) when held."""
        lease = await self.storage.acquire_lease(self.name, self.holder, self.ttl)
        if lease is None:
            self.held = False
            current = await self.storage.get_lease(self.name)
            other = current.holder if current is not None else "?"
            if other != self._skipped_for:
                self._skipped_for = other
                LOGGER.info(
                    "Lease %s is held by %s: %s skips what it guards",
                    self.name,
                    other,
                    self.holder,
                )
            return None
        if lease.previous_holder not in (None, self.holder):
            LOGGER.warning(
                "Lease %s taken over from %s by %s",
                self.name,
                lease.previous_holder,
                self.holder,
            )
        elif not self.held:
            LOGGER.info("Lease %s taken by %s", self.name, self.holder)
        self._skipped_for = None
        self.held = True
        self._renewed = monotonic()
        return lease

    async def renew(self, *, force: bool = False) -> None:
        """Extend the lease (at most every quarter of its time unless ``force``).

        Raises ``LeaseLost`` when another process took it over.
        """
        if not force and monotonic() - self._renewed < self.ttl / 4:
            return
        if not await self.storage.renew_lease(self.name, self.holder, self.ttl):
            self.held = False
            LOGGER.warning("Lease %s lost by %s", self.name, self.holder)
            raise LeaseLost(self.name)
        self._renewed = monotonic()

    async def release(self) -> None:
        """Give the lease up (another process can take it at once)."""
        if self.held:
            self.held = False
            await self.storage.release_lease(self.name, self.holder)
            LOGGER.info("Lease %s released by %s", self.name, self.holder)
