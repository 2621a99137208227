"""Import an Enedis CSV export (daily or load curve) into the statistics."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError

from custom_components.sunshare.const import DOMAIN
from custom_components.sunshare.enedis.csv_import import (
    EnedisCsvData,
    EnedisCsvError,
    read_enedis_csv,
)
from custom_components.sunshare.enedis.hourly import daily_hours, day_totals

from .const import Direction

if TYPE_CHECKING:
    from .runtime import EnedisConfigEntry


def _error(key: str, **placeholders: str) -> ServiceValidationError:
    """Return a translated validation error of the file import."""
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=placeholders,
    )


def resolve_path(hass: HomeAssistant, path: str) -> Path:
    """Return the file a service names, if allowed (blocking: run in the executor).

    A relative path is relative to the configuration directory; the file must be in
    that directory or in one of the ``allowlist_external_dirs``.
    """
    config_dir = Path(hass.config.config_dir).resolve()
    full = (config_dir / path).resolve()
    if not (full.is_relative_to(config_dir) or hass.config.is_allowed_path(str(full))):
        raise _error("enedis_file_not_allowed", path=path)
    if not full.is_file():
        raise _error("enedis_file_not_found", path=path)
    return full


def _read(hass: HomeAssistant, path: str) -> EnedisCsvData:
    """Check and parse the file (blocking: run in the executor)."""
    full = resolve_path(hass, path)
    try:
        return read_enedis_csv(str(full))
    except EnedisCsvError as err:
        raise _error("enedis_file_invalid", path=path, error=str(err)) from err
    except OSError as err:
        raise _error("enedis_file_not_found", path=path) from err


async def async_import_file(
    hass: HomeAssistant, entry: EnedisConfigEntry, path: str
) -> dict[str, Any]:
    """Import one CSV export into the entry's statistics; return a summary."""
    data = await hass.async_add_executor_job(_read, hass, path)
    coordinator = entry.runtime_data.coordinator
    if data.prm is not None and data.prm != coordinator.prm:
        raise _error("enedis_file_other_prm", path=path)
    direction = Direction.PRODUCTION if data.production else Direction.CONSUMPTION
    rows = await coordinator.writer.async_import(
        direction, daily_hours(data.intervals, data.days)
    )
    coordinator.state.add_totals(direction, day_totals(data.intervals, data.days))
    await coordinator.store.async_save(coordinator.state)
    coordinator.async_update_listeners()
    return {
        "direction": direction.value,
        "kind": data.kind,
        "first_day": data.first_day.isoformat() if data.first_day else None,
        "last_day": data.last_day.isoformat() if data.last_day else None,
        "rows_written": rows,
    }
