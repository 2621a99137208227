// Entry point of the bundle served by the integration (custom_components/sunshare/frontend).
import { SunshareGameCard } from "./card.js";
import { SunshareGameCardEditor } from "./editor.js";
import { SunshareDashboardStrategy } from "./strategy.js";

const ELEMENTS = [
  ["sunshare-game-card", SunshareGameCard],
  ["sunshare-game-card-editor", SunshareGameCardEditor],
  ["ll-strategy-dashboard-sunshare", SunshareDashboardStrategy],
];

function defineAll() {
  // The registry the frontend uses now: recent frontends replace window.customElements
  // with a scoped-registry polyfill when their app starts, and an element defined in
  // the native registry before that is not seen by the frontend.
  const registry = window.customElements;
  for (const [name, element] of ELEMENTS) {
    if (!registry.get(name)) registry.define(name, element);
  }
}

// This module may run before the frontend's app (it is an extra module of the page):
// define the elements once the frontend has defined its main element.
window.customElements.whenDefined("home-assistant-main").then(defineAll);

window.customCards = window.customCards || [];
if (!window.customCards.some((card) => card.type === "sunshare-game-card")) {
  window.customCards.push({
    type: "sunshare-game-card",
    name: "Sunshare game",
    description:
      "Season score, ranks, team podium, piggy bank, next peak and the action to declare.",
    preview: false,
    documentationURL: "https://github.com/sunshare/sunshare/blob/main/docs/game-link.md",
  });
}
