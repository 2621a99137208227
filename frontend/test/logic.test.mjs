// The game card's pure logic (node --test, run by ./scripts/test).
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
  countdown,
  formatDuration,
  gameLink,
  gameLinks,
  gauge,
  generateDashboard,
  languageOf,
  podium,
  podiumPlaces,
  rankText,
  relayEntity,
  relayStatus,
} from "../src/logic.js";

describe("rankText", () => {
  it("says x of N in English and x sur N in French", () => {
    assert.equal(rankText(2, 5, "en"), "2 of 5");
    assert.equal(rankText("2", 5, "fr"), "2 sur 5");
  });
  it("shows the rank alone when the total is unknown or smaller", () => {
    assert.equal(rankText(3, undefined, "en"), "3");
    assert.equal(rankText(3, 2, "en"), "3");
  });
  it("shows a dash without a rank", () => {
    for (const rank of [null, undefined, "", "unknown"]) {
      assert.equal(rankText(rank, 4, "en"), "—");
    }
  });
});

describe("languageOf", () => {
  it("reads French from hass.language or the locale, else English", () => {
    assert.equal(languageOf({ language: "fr" }), "fr");
    assert.equal(languageOf({ locale: { language: "fr-CA" }, language: "en" }), "fr");
    assert.equal(languageOf({ language: "de" }), "en");
    assert.equal(languageOf(undefined), "en");
  });
});

describe("podiumPlaces", () => {
  it("ranks best first and lets ties share a place (1, 1, 3)", () => {
    const places = podiumPlaces([
      { display_name: "Bob", points: 30 },
      { display_name: "Alice", points: 40 },
      { display_name: "Carol", points: 40 },
      { display_name: "Dan", points: 10 },
    ]);
    assert.deepEqual(
      places.map((m) => [m.display_name, m.place]),
      [
        ["Alice", 1],
        ["Carol", 1],
        ["Bob", 3],
        ["Dan", 4],
      ],
    );
  });
  it("compares to the hundredth and counts unknown points as zero", () => {
    const places = podiumPlaces([
      { display_name: "A", points: 10.001 },
      { display_name: "B", points: 10 },
      { display_name: "C", points: null },
      { display_name: "D", points: 0 },
    ]);
    assert.deepEqual(
      places.map((m) => m.place),
      [1, 1, 3, 3],
    );
  });
  it("keeps every member placed up to third on the podium", () => {
    const members = [
      { display_name: "A", points: 5 },
      { display_name: "B", points: 4 },
      { display_name: "C", points: 3 },
      { display_name: "D", points: 3 },
      { display_name: "E", points: 1 },
    ];
    assert.deepEqual(
      podium(members).map((m) => m.display_name),
      ["A", "B", "C", "D"],
    );
    assert.deepEqual(podiumPlaces([]), []);
  });
});

describe("gauge", () => {
  it("centres zero and scales symmetrically to a round bound", () => {
    assert.deepEqual(gauge(0), {
      value: 0,
      min: -10,
      max: 10,
      position: 0.5,
      severity: "neutral",
    });
    const g = gauge("12.5");
    assert.equal(g.max, 20);
    assert.equal(g.min, -20);
    assert.equal(g.position, (12.5 + 20) / 40);
    assert.equal(g.severity, "positive");
  });
  it("puts a deficit left of the centre", () => {
    const g = gauge(-50);
    assert.equal(g.max, 50);
    assert.equal(g.position, 0);
    assert.equal(g.severity, "negative");
    assert.equal(gauge(-73).max, 100);
    assert.equal(gauge(25000).max, 30000);
  });
  it("is null without a balance", () => {
    for (const value of [null, undefined, "", "unknown"]) {
      assert.equal(gauge(value), null);
    }
  });
});

describe("countdown", () => {
  const peak = {
    start: "2026-11-23T18:00:00+01:00",
    end: "2026-11-23T20:00:00+01:00",
  };
  it("counts down to the start, then to the end", () => {
    const before = Date.parse("2026-11-23T15:54:30+01:00");
    assert.deepEqual(countdown(peak, before, "en"), {
      status: "upcoming",
      seconds: 7530,
      text: "in 2 h 05 min",
    });
    const during = new Date("2026-11-23T19:59:00+01:00");
    assert.deepEqual(countdown(peak, during, "fr"), {
      status: "active",
      seconds: 60,
      text: "fin dans 1 min 00 s",
    });
    assert.equal(countdown(peak, Date.parse(peak.end), "en").status, "over");
  });
  it("says none without a peak", () => {
    assert.equal(countdown(null, Date.now()).status, "none");
    assert.equal(countdown({ start: "x", end: "y" }, Date.now()).status, "none");
  });
  it("formats days in each language", () => {
    assert.equal(formatDuration(86400 + 4 * 3600 + 59, "en"), "1 d 4 h");
    assert.equal(formatDuration(86400 * 2, "fr"), "2 j 0 h");
    assert.equal(formatDuration(-5, "en"), "0 min 00 s");
  });
});

describe("relayStatus", () => {
  it("is ready when off, shedding when on, else unavailable or none", () => {
    assert.equal(relayStatus({ state: "off" }), "ready");
    assert.equal(relayStatus({ state: "on" }), "shedding");
    assert.equal(relayStatus({ state: "unavailable" }), "unavailable");
    assert.equal(relayStatus(undefined), "none");
  });
});

/** A hass object with a game link, a Linky, a relay and a buzzer. */
function fakeHass({ language = "en", energy = true } = {}) {
  const entity = (entity_id, translation_key, device_id, extra = {}) => ({
    entity_id,
    translation_key,
    device_id,
    platform: "sunshare",
    ...extra,
  });
  const list = [
    entity("sensor.game_score", "game_score", "dev_game"),
    entity("sensor.game_rank_in_team", "game_rank_in_team", "dev_game"),
    entity("sensor.game_score_piggy_bank", "game_score_piggy_bank", "dev_game"),
    entity("select.game_action", "game_action", "dev_game"),
    entity("button.game_declare", "game_declare_action", "dev_game"),
    entity("calendar.game_peaks", "game_peaks", "dev_game"),
    entity("sensor.linky_power", "linky_apparent_power", "dev_linky"),
    entity("sensor.linky_tariff", "linky_tariff_period", "dev_linky"),
    entity("sensor.linky_tempo", "linky_tempo_today", "dev_linky"),
    entity("sensor.linky_index", "linky_index_total", "dev_linky"),
    entity("sensor.linky_injected", "linky_index_injected", "dev_linky"),
    entity("switch.relay_load_shedding", "load_shedding", "dev_relay"),
    entity("sensor.relay_shedding_end", "shedding_end", "dev_relay"),
    entity("siren.buzzer", "buzzer", "dev_buzzer"),
    entity("sensor.hidden", "linky_net_power", "dev_linky", { hidden: true }),
    { entity_id: "sensor.other", platform: "other", translation_key: "game_score" },
  ];
  return {
    language,
    config: { components: energy ? ["energy", "sunshare"] : ["sunshare"] },
    entities: Object.fromEntries(list.map((e) => [e.entity_id, e])),
    devices: {
      dev_game: { name: "Sunshare game (Alice)", config_entries: ["game01"] },
      dev_linky: { name: "Linky", config_entries: ["linky01"] },
      dev_relay: { name: "Relay", config_entries: ["relay01"] },
      dev_buzzer: { name: "Buzzer", config_entries: ["buzzer01"] },
    },
    states: {},
  };
}

describe("gameLinks", () => {
  it("groups the game entities by config entry and key", () => {
    const hass = fakeHass();
    const [link] = gameLinks(hass);
    assert.equal(link.entry_id, "game01");
    assert.equal(link.name, "Sunshare game (Alice)");
    assert.equal(link.entities.score, "sensor.game_score");
    assert.equal(link.entities.action, "select.game_action");
    assert.equal(link.entities.declare_action, "button.game_declare");
    assert.equal(gameLink(hass, {}).entry_id, "game01");
    assert.equal(gameLink(hass, { entry_id: "nope" }), null);
    assert.equal(relayEntity(hass, {}), "switch.relay_load_shedding");
    assert.equal(relayEntity(hass, { relay_entity: "switch.x" }), "switch.x");
  });
});

describe("generateDashboard", () => {
  it("builds the Sunshare view from what is present", () => {
    const config = generateDashboard(fakeHass(), { type: "custom:sunshare" });
    assert.equal(config.title, "Sunshare");
    const [view] = config.views;
    assert.equal(view.path, "sunshare");
    const types = view.cards.map((card) => card.type);
    assert.deepEqual(types, [
      "custom:sunshare-game-card",
      "entities",
      "statistic",
      "statistic",
      "entities",
      "energy-distribution",
      "calendar",
    ]);
    assert.equal(view.cards[0].entry_id, "game01");
    assert.deepEqual(view.cards[1].entities, [
      { entity: "sensor.linky_power", name: "Power" },
      "sensor.linky_tariff",
      "sensor.linky_tempo",
    ]);
    assert.deepEqual(view.cards[2], {
      type: "statistic",
      entity: "sensor.linky_index",
      name: "Imported today",
      period: { calendar: { period: "day" } },
      stat_type: "change",
    });
    assert.equal(view.cards[3].entity, "sensor.linky_injected");
    assert.deepEqual(view.cards[4].entities, [
      "switch.relay_load_shedding",
      "sensor.relay_shedding_end",
      "siren.buzzer",
    ]);
    assert.deepEqual(view.cards[6].entities, ["calendar.game_peaks"]);
  });
  it("reads today's import from the historic TIC's indexes without a total", () => {
    const hass = fakeHass();
    delete hass.entities["sensor.linky_index"];
    for (const [id, key] of [
      ["sensor.linky_hchp", "linky_index_hchp"],
      ["sensor.linky_hchc", "linky_index_hchc"],
    ]) {
      hass.entities[id] = {
        entity_id: id,
        translation_key: key,
        device_id: "dev_linky",
        platform: "sunshare",
      };
    }
    const stats = generateDashboard(hass).views[0].cards.filter(
      (card) => card.type === "statistic",
    );
    assert.deepEqual(
      stats.map((card) => [card.entity, card.name]),
      [
        ["sensor.linky_hchc", undefined],
        ["sensor.linky_hchp", undefined],
        ["sensor.linky_injected", "Exported today"],
      ],
    );
  });
  it("leaves out what is missing and speaks French", () => {
    const hass = { language: "fr", entities: {}, devices: {}, config: {} };
    const config = generateDashboard(hass, { title: "Maison" });
    assert.equal(config.title, "Maison");
    assert.deepEqual(config.views[0].cards, []);
    const french = generateDashboard(fakeHass({ language: "fr", energy: false }));
    const cards = french.views[0].cards;
    assert.ok(!cards.some((card) => card.type === "energy-distribution"));
    assert.equal(cards[2].name, "Soutiré aujourd'hui");
    assert.equal(cards[cards.length - 1].title, "Pointes");
  });
});
