// The map's features as a table (issue 16 item 6): a keyboard and screen-reader way to every
// feature the map shows, rebuilt on each load, so it follows the filters and the month slider.
// A collapsible map control at the top right; each name links to the feature's page, and a
// light is written out in words (never its colour alone).

import { detailUrl, LAYER_NAMES } from "./map.js";
import { onPortalMap, templateControl } from "./map_controls.js";
import { format } from "./text.js";
const strings = (() => {
  const node = document.getElementById("feature-list-strings");
  return node ? JSON.parse(node.textContent) : {};
})();


function state(layer, props) {
  if (layer === "projects") return props.stage_label || "";
  if (layer === "livelihood") return props.status_label || "";
  return props.status_text || props.status_label || "";
}

function light(layer, props) {
  if (layer === "projects") return props.light_label || "";
  if (layer === "livelihood") return props.milestone_light_label || "";
  return "";
}

function cell(tag, text) {
  const node = document.createElement(tag);
  node.textContent = text;
  if (tag === "th") node.scope = "row";
  return node;
}

/** Rows of the table: one per feature of each layer the map shows, in the layers' order. */
export function rows(portal) {
  const out = [];
  for (const layer of LAYER_NAMES) {
    if (!portal.map.hasLayer(portal.layers[layer])) continue; // switched off in the control
    for (const feature of portal.features?.[layer] || []) out.push({ layer, feature });
  }
  return out;
}

function fill(portal, root) {
  const body = root.querySelector("tbody");
  const list = rows(portal);
  const showLight = list.some(({ layer, feature }) => light(layer, feature.properties || {}));
  root.querySelector("th.feature-light").hidden = !showLight;
  const items = list.map(({ layer, feature }) => {
    const props = feature.properties || {};
    const tr = document.createElement("tr");
    tr.dataset.layer = layer;
    const name = document.createElement("th");
    name.scope = "row";
    const link = document.createElement("a");
    link.href = detailUrl(layer, feature.id);
    link.textContent = props.name || props.code || `#${feature.id}`;
    name.append(link);
    const lightCell = cell("td", light(layer, props));
    lightCell.hidden = !showLight;
    tr.append(name, cell("td", strings.layers?.[layer] || layer), cell("td", state(layer, props)),
      lightCell);
    return tr;
  });
  body.replaceChildren(...items);
  root.querySelector(".feature-count").textContent =
    format(strings.count || "%(n)s", { n: items.length });
  root.dataset.count = String(items.length);
}

export function installFeatureTable(portal) {
  if (portal.featureTable) return null;
  const root = templateControl(portal.map, "feature-list-template");
  if (!root) return null;
  const update = () => fill(portal, root);
  document.addEventListener("portal:map-reloaded", update);
  portal.map.on("overlayadd overlayremove", update);
  update();
  portal.featureTable = root;
  return root;
}

onPortalMap(installFeatureTable);
