// The visual editor of the game card: the game link (config entry) and the relay.
import { LitElement, css, html, nothing } from "lit";

import { entitiesWithKey, gameLinks, languageOf, strings } from "./logic.js";

export class SunshareGameCardEditor extends LitElement {
  static properties = {
    hass: { attribute: false },
    _config: { state: true },
  };

  setConfig(config) {
    this._config = config;
  }

  _changed(key, value) {
    const config = { ...this._config };
    if (value === "" || value === undefined || value === null) delete config[key];
    else config[key] = value;
    this._config = config;
    this.dispatchEvent(
      new CustomEvent("config-changed", {
        detail: { config },
        bubbles: true,
        composed: true,
      }),
    );
  }

  render() {
    if (!this.hass || !this._config) return nothing;
    const s = strings(languageOf(this.hass)).editor;
    const links = gameLinks(this.hass);
    const relays = entitiesWithKey(this.hass, "load_shedding", "switch");
    const name = (entityId) =>
      this.hass.states[entityId]?.attributes?.friendly_name || entityId;
    return html`<div class="editor">
      <label>
        <span>${s.entry}</span>
        <select
          name="entry_id"
          @change=${(ev) => this._changed("entry_id", ev.target.value)}
        >
          ${links.map(
            (link) =>
              html`<option
                .value=${link.entry_id}
                ?selected=${link.entry_id === this._config.entry_id}
              >
                ${link.name}
              </option>`,
          )}
        </select>
      </label>
      <label>
        <span>${s.relay}</span>
        <select
          name="relay_entity"
          @change=${(ev) => this._changed("relay_entity", ev.target.value)}
        >
          <option value="" ?selected=${!this._config.relay_entity}>—</option>
          ${relays.map(
            (entityId) =>
              html`<option
                .value=${entityId}
                ?selected=${entityId === this._config.relay_entity}
              >
                ${name(entityId)}
              </option>`,
          )}
        </select>
      </label>
      <label>
        <span>${s.title}</span>
        <input
          name="title"
          .value=${this._config.title || ""}
          @change=${(ev) => this._changed("title", ev.target.value)}
        />
      </label>
    </div>`;
  }

  static styles = css`
    .editor {
      display: flex;
      flex-direction: column;
      gap: 12px;
    }
    label {
      display: flex;
      flex-direction: column;
      gap: 4px;
    }
    select,
    input {
      padding: 6px;
    }
  `;
}
