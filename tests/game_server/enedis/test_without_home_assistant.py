"""The game server's Enedis package runs where Home Assistant is not installed."""

from __future__ import annotations

from pathlib import Path
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import sys
    sys.modules["homeassistant"] = None  # as in the add-on: no Home Assistant
    from datetime import date
    from pathlib import Path
    from game_server.app import Settings, create_app
    from game_server.enedis import setup_enedis
    from game_server.enedis.gateway import GatewayQuery, to_conso_api
    from custom_components.sunshare.enedis import Measure, parse_daily
    app = create_app(Settings(data_dir=Path(sys.argv[1])))
    setup_enedis(app, from_env=False)
    query = GatewayQuery(
        Measure.DAILY_CONSUMPTION, "12345678901234", date(2026, 11, 1),
        date(2026, 11, 2), "conso_api",
    )
    body = {"grandeur": [{"grandeurPhysique": "EA", "unite": "Wh",
            "points": [{"v": "1500", "d": "2026-11-01"}]}]}
    print(parse_daily(to_conso_api(query, body))[0].energy_wh)
    print(any(m.startswith("homeassistant.") for m in sys.modules))
    """
)


def test_enedis_package_imports_without_home_assistant(tmp_path: Path) -> None:
    """The integration's parent package is not run; the pure library still loads."""
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", SCRIPT, str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        cwd=Path(__file__).resolve().parents[3],
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["1500.0", "False"]
