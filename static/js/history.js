// A zone's version history (/staff/markets/<id>/history/): two versions overlaid on the map
// (A solid blue, B dashed red), each version's field changes, and "restore this version", which
// opens a new draft changeset proposing that version (reviewed and published like any edit).

import { addBasemap, bboxToBounds, legendSwatch, readJSON, readMapConfig } from "./basemap.js";
import { fillPattern } from "./urls.js";
import { failureMessage, request, write } from "./write.js";
import { format } from "./text.js";

const L = window.L;
const config = readJSON("editor-config");
const mapConfig = readMapConfig();
const S = config.strings;

const map = L.map("history-map", { center: mapConfig.center, zoom: 14 });
addBasemap(map, mapConfig, { legend: { entries: [
  [legendSwatch("area", "#0b4f9c"), mapConfig.strings?.versionA, "version-a"],
  [legendSwatch("area", "#a3161a"), mapConfig.strings?.versionB, "version-b"],
] } });
const cityBounds = bboxToBounds(mapConfig.bbox);
if (cityBounds) map.fitBounds(cityBounds);
const STYLES = {
  a: { color: "#0b4f9c", weight: 3, fillOpacity: 0.15 },
  b: { color: "#a3161a", weight: 3, dashArray: "8 6", fillOpacity: 0.1 },
};
const overlays = { a: L.geoJSON(null, { style: STYLES.a }).addTo(map),
                   b: L.geoJSON(null, { style: STYLES.b }).addTo(map) };
const pickers = { a: document.getElementById("version-a"), b: document.getElementById("version-b") };
const list = document.getElementById("history-versions");
const statusNode = document.getElementById("history-status");
const form = document.getElementById("restore-form");
let versions = [];
let currentVersion = Number(statusNode.dataset.version);

function label(v) {
  return `${format(S.version, { version: v.version })} · ${v.date.slice(0, 16).replace("T", " ")}`;
}

function show(which) {
  const chosen = versions.find((v) => String(v.history_id) === pickers[which].value);
  overlays[which].clearLayers();
  if (chosen) overlays[which].addData(chosen.geometry);
}

function fit() {
  const bounds = overlays.a.getBounds().extend(overlays.b.getBounds());
  if (bounds.isValid()) map.fitBounds(bounds, { maxZoom: 18, padding: [20, 20] });
}

function cell(row, text, tag = "td") {
  const node = document.createElement(tag);
  node.textContent = text === null || text === undefined ? "–" : typeof text === "object" ? JSON.stringify(text) : String(text);
  row.append(node);
}

function renderVersion(v, index) {
  const item = document.createElement("li");
  const heading = document.createElement("h3");
  heading.textContent = label(v);
  item.append(heading);
  const meta = document.createElement("p");
  meta.textContent = `${v.user || "–"} · ${S[`${v.type}_type`] || v.type} · ${v.reason || ""}`;
  if (v.changeset) {
    // One entry per published changeset: its comment, author and reviewer, linked.
    const link = document.createElement("a");
    link.className = "history-changeset";
    link.href = fillPattern(config.reviewUrlPattern, { id: v.changeset.id });
    link.textContent = format(S.changesetEntry, {
      id: v.changeset.id, comment: v.changeset.comment, author: v.changeset.author,
      reviewer: v.changeset.reviewer || "–",
    });
    meta.append(" · ", link);
  }
  item.append(meta);
  if (v.changes.length) {
    const table = document.createElement("table");
    for (const change of v.changes) {
      const row = table.insertRow();
      cell(row, change.field === "boundary" ? S.boundary : change.field, "th");
      const unit = change.unit ? ` ${change.unit}` : "";
      cell(row, change.old === null ? null : `${typeof change.old === "object" ? JSON.stringify(change.old) : change.old}${unit}`);
      cell(row, "→");
      cell(row, change.new === null ? null : `${typeof change.new === "object" ? JSON.stringify(change.new) : change.new}${unit}`);
    }
    item.append(table);
  } else if (index < versions.length - 1) {
    const none = document.createElement("p");
    none.textContent = S.noChanges;
    item.append(none);
  }
  if (v.version !== currentVersion || index !== 0) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "button button-secondary restore-version";
    button.dataset.historyId = String(v.history_id);
    button.textContent = S.restoreThis;
    button.addEventListener("click", () => restore(v));
    item.append(button);
  }
  return item;
}

function render() {
  list.replaceChildren(...versions.map(renderVersion));
  for (const which of ["a", "b"]) {
    pickers[which].replaceChildren(
      ...versions.map((v) => new Option(label(v), String(v.history_id))),
    );
  }
  // Default: A = the previous version, B = the current one.
  if (versions.length) {
    pickers.b.value = String(versions[0].history_id);
    pickers.a.value = String(versions[Math.min(1, versions.length - 1)].history_id);
  }
  show("a");
  show("b");
  fit();
}

async function load() {
  const result = await request(config.apiHistory, { cache: "no-store" });
  if (!result.ok) {
    statusNode.textContent = result.kind === "network" ? S.network : S.loadFailed;
    return;
  }
  const body = result.body;
  versions = body.versions;
  currentVersion = body.version;
  statusNode.dataset.version = String(currentVersion);
  render();
}

async function restore(v) {
  const error = document.getElementById("error-reason");
  error.hidden = true;
  const reason = form.elements.reason.value.trim();
  if (!reason) {
    error.textContent = S.reasonFirst;
    error.hidden = false;
    form.elements.reason.focus();
    return;
  }
  if (!window.confirm(format(S.restoreConfirm, { version: v.version }))) return;
  // Restoring is a new draft changeset proposing that version (issue 18): reviewed, then published.
  const result = await write(config.apiChangesets, {
    payload: { comment: reason, restore: { zone: config.zoneId, history_id: v.history_id } },
  });
  if (!result.ok) {
    // The reason stays in its box: the user can send it again.
    statusNode.textContent = failureMessage(result, S);
    return;
  }
  form.elements.reason.value = "";
  window.location.assign(fillPattern(config.reviewUrlPattern, { id: result.body.id }));
}

pickers.a.addEventListener("change", () => { show("a"); fit(); });
pickers.b.addEventListener("change", () => { show("b"); fit(); });
load().finally(() => { document.getElementById("history-map").dataset.ready = "true"; });
