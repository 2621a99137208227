"""The web pages over real HTTP: rendering in both languages and the player flows."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

from aiohttp.test_utils import TestClient
import pytest

from game_server.models import CatalogueAction, DailyReading, Mode, ScoreEntry
from game_server.services import GameService

from .conftest import (
    NOW,
    PASSWORD,
    Browser,
    MakeBrowser,
    days_ago,
    registration,
    signed_up,
)


@pytest.mark.parametrize(
    ("headers", "expected", "other"),
    [
        ({}, "Connexion", "Sign in to follow"),
        ({"Accept-Language": "en-GB,en;q=0.9"}, "Sign in to follow", "Connexion"),
    ],
)
async def test_login_page_language(
    client: TestClient[Any, Any], headers: dict[str, str], expected: str, other: str
) -> None:
    """The login page is French by default and English when the browser asks."""
    response = await client.get("/login", headers=headers)
    text = await response.text()
    assert response.status == 200
    assert expected in text
    assert other not in text
    assert response.headers["Content-Type"].startswith("text/html")


async def test_language_switch_is_remembered(make_browser: MakeBrowser) -> None:
    """The language switch keeps English for the rest of the session."""
    browser = await make_browser()
    status, text = await browser.get("/lang/en?next=/register")
    assert status == 200
    assert "Create an account" in text
    status, text = await browser.get("/login")
    assert 'lang="en"' in text
    status, text = await browser.get("/lang/fr?next=/login")
    assert 'lang="fr"' in text
    status, _ = await browser.get("/lang/de?next=/login")
    assert status == 404


async def test_static_files_served(client: TestClient[Any, Any]) -> None:
    """The stylesheet and script are served by the app itself (no CDN)."""
    for name in ("app.css", "app.js", "favicon.svg"):
        response = await client.get(f"/static/{name}")
        assert response.status == 200
        assert len(await response.read()) > 100
    text = await (await client.get("/login")).text()
    assert "http://" not in text.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in text


async def test_anonymous_is_sent_to_login(client: TestClient[Any, Any]) -> None:
    """Private pages redirect an anonymous visitor to the login page."""
    for path in ("/", "/dashboard", "/team", "/leaderboard", "/admin"):
        response = await client.get(path, allow_redirects=False)
        assert response.status == 303, path
        assert response.headers["Location"].partition("?")[0] == "/login"


async def test_registration_errors_are_shown_per_field(
    make_browser: MakeBrowser,
) -> None:
    """Bad registration input is refused with a message next to each field."""
    browser = await make_browser()
    await browser.get("/register")
    status, text = await browser.post(
        "/register",
        registration(
            "A!",
            password="short",
            password_confirm="other",
            adults="many",
            solar_kwc="lots",
        ),
    )
    assert status == 422
    assert "Les deux mots de passe ne sont pas identiques." in text
    assert "Entrez un nombre entier." in text
    assert "Entrez un nombre (par exemple 3,5)." in text
    # Values typed so far are kept; passwords are never echoed back.
    assert 'value="A!"' in text
    assert "short" not in text
    # Shape is fine but the service refuses the username: its message is shown.
    status, text = await browser.post("/register", registration("A!"))
    assert status == 422
    assert "L&#39;identifiant doit faire 3 à 32 caractères" in text
    status, text = await browser.post("/register", registration("bob", prm="123"))
    assert status == 422
    assert "Le PRM doit comporter exactement 14 chiffres." in text
    status, text = await browser.post("/register", registration("bob", adults="0"))
    assert "Le foyer compte de 1 à 20 personnes" in text


async def test_duplicate_prm_and_username_refused(make_browser: MakeBrowser) -> None:
    """A PRM or username already registered is refused with a clear message."""
    await signed_up(make_browser, "alice", prm="12345678901234")
    browser = await make_browser()
    await browser.get("/lang/en?next=/register")
    status, text = await browser.post(
        "/register", registration("bob", prm="12345678901234")
    )
    assert status == 422
    assert "This meter (PRM) is already registered to another account" in text
    status, text = await browser.post("/register", registration("alice"))
    assert status == 422
    assert "This username is already taken." in text


async def test_login_logout(make_browser: MakeBrowser) -> None:
    """A player signs in with the right password only, and signs out."""
    await signed_up(make_browser, "alice")
    browser = await make_browser()
    status, text = await browser.login("alice", "wrong password!")
    assert status == 401
    assert "Identifiant ou mot de passe incorrect." in text
    status, text = await browser.login("ALICE ")
    assert status == 200
    assert "Bonjour Alice" in text
    status, text = await browser.post("/logout")
    assert "Vous êtes déconnecté." in text
    response = await browser.client.get("/dashboard", allow_redirects=False)
    assert response.status == 303


async def test_dashboard_without_data_shows_honest_empty_state(
    make_browser: MakeBrowser,
) -> None:
    """With nothing stored, the dashboard says so instead of inventing numbers."""
    browser = await signed_up(make_browser, "alice")
    status, text = await browser.get("/dashboard")
    assert status == 200
    assert "Pas encore de score" in text
    assert "Aucune donnée pour l&#39;instant." in text
    assert "Le carrousel des bonnes idées" in text
    assert 'class="chart"' not in text


async def test_dashboard_shows_stored_data(
    make_browser: MakeBrowser, service: GameService
) -> None:
    """Stored readings and scores appear as tallies and SVG charts."""
    browser = await signed_up(make_browser, "alice")
    user = await service.storage.get_user_by_username("alice")
    assert user is not None
    for n, (imp, exp) in enumerate([(10.0, 2.0), (8.0, 5.5), (6.0, 9.0)]):
        await service.storage.upsert_reading(
            DailyReading(
                user_id=user.id, day=days_ago(3 - n), import_kwh=imp, export_kwh=exp
            )
        )
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
                points=42.0,
            ),
            ScoreEntry(
                season_id=season.id,
                user_id=user.id,
                challenge="actions",
                month="2026-11",
                points=18.0,
            ),
        ],
    )
    await browser.get("/lang/en?next=/dashboard")
    status, text = await browser.get("/dashboard")
    assert status == 200
    assert "60 pts" in text
    assert "No score yet" not in text
    # Tallies: imported 24, exported 16.5 → balance −7.5 kWh this month.
    assert "-7.5 kWh" in text
    assert "−24.0 / +16.5 kWh" in text
    assert text.count('class="chart"') == 3
    assert "Solar piggy bank: 42.00 pts" in text


def _between(text: str, start: str, end: str) -> str:
    """Return the part of a page from a marker to the next end marker."""
    assert start in text, start
    return text.split(start, 1)[1].split(end, 1)[0]


def _points(html: str) -> list[tuple[str, str]]:
    """Return the (class, text) of every action's points in a piece of page."""
    return re.findall(r'<span class="points (\w+)">([^<]*)</span>', html)


MALUS_IDS = ("heated_pool", "heating_above_21c", "windows_without_walls")


async def test_actions_show_signed_points_and_malus_apart(
    make_browser: MakeBrowser,
) -> None:
    """Every action shows its signed points; those that cost points stand apart.

    They have their own group, button wording and confirmation, and declaring one is
    not announced as a success.
    """
    browser = await signed_up(make_browser, "alice")
    status, text = await browser.get("/dashboard")
    assert status == 200
    good = _between(text, 'id="actions-good"', "</ul>")
    malus = _between(text, 'id="actions-malus"', "</ul>")
    # The good deeds: positive points, the usual button, the self-declared factor.
    assert "Ce qui rapporte des points" in text
    assert "Installer des mousseurs sur les robinets" in good
    assert "+10 pts" in good and "+100 pts" in good
    assert len(_points(good)) == good.count("<li ") > 10
    assert all(k == "plus" and v.startswith("+") for k, v in _points(good))
    assert "C&#39;est fait" in good
    assert "coûte" not in good
    assert not any(f'value="{action_id}"' in good for action_id in MALUS_IDS)
    assert "une action déclarée en rapporte × 0,5." in text
    # What costs points: its own group, minus signs, honest wording and a confirmation.
    heading = _between(text, 'id="actions-malus-title">', "</h3>")
    assert heading == "Ce qui coûte des points"
    assert text.index('id="actions-good"') < text.index('id="actions-malus"')
    for action_id in MALUS_IDS:
        assert f'value="{action_id}"' in malus
    assert "Chauffer une piscine" in malus
    assert sorted(v for _k, v in _points(malus)) == ["−100 pts", "−30 pts", "−50 pts"]
    assert all(k == "minus" for k, _v in _points(malus))
    assert malus.count("Je l&#39;ai fait — cela coûte des points") == 3
    assert "C&#39;est fait" not in malus
    assert 'data-confirm="Cela retire 100 pts à votre score. La déclarer ?"' in malus
    assert "en entier, que votre capitaine les confirme ou non" in text

    # Declaring one says plainly what it costs: no "success" message.
    status, text = await browser.post(
        "/actions", {"action_id": "heated_pool", "date": NOW.date().isoformat()}
    )
    assert status == 200
    assert (
        '<div class="flash info" role="status">Déclarée : cette action coûte 100 pts.'
        in text
    )
    assert "Action déclarée." not in text
    declared = _between(text, 'data-action="heated_pool"', "</li>")
    assert 'class="badge bad"' in declared
    # A good deed still gets the usual message.
    status, text = await browser.post(
        "/actions", {"action_id": "tap_aerators", "date": NOW.date().isoformat()}
    )
    assert '<div class="flash success" role="status">Action déclarée.</div>' in text

    await browser.get("/lang/en?next=/dashboard")
    status, text = await browser.get("/dashboard")
    good = _between(text, 'id="actions-good"', "</ul>")
    malus = _between(text, 'id="actions-malus"', "</ul>")
    assert "Things that earn points" in text
    assert "Things that cost points" in text
    assert "+10 pts" in good and "Done" in good
    assert "Heat a swimming pool" in malus and "−100 pts" in malus
    assert malus.count("I did this — it costs points") == 3
    assert "Done" not in malus
    assert "a declared action earns × 0.5 of them." in text


async def test_tokens_create_and_revoke(make_browser: MakeBrowser) -> None:
    """A player creates a device token, sees it once, lists and revokes it."""
    browser = await signed_up(make_browser, "alice")
    await browser.get("/dashboard")
    status, text = await browser.post("/tokens", {"device_name": "Home Assistant"})
    assert status == 200
    assert 'id="token-secret">ssg_' in text
    status, text = await browser.get("/dashboard")
    assert "Home Assistant" in text
    assert "ssg_" not in text
    token_path = text.split('action="/tokens/')[1].split('"')[0]
    status, text = await browser.post(f"/tokens/{token_path}")
    assert "Jeton révoqué." in text
    assert "Aucun appareil connecté." in text
    status, text = await browser.post("/tokens", {"device_name": ""})
    assert "Le nom de l&#39;appareil doit faire 1 à 64 caractères." in text


async def test_team_flow(make_browser: MakeBrowser, service: GameService) -> None:
    """Create a team, join it with the invite code, verify an action, remove, leave."""
    alice = await signed_up(make_browser, "alice")
    status, text = await alice.get("/team")
    assert "Créer une équipe" in text
    status, text = await alice.post("/team/create", {"name": "X"})
    assert status == 422
    assert "Longueur du nom invalide" in text
    status, text = await alice.post("/team/create", {"name": "Les Tournesols"})
    assert status == 200
    assert "Équipe « Les Tournesols » créée" in text
    code = text.split('id="invite-code">')[1].split("<")[0]
    assert len(code) == 10

    bob = await signed_up(make_browser, "bob")
    status, text = await bob.post("/team/join", {"invite_code": "NOPE"})
    assert status == 422
    assert "Aucune équipe n&#39;a ce code d&#39;invitation." in text
    status, text = await bob.post("/team/join", {"invite_code": code.lower()})
    assert "Vous avez rejoint l&#39;équipe « Les Tournesols »." in text
    assert "Alice" in text and "Bob" in text
    # Bob is not captain: no remove buttons, no verification list.
    assert "/members/" not in text
    status, text = await bob.post("/team/create", {"name": "Another"})
    assert "Vous êtes déjà dans une équipe" in text

    # Bob declares an action; Alice (captain) confirms it.
    await bob.get("/dashboard")
    status, text = await bob.post(
        "/actions", {"action_id": "heating_19c", "date": NOW.date().isoformat()}
    )
    assert "Action déclarée." in text
    status, text = await bob.post(
        "/actions", {"action_id": "heating_19c", "date": NOW.date().isoformat()}
    )
    assert "déjà déclarée" in text
    # A malus counts in full, confirmed or not: the captain is not asked about it.
    status, text = await bob.post(
        "/actions", {"action_id": "heated_pool", "date": NOW.date().isoformat()}
    )
    assert status == 200
    status, text = await alice.get("/team")
    assert "Actions à confirmer" in text
    assert text.count('action="/team/declarations/') == 1
    verify = text.split('action="/team/declarations/')[1].split('"')[0]
    status, text = await alice.post(f"/team/declarations/{verify}")
    assert "Action confirmée." in text
    status, text = await bob.get("/dashboard")
    assert "confirmée" in text

    # The leaderboard lists the team (no invented points before scoring).
    status, text = await bob.get("/leaderboard")
    assert "Les Tournesols" in text
    assert "Pas encore de score" in text

    # Alice removes Bob; Bob has no team left to leave; Alice leaves (team deleted).
    status, text = await alice.get("/team")
    remove = text.split('action="/team/')[1].split('"')[0]
    assert "/members/" in remove
    status, text = await alice.post(f"/team/{remove}")
    assert "Membre retiré." in text
    status, text = await bob.get("/team")
    assert "Rejoindre une équipe" in text
    await bob.get("/lang/en?next=/team")
    status, text = await bob.post("/team/leave")
    assert "you are not in a team this season" in text
    status, text = await alice.post("/team/leave")
    assert "Vous avez quitté l&#39;équipe." in text
    assert await service.storage.list_teams() == []


async def test_simplified_mode_meter_index(make_browser: MakeBrowser) -> None:
    """A simplified-mode player types meter indexes; a decreasing one is refused."""
    browser = await signed_up(make_browser, "carol", mode="simplified")
    status, text = await browser.get("/dashboard")
    assert "Relevé de mon compteur" in text
    status, text = await browser.post(
        "/meter-index",
        {"date": days_ago(7).isoformat(), "import_index_kwh": "12 345,5"},
    )
    assert "Relevé enregistré." in text
    assert "12\u202f345,5" in text  # French grouping and decimal comma (Babel)
    status, text = await browser.post(
        "/meter-index", {"date": days_ago(0).isoformat(), "import_index_kwh": "100"}
    )
    assert "Un index de compteur ne peut que croître" in text
    status, text = await browser.post(
        "/meter-index", {"date": "2026-13-01", "import_index_kwh": "abc"}
    )
    assert "Date: Entrez une date valide." in text
    status, text = await browser.post(
        "/meter-index", {"date": "2026-11-20", "import_index_kwh": "abc"}
    )
    assert "Index soutirage (kWh): Entrez un nombre" in text
    status, text = await browser.post(
        "/meter-index", {"date": "2027-01-01", "import_index_kwh": "20000"}
    )
    assert status == 200
    assert "La date est dans le futur." in text


async def test_full_mode_has_no_index_form(make_browser: MakeBrowser) -> None:
    """A full-mode player has no meter index form and the service refuses one."""
    browser = await signed_up(make_browser, "dave")
    status, text = await browser.get("/dashboard")
    assert "Relevé de mon compteur" not in text
    status, text = await browser.post(
        "/meter-index", {"date": days_ago(1).isoformat(), "import_index_kwh": "10"}
    )
    assert status == 200
    assert "réservé aux foyers en mode simplifié" in text


async def test_admin_pages(
    make_browser: MakeBrowser, admin: str, service: GameService
) -> None:
    """The admin sees KPIs and manages users, teams, seasons and the catalogue."""
    alice = await signed_up(make_browser, "alice", prm="11111111111111")
    await alice.post("/team/create", {"name": "Soleil"})
    await signed_up(make_browser, "bob", mode=Mode.SIMPLIFIED.value)
    boss = await make_browser()
    status, text = await boss.login(admin)
    assert status == 200
    status, text = await boss.get("/admin")
    assert status == 200
    assert "Joueurs inscrits" in text
    assert "Soleil" in text
    status, text = await boss.get("/admin/users")
    assert "Alice" in text and "Bob" in text and "11111111111111" in text
    alice_user = await service.storage.get_user_by_username("alice")
    bob_user = await service.storage.get_user_by_username("bob")
    assert alice_user and bob_user
    status, text = await boss.post(
        f"/admin/users/{alice_user.id}/verify-prm", {"verified": "1"}
    )
    assert "Validation du PRM mise à jour." in text
    assert (await service.get_user(alice_user.id)).prm_verified
    status, text = await boss.post(
        f"/admin/users/{bob_user.id}/verify-prm", {"verified": "1"}
    )
    assert "Ce joueur n&#39;a pas de PRM à vérifier." in text
    team = await service.team_of(alice_user)
    assert team is not None
    status, text = await boss.post(
        f"/admin/users/{bob_user.id}/team", {"team_id": team.id}
    )
    assert "Équipe du joueur modifiée." in text
    assert [m.username for m in await service.team_members(team)] == ["alice", "bob"]
    status, text = await boss.post(f"/admin/users/{bob_user.id}/reset-password")
    new_password = text.split('id="new-password">')[1].split("<")[0]
    assert len(new_password) >= 10
    bob = await make_browser()
    status, _ = await bob.login("bob", new_password)
    assert status == 200
    status, text = await boss.post(
        f"/admin/users/{bob_user.id}/disable", {"disabled": "1"}
    )
    assert "Compte désactivé." in text
    status, text = await boss.get("/admin/users")
    assert "désactivé" in text
    status, text = await boss.post(f"/admin/users/{bob_user.id}/disable")
    assert "Compte réactivé." in text
    status, text = await boss.post(
        f"/admin/users/{bob_user.id}/role", {"role": "admin"}
    )
    assert "Rôle modifié." in text
    assert (await service.get_user(bob_user.id)).is_admin
    admin_user = await service.storage.get_user_by_username(admin)
    assert admin_user is not None
    status, text = await boss.post(
        f"/admin/users/{admin_user.id}/role", {"role": "player"}
    )
    assert "Vous ne pouvez pas retirer votre propre rôle d&#39;administrateur." in text
    status, text = await boss.post(f"/admin/users/{bob_user.id}/bogus")
    assert status == 404

    # Teams: create, rename, merge, delete.
    status, text = await boss.post("/admin/teams", {"name": "Lune"})
    assert "Équipe créée." in text
    teams = {t.name: t for t in await service.storage.list_teams()}
    status, text = await boss.post(
        f"/admin/teams/{teams['Lune'].id}/rename", {"name": "Soleil"}
    )
    assert "Une équipe porte déjà ce nom cette saison." in text
    status, text = await boss.post(
        f"/admin/teams/{teams['Lune'].id}/rename", {"name": "Étoile"}
    )
    assert "Équipe renommée." in text
    status, text = await boss.post(
        f"/admin/teams/{teams['Soleil'].id}/merge", {"target_id": teams["Lune"].id}
    )
    assert "Équipes fusionnées." in text
    status, text = await boss.post(f"/admin/teams/{teams['Lune'].id}/delete")
    assert "Équipe supprimée." in text
    assert await service.storage.list_teams() == []

    # Seasons and peak events.
    status, text = await boss.get("/admin/seasons")
    assert "Hiver 2026" in text
    status, text = await boss.post(
        "/admin/seasons", {"name": "Été", "start": "2027-06-01", "end": "2027-05-01"}
    )
    assert "La fin doit être après le début." in text
    status, text = await boss.post(
        "/admin/seasons", {"name": "Été", "start": "2027-06-01", "end": "2027-08-31"}
    )
    assert "Saison enregistrée." in text
    status, text = await boss.post(
        "/admin/seasons", {"name": "X", "start": "bad", "end": ""}
    )
    assert "Entrez une date valide." in text
    status, text = await boss.post(
        "/admin/peak-events",
        {
            "start": "2026-12-01T18:00",
            "end": "2026-12-01T20:00",
            "multiplier": "3",
            "note": "froid",
        },
    )
    assert "Pointe annoncée." in text
    assert "froid" in text
    event_path = text.split('action="/admin/peak-events/')[1].split('"')[0]
    status, text = await boss.post(f"/admin/peak-events/{event_path}")
    assert "Pointe annulée." in text

    # Catalogue.
    status, text = await boss.post(
        "/admin/catalogue",
        {
            "id": "led_bulbs_2",
            "domain": "lighting",
            "level": "1",
            "base_points": "12",
            "title_fr": "Ampoules LED",
            "title_en": "LED bulbs",
            "enabled": "on",
        },
    )
    assert "Action enregistrée." in text
    assert await service.storage.get_catalogue_action("led_bulbs_2") == CatalogueAction(
        id="led_bulbs_2",
        domain="lighting",
        level=1,
        base_points=12.0,
        title_fr="Ampoules LED",
        title_en="LED bulbs",
    )
    status, text = await boss.post(
        "/admin/catalogue",
        {"id": "Bad Id", "domain": "lighting", "title_fr": "a", "title_en": "b"},
    )
    assert "L&#39;identifiant doit comporter 2 à 64 caractères" in text
    status, text = await boss.post("/admin/catalogue/led_bulbs_2/delete")
    assert "Action supprimée." in text

    # Every change is in the audit log.
    status, text = await boss.get("/admin/audit")
    for action in (
        "user.verify_prm",
        "user.change_team",
        "user.reset_password",
        "user.disable",
        "team.merge",
        "season.create",
        "catalogue.delete",
    ):
        assert action in text, action


async def test_password_is_never_rendered(make_browser: MakeBrowser) -> None:
    """No page ever echoes the password back."""
    browser = await signed_up(make_browser, "alice")
    for path in ("/dashboard", "/team", "/leaderboard"):
        _, text = await browser.get(path)
        assert PASSWORD not in text


@pytest.mark.parametrize(
    ("lang", "marker"), [("fr", "Classement"), ("en", "Leaderboard")]
)
async def test_every_page_renders_in_both_languages(
    make_browser: MakeBrowser, admin: str, lang: str, marker: str
) -> None:
    """Every page renders in French and English without any untranslated key."""
    import re

    alice = await signed_up(make_browser, "alice", mode="simplified")
    await alice.post("/team/create", {"name": "Soleil"})
    boss = await make_browser()
    await boss.login(admin)
    raw_key = re.compile(r">\s*[a-z_]+\.[a-z_]+(?:\.[a-z_0-9]+)*\s*<")
    pages = [(alice, p) for p in ("/dashboard", "/team", "/leaderboard")]
    pages += [
        (boss, p)
        for p in (
            "/team",
            "/admin",
            "/admin/users",
            "/admin/teams",
            "/admin/seasons",
            "/admin/catalogue",
            "/admin/audit",
        )
    ]
    for browser, path in pages:
        await browser.get(f"/lang/{lang}?next=/login")
        status, text = await browser.get(path)
        assert status == 200, path
        assert f'<html lang="{lang}">' in text
        assert marker in text, path
        # Audit actions are machine identifiers shown as code on purpose.
        prose = re.sub(r"<code>.*?</code>", "", text)
        assert not raw_key.search(prose), (path, raw_key.search(prose))


@pytest.mark.parametrize(
    "body",
    [
        b"username=\xff\xfe&password=x",  # raw bytes that are not UTF-8
        b"csrf_token=%ED%B3%BF&display_name=%ED%B3%BF",  # a lone surrogate, encoded
        b"adults=" + b"9" * 5000 + b"&solar_kwc=1e400&children=nan",
        b"&" * 10_000,
    ],
    ids=["invalid utf-8", "surrogate", "huge numbers", "empty fields"],
)
async def test_hostile_forms_get_a_page_not_a_500(
    make_browser: Callable[[], Awaitable[Browser]], body: bytes
) -> None:
    """A hostile form gets an error page (4xx in the player's language), never a 500."""
    browser = await make_browser()
    await browser.get("/register")
    for path in ("/register", "/login"):
        response = await browser.client.post(
            path,
            data=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        text = await response.text()
        assert 400 <= response.status < 500, (path, response.status, text[:200])
        assert '<html lang="fr"' in text


async def test_signing_in_leads_back_to_the_invite_link(
    make_browser: MakeBrowser,
) -> None:
    """A signed-out player opening an invite link signs in and lands on it, code kept.

    The target travels as ``next`` through the sign-in form and is checked by the same
    same-site rule as every redirect: a hostile one leads to the dashboard.
    """
    alice = await signed_up(make_browser, "alice")
    _status, text = await alice.post("/team/create", {"name": "Les Tournesols"})
    code = text.split('id="invite-code">')[1].split("<")[0]
    await signed_up(make_browser, "bob")  # registered; this visitor is signed out
    visitor = await make_browser()
    response = await visitor.client.get(f"/team?invite={code}", allow_redirects=False)
    assert response.status == 303
    login_url = response.headers["Location"]
    assert urlsplit(login_url).path == "/login"
    assert parse_qs(urlsplit(login_url).query) == {"next": [f"/team?invite={code}"]}
    _status, text = await visitor.get(login_url)
    assert f'name="next" value="/team?invite={code}"' in text
    await visitor.get(login_url)
    response = await visitor.client.post(
        "/login",
        data={
            "csrf_token": visitor.csrf,
            "username": "bob",
            "password": PASSWORD,
            "next": f"/team?invite={code}",
        },
        allow_redirects=False,
    )
    assert response.status == 303
    assert response.headers["Location"] == f"/team?invite={code}"
    _status, text = await visitor.get(response.headers["Location"])
    assert f'value="{code}"' in text  # the join form, filled in

    stranger = await make_browser()
    await stranger.get("/login")
    for hostile in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        await stranger.get("/login")
        response = await stranger.client.post(
            "/login",
            data={
                "csrf_token": stranger.csrf,
                "username": "alice",
                "password": PASSWORD,
                "next": hostile,
            },
            allow_redirects=False,
        )
        assert response.headers["Location"] == "/dashboard", hostile
