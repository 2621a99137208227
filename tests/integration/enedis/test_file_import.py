"""Import of Enedis CSV exports into the statistics (service ``import_file``)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any, cast

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sunshare.const import DOMAIN
from custom_components.sunshare.enedis.models import PARIS, local_midnight_utc
from custom_components.sunshare.enedis_data.const import Direction
from tests.fakes.enedis_gateway import (
    DEFAULT_PRM,
    FakeEnedisGateway,
    curve_power_w,
    day_points,
)

from .conftest import assert_continuous, rows, rows_of_day, setup_entry

HEADER = (
    "Identifiant PRM;Type de donnees;Date de debut;Date de fin;Grandeur physique;"
    "Grandeur metier;Etape metier;Unite;Pas en minutes\n"
)


def load_curve_csv(prm: str, start: date, end: date) -> str:
    """Return a "Mes données" load-curve export of the fake's consumption."""
    lines = [
        HEADER,
        (
            f"{prm};Courbe de charge;{start:%d/%m/%Y};{end:%d/%m/%Y};Energie active;"
            "Consommation;Comptage Brut;W;30\n"
        ),
        "\n",
        "Horodate;Valeur\n",
    ]
    day = start
    while day < end:
        for start_utc, _label in day_points(day):
            stamp = (start_utc + timedelta(minutes=30)).astimezone(PARIS)
            power = curve_power_w(prm, False, start_utc)
            lines.append(f"{stamp.isoformat()};{power}\n")
        day += timedelta(days=1)
    return "".join(lines)


def daily_csv(prm: str, days: dict[date, int]) -> str:
    """Return a "Mes données" daily production export."""
    first, last = min(days), max(days) + timedelta(days=1)
    lines = [
        HEADER.replace(";Pas en minutes", ""),
        (
            f"{prm};Production quotidienne;{first:%d/%m/%Y};{last:%d/%m/%Y};"
            "Energie active;Production;Comptage Brut;Wh\n"
        ),
        "\n",
        "Horodate;Valeur\n",
    ]
    for day, wh in days.items():
        stamp = local_midnight_utc(day).astimezone(PARIS)
        lines.append(f"{stamp.isoformat()};{wh}\n")
    return "".join(lines)


async def import_file(
    hass: HomeAssistant, entry: MockConfigEntry, path: str
) -> dict[str, Any]:
    """Call the service and return its response for the entry."""
    response = await hass.services.async_call(
        DOMAIN,
        "import_file",
        {"config_entry_id": entry.entry_id, "path": path},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    imports = cast("list[dict[str, Any]]", response["imports"])
    return imports[0]


async def test_import_load_curve_file_before_existing_rows(
    hass: HomeAssistant,
    gateway: FakeEnedisGateway,
    entry: MockConfigEntry,
    tmp_path: Path,
) -> None:
    """Older hourly history from a file; the later rows' sums are shifted."""
    hass.config.config_dir = str(tmp_path)
    await setup_entry(hass, entry)
    recent = await rows(hass)
    (tmp_path / "enedis").mkdir()
    start, end = date(2026, 10, 24), date(2026, 10, 27)
    (tmp_path / "enedis" / "export.csv").write_text(
        load_curve_csv(DEFAULT_PRM, start, end), encoding="utf-8"
    )
    result = await import_file(hass, entry, "enedis/export.csv")
    assert result["direction"] == "consumption"
    assert result["kind"] == "load_curve"
    assert (result["first_day"], result["last_day"]) == ("2026-10-24", "2026-10-26")
    all_rows = await rows(hass)
    assert len(rows_of_day(all_rows, date(2026, 10, 25))) == 25
    assert result["rows_written"] == 3 * 24 + 1 + len(recent)
    assert_continuous(all_rows)
    file_wh = sum(
        gateway.daily_wh(DEFAULT_PRM, False, start + timedelta(n)) or 0
        for n in range(3)
    )
    assert all_rows[-1]["sum"] == pytest.approx(recent[-1]["sum"] + file_wh)
    # The same file again: nothing written.
    again = await import_file(hass, entry, str(tmp_path / "enedis" / "export.csv"))
    assert again["rows_written"] == 0


async def test_daily_file_does_not_overwrite_hourly_rows(
    hass: HomeAssistant,
    gateway: FakeEnedisGateway,
    entry: MockConfigEntry,
    tmp_path: Path,
) -> None:
    """A daily export fills days without rows and leaves detailed days alone."""
    hass.config.config_dir = str(tmp_path)
    await setup_entry(hass, entry)
    before = await rows(hass, Direction.PRODUCTION)
    detailed = date(2026, 11, 20)
    old = date(2026, 11, 1)
    path = tmp_path / "daily.csv"
    path.write_text(daily_csv(DEFAULT_PRM, {old: 8000, detailed: 1}), encoding="utf-8")
    result = await import_file(hass, entry, "daily.csv")
    assert result["direction"] == "production"
    after = await rows(hass, Direction.PRODUCTION)
    assert [(r["start"], r["state"]) for r in rows_of_day(after, old)] == [
        (local_midnight_utc(old), 8000.0)
    ]
    assert rows_of_day(after, detailed) == [
        {**r, "sum": r["sum"] + 8000.0} for r in rows_of_day(before, detailed)
    ]
    assert_continuous(after)


@pytest.mark.parametrize(
    ("name", "content", "key"),
    [
        ("missing.csv", None, "enedis_file_not_found"),
        ("bad.csv", "hello;world\n1;2\n", "enedis_file_invalid"),
        ("other.csv", "other", "enedis_file_other_prm"),
        ("../outside.csv", "", "enedis_file_not_allowed"),
    ],
)
async def test_file_errors(  # noqa: PLR0917
    hass: HomeAssistant,
    gateway: FakeEnedisGateway,
    entry: MockConfigEntry,
    tmp_path: Path,
    name: str,
    content: str | None,
    key: str,
) -> None:
    """Unreadable, foreign or out-of-place files are refused with a clear error."""
    config = tmp_path / "config"
    config.mkdir()
    hass.config.config_dir = str(config)
    await setup_entry(hass, entry)
    if content == "other":
        content = load_curve_csv("10284856584123", date(2026, 11, 1), date(2026, 11, 2))
    if content is not None:
        (config / name).write_text(content, encoding="utf-8")
    with pytest.raises(ServiceValidationError) as err:
        await import_file(hass, entry, name)
    assert err.value.translation_key == key


async def test_allowlisted_external_folder(
    hass: HomeAssistant,
    gateway: FakeEnedisGateway,
    entry: MockConfigEntry,
    tmp_path: Path,
) -> None:
    """A file outside the configuration folder is read when its folder is allowed."""
    config, media = tmp_path / "config", tmp_path / "media"
    config.mkdir()
    media.mkdir()
    hass.config.config_dir = str(config)
    hass.config.allowlist_external_dirs = {str(media)}
    await setup_entry(hass, entry)
    path = media / "export.csv"
    path.write_text(
        load_curve_csv(DEFAULT_PRM, date(2026, 11, 1), date(2026, 11, 2)),
        encoding="utf-8",
    )
    result = await import_file(hass, entry, str(path))
    assert result["rows_written"] > 24
