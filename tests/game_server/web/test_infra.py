"""Unit tests of the web infrastructure: session codec, secret file, limiter, i18n, charts."""

from __future__ import annotations

import base64
import json
import stat

import pytest

from game_server.web import i18n
from game_server.web.charts import build_chart, nice_step
from game_server.web.csrf import csrf_token, csrf_valid
from game_server.web.ratelimit import (
    Limit,
    LoginRateLimiter,
    RegistrationLimiter,
    SlidingWindow,
    Throttled,
    address_key,
)
from game_server.web.session import (
    KEY_BYTES,
    SECRET_FILE,
    Session,
    SessionCodec,
    SessionSecretError,
    load_or_create_secret,
)


class FakeClock:
    """A clock moved by hand."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        """Start at an instant."""
        self.now = now

    def __call__(self) -> float:
        """Return the current instant."""
        return self.now


KEY = bytes(range(KEY_BYTES))


def test_session_round_trip_and_opacity() -> None:
    """A sealed session opens to the same data and does not show it in clear."""
    codec = SessionCodec(KEY)
    value = codec.seal({"uid": "user-1234", "lang": "en"})
    assert codec.open(value) == {"uid": "user-1234", "lang": "en"}
    raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    assert b"user-1234" not in raw
    # Two seals of the same data differ (random nonce).
    assert codec.seal({"uid": "x"}) != codec.seal({"uid": "x"})


@pytest.mark.parametrize(
    "mutate",
    [
        lambda v: v[:-2] + ("A" if v[-2] != "A" else "B") + v[-1],
        lambda v: v[:10],
        lambda v: "",
        lambda v: "!!!not-base64!!!",
        lambda v: v + "A" * 4000,
    ],
)
def test_session_refuses_tampered_cookies(mutate: object) -> None:
    """A modified, truncated or garbage cookie opens to nothing."""
    codec = SessionCodec(KEY)
    value = codec.seal({"uid": "u"})
    assert callable(mutate)
    assert codec.open(mutate(value)) is None


def test_session_refuses_other_key_and_expired() -> None:
    """A cookie sealed with another key, or too old, is refused."""
    clock = FakeClock()
    codec = SessionCodec(KEY, max_age=3600, clock=clock)
    value = codec.seal({"uid": "u"})
    assert SessionCodec(bytes(KEY_BYTES)).open(value) is None
    clock.now += 3599
    assert codec.open(value) == {"uid": "u"}
    clock.now += 2
    assert codec.open(value) is None


def test_session_rejects_bad_key_length() -> None:
    """The codec needs a 32-byte key."""
    with pytest.raises(ValueError, match="32 bytes"):
        SessionCodec(b"short")


def test_session_tracks_changes() -> None:
    """The session knows when it must be written back."""
    session = Session({"a": 1}, new=False)
    assert not session.changed
    assert session["a"] == 1
    assert len(session) == 1
    assert list(session) == ["a"]
    session["b"] = 2
    assert session.changed
    del session["a"]
    assert session.as_dict() == {"b": 2}
    session.clear()
    assert not session


def test_secret_created_once_with_private_mode(tmp_path) -> None:
    """The session key is generated on first start, kept 0600 and reused."""
    key = load_or_create_secret(tmp_path / "data")
    path = tmp_path / "data" / SECRET_FILE
    assert len(key) == KEY_BYTES
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_secret(tmp_path / "data") == key
    path.chmod(0o644)
    assert load_or_create_secret(tmp_path / "data") == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_secret_file_damaged(tmp_path) -> None:
    """A damaged key file is reported, never silently replaced."""
    (tmp_path / SECRET_FILE).write_text("c2hvcnQ=\n")
    with pytest.raises(SessionSecretError, match="32 bytes"):
        load_or_create_secret(tmp_path)
    (tmp_path / SECRET_FILE).write_text("@@@\n")
    with pytest.raises(SessionSecretError, match="not a valid"):
        load_or_create_secret(tmp_path)


def test_csrf_token_per_session() -> None:
    """The CSRF token is stable within a session and checked exactly."""
    session = Session()
    token = csrf_token(session)
    assert csrf_token(session) == token
    assert csrf_valid(session, token)
    assert not csrf_valid(session, token[:-1] + "x")
    assert not csrf_valid(session, None)
    assert not csrf_valid(Session(), token)
    assert csrf_token(Session()) != token


def test_rate_limiter_pairs_addresses_and_accounts() -> None:
    """Per (account, address) first; per address; account-wide only for strangers."""
    clock = FakeClock()
    limiter = LoginRateLimiter(
        per_pair=Limit(3, 60),
        per_address=Limit(5, 60),
        per_account=Limit(8, 60),
        clock=clock,
    )
    for _ in range(3):
        limiter.begin("Alice", "10.0.0.1")  # wrong passwords: they stay counted
    with pytest.raises(Throttled) as err:
        limiter.begin("alice", "10.0.0.1")
    assert err.value.retry_after == pytest.approx(60)
    # The stored form of the username is counted: no fresh counter for look-alikes.
    with pytest.raises(Throttled):
        limiter.begin(" ＡＬＩＣＥ ", "10.0.0.1")
    with pytest.raises(Throttled):
        limiter.begin("alice", "::ffff:10.0.0.1")
    # The owner, from another address, is not locked out.
    limiter.begin("alice", "10.0.0.2").succeeded()
    # The address is blocked after 5 attempts across accounts.
    limiter.begin("bob", "10.0.0.1")
    limiter.begin("carol", "10.0.0.1")
    with pytest.raises(Throttled):
        limiter.begin("dave", "10.0.0.1")
    # Many addresses on one account: strangers are blocked, not the owner's address.
    for n in range(5):
        limiter.begin("alice", f"192.0.2.{n}")
    with pytest.raises(Throttled):
        limiter.begin("alice", "192.0.2.200")
    assert limiter.retry_after("alice", "192.0.2.200") > 0
    limiter.begin("alice", "10.0.0.2").succeeded()
    # A refused request (no password checked) withdraws its attempt.
    for _ in range(10):
        limiter.begin("erin", "10.0.0.9").cancel()
    clock.now += 61
    assert limiter.retry_after("alice", "10.0.0.1") == 0
    assert limiter.retry_after("dave", "10.0.0.1") == 0


def test_rate_limiter_counts_ipv6_per_network() -> None:
    """One IPv6 /64 is one client: rotating its addresses gives no fresh counter."""
    limiter = LoginRateLimiter(per_pair=Limit(2, 60), clock=FakeClock())
    limiter.begin("frank", "2001:db8::1")
    limiter.begin("frank", "2001:db8::2")
    with pytest.raises(Throttled):
        limiter.begin("frank", "2001:db8::ffff:1")
    limiter.begin("frank", "2001:db8:0:1::1")  # another network
    assert address_key("2001:db8::1%eth0") == "2001:db8::/64"
    assert address_key("not an address") == "not an address"


def test_attempt_settles_once() -> None:
    """An attempt withdrawn twice (or withdrawn then cancelled) counts once."""
    clock = FakeClock()
    limiter = LoginRateLimiter(per_pair=Limit(2, 60), clock=clock)
    first = limiter.begin("gina", "10.0.0.1")
    limiter.begin("gina", "10.0.0.1")
    first.cancel()
    first.cancel()
    first.succeeded()
    limiter.begin("gina", "10.0.0.1")
    with pytest.raises(Throttled):
        limiter.begin("gina", "10.0.0.1")


def test_registration_limiter() -> None:
    """Registrations are counted per address, success or not."""
    clock = FakeClock()
    limiter = RegistrationLimiter(Limit(2, 3600), clock=clock)
    limiter.begin("10.0.0.1")
    limiter.begin("10.0.0.1")
    with pytest.raises(Throttled):
        limiter.begin("10.0.0.1")
    limiter.begin("10.0.0.2")
    clock.now += 3601
    limiter.begin("10.0.0.1")


def test_sliding_window_is_bounded() -> None:
    """The limiter's memory stays bounded under many distinct keys."""
    clock = FakeClock()
    window = SlidingWindow(Limit(2, 60), clock, max_keys=10)
    for n in range(50):
        clock.now += 0.01
        window.hit(f"key-{n}")
    assert len(window) <= 10
    window.reset("key-49")
    assert window.retry_after("key-49") == 0


def test_catalogues_have_the_same_keys_and_placeholders() -> None:
    """French and English hold exactly the same keys with the same placeholders."""
    fr = i18n.catalogue("fr")
    en = i18n.catalogue("en")
    assert set(fr) == set(en), set(fr) ^ set(en)
    for key in fr:
        assert i18n.placeholders(fr[key]) == i18n.placeholders(en[key]), key
        assert fr[key].strip() and en[key].strip(), key
    # The files are sorted and formatted as written by the tooling.
    for lang in i18n.LANGUAGES:
        path = i18n.CATALOGUE_DIR / f"{lang}.json"
        data = json.loads(path.read_text(encoding="utf-8"))
        assert list(data) == sorted(data)


def test_every_used_key_exists() -> None:
    """Every literal key used by the templates and page modules is in the catalogue."""
    import re

    root = i18n.CATALOGUE_DIR.parent
    pattern = re.compile(r"""\bt\(\s*["']([a-z_0-9]+(?:\.[a-z_0-9]+)+)["']""")
    used: set[str] = set()
    for path in [*root.glob("templates/**/*.html"), *root.glob("*.py")]:
        used.update(pattern.findall(path.read_text(encoding="utf-8")))
    flashes = re.compile(r"""(?:flash|_run)\([^)]*?["']([a-z_]+\.[a-z_.]+)["']""", re.S)
    for path in root.glob("*.py"):
        used.update(flashes.findall(path.read_text(encoding="utf-8")))
    assert used
    missing = sorted(
        k for k in used if not k.startswith("web.") and k not in i18n.catalogue("fr")
    )
    assert not missing


def test_translator_and_negotiation() -> None:
    """Strings format their placeholders; Accept-Language picks fr or en."""
    t = i18n.Translator("en")
    assert t("dashboard.hello", name="Ada") == "Hello Ada"
    assert i18n.Translator("fr")("dashboard.hello", name="Ada") == "Bonjour Ada"
    assert i18n.Translator("de").lang == "fr"
    assert t("no.such.key") == "no.such.key"
    assert i18n.negotiate(None) == "fr"
    assert i18n.negotiate("en-GB,en;q=0.9,fr;q=0.8") == "en"
    assert i18n.negotiate("de-DE,fr;q=0.5,en;q=0.7") == "en"
    assert i18n.negotiate("fr-FR,en;q=0.9") == "fr"
    assert i18n.negotiate("de,es") == "fr"
    assert i18n.negotiate("en;q=0,fr;q=bad") == "fr"
    with pytest.raises(KeyError):
        i18n.catalogue("xx")


def test_charts() -> None:
    """Charts scale values into the plot area with round grid steps."""
    assert nice_step(0) == 1.0
    assert nice_step(7) == 2.0
    assert nice_step(130) == 50.0
    empty = build_chart([])
    assert empty.empty
    line = build_chart([("a", 0.0), ("b", 10.0), ("c", 5.0)], width=200, height=100)
    assert not line.empty
    assert [p.label for p in line.points] == ["a", "b", "c"]
    ys = [p.y for p in line.points]
    assert ys[1] < ys[2] < ys[0]  # higher values are drawn higher
    assert line.path.startswith("M")
    single = build_chart([("only", 4.0)])
    assert len(single.points) == 1
    bars = build_chart([("a", -2.0), ("b", 3.0)], kind="bar")
    assert [b.negative for b in bars.bars] == [True, False]
    assert all(b.height > 0 for b in bars.bars)
    assert bars.bars[0].y == bars.zero_y  # a negative bar hangs below zero
    flat = build_chart([("a", 0.0), ("b", 0.0)])
    assert len(flat.ticks) >= 2
