// The citywide map (the home page): key projects, livelihood works and market zones from the GeoJSON API.
// Leaflet and Leaflet.markercluster are classic scripts loaded before this module (global L).
// Other page features (filters, status lights, a month slider) build on the exported functions
// and on window.portalMap, which is set once the first load has finished.

import {
  addBasemap, addMapTitle, asOfText, bboxToBounds, contextLegendSection, legendList, legendSwatch, readJSON,
  readMapConfig,
} from "./basemap.js";
import { date as dateText, money, percent } from "./numbers.js";
import { fieldsPopup } from "./popups.js";
import { siteUrl } from "./urls.js";

const L = window.L;

export const LAYER_NAMES = ["projects", "livelihood", "markets"];

// The layers' API lists, from the page config (geo.page_urls).
export const API_URLS = {
  projects: siteUrl("apiProjects"),
  livelihood: siteUrl("apiLivelihood"),
  markets: siteUrl("apiMarkets"),
};

// Each feature's HTML page (a popup links to it).
export const DETAIL_URLS = {
  projects: (id) => siteUrl("projectDetail", { id }),
  livelihood: (id) => siteUrl("livelihoodDetail", { id }),
  markets: (id) => siteUrl("marketDetail", { id }),
};

// Colours by the property each layer is classified by; codes are the model choices' values.
export const PALETTES = {
  projects: {
    property: "stage",
    colors: {
      preparation: "#6b7785",
      construction: "#e8710a",
      completed: "#1a62c9",
      operating: "#188038",
      suspended: "#b3261e",
    },
  },
  livelihood: {
    property: "category",
    colors: {
      medical: "#d93025",
      education: "#1967d2",
      old_community: "#8e24aa",
      road: "#3c4043",
      pipe_network: "#00796b",
      gas_pipeline: "#e37400",
      other: "#80868b",
    },
  },
  markets: {
    property: "kind",
    colors: {
      trunk: "#f29900",
      flea: "#0097a7",
      food_street: "#c2185b",
      night_market: "#5e35b1",
    },
  },
};
const FALLBACK_COLOR = "#555f6b";

// Status-light colours of projects (sites.lights: green / yellow / red).
export const LIGHT_COLORS = { green: "#188038", yellow: "#f9ab00", red: "#b3261e" };
// A light is never told by colour alone: its outline is solid, dashed or dotted, and the legend
// and popups give a symbol and the light's name.
export const LIGHT_DASHES = { green: null, yellow: "6 3", red: "2 3" };
export const LIGHT_SYMBOLS = { green: "✓", yellow: "!", red: "✕" };

// A livelihood work's light is its milestone progress (sites.selectors.with_milestone_light).
// The API gives `milestone_light` to staff only; where a feature carries it, it replaces the
// category as the work's colour: on time reads as a green light, late as amber, done as blue.
// Never by colour alone either: a late work is dashed, a done one dotted, with a symbol in the
// legend (and its light in words in the popup and the feature list).
export const MILESTONE_PALETTE = {
  property: "milestone_light",
  colors: { on_time: LIGHT_COLORS.green, late: LIGHT_COLORS.yellow, done: "#1a62c9" },
  dashes: { on_time: null, late: "6 3", done: "1 4" },
  symbols: { on_time: "✓", late: "!", done: "◆" },
};

/** The palette a feature is coloured by: a livelihood work's light where it has one. */
export function paletteFor(layerName, properties) {
  if (layerName === "livelihood" && properties?.[MILESTONE_PALETTE.property]) {
    return MILESTONE_PALETTE;
  }
  return PALETTES[layerName];
}

// Which properties a popup lists, and the label catalogue (map-strings) that translates codes.
// A fourth member formats the raw value for people (numbers.js): 万元 → 亿元/万元, percent, date.
const POPUP_FIELDS = {
  projects: [
    ["code", null],
    ["stage_label", null, "stage"],
    ["lead_department", null],
    ["percent_complete", null, "percent_complete", percent],
    // Staff only (the API sends money to staff): amounts as a leader reads them.
    ["total_investment", null, "total_investment", money],
    ["completed_investment_year", null, "completed_investment_year", money],
  ],
  livelihood: [
    ["milestone_light", "milestoneLight", "milestone_light"],
    ["programme", "programme"],
    ["category", "category"],
    ["status", "workStatus"],
    ["lead_department", null],
    ["percent_complete", null, "percent_complete", percent],
    ["next_milestone_date", null, "next_milestone_date", dateText],
  ],
  markets: [
    ["kind_label", null, "kind"],
    ["status", "zoneStatus"],
    ["hours_text", null, "opening_hours"], // hours in words; the raw OSM rule is staff-only
    ["next_change_text", null, "next_change"],
  ],
};

let strings = { layers: {}, labels: {}, fields: {}, messages: {} };

// What this user's popups offer (sites.views.map_user_config): report and edit links.
const mapUser = readJSON("map-user", { department: null, reportAll: false, editZones: false,
  urlId: "", urls: {}, strings: {} });

function fillUrl(template, id) {
  return template && mapUser.urlId ? template.replace(mapUser.urlId, encodeURIComponent(id)) : "";
}

/** The report-form URL of a project this user may report on, else null (no link offered). */
export function reportUrl(feature) {
  const own = mapUser.department
    && feature.properties?.lead_department_code === mapUser.department;
  return (mapUser.reportAll || own) ? fillUrl(mapUser.urls.projectReport, feature.id) : null;
}

/** The popup link (url, label, class) that issues an order on a project, or on a livelihood
 * work with `layerName` "livelihood": leaders and the project office only (url null for
 * others, so popups.js leaves it out). */
export function orderIssueLink(feature, layerName = "projects") {
  const template = layerName === "livelihood" ? mapUser.urls.orderIssueWork
    : mapUser.urls.orderIssue;
  const url = mapUser.issueOrders ? fillUrl(template, feature.id) : null;
  return [url, mapUser.strings.issueOrder, "popup-order"];
}

/** The words of this user's popup links and order lines (sites.views.map_user_config). */
export function mapUserStrings() {
  return mapUser.strings;
}

/** The boundary-editor URL of a market zone for urban management (and admins), else null. */
export function zoneEditUrl(feature) {
  return mapUser.editZones ? fillUrl(mapUser.urls.marketEdit, feature.id) : null;
}

/** The query string of the map's current view (filters and as_of), kept by detail links. */
export function viewQuery() {
  return window.location.search;
}

/** A feature's page, opened in this map's view (its filters) for projects and works. */
export function detailUrl(layerName, id) {
  return DETAIL_URLS[layerName](id) + (layerName === "markets" ? "" : viewQuery());
}

// One map pane per layer, stacked so that areas never cover the points and lines drawn on them
// (Leaflet's overlayPane is 400, markers are 600).
const PANE_Z = { markets: 410, livelihood: 420, projects: 430 };

/** The map pane a layer draws into. */
export function paneName(layerName) {
  return `${layerName}Pane`;
}

/** The colour of a feature of a layer, by that layer's classifying property. */
export function featureColor(layerName, properties) {
  const palette = paletteFor(layerName, properties);
  return palette.colors[properties?.[palette.property]] || FALLBACK_COLOR;
}

/** Leaflet path options for a feature: class names let tests and CSS find what was drawn. */
export function featureStyle(layerName, feature) {
  const props = feature.properties || {};
  const color = featureColor(layerName, props);
  const classValue = props[PALETTES[layerName].property] || "unknown";
  let className = `portal-feature portal-${layerName} portal-${layerName}-${classValue}`;
  const light = props[MILESTONE_PALETTE.property];
  if (layerName === "livelihood" && light) className += ` portal-livelihood-light-${light}`;
  const style = {
    color,
    weight: 2,
    opacity: 0.9,
    fillColor: color,
    fillOpacity: 0.35,
    className,
    pane: paneName(layerName),
  };
  if (layerName === "livelihood" && /LineString/.test(feature.geometry?.type || "")) {
    style.weight = 4; // roads and pipes are lines; thin lines vanish at city zoom
  }
  if (layerName === "livelihood" && MILESTONE_PALETTE.dashes[light]) {
    style.dashArray = MILESTONE_PALETTE.dashes[light];
    if (/Polygon/.test(feature.geometry?.type || "")) style.weight = 3;
  }
  if (layerName === "markets" && props.status === "suspended") {
    style.dashArray = "6 4";
    style.fillOpacity = 0.15;
  }
  return style;
}

/** A circle marker for a point feature, styled like the layer's paths. */
export function pointMarker(layerName, feature, latlng) {
  const style = { ...featureStyle(layerName, feature), radius: 7, fillOpacity: 0.8 };
  if (layerName === "livelihood") {
    // Solid with a white ring, so a livelihood point never reads as a project of like colour.
    Object.assign(style, { color: "#ffffff", weight: 2, opacity: 1, fillOpacity: 1, radius: 6 });
    // A late or done work's point: a dark ring in the light's dash pattern (not colour alone).
    if (style.dashArray) Object.assign(style, { color: "#202124", weight: 2.5, radius: 7 });
  }
  const marker = L.circleMarker(latlng, style);
  bindOrderBadge(layerName, feature, marker);
  return marker;
}

/** Staff: a badge with a project's or a work's number of open supervision orders ("!" when
 * one is overdue), beside a point marker, at the middle of an area or a line. */
export function bindOrderBadge(layerName, feature, layer) {
  const open = Number(feature.properties?.open_orders) || 0;
  if (!ORDER_LAYERS.has(layerName) || open <= 0) return;
  const overdue = Number(feature.properties.overdue_orders) || 0;
  const place = layer instanceof L.CircleMarker
    ? { direction: "right", offset: [6, -8] } : { direction: "center" };
  layer.bindTooltip(overdue ? `${open}!` : String(open), {
    permanent: true, ...place,
    className: overdue ? "order-badge order-badge-overdue" : "order-badge",
  });
}

// The layers whose features carry supervision orders (staff): projects and livelihood works.
const ORDER_LAYERS = new Set(["projects", "livelihood"]);

/** The icon of a cluster of project points: neutral, so it never reads as a stage colour. */
export function clusterIcon(cluster) {
  const count = cluster.getChildCount();
  const size = count < 10 ? 30 : count < 100 ? 36 : 42;
  return L.divIcon({
    html: `<span>${count}</span>`,
    className: "project-cluster",
    iconSize: L.point(size, size),
  });
}

function displayValue(value) {
  if (value === null || value === undefined || value === "") return null;
  if (Array.isArray(value)) return value.length ? value.join("；") : null;
  if (typeof value === "object") return value.name ?? value.label ?? null;
  return String(value);
}

/** The popup DOM of a feature (popups.js: built with textContent, so names cannot inject markup). */
export function popupContent(layerName, feature) {
  const props = feature.properties || {};
  const rows = [];
  for (const [key, catalogue, labelKey, format] of POPUP_FIELDS[layerName]) {
    let value = displayValue(props[key]);
    if (value && format) value = format(props[key]);
    if (value && catalogue) value = strings.labels[catalogue]?.[value] ?? value;
    if (!value) continue;
    rows.push([strings.fields[labelKey || key] || labelKey || key, value]);
  }
  let actions = [];
  if (feature.id !== undefined && feature.id !== null) {
    actions = [
      [detailUrl(layerName, feature.id), strings.messages.details || "Details", "popup-details"],
      [layerName === "projects" ? reportUrl(feature) : null, mapUser.strings.report,
        "popup-report"],
      [layerName === "markets" ? zoneEditUrl(feature) : null, mapUser.strings.edit,
        "popup-edit"],
    ];
  }
  return fieldsPopup({ title: props.name || props.code || `#${feature.id}`, rows, actions });
}

/** Fetch every page of a GeoJSON FeatureCollection (follows DRF pagination's `next`). */
export async function fetchFeatures(url, params = {}) {
  const query = new URLSearchParams(params).toString();
  let next = query ? `${url}?${query}` : url;
  const features = [];
  while (next) {
    const response = await fetch(next, {
      headers: { Accept: "application/geo+json, application/json" },
      credentials: "same-origin",
    });
    if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
    const body = await response.json();
    features.push(...(body.features || []));
    next = body.next || null;
  }
  return features;
}

/** A GeoJSON layer of the given features, styled and with popups. */
export function geoJsonLayer(layerName, features) {
  return L.geoJSON(
    { type: "FeatureCollection", features },
    {
      style: (feature) => featureStyle(layerName, feature),
      pointToLayer: (feature, latlng) => pointMarker(layerName, feature, latlng),
      onEachFeature: (feature, layer) => {
        layer.bindPopup(() => popupContent(layerName, feature));
        // Points got theirs in pointMarker; areas and lines get it here.
        if (!(layer instanceof L.CircleMarker)) bindOrderBadge(layerName, feature, layer);
      },
    },
  );
}

/** Fill an overlay with features; project points are clustered when they crowd. */
export function fillLayer(layerName, overlay, features) {
  overlay.clearLayers();
  if (layerName === "projects" && L.markerClusterGroup) {
    const isPoint = (f) => f.geometry?.type === "Point";
    const cluster = L.markerClusterGroup({
      maxClusterRadius: 40,
      disableClusteringAtZoom: 16,
      showCoverageOnHover: false,
      chunkedLoading: true,
      iconCreateFunction: clusterIcon,
    });
    cluster.addLayer(geoJsonLayer(layerName, features.filter(isPoint)));
    overlay.addLayer(cluster);
    overlay.addLayer(geoJsonLayer(layerName, features.filter((f) => !isPoint(f))));
  } else {
    overlay.addLayer(geoJsonLayer(layerName, features));
  }
  return overlay;
}

/** Load one layer from the API into its overlay; resolves to the number of features. */
export async function loadLayer(layerName, overlay, params = {}) {
  const features = await fetchFeatures(API_URLS[layerName], params);
  fillLayer(layerName, overlay, features);
  return features.length;
}

const LEGEND_CATALOGUES = { projects: "stage", livelihood: "category", markets: "kind" };
const LEGEND_SHAPES = { projects: "point", livelihood: "line", markets: "area" };

/** A ring in a light's colour and dash pattern, drawn as the map outlines a project. */
export function lightRing(light) {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("width", "16");
  svg.setAttribute("height", "16");
  svg.setAttribute("aria-hidden", "true");
  svg.classList.add("legend-ring");
  const ring = document.createElementNS("http://www.w3.org/2000/svg", "circle");
  Object.entries({ cx: 8, cy: 8, r: 6, fill: "#fff", stroke: LIGHT_COLORS[light],
    "stroke-width": 3 }).forEach(([k, v]) => ring.setAttribute(k, String(v)));
  if (LIGHT_DASHES[light]) ring.setAttribute("stroke-dasharray", LIGHT_DASHES[light]);
  svg.append(ring);
  return svg;
}

/** Staff see each project outlined by its status light: the legend's section for it, built
 * from the labels the features carry (`light`, `light_label`). */
function lightSection(features) {
  const labels = {};
  for (const f of features) {
    if (f.properties?.light) labels[f.properties.light] ??= f.properties.light_label;
  }
  const section = document.createElement("section");
  section.dataset.legendLayer = "projects-light";
  const { title: heading, list } = legendList(
    readMapConfig().strings?.outlineLight || "Outline: status light");
  for (const light of Object.keys(LIGHT_COLORS)) {
    if (!labels[light]) continue;
    const item = document.createElement("li");
    item.dataset.legend = `projects-light-${light}`;
    const symbol = document.createElement("span");
    symbol.className = "legend-symbol";
    symbol.textContent = LIGHT_SYMBOLS[light];
    symbol.style.color = LIGHT_COLORS[light];
    const label = document.createElement("span");
    label.textContent = labels[light];
    item.append(lightRing(light), symbol, label);
    list.append(item);
  }
  section.append(heading, list);
  return section;
}

/** The legend row of the open-orders badge (`open_orders` > 0 on a project or work): shown
 * only once a drawn feature carries the property (staff's layers). */
function ordersSection() {
  const section = document.createElement("section");
  section.dataset.legendLayer = "orders";
  const item = document.createElement("li");
  item.dataset.legend = "open-orders";
  const badge = document.createElement("span");
  badge.className = "legend-badge";
  badge.textContent = "3";
  badge.setAttribute("aria-hidden", "true");
  const label = document.createElement("span");
  label.textContent = readMapConfig().strings?.openOrders || "Badge: open work orders";
  item.append(badge, label);
  const list = document.createElement("ul");
  list.append(item);
  section.append(list);
  return section;
}

/** One layer's legend section: a title and a swatch per colour of `palette`. */
function legendSection(layerName, palette, catalogue, title, prefix = layerName) {
  const section = document.createElement("section");
  section.dataset.legendLayer = layerName;
  const { title: heading, list } = legendList(title);
  for (const [code, color] of Object.entries(palette.colors)) {
    const item = document.createElement("li");
    item.dataset.legend = `${prefix}-${code}`;
    const label = document.createElement("span");
    label.textContent = strings.labels[catalogue]?.[code] || code;
    item.append(legendSwatch(LEGEND_SHAPES[layerName], color, palette.dashes?.[code]));
    if (palette.symbols?.[code]) {
      const symbol = document.createElement("span");
      symbol.className = "legend-symbol";
      symbol.textContent = palette.symbols[code];
      symbol.style.color = color;
      symbol.setAttribute("aria-hidden", "true");
      item.append(symbol);
    }
    item.append(label);
    list.append(item);
  }
  section.append(heading, list);
  return section;
}

/**
 * A collapsible legend of every layer's colours. `control.showMilestoneLights()` swaps the
 * livelihood categories for the milestone-light colours, once features carrying them are drawn.
 */
export function legendControl() {
  const control = L.control({ position: "bottomright" });
  let livelihoodSection = null;
  let projectsSection = null;
  let legendRoot = null;
  control.onAdd = () => {
    const root = L.DomUtil.create("details", "map-legend");
    root.open = window.matchMedia("(min-width: 48rem)").matches;
    const summary = document.createElement("summary");
    summary.textContent = strings.messages.legend || "Legend";
    root.append(summary);
    for (const layerName of LAYER_NAMES) {
      const section = legendSection(layerName, PALETTES[layerName],
        LEGEND_CATALOGUES[layerName], strings.layers[layerName] || layerName);
      if (layerName === "livelihood") livelihoodSection = section;
      if (layerName === "projects") projectsSection = section;
      root.append(section);
    }
    root.append(contextLegendSection());
    legendRoot = root;
    L.DomEvent.disableClickPropagation(root);
    L.DomEvent.disableScrollPropagation(root);
    return root;
  };
  control.showMilestoneLights = () => {
    if (!livelihoodSection || livelihoodSection.dataset.lights === "true") return;
    const title = strings.messages.livelihoodLights || strings.layers.livelihood || "livelihood";
    const section = legendSection("livelihood", MILESTONE_PALETTE, "milestoneLight", title,
      "livelihood-light");
    section.dataset.lights = "true";
    livelihoodSection.replaceWith(section);
    livelihoodSection = section;
  };
  // Fill = stage, outline = light: once staff's projects carry lights, say what the rings mean.
  control.showProjectLights = (features) => {
    legendRoot?.querySelector("[data-legend-layer=projects-light]")?.remove();
    if (projectsSection && features.some((f) => f.properties?.light)) {
      projectsSection.after(lightSection(features));
    }
  };
  control.showOrders = (features) => {
    legendRoot?.querySelector("[data-legend-layer=orders]")?.remove();
    if (projectsSection && features.some((f) => Number(f.properties?.open_orders) > 0)) {
      projectsSection.parentNode.insertBefore(ordersSection(),
        legendRoot.querySelector("[data-legend-layer=context]"));
    }
  };
  return control;
}

function setStatus(status, counts, failed) {
  status.dataset.loaded = "true";
  for (const [name, count] of Object.entries(counts)) status.dataset[name] = String(count);
  if (failed.length) {
    status.dataset.error = failed.join(" ");
    const names = failed.map((name) => strings.layers[name] || name).join(", ");
    status.textContent = `${strings.messages.failed || "Could not load:"} ${names}`;
  } else {
    delete status.dataset.error;
    status.textContent = strings.messages.loaded || "";
  }
}

/**
 * Load (or reload, e.g. with filters) every layer; updates the counts and #map-status.
 * `params` maps a layer name to its query parameters: {projects: {stage: "construction"}}.
 */
export async function reloadAll(portal, params = {}) {
  const generation = ++portal.generation;
  // The filters on show, for the "export this view" menu (static/js/export_menu.js).
  portal.params = params;
  const status = document.getElementById("map-status");
  status.dataset.loaded = "false";
  const results = await Promise.allSettled(
    LAYER_NAMES.map((name) => fetchFeatures(API_URLS[name], params[name] || {})),
  );
  // A newer reload started while this one was in flight: its answers win, drop these.
  if (generation !== portal.generation) return portal.counts;
  const failed = [];
  results.forEach((result, i) => {
    const name = LAYER_NAMES[i];
    if (result.status === "fulfilled") {
      fillLayer(name, portal.layers[name], result.value);
      portal.counts[name] = result.value.length;
      portal.features[name] = result.value; // for the feature table (feature_table.js)
      // Only staff get the light: once a work carries one, the legend shows the light colours.
      if (name === "livelihood" && result.value.some((f) => f.properties?.milestone_light)) {
        portal.legend?.showMilestoneLights();
      }
      if (name === "projects") {
        portal.legend?.showProjectLights(result.value);
      }
    } else {
      portal.layers[name].clearLayers();
      portal.counts[name] = 0;
      failed.push(name);
      console.error(result.reason);
    }
  });
  // The badge's legend row, once a drawn project or work has open orders.
  portal.legend?.showOrders(results.flatMap((result, i) => (
    result.status === "fulfilled" && ORDER_LAYERS.has(LAYER_NAMES[i]) ? result.value : [])));
  setStatus(status, portal.counts, failed);
  // The title's date follows the month slider: a past month shows the data of its end.
  const month = params.projects?.as_of;
  portal.title?.setAsOf(month ? monthText(month) : asOfText());
  document.dispatchEvent(new CustomEvent("portal:map-reloaded", { detail: portal }));
  return portal.counts;
}

/** "2026年6月" for "2026-06" (the month slider's value), in the page's language. */
export function monthText(month) {
  const [year, number] = month.split("-").map(Number);
  const lang = document.documentElement.lang || "zh-hans";
  return new Intl.DateTimeFormat(lang.startsWith("zh") ? "zh-CN" : "en-GB",
    { year: "numeric", month: "long", timeZone: "UTC" }).format(Date.UTC(year, number - 1, 15));
}

/** Build the map, its basemap, overlays and controls, then load the layers. */
export async function initMap(elementId = "map") {
  const config = readMapConfig();
  strings = readJSON("map-strings", strings);
  // An explicit maxZoom: with no basemap there is no tile layer to take it from, and the
  // cluster group needs one.
  // On a phone a whole zoom step halves the city (a 5 km scale bar on a 390 px screen): quarter
  // steps let the first view frame the city's extent instead.
  const phone = !window.matchMedia("(min-width: 48rem)").matches;
  const map = L.map(elementId, { maxZoom: 19, minZoom: 3, zoomSnap: phone ? 0.25 : 1 });
  const bounds = bboxToBounds(config.bbox);
  if (bounds) map.fitBounds(bounds, phone ? { padding: [4, 4] } : {});
  else map.setView(config.center, 13);
  // This page's legend holds the context layers' section too; its title names all three layers.
  addBasemap(map, config, { title: false, legend: false });
  const title = addMapTitle(map, { title: config.strings?.mainMapTitle });
  L.control.scale({ imperial: false }).addTo(map);

  const layers = {};
  const overlays = {};
  for (const name of LAYER_NAMES) {
    map.createPane(paneName(name)).style.zIndex = String(PANE_Z[name]);
    layers[name] = L.featureGroup().addTo(map);
    overlays[strings.layers[name] || name] = layers[name];
  }
  const collapsed = !window.matchMedia("(min-width: 48rem)").matches;
  L.control.layers(null, overlays, { collapsed }).addTo(map);
  const legend = legendControl().addTo(map);

  const portal = { map, config, layers, legend, title, counts: {}, features: {}, generation: 0,
    reload: null };
  portal.reload = (params) => reloadAll(portal, params);
  await reloadAll(portal);
  window.portalMap = portal;
  document.dispatchEvent(new CustomEvent("portal:map-ready", { detail: portal }));
  return portal;
}

if (document.getElementById("map")) {
  initMap();
}
