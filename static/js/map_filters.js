// The map's filter panel, month slider (as_of), richer popups and status-light rings.
// Builds on map.js (window.portalMap / "portal:map-ready"): filters go to portal.reload() for
// each layer, are mirrored in the page URL (so a view can be shared) and in the link to the
// printable battle map. Options and translated labels come from json_script "map-filters".

import { readJSON } from "./basemap.js";
import {
  detailUrl, LIGHT_COLORS, LIGHT_DASHES, MILESTONE_PALETTE, mapUserStrings, orderIssueLink,
  reportUrl,
} from "./map.js";
import {
  el, livelihoodPopup as buildLivelihoodPopup, projectPopup as buildProjectPopup,
} from "./popups.js";
import { siteUrl } from "./urls.js";

const L = window.L;
const options = readJSON("map-filters", { staff: false, months: [], choices: {}, strings: {} });
const S = options.strings;

// Which query parameters each layer's API takes (sites.selectors.parse_site_filters).
const COMMON = ["department", "district", "leader", "q", "as_of"];
const LAYER_KEYS = {
  projects: ["stage", "build_type", "category", "light", "orders", ...COMMON],
  livelihood: ["programme", "milestone_light", "orders", ...COMMON],
};
// A page-URL key that goes to a layer's API under another name: both layers' APIs call their
// light `light`, but a work's (on time / late / done) is not a project's (green / yellow / red).
const API_NAMES = { livelihood: { milestone_light: "light" } };
const SELECTS = ["stage", "build_type", "category", "programme", "department", "district",
  "leader", "light", "milestone_light", "orders"];
export { LIGHT_COLORS };

/**
 * The filter state from a query string: only known keys, empty values dropped, and no select
 * this user is not offered (a shared staff link must not make the public's layers fail on a
 * staff-only filter such as the lights).
 */
export function stateFromQuery(search) {
  const query = new URLSearchParams(search);
  const state = {};
  for (const key of [...SELECTS, "q", "as_of"]) {
    if (SELECTS.includes(key) && !options.choices[key]) continue;
    const value = (query.get(key) || "").trim();
    if (value) state[key] = value;
  }
  return state;
}

/** Per-layer API parameters of a filter state. */
export function layerParams(state) {
  const params = { markets: {} };
  for (const [layer, keys] of Object.entries(LAYER_KEYS)) {
    params[layer] = {};
    for (const key of keys) {
      if (state[key]) params[layer][API_NAMES[layer]?.[key] || key] = state[key];
    }
  }
  return params;
}

function queryString(params) {
  const text = new URLSearchParams(params).toString();
  return text ? `?${text}` : "";
}

function field(id, label, control) {
  return el("div", { className: "filter-field" }, el("label", { htmlFor: id, textContent: label }),
    control);
}

function buildForm(state) {
  const form = el("form", { className: "map-filter-form", role: "search" });
  const search = el("input", { type: "search", id: "filter-q", name: "q", value: state.q || "" });
  form.append(field("filter-q", S.search, search));
  for (const key of SELECTS) {
    const choices = options.choices[key];
    if (!choices) continue; // staff-only filters are absent for the public
    const select = el("select", { id: `filter-${key}`, name: key });
    select.append(el("option", { value: "", textContent: S.all }));
    for (const [value, label] of Object.entries(choices)) {
      select.append(el("option", { value, textContent: label, selected: state[key] === value }));
    }
    form.append(field(`filter-${key}`, S[key] || key, select));
  }
  // Month slider: one step per month of this year up to now; the last step is "now".
  const months = options.months || [];
  const index = state.as_of ? months.indexOf(state.as_of) : -1;
  const slider = el("input", {
    type: "range", id: "filter-month", name: "month", min: "0", max: String(months.length),
    step: "1", value: String(index >= 0 ? index : months.length),
  });
  const output = el("output", { htmlFor: "filter-month", id: "filter-month-value" });
  const showMonth = () => {
    output.textContent = months[Number(slider.value)] || S.now;
    slider.setAttribute("aria-valuetext", output.textContent);
  };
  showMonth();
  slider.addEventListener("input", showMonth);
  const monthField = field("filter-month", S.month, slider);
  monthField.append(output);
  form.append(monthField);
  const buttons = el("div", { className: "filter-buttons" },
    el("button", { type: "submit", textContent: S.apply }),
    el("button", { type: "reset", textContent: S.reset }));
  const exportLink = el("a", { className: "battle-map-link", id: "battle-map-link",
    href: siteUrl("battleMap"), textContent: S.export, target: "_blank", rel: "noopener" });
  form.append(buttons, exportLink);
  form.readState = () => {
    const data = new FormData(form);
    const next = {};
    for (const key of [...SELECTS, "q"]) {
      const value = String(data.get(key) || "").trim();
      if (value) next[key] = value;
    }
    const month = months[Number(slider.value)];
    if (month) next.as_of = month;
    return next;
  };
  form.resetAll = () => {
    form.querySelectorAll("select").forEach((s) => { s.value = ""; });
    search.value = "";
    slider.value = String(months.length);
    showMonth();
  };
  return form;
}

/** A project's popup (popups.js): key figures, the light with its reasons (staff), links. */
export function projectPopup(feature) {
  return buildProjectPopup(feature.properties || {}, {
    S,
    orders: mapUserStrings(),
    actions: [
      [detailUrl("projects", feature.id), S.details, "popup-details"],
      [reportUrl(feature), S.report, "popup-report"],
      orderIssueLink(feature),
    ],
  });
}

/** A livelihood work's popup (popups.js): programme, status, progress, next milestone, link. */
export function livelihoodPopup(feature) {
  const p = feature.properties || {};
  return buildLivelihoodPopup(p, {
    S,
    lightColor: MILESTONE_PALETTE.colors[p.milestone_light] || "",
    orders: mapUserStrings(),
    actions: [[detailUrl("livelihood", feature.id), S.details, "popup-details"],
      orderIssueLink(feature, "livelihood")],
  });
}

function eachFeatureLayer(group, fn) {
  group.eachLayer((layer) => {
    if (layer.feature) fn(layer);
    else if (layer.eachLayer) eachFeatureLayer(layer, fn);
  });
}

/** Re-bind the popups of the loaded layers and ring projects in their light's colour. */
export function decorate(portal) {
  eachFeatureLayer(portal.layers.projects, (layer) => {
    layer.bindPopup(() => projectPopup(layer.feature), { maxWidth: 320 });
    const light = layer.feature.properties?.light;
    // The ring's dash tells the light without its colour (solid, dashed, dotted).
    if (light && layer.setStyle) {
      layer.setStyle({ color: LIGHT_COLORS[light], weight: 3, dashArray: LIGHT_DASHES[light] });
    }
  });
  eachFeatureLayer(portal.layers.livelihood, (layer) => {
    layer.bindPopup(() => livelihoodPopup(layer.feature), { maxWidth: 320 });
  });
}

/** Apply a filter state: reload the layers, update the URL and the battle-map link. */
export async function applyFilters(portal, state) {
  const params = layerParams(state);
  const text = queryString(state);
  window.history.replaceState(null, "", `${window.location.pathname}${text}`);
  const link = document.getElementById("battle-map-link");
  // The printable map takes the page's own filter names (both layers': sites/printmap.py).
  if (link) link.href = `${siteUrl("battleMap")}${text}`;
  // The dashboard takes the projects' filters: its header link opens the same view.
  const dashboardUrl = siteUrl("dashboard");
  const dashboard = document.querySelector(`.site-nav a[href^='${dashboardUrl}']`);
  if (dashboard) dashboard.href = `${dashboardUrl}${queryString(params.projects)}`;
  // The header's map link reloads this view rather than dropping the filters.
  const home = siteUrl("home");
  const mapLink = document.querySelector(`.site-nav a[href='${home}'], .site-nav a[href^='${home}?']`);
  if (mapLink) mapLink.setAttribute("href", `${home}${text}`);
  return portal.reload(params);
}

const GAP = 8; // px between a popup and the panel or the map's edge

/**
 * Leaflet's popup auto-pan keeps a popup inside the map less its padding; it knows nothing of
 * the filter panel over the map's top-left corner. Keep the padding equal to the panel's
 * right edge (and the legend's height at the bottom right), so an opened popup is panned clear
 * of them. Popups take their options from L.Popup's prototype unless given their own, so one
 * update reaches every popup, including those bound before it.
 */
export function keepPopupsClearOf(map, panel) {
  const update = () => {
    const box = map.getContainer().getBoundingClientRect();
    const rect = panel.getBoundingClientRect();
    const left = rect.width ? Math.max(GAP, Math.round(rect.right - box.left + GAP)) : GAP;
    const legend = map.getContainer().querySelector(".map-legend");
    const legendRect = legend?.getBoundingClientRect();
    const bottom = legendRect?.height ? Math.round(box.bottom - legendRect.top + GAP) : GAP;
    L.Popup.prototype.options.autoPanPaddingTopLeft = L.point(left, GAP);
    L.Popup.prototype.options.autoPanPaddingBottomRight = L.point(GAP, Math.min(bottom,
      Math.round(box.height / 3)));
  };
  update();
  panel.addEventListener("toggle", update);
  window.addEventListener("resize", update);
  map.getContainer().querySelector(".map-legend")?.addEventListener("toggle", update);
  return update;
}

export function installFilters(portal) {
  if (portal.filterPanel) return portal.filterPanel;
  const state = stateFromQuery(window.location.search);
  const control = L.control({ position: "topleft" });
  let form;
  control.onAdd = () => {
    const root = L.DomUtil.create("details", "map-filters");
    root.open = window.matchMedia("(min-width: 48rem)").matches;
    root.append(el("summary", { textContent: S.filters }));
    form = buildForm(state);
    root.append(form);
    L.DomEvent.disableClickPropagation(root);
    L.DomEvent.disableScrollPropagation(root);
    return root;
  };
  control.addTo(portal.map);
  keepPopupsClearOf(portal.map, control.getContainer());
  const apply = () => applyFilters(portal, form.readState());
  form.addEventListener("submit", (event) => { event.preventDefault(); apply(); });
  form.addEventListener("change", (event) => { if (event.target.name !== "q") apply(); });
  form.addEventListener("reset", (event) => { event.preventDefault(); form.resetAll(); apply(); });
  document.addEventListener("portal:map-reloaded", () => decorate(portal));
  portal.filterPanel = form;
  if (Object.keys(state).length) applyFilters(portal, state);
  else decorate(portal);
  return form;
}

if (window.portalMap) {
  installFilters(window.portalMap);
} else {
  document.addEventListener("portal:map-ready", (event) => installFilters(event.detail), {
    once: true,
  });
}
