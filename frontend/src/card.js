// The Sunshare game card: season score and challenges, ranks, team podium, piggy-bank
// gauge, next peak with its countdown and the relay's readiness, the action to declare.
import { LitElement, css, html, nothing, svg } from "lit";

import {
  CHALLENGES,
  countdown,
  formatPoints,
  gameLink,
  gameLinks,
  gauge,
  languageOf,
  podiumPlaces,
  rankText,
  relayEntity,
  relayStatus,
  strings,
} from "./logic.js";

const REFRESH_MS = 5 * 60 * 1000;

export class SunshareGameCard extends LitElement {
  static properties = {
    hass: { attribute: false },
    _config: { state: true },
    _board: { state: true },
    _now: { state: true },
    _error: { state: true },
  };

  static getConfigElement() {
    return document.createElement("sunshare-game-card-editor");
  }

  static getStubConfig(hass) {
    const link = gameLinks(hass)[0];
    return link ? { entry_id: link.entry_id } : {};
  }

  constructor() {
    super();
    this._now = Date.now();
    this._board = null;
    this._error = null;
    this._boardKey = null;
  }

  setConfig(config) {
    if (!config || typeof config !== "object") throw new Error("Invalid configuration");
    this._config = config;
    this._boardKey = null;
  }

  getCardSize() {
    return 8;
  }

  getGridOptions() {
    return { columns: 12, min_columns: 6, rows: "auto" };
  }

  connectedCallback() {
    super.connectedCallback();
    this._tick = setInterval(() => {
      this._now = Date.now();
    }, 1000);
    this._refresh = setInterval(() => this._fetchBoard(), REFRESH_MS);
    this._boardKey = null;
  }

  disconnectedCallback() {
    super.disconnectedCallback();
    clearInterval(this._tick);
    clearInterval(this._refresh);
  }

  updated(changed) {
    if (!changed.has("hass") || !this.hass) return;
    // Ask again when the game link's sensors change (each poll of the game server).
    const link = gameLink(this.hass, this._config);
    const score = link?.entities.score;
    const state = score ? this.hass.states[score] : undefined;
    const key = `${link?.entry_id}|${state?.last_updated}|${state?.state}`;
    if (key !== this._boardKey) {
      this._boardKey = key;
      this._fetchBoard();
    }
  }

  async _fetchBoard() {
    const link = this.hass && gameLink(this.hass, this._config);
    if (!link) return;
    try {
      this._board = await this.hass.callWS({
        type: "sunshare/game/leaderboard",
        entry_id: link.entry_id,
      });
      this._error = null;
    } catch (err) {
      this._error = err?.message || String(err);
    }
  }

  _state(entityId) {
    return entityId ? this.hass.states[entityId] : undefined;
  }

  _value(entityId) {
    const state = this._state(entityId);
    if (!state || ["unknown", "unavailable"].includes(state.state)) return null;
    return state.state;
  }

  render() {
    if (!this.hass || !this._config) return nothing;
    const language = languageOf(this.hass);
    const s = strings(language);
    const link = gameLink(this.hass, this._config);
    if (!link) {
      return html`<ha-card .header=${this._config.title || s.title}>
        <div class="card-content warning">${s.no_entry}</div>
      </ha-card>`;
    }
    const e = link.entities;
    const board = this._board;
    return html`<ha-card .header=${this._config.title || s.title}>
      <div class="card-content">
        ${board && board.available === false
          ? html`<div class="warning">${s.unavailable}</div>`
          : nothing}
        ${this._renderScore(e, s, language, board)}
        ${this._renderPodium(s, language, board)} ${this._renderGauge(e, s, language)}
        ${this._renderPeak(s, language, board)} ${this._renderAction(e, s)}
        ${this._error ? html`<div class="error">${this._error}</div>` : nothing}
      </div>
    </ha-card>`;
  }

  _renderScore(e, s, language, board) {
    const challenges = CHALLENGES.filter((c) => e[`score_${c}`]);
    const teamSize = board?.player?.team_size;
    const teams = board?.team?.teams;
    return html`<div class="score">
        <div class="total">
          <span class="value">${formatPoints(this._value(e.score), language)}</span>
          <span class="unit">${s.points}</span>
          <div class="label">${s.season_score}</div>
        </div>
        <div class="ranks">
          <div>
            <span class="label">${s.rank_in_team}</span>
            <span class="rank in-team"
              >${rankText(
                this._value(e.rank_in_team) ?? board?.player?.rank_in_team,
                teamSize,
                language,
              )}</span
            >
          </div>
          <div>
            <span class="label">${s.team_rank}</span>
            <span class="rank team"
              >${rankText(
                this._value(e.team_rank) ?? board?.team?.rank,
                teams,
                language,
              )}</span
            >
          </div>
        </div>
      </div>
      <ul class="challenges">
        ${challenges.map(
          (c) =>
            html`<li>
              <span>${s.challenges[c]}</span
              ><span>${formatPoints(this._value(e[`score_${c}`]), language)}</span>
            </li>`,
        )}
      </ul>`;
  }

  _renderPodium(s, language, board) {
    if (!board) return nothing;
    if (!board.team) return html`<div class="podium empty">${s.no_team}</div>`;
    const places = podiumPlaces(board.podium);
    return html`<div class="podium">
      <div class="section">${s.podium} · ${board.team.name}</div>
      <ol>
        ${places.map(
          (m) =>
            html`<li class=${m.me ? "me" : ""} data-place=${m.place}>
              <span class="place place-${m.place}">${m.place}</span>
              <span class="name">${m.display_name}${m.me ? ` (${s.you})` : ""}</span>
              <span class="points">${formatPoints(m.points, language)} ${s.points}</span>
            </li>`,
        )}
      </ol>
    </div>`;
  }

  _renderGauge(e, s, language) {
    const balance = this._value(e.piggy_bank_balance);
    const g = gauge(balance);
    if (!g) return nothing;
    // A half circle from −max (left) to +max (right), the needle at the balance.
    const angle = Math.PI * (1 - g.position);
    const x = 50 + 40 * Math.cos(angle);
    const y = 50 - 40 * Math.sin(angle);
    const unit = this._state(e.piggy_bank_balance)?.attributes?.unit_of_measurement || "kWh";
    return html`<div class="gauge ${g.severity}">
      <div class="section">${s.piggy_bank_balance}</div>
      <svg viewBox="0 0 100 56" role="img" aria-label=${`${g.value} ${unit}`}>
        ${svg`<path class="track" d="M 10 50 A 40 40 0 0 1 90 50" />
        <path class="fill" d="M 50 10 A 40 40 0 0 ${x >= 50 ? 1 : 0} ${x} ${y}"
          style="display:${g.value === 0 ? "none" : "inline"}" />
        <line class="needle" x1="50" y1="50" x2=${x} y2=${y} />`}
      </svg>
      <div class="gauge-value">${formatPoints(g.value, language)} ${unit}</div>
      <div class="gauge-scale">
        <span>${g.min}</span><span>0</span><span>+${g.max}</span>
      </div>
    </div>`;
  }

  _renderPeak(s, language, board) {
    const peak = board?.next_peak;
    const c = countdown(peak, this._now, language);
    const relay = relayStatus(this._state(relayEntity(this.hass, this._config)));
    const relayText = {
      ready: s.relay_ready,
      shedding: s.relay_shedding,
      unavailable: s.relay_unavailable,
      none: s.relay_none,
    }[relay];
    let peakText = s.no_peak;
    if (c.status === "upcoming" || c.status === "active") {
      const start = new Date(peak.start);
      const when = start.toLocaleString(language === "fr" ? "fr-FR" : "en-GB", {
        weekday: "short",
        hour: "2-digit",
        minute: "2-digit",
        // The user's time-zone setting: the browser's (default) or the server's.
        timeZone:
          this.hass.locale?.time_zone === "server"
            ? this.hass.config?.time_zone
            : undefined,
      });
      peakText = html`<strong
          >${c.status === "active" ? s.peak_in_progress : s.next_peak}</strong
        >
        · ${peak.summary} · ${when} · <span class="countdown">${c.text}</span>`;
    }
    return html`<div class="peak ${c.status}">
      <div>${peakText}</div>
      <div class="relay ${relay}">${relayText}</div>
    </div>`;
  }

  _renderAction(e, s) {
    const select = this._state(e.action);
    const button = this._state(e.declare_action);
    if (!select || !button) return nothing;
    const options = select.attributes?.options || [];
    const disabled =
      select.state === "unavailable" || button.state === "unavailable";
    return html`<div class="action">
      <select
        aria-label=${s.action}
        .value=${select.state}
        ?disabled=${disabled}
        @change=${(ev) => this._select(e.action, ev.target.value)}
      >
        <option value="" ?selected=${!options.includes(select.state)}>
          ${s.choose_action}
        </option>
        ${options.map(
          (option) =>
            html`<option .value=${option} ?selected=${option === select.state}>
              ${option}
            </option>`,
        )}
      </select>
      <button
        class="declare"
        ?disabled=${disabled || !options.includes(select.state)}
        @click=${() => this._declare(e.declare_action)}
      >
        ${s.declare}
      </button>
    </div>`;
  }

  async _select(entityId, option) {
    if (!option) return;
    try {
      await this.hass.callService("select", "select_option", {
        entity_id: entityId,
        option,
      });
      this._error = null;
    } catch (err) {
      this._error = err?.message || String(err);
    }
  }

  async _declare(entityId) {
    try {
      await this.hass.callService("button", "press", { entity_id: entityId });
      this._error = null;
    } catch (err) {
      this._error = err?.message || String(err);
    }
  }

  static styles = css`
    .card-content {
      display: flex;
      flex-direction: column;
      gap: 12px;
    }
    .score {
      display: flex;
      justify-content: space-between;
      align-items: center;
      gap: 12px;
    }
    .total .value {
      font-size: 2.4em;
      font-weight: 500;
    }
    .label,
    .section {
      color: var(--secondary-text-color);
      font-size: 0.9em;
    }
    .ranks {
      display: flex;
      flex-direction: column;
      gap: 4px;
      text-align: right;
    }
    .rank {
      font-weight: 500;
      margin-left: 6px;
    }
    ul.challenges,
    .podium ol {
      list-style: none;
      margin: 0;
      padding: 0;
    }
    ul.challenges li,
    .podium li {
      display: flex;
      justify-content: space-between;
      padding: 2px 0;
    }
    .podium li .name {
      flex: 1;
      margin-left: 8px;
    }
    .podium li.me {
      font-weight: 600;
    }
    .podium .place {
      display: inline-block;
      min-width: 1.6em;
      height: 1.6em;
      line-height: 1.6em;
      border-radius: 50%;
      text-align: center;
      font-size: 0.85em;
      font-weight: 600;
      background: var(--secondary-background-color, #eee);
    }
    .podium .place-1 {
      background: #f2c94c;
      color: #3d2f00;
    }
    .podium .place-2 {
      background: #c9ced6;
      color: #222;
    }
    .podium .place-3 {
      background: #d9a066;
      color: #3a1f00;
    }
    .gauge {
      text-align: center;
    }
    .gauge svg {
      max-width: 220px;
      width: 100%;
    }
    .gauge .track {
      fill: none;
      stroke: var(--divider-color, #ddd);
      stroke-width: 8;
    }
    .gauge .fill {
      fill: none;
      stroke-width: 8;
      stroke: var(--success-color, #43a047);
    }
    .gauge.negative .fill {
      stroke: var(--error-color, #db4437);
    }
    .gauge .needle {
      stroke: var(--primary-text-color);
      stroke-width: 2;
    }
    .gauge-value {
      font-weight: 500;
    }
    .gauge-scale {
      display: flex;
      justify-content: space-between;
      color: var(--secondary-text-color);
      font-size: 0.8em;
      max-width: 220px;
      margin: 0 auto;
    }
    .peak {
      display: flex;
      flex-direction: column;
      gap: 4px;
    }
    .peak.active {
      color: var(--warning-color, #ffa600);
    }
    .relay.ready {
      color: var(--success-color, #43a047);
    }
    .relay.shedding {
      color: var(--warning-color, #ffa600);
    }
    .relay.unavailable {
      color: var(--error-color, #db4437);
    }
    .action {
      display: flex;
      gap: 8px;
    }
    .action select {
      flex: 1;
      min-width: 0;
      padding: 6px;
    }
    .warning {
      color: var(--warning-color, #ffa600);
    }
    .error {
      color: var(--error-color, #db4437);
    }
  `;
}
