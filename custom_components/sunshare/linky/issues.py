"""Repair issue of a Linky meter whose TIC line has sent no frame for minutes."""

from __future__ import annotations

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from custom_components.sunshare.const import DOMAIN
from custom_components.sunshare.teleinfo.transport import redact

from .const import ISSUE_NO_FRAMES, NO_FRAME_ISSUE_AFTER


def no_frame_issue_id(entry_id: str) -> str:
    """Return the id of the no-frame repair issue of an entry."""
    return f"{ISSUE_NO_FRAMES}_{entry_id}"


@callback
def async_raise_no_frame_issue(
    hass: HomeAssistant, entry_id: str, title: str, port: str
) -> None:
    """Tell the user that no frame arrived from a meter, and what to check."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        no_frame_issue_id(entry_id),
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key=ISSUE_NO_FRAMES,
        translation_placeholders={
            "title": title,
            "port": redact(port),
            "minutes": str(int(NO_FRAME_ISSUE_AFTER.total_seconds() // 60)),
        },
    )


@callback
def async_clear_no_frame_issue(hass: HomeAssistant, entry_id: str) -> None:
    """Remove the no-frame repair issue of an entry (frames are back, entry gone)."""
    ir.async_delete_issue(hass, DOMAIN, no_frame_issue_id(entry_id))
