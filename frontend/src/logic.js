// Pure logic of the Sunshare game card and dashboard strategy (no DOM, no Lit): tested
// with Node's test runner (frontend/test), bundled with the card by scripts/build_frontend.

export const CHALLENGES = [
  "piggy_bank",
  "self_consumption",
  "sobriety",
  "actions",
  "shedding",
];

const STRINGS = {
  en: {
    title: "Sunshare game",
    season_score: "Season score",
    points: "pts",
    rank_in_team: "Rank in team",
    team_rank: "Team rank",
    of: "of",
    podium: "Team podium",
    you: "you",
    piggy_bank_balance: "Piggy bank this month",
    next_peak: "Next peak",
    peak_in_progress: "Peak in progress",
    ends_in: "ends in",
    starts_in: "in",
    no_peak: "No peak in the coming days",
    relay_ready: "Relay ready to shed",
    relay_shedding: "Relay shedding",
    relay_unavailable: "Relay unavailable",
    relay_none: "No load-shedding relay",
    declare: "Declare",
    action: "Action to declare",
    choose_action: "Choose an action…",
    no_entry: "No Sunshare game link found: add one in Settings → Devices & services.",
    unavailable: "The game server could not be reached; the figures are the last known.",
    no_team: "No team yet",
    challenges: {
      piggy_bank: "Piggy bank",
      self_consumption: "Self-consumption",
      sobriety: "Sobriety",
      actions: "Actions",
      shedding: "Load shedding",
    },
    units: { d: "d", h: "h", min: "min", s: "s" },
    editor: {
      entry: "Game link",
      relay: "Load-shedding relay (optional)",
      title: "Title (optional)",
    },
    dashboard: {
      title: "Sunshare",
      linky: "Linky",
      power: "Power",
      import_today: "Imported today",
      export_today: "Exported today",
      relay_buzzer: "Relay and buzzer",
      peaks: "Peaks",
    },
  },
  fr: {
    title: "Jeu Sunshare",
    season_score: "Score de la saison",
    points: "pts",
    rank_in_team: "Rang dans l'équipe",
    team_rank: "Rang de l'équipe",
    of: "sur",
    podium: "Podium de l'équipe",
    you: "vous",
    piggy_bank_balance: "Tirelire du mois",
    next_peak: "Prochaine pointe",
    peak_in_progress: "Pointe en cours",
    ends_in: "fin dans",
    starts_in: "dans",
    no_peak: "Aucune pointe dans les jours à venir",
    relay_ready: "Relais prêt à délester",
    relay_shedding: "Relais en délestage",
    relay_unavailable: "Relais indisponible",
    relay_none: "Pas de relais de délestage",
    declare: "Déclarer",
    action: "Action à déclarer",
    choose_action: "Choisir une action…",
    no_entry:
      "Aucun lien de jeu Sunshare : ajoutez-en un dans Paramètres → Appareils et services.",
    unavailable:
      "Le serveur de jeu est injoignable ; les chiffres sont les derniers connus.",
    no_team: "Pas encore d'équipe",
    challenges: {
      piggy_bank: "Tirelire",
      self_consumption: "Autoconsommation",
      sobriety: "Sobriété",
      actions: "Actions",
      shedding: "Délestage",
    },
    units: { d: "j", h: "h", min: "min", s: "s" },
    editor: {
      entry: "Lien de jeu",
      relay: "Relais de délestage (facultatif)",
      title: "Titre (facultatif)",
    },
    dashboard: {
      title: "Sunshare",
      linky: "Linky",
      power: "Puissance",
      import_today: "Soutiré aujourd'hui",
      export_today: "Injecté aujourd'hui",
      relay_buzzer: "Relais et buzzer",
      peaks: "Pointes",
    },
  },
};

/** Return "fr" or "en" from Home Assistant's language (e.g. "fr-CA" → "fr"). */
export function languageOf(hass) {
  const language = String(hass?.locale?.language || hass?.language || "en");
  return language.toLowerCase().startsWith("fr") ? "fr" : "en";
}

/** Return the card's strings in a language ("fr" or "en"). */
export function strings(language) {
  return STRINGS[language] || STRINGS.en;
}

/** Format a number of points: at most one decimal, the locale's separator. */
export function formatPoints(value, language) {
  if (value === null || value === undefined || Number.isNaN(Number(value))) {
    return "—";
  }
  return new Intl.NumberFormat(language === "fr" ? "fr-FR" : "en-GB", {
    maximumFractionDigits: 1,
  }).format(Number(value));
}

/** Return "2 of 5" (en) or "2 sur 5" (fr); "—" when the rank is unknown. */
export function rankText(rank, total, language) {
  const r = Number(rank);
  if (rank === null || rank === undefined || rank === "" || !Number.isFinite(r)) {
    return "—";
  }
  const n = Number(total);
  if (total === null || total === undefined || !Number.isFinite(n) || n < r) {
    return String(r);
  }
  return `${r} ${strings(language).of} ${n}`;
}

/**
 * Return the members best first with their place; tied points share a place and the
 * next place skips (1, 1, 3). Points are compared to the hundredth; unknown points
 * count as 0. Members with the same points keep the server's order.
 */
export function podiumPlaces(members) {
  const key = (member) => Math.round(Number(member.points || 0) * 100);
  const sorted = (members || [])
    .map((member, index) => ({ member, index }))
    .sort((a, b) => key(b.member) - key(a.member) || a.index - b.index)
    .map(({ member }) => member);
  let place = 0;
  let previous = null;
  return sorted.map((member, index) => {
    if (previous === null || key(member) !== previous) {
      place = index + 1;
      previous = key(member);
    }
    return { ...member, place };
  });
}

/** Return the members on the podium: every member placed 1st to 3rd (ties included). */
export function podium(members) {
  return podiumPlaces(members).filter((member) => member.place <= 3);
}

const GAUGE_STEPS = [10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000];

/**
 * Return the piggy-bank gauge of a balance (kWh exported − imported, may be negative):
 * a symmetric scale (±10, ±20, ±50 … kWh) holding the balance, and the needle's
 * position from 0 (−max) to 1 (+max); null when the balance is unknown.
 */
export function gauge(balance) {
  if (balance === null || balance === undefined || balance === "") return null;
  const value = Number(balance);
  if (!Number.isFinite(value)) return null;
  const size = Math.abs(value);
  const max =
    GAUGE_STEPS.find((step) => size <= step) ||
    Math.ceil(size / GAUGE_STEPS[GAUGE_STEPS.length - 1]) *
      GAUGE_STEPS[GAUGE_STEPS.length - 1];
  const position = (value + max) / (2 * max);
  return {
    value,
    min: -max,
    max,
    position: Math.min(1, Math.max(0, position)),
    severity: value > 0 ? "positive" : value < 0 ? "negative" : "neutral",
  };
}

/** Format a duration in seconds: "1 d 4 h", "2 h 05 min", "12 min 05 s" (or fr units). */
export function formatDuration(seconds, language) {
  const u = strings(language).units;
  const total = Math.max(0, Math.floor(seconds));
  const days = Math.floor(total / 86400);
  const hours = Math.floor((total % 86400) / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const secs = total % 60;
  const two = (n) => String(n).padStart(2, "0");
  if (days > 0) return `${days} ${u.d} ${hours} ${u.h}`;
  if (hours > 0) return `${hours} ${u.h} ${two(minutes)} ${u.min}`;
  return `${minutes} ${u.min} ${two(secs)} ${u.s}`;
}

/**
 * Return the countdown to a peak at ``now`` (a Date or milliseconds):
 * ``{status: "upcoming", seconds}`` until it starts, ``{status: "active", seconds}``
 * until it ends, ``{status: "over"}`` after, ``{status: "none"}`` without a peak.
 */
export function countdown(peak, now, language = "en") {
  if (!peak || !peak.start || !peak.end) return { status: "none", text: "" };
  const at = now instanceof Date ? now.getTime() : Number(now);
  const start = Date.parse(peak.start);
  const end = Date.parse(peak.end);
  if (Number.isNaN(start) || Number.isNaN(end)) return { status: "none", text: "" };
  const s = strings(language);
  if (at < start) {
    const seconds = Math.round((start - at) / 1000);
    return {
      status: "upcoming",
      seconds,
      text: `${s.starts_in} ${formatDuration(seconds, language)}`,
    };
  }
  if (at < end) {
    const seconds = Math.round((end - at) / 1000);
    return {
      status: "active",
      seconds,
      text: `${s.ends_in} ${formatDuration(seconds, language)}`,
    };
  }
  return { status: "over", seconds: 0, text: "" };
}

/** Return the relay's readiness from its switch state: ready, shedding, unavailable, none. */
export function relayStatus(stateObj) {
  if (!stateObj) return "none";
  if (stateObj.state === "off") return "ready";
  if (stateObj.state === "on") return "shedding";
  return "unavailable";
}

// --- finding the integration's entities ------------------------------------------

/** Return the integration's entities of the registry shown to the frontend. */
export function sunshareEntities(hass) {
  return Object.values(hass?.entities || {}).filter(
    (entity) => entity.platform === "sunshare" && !entity.hidden,
  );
}

/** Return the config entries of an entity (through its device). */
function entriesOf(hass, entity) {
  const device = entity.device_id ? hass.devices?.[entity.device_id] : undefined;
  return device?.config_entries || [];
}

/**
 * Return the game links found among the entities: one per config entry, with its
 * entities by translation key (``score``, ``score_piggy_bank``, ``action`` …).
 */
export function gameLinks(hass) {
  const links = new Map();
  for (const entity of sunshareEntities(hass)) {
    const key = entity.translation_key || "";
    if (!key.startsWith("game_")) continue;
    const entryId = entriesOf(hass, entity)[0];
    if (!entryId) continue;
    if (!links.has(entryId)) {
      const device = hass.devices?.[entity.device_id];
      links.set(entryId, {
        entry_id: entryId,
        name: device?.name_by_user || device?.name || entryId,
        entities: {},
      });
    }
    links.get(entryId).entities[key.slice("game_".length)] = entity.entity_id;
  }
  return [...links.values()];
}

/** Return the game link of a card's config (its ``entry_id``, else the first one). */
export function gameLink(hass, config) {
  const links = gameLinks(hass);
  if (config?.entry_id) {
    return links.find((link) => link.entry_id === config.entry_id) || null;
  }
  return links[0] || null;
}

/** Return the entity ids of the integration with a translation key, by domain order. */
export function entitiesWithKey(hass, key, domain) {
  return sunshareEntities(hass)
    .filter(
      (entity) =>
        entity.translation_key === key &&
        (!domain || entity.entity_id.startsWith(`${domain}.`)),
    )
    .map((entity) => entity.entity_id)
    .sort();
}

/** Return the relay switch of a card: its config's ``relay_entity`` or the first one. */
export function relayEntity(hass, config) {
  if (config?.relay_entity) return config.relay_entity;
  return entitiesWithKey(hass, "load_shedding", "switch")[0] || null;
}

// --- the dashboard strategy ----------------------------------------------------------

const HISTORIC_INDEXES = [
  "linky_index_base",
  "linky_index_hchc",
  "linky_index_hchp",
  "linky_index_ejphn",
  "linky_index_ejphpm",
  "linky_index_bbrhcjb",
  "linky_index_bbrhpjb",
  "linky_index_bbrhcjw",
  "linky_index_bbrhpjw",
  "linky_index_bbrhcjr",
  "linky_index_bbrhpjr",
];

/**
 * Return the Lovelace config of the "Sunshare" dashboard from what is present: a game
 * card per game link, the Linky essentials, the relay and buzzer, the Energy
 * distribution card (when the energy integration runs) and the peak calendar.
 */
export function generateDashboard(hass, config = {}) {
  const s = strings(languageOf(hass)).dashboard;
  const cards = [];
  for (const link of gameLinks(hass)) {
    cards.push({ type: "custom:sunshare-game-card", entry_id: link.entry_id });
  }

  const first = (key, domain) => entitiesWithKey(hass, key, domain);
  const linky = [
    ...first("linky_apparent_power", "sensor").map((entity) => ({
      entity,
      name: s.power,
    })),
    ...first("linky_net_power", "sensor"),
    ...first("linky_tariff_period", "sensor"),
    ...first("linky_tempo_today", "sensor"),
    ...first("linky_tempo_tomorrow", "sensor"),
  ];
  const today = { calendar: { period: "day" } };
  const linkyCards = [];
  if (linky.length) {
    linkyCards.push({ type: "entities", title: s.linky, entities: linky });
  }
  const statistic = (entity, name) => ({
    type: "statistic",
    entity,
    ...(name ? { name } : {}),
    period: today,
    stat_type: "change",
  });
  // Imported today: the total index (standard TIC), else each index of the historic
  // TIC's tariff option (base, off-peak/peak, EJP, Tempo), under its own name.
  const total = first("linky_index_total", "sensor");
  if (total.length) {
    linkyCards.push(...total.map((entity) => statistic(entity, s.import_today)));
  } else {
    for (const key of HISTORIC_INDEXES) {
      linkyCards.push(...first(key, "sensor").map((entity) => statistic(entity)));
    }
  }
  linkyCards.push(
    ...first("linky_index_injected", "sensor").map((entity) =>
      statistic(entity, s.export_today),
    ),
  );
  cards.push(...linkyCards);

  const relay = [
    ...first("load_shedding", "switch"),
    ...first("shedding_end", "sensor"),
    ...first("shed_energy", "sensor"),
    ...first("buzzer", "siren"),
  ];
  if (relay.length) {
    cards.push({ type: "entities", title: s.relay_buzzer, entities: relay });
  }

  const components = hass?.config?.components || [];
  if (components.includes("energy")) {
    cards.push({ type: "energy-distribution", link_dashboard: true });
  }

  const calendars = first("game_peaks", "calendar");
  if (calendars.length) {
    cards.push({
      type: "calendar",
      title: s.peaks,
      initial_view: "listWeek",
      entities: calendars,
    });
  }

  return {
    title: config.title || s.title,
    views: [
      {
        title: config.title || s.title,
        path: "sunshare",
        icon: "mdi:solar-power-variant",
        cards,
      },
    ],
  };
}
