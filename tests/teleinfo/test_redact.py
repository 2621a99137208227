"""Serial URLs are logged without their secrets (no serialx helper needed)."""

from __future__ import annotations

from urllib.parse import quote

from hypothesis import given, strategies as st
import pytest

from custom_components.sunshare.teleinfo.transport import SECRET_URL_PARAMETERS, redact

SECRET = st.text(
    alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="&#?@/"),
    min_size=6,
    max_size=30,
).filter(lambda text: text.strip() == text and "REDACTED" not in text)
NAME = st.from_regex(r"[a-z][a-z0-9_]{0,9}", fullmatch=True)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/dev/ttyUSB0", "/dev/ttyUSB0"),
        ("/dev/serial/by-id/usb-TIC@x", "/dev/serial/by-id/usb-TIC@x"),
        ("socket://192.0.2.1:3333", "socket://192.0.2.1:3333"),
        ("socket://me:pw@192.0.2.1:3333", "socket://me:REDACTED@192.0.2.1:3333"),
        ("socket://me@192.0.2.1:3333", "socket://me@192.0.2.1:3333"),
        (
            "esphome://h:6053/?port_name=tic&noise_psk=abc#x",
            "esphome://h:6053/?port_name=tic&noise_psk=REDACTED#x",
        ),
        (
            "rfc2217://h:1?pass%77ord=x&key=y",
            "rfc2217://h:1?pass%77ord=REDACTED&key=REDACTED",
        ),
        ("rfc2217://h:1?pass\tword=x", "rfc2217://h:1?pass\tword=REDACTED"),
    ],
)
def test_redact_examples(url: str, expected: str) -> None:
    """Passwords and secret parameters go, everything else stays as typed."""
    assert redact(url) == expected


@given(
    scheme=st.sampled_from(["socket", "rfc2217", "esphome"]),
    user=NAME,
    password=SECRET,
    parameter=st.sampled_from(sorted(SECRET_URL_PARAMETERS)),
    secret=SECRET,
    other=NAME,
    value=NAME,
)
def test_no_secret_survives(
    *,
    scheme: str,
    user: str,
    password: str,
    parameter: str,
    secret: str,
    other: str,
    value: str,
) -> None:
    """Whatever the password and secret values, neither appears in the log form."""
    url = (
        f"{scheme}://{user}:{quote(password, safe='')}@host:1/"
        f"?{other}={value}&{parameter}={quote(secret, safe='')}"
    )
    logged = redact(url)
    for hidden in (password, secret, quote(password, safe=""), quote(secret, safe="")):
        assert hidden not in logged.replace(f"{other}={value}", "")
    assert f"{other}={value}" in logged
    assert logged.startswith(f"{scheme}://{user}:REDACTED@host:1/")


@given(st.text())
def test_redact_never_fails(url: str) -> None:
    """Any text (a typo in the port field) is returned, never an exception."""
    assert isinstance(redact(url), str)
