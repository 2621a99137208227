"""Hostile input never gives a 500: a table of known attacks and a fuzz from the OpenAPI.

The real server runs on loopback (SQLite) in a thread of its own; requests go through
``http.client`` so that bodies and headers are sent exactly as written, bytes included.
Every answer must be a JSON error document (or a success) with a status the OpenAPI
document lists for that route, and carry the API's security headers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
import http.client
import json
from pathlib import Path
import re
import threading
from typing import Any
from urllib.parse import quote

from aiohttp import web
from hypothesis import HealthCheck, given, settings, strategies as st
import pytest

from game_server.app import SERVICE_KEY, Settings, create_app
from game_server.services import GameService

from .helpers import add_season, registration

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@dataclass(slots=True)
class Server:
    """A game server running in a thread: its port, loop, service and a token."""

    port: int
    loop: asyncio.AbstractEventLoop
    service: GameService
    token: str
    openapi: dict[str, Any]

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        *,
        raw_headers: tuple[tuple[bytes, bytes], ...] = (),
    ) -> tuple[int, dict[str, str], bytes]:
        """Send one request as written; return status, headers and body.

        Without ``raw_headers`` the player's token is sent; with them, they replace it.
        """
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.putrequest(method, path, skip_accept_encoding=True)
            sent = {"Content-Type": "application/json"}
            if not raw_headers:
                sent["Authorization"] = f"Bearer {self.token}"
            for name, value in sent.items():
                connection.putheader(name, value)
            for name_bytes, value_bytes in raw_headers:
                connection.putheader(name_bytes, value_bytes)
            connection.putheader("Content-Length", str(len(body or b"")))
            connection.endheaders(body or b"")
            response = connection.getresponse()
            return (
                response.status,
                {k.lower(): v for k, v in response.getheaders()},
                response.read(),
            )
        finally:
            connection.close()


@pytest.fixture
def server(tmp_path: Path, real_sockets: None) -> Iterator[Server]:
    """Run the game server on 127.0.0.1 with a season, a player and a device token."""
    data_dir = tmp_path
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    holder: dict[str, Any] = {}

    async def start() -> None:
        app = create_app(
            Settings(data_dir=data_dir, clock=lambda: NOW, web_pages=False)
        )
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        service = app[SERVICE_KEY]
        await add_season(service)
        user = await service.register(registration("alice", "12345678901234"))
        _token, secret = await service.issue_token(user, "fuzz")
        holder.update(
            runner=runner,
            port=runner.addresses[0][1],
            service=service,
            token=secret,
        )

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(start())
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=run, name="hostile-server", daemon=True)
    thread.start()
    assert ready.wait(60)
    running = Server(
        port=holder["port"],
        loop=loop,
        service=holder["service"],
        token=holder["token"],
        openapi={},
    )
    status, _headers, body = running.request("GET", "/api/v1/openapi.json")
    assert status == 200
    running.openapi = json.loads(body)
    yield running
    asyncio.run_coroutine_threadsafe(holder["runner"].cleanup(), loop).result(60)
    asyncio.run_coroutine_threadsafe(loop.shutdown_default_executor(), loop).result(60)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(60)
    loop.close()


def _documented(server: Server, method: str, path: str) -> set[int]:
    """Return the statuses the OpenAPI document lists for a concrete path."""
    for template, operations in server.openapi["paths"].items():
        pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
        if (
            re.match(pattern, path.split("?", maxsplit=1)[0])
            and method.lower() in operations
        ):
            return {int(code) for code in operations[method.lower()]["responses"]}
    return set()


def _check(
    server: Server, method: str, path: str, answer: tuple[int, dict[str, str], bytes]
) -> dict[str, Any] | None:
    """Assert a clean answer: no 5xx, JSON error documents, documented status."""
    status, headers, body = answer
    assert status < 500, (method, path, status, body[:300])
    assert headers.get("x-content-type-options") == "nosniff"
    assert headers.get("cache-control") == "no-store"
    documented = _documented(server, method, path)
    if documented:
        assert status in documented, (method, path, status, sorted(documented), body)
    elif status != 404:  # an unknown path: 404 is the only right answer
        assert status == 405, (method, path, status)
    if status >= 400:
        assert headers["content-type"].startswith("application/json")
        document = json.loads(body)
        assert isinstance(document["error"], str) and document["message"]
        return dict(document)
    return None


DAY = b'{"import_kwh": 12.5, "export_kwh": 3.0, "production_kwh": 8.0}'
READING = "/api/v1/readings/2026-11-20"
EVENT = "/api/v1/shedding-events"


def _event(start: str, end: str) -> bytes:
    return json.dumps(
        {
            "id": "0b7c5a1e-3f6d-4f0e-9a43-2d3f7b1c9e11",
            "start": start,
            "end": end,
            "declared_w": 1000,
        }
    ).encode()


HOSTILE: list[tuple[str, str, str, bytes, int, str]] = [
    # (name, method, path, body, status, error code)
    ("integer beyond float range", "PUT", READING, b'{"import_kwh": 1' + b"0" * 400 + b"}", 422, "invalid"),
    ("thousands of digits", "PUT", READING, b'{"import_kwh": ' + b"9" * 5000 + b"}", 422, "invalid"),
    ("huge exponent", "PUT", READING, b'{"import_kwh": 1e400}', 422, "invalid"),
    ("NaN", "PUT", READING, b'{"import_kwh": NaN}', 422, "invalid"),
    ("huge integer in a list", "PUT", READING, DAY[:-1] + b', "slots": {"import": [' + b"7" * 600 + b"]}}", 422, "invalid"),
    ("array nested 100,000 deep", "PUT", READING, b"[" * 100_000 + b"]" * 100_000, 400, "invalid_json"),
    ("object nested 100,000 deep", "PUT", READING, b'{"a":' * 100_000 + b"1" + b"}" * 100_000, 400, "invalid_json"),
    ("lone surrogate in a text", "POST", "/api/v1/actions", b'{"action_id": "\\udfff", "date": "2026-11-20"}', 422, "invalid"),
    ("lone surrogate in evidence", "POST", "/api/v1/actions", b'{"action_id": "heating_19c", "date": "2026-11-20", "evidence": "a\\ud800b"}', 422, "invalid"),
    ("lone surrogate as a key", "PUT", READING, DAY[:-1] + b', "\\udfff": 1}', 422, "unknown_field"),
    ("invalid UTF-8", "PUT", READING, b'{"import_kwh": "\xff\xfe"}', 400, "invalid_json"),
    ("year 9999 at -14:00", "POST", EVENT, _event("9999-12-31T23:00:00-14:00", "9999-12-31T23:30:00-14:00"), 422, "invalid"),
    ("year 1 at +14:00", "POST", EVENT, _event("0001-01-01T00:00:00+14:00", "0001-01-01T01:00:00+14:00"), 422, "invalid"),
    ("not an object", "PUT", READING, b"[1, 2]", 400, "invalid_json"),
    ("empty body", "PUT", READING, b"", 400, "invalid_json"),
    ("number as the day", "PUT", "/api/v1/readings/99999999999999999999", DAY, 422, "invalid"),
    ("unknown challenge", "GET", "/api/v1/leaderboard?challenge=%ED%B3%BF", b"", 422, "invalid"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [case[1:] for case in HOSTILE],
    ids=[case[0] for case in HOSTILE],
)
def test_hostile_input_gets_a_clean_error(
    server: Server, *, method: str, path: str, body: bytes, status: int, code: str
) -> None:
    document = _check(server, method, path, server.request(method, path, body))
    assert document is not None, "a hostile request was accepted"
    assert (document["error"], status) == (code, status)


@pytest.mark.parametrize(
    "value",
    [
        "Bearer \xe9t\xe9".encode("latin-1"),
        "Bearer 令牌".encode(),
        b"Bearer \xff\xfe\xfd",
    ],
    ids=["latin-1", "utf-8", "invalid utf-8"],
)
def test_non_ascii_authorization_is_refused(server: Server, value: bytes) -> None:
    answer = server.request(
        "GET", "/api/v1/me", raw_headers=((b"Authorization", value),)
    )
    document = _check(server, "GET", "/api/v1/me", answer)
    assert answer[0] == 401 and document is not None
    assert document["error"] == "invalid_token"


def test_oversized_header_is_refused_by_the_http_parser(server: Server) -> None:
    """A 10 kB header never reaches the application: aiohttp's parser answers 400.

    (A plain-text answer: the HTTP parser refuses it before any middleware runs.)
    """
    status, _headers, body = server.request(
        "GET",
        "/api/v1/me",
        raw_headers=((b"Authorization", b"Bearer " + b"A" * 10_000),),
    )
    assert status == 400, body


def test_wrong_method_on_a_known_path_says_what_is_allowed(server: Server) -> None:
    for method, path, allowed in (
        ("DELETE", "/api/v1/me", "GET"),
        ("POST", READING, "PUT"),
        ("PATCH", "/api/v1/catalogue", "GET"),
    ):
        status, headers, body = server.request(method, path, b"{}")
        assert status == 405, (method, path, body)
        assert allowed in {m.strip() for m in headers["allow"].split(",")}
        assert json.loads(body)["error"] == "method_not_allowed"
        assert headers["x-content-type-options"] == "nosniff"


def test_openapi_lists_every_route_error(server: Server) -> None:
    """Shared statuses are documented everywhere: 503, 401 with a token, body errors."""
    for path, operations in server.openapi["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            assert "503" in codes, (method, path)
            if operation.get("security"):
                assert "401" in codes, (method, path)
            if "requestBody" in operation:
                assert {"400", "413", "422"} <= codes, (method, path)
            for parameter in operation.get("parameters", []):
                assert parameter["schema"].get("type") == "string"
                if parameter["name"] in {"day", "date"}:
                    assert parameter["schema"]["pattern"]


# --- fuzz from the OpenAPI document ----------------------------------------------------

HOSTILE_TEXT = st.text(
    alphabet=st.characters(codec=None, exclude_categories=()), max_size=30
) | st.sampled_from(["\udfff", "\ud800x", "\x00", "ＡＬＩＣＥ", "9" * 400, "", " "])
HOSTILE_NUMBER = st.one_of(
    st.integers(),
    st.integers(min_value=10**300, max_value=10**400),
    st.floats(),
    st.sampled_from([0, -1, 1e308, -1e308, 10**20]),
)
LEAF = st.one_of(st.none(), st.booleans(), HOSTILE_NUMBER, HOSTILE_TEXT)
JSON_VALUES = st.recursive(
    LEAF,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(HOSTILE_TEXT, children, max_size=4)
    ),
    max_leaves=12,
)


def _schema_value(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Return values that often fit a property's schema, and often do not."""
    fitting: st.SearchStrategy[Any]
    kind = schema.get("type")
    if "enum" in schema:
        fitting = st.sampled_from(schema["enum"])
    elif schema.get("format") == "date":
        fitting = st.dates().map(lambda d: d.isoformat())
    elif schema.get("format") == "date-time":
        fitting = st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat())
    elif kind == "number":
        fitting = st.floats(
            min_value=schema.get("minimum", -1e9), max_value=schema.get("maximum", 1e9)
        )
    elif kind == "array":
        fitting = st.lists(
            st.none() | st.floats(min_value=0, max_value=1), min_size=46, max_size=50
        )
    elif kind == "object":
        fitting = _object(schema)
    else:
        fitting = HOSTILE_TEXT
    return st.one_of(fitting, JSON_VALUES)


def _object(schema: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Return objects made of a schema's properties (some left out, some hostile)."""
    properties = schema.get("properties", {})
    return st.fixed_dictionaries(
        {},
        optional={name: _schema_value(part) for name, part in properties.items()},
    )


def _operations(openapi: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, operations in openapi["paths"].items()
        for method, operation in operations.items()
        if path != "/api/v1/auth/token"  # argon2 per try: covered by the table above
    ]


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_fuzz_every_route_from_the_openapi_document(
    server: Server, data: st.DataObject
) -> None:
    """Random and hostile values for every route of the OpenAPI document: never a 5xx."""
    method, template, operation = data.draw(
        st.sampled_from(_operations(server.openapi))
    )
    path = template
    for parameter in operation.get("parameters", []):
        value = data.draw(
            _schema_value(parameter["schema"]).map(lambda v: str(v)[:60]),
            label=parameter["name"],
        )
        quoted = quote(value.encode("utf-8", "surrogatepass"), safe="")
        if parameter["in"] == "path":
            path = path.replace("{" + parameter["name"] + "}", quoted or "x")
        else:
            path += f"?{parameter['name']}={quoted}"
    body = b""
    if "requestBody" in operation:
        schema = operation["requestBody"]["content"]["application/json"]["schema"]
        value = data.draw(st.one_of(_object(schema), JSON_VALUES), label="body")
        body = json.dumps(value).encode()
    _check(server, method, path, server.request(method, path, body))
