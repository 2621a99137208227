"""The game server's aiohttp application: state, middlewares, health check, lifecycle.

``create_app(settings)`` builds the application: storage opened and closed by a cleanup
context, the service layer (``GameService``) in typed app state, JSON errors and a body
size limit on ``/api/``, an access log with structured fields, ``/healthz``, the JSON API
(``game_server.api``) and the web pages (``game_server.web``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
import json
import logging
from pathlib import Path
import time
from typing import Any

from aiohttp import web

from game_server import __version__, scoring_job
from game_server.errors import GameError, TooManyRequests
from game_server.services import GameService
from game_server.storage import (
    Storage,
    StorageError,
    StorageHealth,
    StorageUnavailable,
    open_storage,
)

LOGGER = logging.getLogger(__package__)
ACCESS_LOGGER = logging.getLogger(f"{__package__}.access")
DEFAULT_MAX_BODY = 1024 * 1024


@dataclass(kw_only=True)
class Settings:
    """How the server runs (from the command line or the add-on options)."""

    host: str = "0.0.0.0"  # noqa: S104
    port: int = 8099
    data_dir: Path = field(default_factory=lambda: Path("data"))
    database_url: str | None = None
    demo: bool = False
    max_body_bytes: int = DEFAULT_MAX_BODY
    shutdown_timeout: float = 10.0
    storage: Storage | None = None
    """An already built (not yet opened) storage; overrides ``database_url``."""
    clock: Callable[[], Any] | None = None
    """UTC clock for the service layer (tests)."""
    web_pages: bool = True
    """Mount the web pages (False: JSON API and health check only)."""
    trusted_proxies: frozenset[str] = frozenset({"172.30.32.2"})
    """Peers whose X-Ingress-Path, X-Forwarded-* and X-Remote-User-* headers are believed
    (Home Assistant's Supervisor by default)."""


SETTINGS_KEY = web.AppKey("settings", Settings)
STORAGE_KEY = web.AppKey("storage", Storage)
SERVICE_KEY = web.AppKey("service", GameService)

type Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class JsonFormatter(logging.Formatter):
    """Format log records as one JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        """Return the record as JSON (with structured ``extra`` fields)."""
        data: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("method", "path", "status", "duration_ms", "remote"):
            if hasattr(record, key):
                data[key] = getattr(record, key)
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False)


def configure_logging(level: int = logging.INFO, json_format: bool = True) -> None:
    """Send logs to stderr, one JSON object per line (or plain text)."""
    handler = logging.StreamHandler()
    handler.setFormatter(
        JsonFormatter()
        if json_format
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


def is_api(request: web.Request) -> bool:
    """Return whether a request targets the JSON API."""
    return request.path.startswith("/api/")


def error_response(status: int, code: str, message: str, **extra: Any) -> web.Response:
    """Return the JSON error document ``{error, message}``."""
    body: dict[str, Any] = {"error": code, "message": message}
    body.update({k: v for k, v in extra.items() if v is not None})
    return web.json_response(body, status=status)


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "too_many_requests",
}


def log_storage_failure(request: web.Request, err: StorageError) -> None:
    """Log a request the storage failed (once; the answer is 503 storage_unavailable).

    A fault of the store (read-only, locked, I/O, corrupt) is logged as one line; any
    other storage error with its traceback.
    """
    LOGGER.error(
        "Storage unavailable on %s %s: %s",
        request.method,
        request.path,
        err,
        exc_info=not isinstance(err, StorageUnavailable),
    )


@web.middleware
async def api_errors_middleware(
    request: web.Request, handler: Handler
) -> web.StreamResponse:
    """Answer API errors as JSON and refuse oversized bodies before reading them.

    Every API answer (errors included) carries ``X-Content-Type-Options: nosniff`` and
    ``Cache-Control: no-store``. A storage failure is 503 ``storage_unavailable`` (plain
    text outside the API; the web pages answer their own error page).
    """
    if not is_api(request):
        try:
            return await handler(request)
        except StorageError as err:  # the web pages answer their own error page
            log_storage_failure(request, err)
            return web.Response(status=503, text="503: the database is unavailable")
    response = await _api_answer(request, handler)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Cache-Control", "no-store")
    return response


async def _api_answer(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Return the handler's answer, or the JSON error document of what it raised."""
    limit = request.app[SETTINGS_KEY].max_body_bytes
    if request.content_length is not None and request.content_length > limit:
        return error_response(
            413, "payload_too_large", f"request body over {limit} bytes"
        )
    try:
        return await handler(request)
    except TooManyRequests as err:
        response = error_response(err.status, err.code, err.message)
        response.headers["Retry-After"] = str(err.retry_after)
        return response
    except GameError as err:
        return error_response(err.status, err.code, err.message, field=err.field)
    except web.HTTPException as err:
        if err.status < 400:
            raise
        code = _HTTP_CODES.get(err.status, "error")
        message = err.reason
        if err.status == 413:
            message = f"request body over {limit} bytes"
        response = error_response(err.status, code, message)
        if "Allow" in err.headers:
            response.headers["Allow"] = err.headers["Allow"]
        return response
    except StorageError as err:
        log_storage_failure(request, err)
        return error_response(503, "storage_unavailable", "the database is unavailable")


@web.middleware
async def access_log_middleware(
    request: web.Request, handler: Handler
) -> web.StreamResponse:
    """Log each request with structured fields (method, path, status, duration)."""
    started = time.monotonic()
    status = 500
    try:
        response = await handler(request)
    except web.HTTPException as err:
        status = err.status
        raise
    else:
        status = response.status
        return response
    finally:
        ACCESS_LOGGER.info(
            "%s %s %s",
            request.method,
            request.path,
            status,
            extra={
                "method": request.method,
                "path": request.path,
                "status": status,
                "duration_ms": round((time.monotonic() - started) * 1000, 1),
                "remote": request.remote,
            },
        )


async def healthz(request: web.Request) -> web.Response:
    """Answer the health check: can the store be read and written (503 when not)?

    ``status`` is ``ok`` (both), ``degraded`` (one of them) or ``unavailable``.
    """
    storage = request.app.get(STORAGE_KEY)
    health = (
        await storage.health()
        if storage is not None
        else StorageHealth(read=False, write=False)
    )
    if health.ok:
        status = "ok"
    elif health.read or health.write:
        status = "degraded"
    else:
        status = "unavailable"
    return web.json_response(
        {
            "status": status,
            "version": __version__,
            "storage": {"read": health.read, "write": health.write},
        },
        status=200 if health.ok else 503,
    )


async def _storage_ctx(app: web.Application) -> AsyncIterator[None]:
    """Open the storage (and seed it) at start; close it at shutdown."""
    settings = app[SETTINGS_KEY]
    storage = settings.storage or open_storage(settings.database_url, settings.data_dir)
    await storage.open()
    service = GameService(storage, settings.clock)
    app[STORAGE_KEY] = storage
    app[SERVICE_KEY] = service
    try:
        seeded = await service.seed_catalogue()
        if seeded:
            LOGGER.info("Loaded the action catalogue (%d actions)", seeded)
        if settings.demo:
            from game_server.demo import seed_demo

            await seed_demo(service)
        yield
    finally:
        await storage.close()
        LOGGER.info("Storage closed")


def create_app(settings: Settings | None = None) -> web.Application:
    """Create the game server application."""
    settings = settings or Settings()
    app = web.Application(
        client_max_size=settings.max_body_bytes,
        middlewares=[access_log_middleware, api_errors_middleware],
    )
    app[SETTINGS_KEY] = settings
    app.cleanup_ctx.append(_storage_ctx)
    app.cleanup_ctx.append(scoring_job.scoring_ctx)  # scoring: recompute in background
    app.router.add_get("/healthz", healthz)
    # Imported here: both packages import this module's keys.
    from game_server.api import setup_api
    from game_server.enedis import setup_enedis
    from game_server.web import setup_web

    setup_api(app)
    if settings.web_pages:
        setup_web(app)
    # Enedis Data Connect (consent, verification, gateway): answers 503 until configured.
    setup_enedis(app)
    return app
