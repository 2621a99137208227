"""Game pages over real HTTP (issue #16 §4), in French and English.

Every registration error at once, numbers and dates in the page language, the month in
progress on the score chart, a new player's next steps and the team invite link.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
import html
import re
from typing import Any

import pytest

from game_server.errors import Conflict, Invalid
from game_server.models import ScoreEntry, User
from game_server.services import GameService, Registration
from game_server.web.i18n import Translator

from .conftest import PASSWORD, Browser, MakeBrowser, registration

NNBSP = "\u202f"
HA_LINK = "https://my.home-assistant.io/redirect/config_flow_start/?domain=sunshare"
# Every field wrong at once (shape and rules), in the form's order.
BAD_FORM = {
    "display_name": "",
    "password": "short",
    "password_confirm": "other",
    "prm": "123",
    "adults": "0",
    "children": "many",
    "solar_kwc": "lots",
    "postcode": "!!!",
}
# The message key each of those fields gets (the page's catalogue gives the text).
MESSAGE_KEYS = {
    "username": "error.field.username",
    "display_name": "error.field.display_name",
    "password": "error.field.password",
    "password_confirm": "register.password_mismatch",
    "prm": "error.field.prm",
    "adults": "error.field.adults",
    "children": "form.not_an_integer",
    "solar_kwc": "form.not_a_number",
    "postcode": "error.field.postcode",
}


async def new_player(
    make_browser: MakeBrowser, username: str, lang: str = "fr", **changes: str
) -> Browser:
    """Return a browser in a language with a freshly registered (signed-in) player."""
    browser = await make_browser()
    await browser.get(f"/lang/{lang}?next=/register")
    status, text = await browser.post("/register", registration(username, **changes))
    assert status == 200, text
    return browser


async def account(service: GameService, username: str) -> User:
    """Return a registered account."""
    user = await service.storage.get_user_by_username(username)
    assert user is not None
    return user


def field_errors(text: str) -> dict[str, str]:
    """Return the message shown under each field of a form page."""
    found = re.findall(
        r'<span class="error" id="e-([a-z_]+)" role="alert">([^<]*)<', text
    )
    return {name: html.unescape(message) for name, message in found}


# --- registration: every error at once ----------------------------------------------


@pytest.mark.parametrize("lang", ["fr", "en"])
async def test_registration_shows_every_error_at_once(
    make_browser: MakeBrowser, lang: str
) -> None:
    """Shape errors (numbers) and the rules' errors (username, PRM…) appear together."""
    browser = await make_browser()
    await browser.get(f"/lang/{lang}?next=/register")
    status, text = await browser.post("/register", registration("A!", **BAD_FORM))
    assert status == 422
    t = Translator(lang)
    assert field_errors(text) == {name: t(key) for name, key in MESSAGE_KEYS.items()}
    count = {"fr": "9 champs à corriger.", "en": "9 fields to fix."}[lang]
    assert count in text
    # Every field with an error is marked for assistive technologies.
    assert text.count('aria-invalid="true"') == 9
    # The player's typing is kept; passwords are never echoed back.
    assert 'value="A!"' in text and "short" not in text


async def test_registration_shows_taken_username_and_meter_with_other_errors(
    make_browser: MakeBrowser,
) -> None:
    """A username and a meter already registered are reported beside other errors."""
    await new_player(make_browser, "alice", prm="12345678901234")
    browser = await make_browser()
    await browser.get("/lang/en?next=/register")
    status, text = await browser.post(
        "/register",
        registration("alice", prm="1234 5678 9012 34", adults="0", solar_kwc="x"),
    )
    assert status == 422
    errors = field_errors(text)
    assert errors["username"] == "This username is already taken."
    assert errors["prm"].startswith("This meter (PRM) is already registered")
    assert errors["solar_kwc"] == "Enter a number (for example 3.5)."
    assert errors["adults"] == "The household has 1 to 20 people aged 14 and over."
    # Once fixed, the account is created.
    status, text = await browser.post("/register", registration("bob"))
    assert status == 200 and "Hello Bob" in text


async def test_service_lists_registration_errors_and_register_raises_the_first(
    service: GameService,
) -> None:
    """``registration_errors`` lists one error per field; ``register`` the first."""
    await service.register(
        Registration(
            username="alice", password=PASSWORD, display_name="A", prm="12345678901234"
        )
    )
    form = Registration(
        username="alice",
        password="short",
        display_name="",
        prm="12345678901234",
        adults=0,
        children=30,
        solar_kwc=-1,
        postcode="??",
    )
    errors = await service.registration_errors(form)
    assert [(type(e), e.field) for e in errors] == [
        (Invalid, "password"),
        (Invalid, "display_name"),
        (Invalid, "adults"),
        (Invalid, "children"),
        (Invalid, "solar_kwc"),
        (Invalid, "postcode"),
        (Conflict, "username"),
        (Conflict, "prm"),
    ]
    with pytest.raises(Invalid) as raised:
        await service.register(form)
    assert raised.value.field == "password"
    assert (
        await service.registration_errors(
            Registration(username="bob", password=PASSWORD, display_name="Bob")
        )
        == []
    )


# --- numbers and dates in the page language ---------------------------------------


async def test_numbers_and_dates_in_both_languages(
    make_browser: MakeBrowser, service: GameService
) -> None:
    """French pages write 141,25 kWh and 12 345,5; English ones 141.25 kWh, 12,345.5."""
    fr = await new_player(make_browser, "carol", "fr", mode="simplified")
    user = await account(service, "carol")
    season = await service.current_season()
    assert season is not None
    await service.storage.replace_scores(
        season.id,
        user.id,
        [
            ScoreEntry(
                season_id=season.id,
                user_id=user.id,
                challenge="piggy_bank",
                month="2026-11",
                points=1234.5,
                card={
                    "eligible": True,
                    "provisional": True,
                    "factors": {"credit_kwh": 141.25, "green_share": 0.425},
                },
            )
        ],
    )
    await fr.post(
        "/meter-index", {"date": "2026-11-16", "import_index_kwh": "12 345,5"}
    )
    status, text = await fr.get("/dashboard")
    assert status == 200
    assert f"12{NNBSP}345,5" in text  # the meter index, as typed
    assert "16/11/2026" in text
    assert f"1{NNBSP}234,50 pts" in text
    assert "Saison Hiver 2026 (01/11/2026 → 31/03/2027)" in text
    status, text = await fr.get("/score/piggy_bank/2026-11")
    assert "novembre 2026" in text
    assert "141,25 kWh" in text and "42,5 %" in text
    assert "141.25" not in text

    en = await make_browser()
    await en.get("/lang/en?next=/login")
    await en.login("carol")
    status, text = await en.get("/dashboard")
    assert "12,345.5" in text
    assert "1,234.50 pts" in text
    assert "Season Hiver 2026 (01/11/2026 → 31/03/2027)" in text
    status, text = await en.get("/score/piggy_bank/2026-11")
    assert "November 2026" in text
    assert "141.25 kWh" in text and "42.5 %" in text
    # A number copied from a French page (narrow no-break spaces) reads back.
    status, text = await fr.post(
        "/meter-index", {"date": "2026-11-23", "import_index_kwh": f"12{NNBSP}400,5"}
    )
    assert "Relevé enregistré." in text
    assert f"12{NNBSP}400,5" in text


# --- the score chart: the month in progress ----------------------------------------


class TestMonthInProgress:
    """In January, the season's third month is in progress."""

    @pytest.fixture
    def clock(self) -> Callable[[], datetime]:
        """Return a clock in the middle of January 2027 (the season runs)."""
        return lambda: datetime(2027, 1, 15, 10, 0, tzinfo=UTC)

    async def _store(self, service: GameService, months: dict[str, float]) -> None:
        """Store the player's points per month."""
        user = await account(service, "dora")
        season = await service.current_season()
        assert season is not None
        await service.storage.replace_scores(
            season.id,
            user.id,
            [
                ScoreEntry(
                    season_id=season.id,
                    user_id=user.id,
                    challenge="piggy_bank",
                    month=month,
                    points=points,
                )
                for month, points in months.items()
            ],
        )

    @pytest.mark.parametrize(
        ("lang", "note"),
        [
            ("fr", "janv. 2027 · mois en cours : points provisoires"),
            ("en", "Jan 2027 · month in progress: provisional points"),
        ],
    )
    async def test_current_month_is_marked_in_progress(
        self, make_browser: MakeBrowser, service: GameService, lang: str, note: str
    ) -> None:
        """The line stops at December; January is reached by a dashed segment."""
        browser = await new_player(make_browser, "dora", lang)
        await self._store(service, {"2026-11": 40, "2026-12": 55, "2027-01": 3})
        status, text = await browser.get("/dashboard")
        assert status == 200
        chart = text.split('id="score-chart"', 1)[1].split("</section>", 1)[0]
        line = re.search(r'<path class="line" d="([^"]+)"', chart)
        assert line is not None
        assert line.group(1).count("L") == 1  # November → December only
        assert '<path class="line partial" d="' in chart
        assert chart.count('class="dot partial"') == 1
        assert chart.count('class="dot"') == 2
        assert note in html.unescape(chart)

    async def test_past_months_only_are_not_in_progress(
        self, make_browser: MakeBrowser, service: GameService
    ) -> None:
        """Without a January result, nothing is drawn at 0 nor marked in progress."""
        browser = await new_player(make_browser, "dora")
        await self._store(service, {"2026-11": 40, "2026-12": 55})
        _status, text = await browser.get("/dashboard")
        chart = text.split('id="score-chart"', 1)[1].split("</section>", 1)[0]
        assert "partial" not in chart
        assert "mois en cours" not in chart
        assert "nov. 2026" in chart and "déc. 2026" in chart


# --- next steps of a new player ----------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "title", "done"),
    [("fr", "Vos prochaines étapes", "fait"), ("en", "Your next steps", "done")],
)
async def test_next_steps_shown_then_hidden(
    make_browser: MakeBrowser, service: GameService, lang: str, title: str, done: str
) -> None:
    """Token, Home Assistant, team: each is ticked off; the panel goes once all are."""
    browser = await new_player(make_browser, "erin", lang)
    status, text = await browser.get("/dashboard")
    assert 'id="next-steps"' in text and title in text
    assert f'href="{html.escape(HA_LINK)}"' in text
    assert 'rel="noopener noreferrer"' in text
    assert 'class="done"' not in text

    status, text = await browser.post("/tokens", {"device_name": "Home Assistant"})
    secret = re.search(r'<code class="secret"[^>]*>([^<]+)</code>', text)
    assert secret is not None
    status, text = await browser.get("/dashboard")
    assert '<li id="next-step-token" class="done">' in text
    assert f'<span class="badge ok">{done}</span>' in text
    assert '<li id="next-step-home_assistant">' in text

    # Home Assistant uses the token (it sends data): that step is done.
    await service.user_for_token(secret.group(1))
    status, text = await browser.get("/dashboard")
    assert '<li id="next-step-home_assistant" class="done">' in text
    assert '<li id="next-step-team">' in text

    await browser.post("/team/create", {"name": f"Team {lang}"})
    status, text = await browser.get("/dashboard")
    assert status == 200
    assert 'id="next-steps"' not in text and title not in text


# --- the team invite link ----------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "label", "button"),
    [
        ("fr", "Lien d&#39;invitation à partager :", "Copier le lien"),
        ("en", "Invite link to share:", "Copy the link"),
    ],
)
async def test_invite_link_fills_the_join_form(
    make_browser: MakeBrowser,
    client: Any,
    *,
    service: GameService,
    lang: str,
    label: str,
    button: str,
) -> None:
    """The team page gives a link with a copy button; opening it fills the code in."""
    captain = await new_player(make_browser, "fred", lang)
    await captain.post("/team/create", {"name": "Les Tournesols"})
    status, text = await captain.get("/team")
    user = await account(service, "fred")
    team = await service.team_of(user)
    assert team is not None
    base = str(client.make_url("")).rstrip("/")
    link = f"{base}/team?invite={team.invite_code}"
    assert label in text and button in text
    assert f'<input id="invite-link" type="text" value="{link}" readonly>' in text
    assert 'data-copy="invite-link"' in text
    # The CSP allows no inline JavaScript: the button works through app.js.
    assert "<script>" not in text and "onclick" not in text

    mate = await new_player(make_browser, "gina", lang)
    status, text = await mate.get(link.removeprefix(base))
    assert status == 200
    assert f'name="invite_code" type="text" value="{team.invite_code}"' in text
    status, text = await mate.post("/team/join", {"invite_code": team.invite_code})
    assert status == 200
    assert "Gina" in text and 'id="members"' in text
    # A member who opens an invite link again just sees the team.
    status, text = await mate.get(link.removeprefix(base))
    assert 'id="join-team"' not in text


async def test_invite_link_under_ingress(
    make_browser: MakeBrowser, service: GameService, trust_loopback: None
) -> None:
    """Under Home Assistant's ingress the link keeps the ingress path."""
    captain = await new_player(make_browser, "hugo")
    await captain.post("/team/create", {"name": "Soleil"})
    prefix = "/api/hassio_ingress/abc123"
    _status, text = await captain.get("/team", headers={"X-Ingress-Path": prefix})
    team = await service.team_of(await account(service, "hugo"))
    assert team is not None
    match = re.search(r'id="invite-link" type="text" value="([^"]+)"', text)
    assert match is not None
    assert match.group(1).endswith(f"{prefix}/team?invite={team.invite_code}")
