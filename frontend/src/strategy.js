// The "custom:sunshare" dashboard strategy: a Sunshare dashboard built from what is set up.
import { generateDashboard } from "./logic.js";

export class SunshareDashboardStrategy extends HTMLElement {
  static async generate(config, hass) {
    return generateDashboard(hass, config);
  }
}
