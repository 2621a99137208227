"""Config, reauth and reconfigure flows of Enedis data, against the fake gateway."""

from __future__ import annotations

from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_USER, ConfigFlowResult
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sunshare.const import DOMAIN
from custom_components.sunshare.enedis import models
from tests.fakes.enedis_gateway import (
    DEFAULT_PRM,
    DEFAULT_TOKEN,
    FakeEnedisGateway,
    FakeMeter,
    running_gateway,
)

from .conftest import NOW, entry_data


async def start(hass: HomeAssistant) -> ConfigFlowResult:
    """Open the Enedis data step from the menu."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.MENU
    assert "enedis" in result["menu_options"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "enedis"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "enedis"
    return result


def user_input(gateway: FakeEnedisGateway, **changes: Any) -> dict[str, Any]:
    """Return the form input for the fake gateway as a custom gateway."""
    data = entry_data(gateway, **changes)
    data.pop("kind")
    return data


async def test_create_entry(hass: HomeAssistant, gateway: FakeEnedisGateway) -> None:
    """Valid settings are tested against the gateway, then the entry is created."""
    result = await start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(gateway, prm="1234 5678 9012 34")
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == f"Enedis {DEFAULT_PRM}"
    assert result["data"] == entry_data(gateway)
    assert result["result"].unique_id == DEFAULT_PRM
    first = gateway.requests[0]
    assert first.params["prm"] == DEFAULT_PRM
    assert (first.end - first.start).days == 7


@pytest.mark.parametrize(
    ("changes", "field", "error"),
    [
        ({"prm": "1234"}, "prm", "enedis_invalid_prm"),
        ({"url": " "}, "url", "enedis_url_required"),
        ({"token": "wrong"}, "base", "enedis_invalid_auth"),
    ],
)
async def test_input_errors_recover(
    hass: HomeAssistant,
    gateway: FakeEnedisGateway,
    changes: dict[str, Any],
    field: str,
    error: str,
) -> None:
    """Each input error shows on its field and the flow recovers."""
    result = await start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(gateway, **changes)
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {field: error}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(gateway)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_gateway_errors_recover(
    hass: HomeAssistant, gateway: FakeEnedisGateway
) -> None:
    """Server errors, unreadable bodies and meters without data are reported."""
    result = await start(hass)
    gateway.fail_next(500)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(gateway)
    )
    assert result["errors"] == {"base": "enedis_cannot_connect"}
    gateway.fail_malformed()
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(gateway)
    )
    assert result["errors"] == {"base": "enedis_invalid_response"}
    gateway.meters[DEFAULT_PRM] = FakeMeter(consumption=False, production=False)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(gateway)
    )
    assert result["errors"] == {"base": "enedis_no_data"}
    # A production-only meter is fine.
    gateway.meters[DEFAULT_PRM] = FakeMeter(consumption=False)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(gateway)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_unreachable_gateway(hass: HomeAssistant, real_sockets: None) -> None:
    """A gateway that does not answer is reported as unreachable."""
    result = await start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            "gateway": "custom",
            "url": "http://127.0.0.1:9/api",
            "token": DEFAULT_TOKEN,
            "prm": DEFAULT_PRM,
        },
    )
    assert result["errors"] == {"base": "enedis_cannot_connect"}


async def test_conso_api_needs_no_url(
    hass: HomeAssistant, gateway: FakeEnedisGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Conso API has a fixed URL and uses the Data Connect 2026 endpoint names."""
    monkeypatch.setattr(models, "CONSO_API_BASE_URL", gateway.base_url)
    result = await start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {"gateway": "conso_api", "token": DEFAULT_TOKEN, "prm": DEFAULT_PRM},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["url"] is None
    assert gateway.requests[0].path.endswith("/consommation_quotidienne")


async def test_duplicate_prm_aborts(
    hass: HomeAssistant, gateway: FakeEnedisGateway, entry: MockConfigEntry
) -> None:
    """A PRM already configured is refused."""
    entry.add_to_hass(hass)
    result = await start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(gateway)
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_reauth(
    hass: HomeAssistant, gateway: FakeEnedisGateway, entry: MockConfigEntry
) -> None:
    """A new token is tested, stored, and the entry reloaded."""
    entry.add_to_hass(hass)
    gateway.token = "new-token"
    result = await entry.start_reauth_flow(hass)
    assert result["step_id"] == "enedis_reauth_confirm"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"token": DEFAULT_TOKEN}
    )
    assert result["errors"] == {"base": "enedis_invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"token": " new-token "}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data["token"] == "new-token"


async def test_reconfigure(
    hass: HomeAssistant, gateway: FakeEnedisGateway, entry: MockConfigEntry
) -> None:
    """The gateway and token can be changed; the PRM stays."""
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure_enedis"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"gateway": "sunshare", "token": DEFAULT_TOKEN}
    )
    assert result["errors"] == {"url": "enedis_url_required"}
    gateway.token = "other"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {"gateway": "custom", "url": gateway.base_url, "token": "bad"},
    )
    assert result["errors"] == {"base": "enedis_invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {"gateway": "custom", "url": gateway.base_url + "/", "token": "other"},
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data["token"] == "other"
    assert entry.data["prm"] == DEFAULT_PRM


async def test_sunshare_gateway_path(
    hass: HomeAssistant, real_sockets: None, freezer: FrozenDateTimeFactory
) -> None:
    """The Sunshare game server's gateway lives under /api/enedis of its address."""
    freezer.move_to(NOW)
    async with running_gateway(now=NOW, prefix="/api/enedis") as gateway:
        server = gateway.base_url.removesuffix("/api/enedis")
        result = await start(hass)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"],
            {
                "gateway": "sunshare",
                "url": server,
                "token": DEFAULT_TOKEN,
                "prm": DEFAULT_PRM,
            },
        )
        assert result["type"] is FlowResultType.CREATE_ENTRY
        assert result["data"]["url"] == server
        assert gateway.requests[0].path == "/api/enedis/daily_consumption"
        await hass.async_block_till_done()
