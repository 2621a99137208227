"""Web pages of equipment changes and Enedis reconciliation (fr/en, real HTTP).

The player declares and withdraws equipment changes on the dashboard; the admin does
it for a household and sees its days flagged against Enedis (and the review badge);
the score card says which equipment change its reference follows and lists, per
flagged day, the local and the Enedis value.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from game_server.models import ScoreEntry, User
from game_server.rules.models import Challenge, ScoreCard
from game_server.services import GameService, ReadingInput

from .conftest import MakeBrowser, signed_up


async def account(service: GameService, username: str) -> User:
    """Return a stored account."""
    user = await service.storage.get_user_by_username(username)
    assert user is not None
    return user


async def test_player_declares_and_withdraws_equipment(
    make_browser: MakeBrowser, service: GameService
) -> None:
    """The dashboard form adds a change (fr), refuses bad ones, and withdraws it."""
    browser = await signed_up(make_browser, "alice")
    status, text = await browser.get("/dashboard")
    assert status == 200
    assert "Changements d&#39;équipement" in text
    assert "Aucun changement d&#39;équipement déclaré." in text
    assert '<option value="heat_pump">Pompe à chaleur</option>' in text
    status, text = await browser.post(
        "/equipment", {"date": "2026-11-10", "kind": "heat_pump", "note": "air-eau"}
    )
    assert status == 200
    assert "Changement d&#39;équipement enregistré" in text
    assert "<td>10/11/2026</td>" in text and "<td>air-eau</td>" in text
    user = await account(service, "alice")
    assert [(c.kind.value, c.day) for c in user.equipment_changes] == [
        ("heat_pump", date(2026, 11, 10))
    ]
    status, text = await browser.post(
        "/equipment", {"date": "2026-11-10", "kind": "heat_pump", "note": "air-eau"}
    )
    assert "Ce changement d&#39;équipement était déjà déclaré." in text
    status, text = await browser.post(
        "/equipment", {"date": "2026-11-10", "kind": "boiler"}
    )
    assert "Équipement inconnu" in text
    status, text = await browser.post(
        "/equipment", {"date": "2020-01-01", "kind": "ev"}
    )
    assert "La date doit être dans la saison ou sa période de référence." in text
    status, text = await browser.post("/equipment", {"date": "demain", "kind": "ev"})
    assert "Entrez une date valide." in text
    status, text = await browser.post(
        "/equipment/remove", {"date": "2026-11-10", "kind": "heat_pump"}
    )
    assert "Changement d&#39;équipement retiré" in text
    assert (await account(service, "alice")).equipment_changes == []
    status, text = await browser.post(
        "/equipment/remove", {"date": "2026-11-10", "kind": "heat_pump"}
    )
    assert "Introuvable." in text
    status, text = await browser.post(
        "/equipment/remove", {"date": "", "kind": "heat_pump"}
    )
    assert "Ce champ est obligatoire." in text
    await browser.get("/lang/en?next=/dashboard")
    status, text = await browser.get("/dashboard")
    assert "Equipment changes" in text and "Heat pump" in text


async def test_admin_manages_equipment_and_sees_review(
    make_browser: MakeBrowser, admin: str, service: GameService
) -> None:
    """The admin adds/withdraws a household's change and sees its flagged days."""
    await signed_up(make_browser, "bob")
    bob = await account(service, "bob")
    for n, day in enumerate([date(2026, 11, d) for d in (10, 12, 14, 16)]):
        await service.record_reading(bob, day, ReadingInput(import_kwh=20.0))
        if n < 3:
            await service.record_enedis_reading(bob, day, 10.0)
    boss = await make_browser()
    await boss.login(admin)
    status, text = await boss.get("/admin/users")
    assert status == 200
    assert "3 jour(s) signalé(s)" in text and "À vérifier" not in text
    assert "<td>10/11/2026</td>" in text
    assert '<td class="num">20,00 kWh</td><td class="num">10,00 kWh</td>' in text
    await service.record_enedis_reading(bob, date(2026, 11, 16), 10.0)
    status, text = await boss.get("/admin/users")
    assert "review-needed" in text and "À vérifier" in text
    status, text = await boss.post(
        f"/admin/users/{bob.id}/equipment-add",
        {"date": "2026-10-20", "kind": "pv", "note": "6 kWc"},
    )
    assert "Changement d&#39;équipement enregistré" in text
    assert "20/10/2026 · Panneaux solaires · 6 kWc" in text
    bob = await account(service, "bob")
    assert [c.kind.value for c in bob.equipment_changes] == ["pv"]
    audit = await service.storage.list_audit()
    assert audit[0].action == "user.equipment_add" and audit[0].target_id == bob.id
    status, text = await boss.post(
        f"/admin/users/{bob.id}/equipment-add", {"date": "", "kind": "pv"}
    )
    assert "Date: Ce champ est obligatoire." in text
    status, text = await boss.post(
        f"/admin/users/{bob.id}/equipment-remove", {"date": "2026-10-20", "kind": "pv"}
    )
    assert "Changement d&#39;équipement retiré" in text
    assert (await account(service, "bob")).equipment_changes == []
    audit = await service.storage.list_audit()
    assert audit[0].action == "user.equipment_remove"
    status, text = await boss.post(
        f"/admin/users/{bob.id}/equipment-remove", {"date": "2026-10-20", "kind": "pv"}
    )
    assert "Introuvable." in text


def _sobriety_card(equipment: dict[str, Any]) -> dict[str, Any]:
    """Return a sobriety card as the scoring job stores it, with its annotations."""
    card = ScoreCard(
        challenge=Challenge.SOBRIETY,
        month="2026-11",
        points=10.0,
        reference={
            "kind": "short",
            "days": 27,
            "first": "2026-10-05",
            "last": "2026-10-31",
            "days_used": 27,
            "equipment_change": equipment,
        },
        factors={"reduction_pct": 5.0},
        data_quality={
            "valid_days": 22,
            "period_days": 22,
            "valid_share": 1.0,
            "flagged_days": [
                {"day": "2026-11-20", "local_kwh": 5.0, "enedis_kwh": 11.4}
            ],
        },
    )
    return card.as_dict()


async def test_score_card_shows_equipment_and_flagged_days(
    make_browser: MakeBrowser, service: GameService
) -> None:
    """The card says from when the reference is re-computed and lists both values."""
    browser = await signed_up(make_browser, "carol")
    carol = await account(service, "carol")
    season = await service.require_season()
    equipment = {"kind": "heat_pump", "day": "2026-10-05", "effect": "rebased"}
    await service.storage.replace_scores(
        season.id,
        carol.id,
        [
            ScoreEntry(
                season_id=season.id,
                user_id=carol.id,
                challenge="sobriety",
                month="2026-11",
                points=10.0,
                card=_sobriety_card(equipment),
            )
        ],
    )
    status, text = await browser.get("/score/sobriety/2026-11")
    assert status == 200
    assert (
        "Référence recalculée à partir du 05/10/2026 après l&#39;arrivée de : "
        "Pompe à chaleur." in text
    )
    assert "Jours vérifiés avec Enedis" in text
    assert (
        '<td>20/11/2026</td><td class="num">5,00 kWh</td>'
        '<td class="num">11,40 kWh</td>' in text
    )
    assert "Référence : les 27 jours avant la saison" in text
    await browser.get("/lang/en?next=/score")
    status, text = await browser.get("/score/sobriety/2026-11")
    assert "Reference re-computed from 05/10/2026 after the arrival of: Heat pump." in (
        text
    )
    assert "Days checked against Enedis" in text


async def test_excluded_card_names_the_change(
    make_browser: MakeBrowser, service: GameService
) -> None:
    """An excluded card has no reference sentence, only the change that stopped it."""
    browser = await signed_up(make_browser, "dan")
    dan = await account(service, "dan")
    season = await service.require_season()
    card = ScoreCard(
        challenge=Challenge.SOBRIETY,
        month="2026-11",
        points=0.0,
        eligible=False,
        reason="equipment_change",
        reference={
            "equipment_change": {
                "kind": "ev",
                "day": "2026-11-08",
                "effect": "excluded",
            }
        },
    ).as_dict()
    await service.storage.replace_scores(
        season.id,
        dan.id,
        [
            ScoreEntry(
                season_id=season.id,
                user_id=dan.id,
                challenge="sobriety",
                month="2026-11",
                points=0.0,
                card=card,
            )
        ],
    )
    await browser.get("/lang/en?next=/score")
    status, text = await browser.get("/score/sobriety/2026-11")
    assert status == 200
    assert "Not counted yet: Electric car since 08/11/2026" in text
    assert "no usable day" not in text
