// The market-zone boundary editor (/staff/markets/<id>/edit/, /staff/markets/new/).
// Leaflet and Leaflet-Geoman (global L, L.PM) are classic scripts loaded before this module.
// The zone is read from the zone API; saving puts the edit into the user's draft changeset
// (/api/v1/changesets/, issue 18: nothing goes live before someone else approves and publishes
// it), with the version the editor loaded as its base. On 412 a dialog offers to reload the
// stored boundary while the user's own shape stays on the map as a grey ghost.
// window.zoneEditor exposes the map and a few read-outs for tests and the browser console.

import { addBasemap, bboxToBounds, legendSwatch, readJSON, readMapConfig } from "./basemap.js";
import { nameToolButtons } from "./geoman_names.js";
import { installNearbyTable } from "./nearby_table.js";
import { fillPattern } from "./urls.js";
import { failureMessage, request, write } from "./write.js";
import { format } from "./text.js";

const L = window.L;
const config = readJSON("editor-config");
const mapConfig = readMapConfig();
const S = config.strings;
const FIELDS = ["name", "kind", "status", "capacity", "contact", "address", "department", "district"];
const ZONE_STYLE = { color: "#a3161a", weight: 3, fillOpacity: 0.25 };

/** Area (m²) of a GeoJSON (Multi)Polygon on the WGS84 ellipsoid, scaled locally per ring:
 *  metres per radian are the meridional (M) and prime-vertical (N·cos φ) radii at the ring's
 *  first latitude. Within about 0.05 % of the server's EPSG:4542 figure for city-sized zones. */
export function areaM2(geometry) {
  if (!geometry) return 0;
  const polygons = geometry.type === "Polygon" ? [geometry.coordinates] : geometry.coordinates;
  const a = 6378137;
  const e2 = 0.00669437999014;
  let total = 0;
  for (const rings of polygons) {
    rings.forEach((ring, index) => {
      const phi = (ring[0][1] * Math.PI) / 180;
      const w = 1 - e2 * Math.sin(phi) ** 2;
      const meridional = (a * (1 - e2)) / w ** 1.5;
      const primeVertical = a / Math.sqrt(w);
      let sum = 0;
      for (let i = 0; i < ring.length - 1; i += 1) {
        const [x1, y1] = ring[i];
        const [x2, y2] = ring[i + 1];
        sum += x1 * y2 - x2 * y1;
      }
      const radians2 = (Math.abs(sum) / 2) * (Math.PI / 180) ** 2;
      const m2 = radians2 * meridional * primeVertical * Math.cos(phi);
      total += index === 0 ? m2 : -m2;
    });
  }
  return total;
}

const map = L.map("editor-map", { center: mapConfig.center, zoom: 14 });
const legendStrings = mapConfig.strings || {};
addBasemap(map, mapConfig, { legend: { entries: [
  [legendSwatch("area", ZONE_STYLE.color), legendStrings.thisZone, "zone-edited"],
  [legendSwatch("area", "#b05d00"), legendStrings.otherZones, "zone-others"],
  [legendSwatch("point", "#0b4f9c"), legendStrings.projectSites, "project-sites"],
] } });
const cityBounds = bboxToBounds(mapConfig.bbox);
// No zoom animation on load: its end would undo a view set in between (a test's, or a zone's).
if (cityBounds) map.fitBounds(cityBounds, { animate: false });

// Everything Geoman draws goes into editGroup; context layers are pmIgnore (not editable) but
// snapIgnore: false keeps them snappable, so shared edges can be traced exactly.
const editGroup = L.featureGroup().addTo(map);
if ((document.documentElement.lang || "").startsWith("zh")) map.pm.setLang("zh");
map.pm.setGlobalOptions({
  allowSelfIntersection: false,
  snappable: true,
  snapDistance: 15,
  layerGroup: editGroup,
  pathOptions: ZONE_STYLE,
});
map.pm.addControls({
  position: "topleft",
  drawMarker: false,
  drawCircleMarker: false,
  drawPolyline: false,
  drawCircle: false,
  drawText: false,
  drawRectangle: true,
  drawPolygon: true,
  editMode: true,
  dragMode: true,
  cutPolygon: true,
  removalMode: true,
  rotateMode: false,
});
nameToolButtons(map);

// Leaflet puts a string tooltip in as HTML; names are typed by staff, so hand it a text node.
function textLabel(text) {
  const span = document.createElement("span");
  span.textContent = text || "";
  return span;
}

const context = {
  districts: L.geoJSON(config.districts, {
    pmIgnore: true,
    snapIgnore: false,
    interactive: false,
    style: { color: "#4a5360", weight: 1, dashArray: "4 4", fill: false },
  }).addTo(map),
  zones: L.geoJSON(null, {
    pmIgnore: true,
    snapIgnore: false,
    style: { color: "#b05d00", weight: 2, fillOpacity: 0.12 },
    onEachFeature: (feature, layer) => layer.bindTooltip(textLabel(feature.properties.name)),
  }).addTo(map),
  sites: L.geoJSON(null, {
    pmIgnore: true,
    snapIgnore: true,
    pointToLayer: (feature, latlng) =>
      L.circleMarker(latlng, { radius: 4, color: "#0b4f9c", pmIgnore: true, snapIgnore: true }),
    onEachFeature: (feature, layer) => layer.bindTooltip(textLabel(feature.properties.name)),
  }).addTo(map),
};
L.control
  .layers(null, { [S.otherZones]: context.zones, [S.sites]: context.sites, [S.districts]: context.districts })
  .addTo(map);

const form = document.getElementById("zone-form");
const statusNode = document.getElementById("editor-status");
const warningsNode = document.getElementById("editor-warnings");
const dialog = document.getElementById("conflict-dialog");

const state = {
  zoneId: config.zoneId,
  apiItem: config.apiItem,
  version: null,
  dirty: false,
  ghost: null,
  retired: false,
  draft: config.draft,  // the user's draft changeset id (null: the first save opens one)
  editId: null,  // a new zone's edit in that draft, extended by the next saves
};

function editLayers() {
  return editGroup.getLayers().filter((layer) => map.hasLayer(layer) && layer instanceof L.Polygon);
}

/** The drawn boundary as one GeoJSON MultiPolygon (each drawn polygon is a part), or null. */
export function collectGeometry() {
  const parts = [];
  for (const layer of editLayers()) {
    const geometry = layer.toGeoJSON(7).geometry;
    if (geometry.type === "Polygon") parts.push(geometry.coordinates);
    else if (geometry.type === "MultiPolygon") parts.push(...geometry.coordinates);
  }
  return parts.length ? { type: "MultiPolygon", coordinates: parts } : null;
}

function updateReadout() {
  const geometry = collectGeometry();
  const area = areaM2(geometry);
  const capacity = Number(form.elements.capacity.value);
  document.getElementById("readout-parts").textContent = String(editLayers().length);
  document.getElementById("readout-area").textContent = geometry
    ? `${Math.round(area).toLocaleString()} m²`
    : S.noShape;
  const perStall = document.getElementById("readout-per-stall");
  perStall.classList.remove("too-dense");
  if (geometry && capacity > 0) {
    const value = area / capacity;
    perStall.textContent = `${value.toFixed(1)} m²`;
    if (value < config.minM2PerStall) {
      perStall.classList.add("too-dense");
      perStall.textContent += ` — ${format(S.tooDense, { min: config.minM2PerStall })}`;
    }
  } else {
    perStall.textContent = "–";
  }
}

function markDirty() {
  state.dirty = true;
  updateReadout();
}

map.on("pm:create pm:remove pm:cut", markDirty);
editGroup.on("layeradd", (event) => {
  event.layer.on("pm:edit pm:markerdragend pm:dragend pm:vertexremoved pm:vertexadded", markDirty);
  // Editing: Geoman puts a vertex dropped across an edge back and fires pm:layerreset.
  event.layer.on("pm:layerreset", () => {
    showIntersection(S.selfIntersectionEdit);
    updateReadout(); // the readout was taken from the crossing shape at the drop
  });
  event.layer.on("pm:edit", clearIntersection);
});

// allowSelfIntersection: false makes Geoman refuse a vertex (drawing) or undo a drag (editing)
// that would cross an edge, without a word; say why under the map until the next good step.
const boundaryError = document.getElementById("error-boundary");

function showIntersection(message = S.selfIntersection) {
  boundaryError.textContent = message;
  boundaryError.hidden = false;
  boundaryError.dataset.reason = "self-intersection";
}

function clearIntersection() {
  if (boundaryError.dataset.reason !== "self-intersection") return;
  boundaryError.hidden = true;
  boundaryError.textContent = "";
  delete boundaryError.dataset.reason;
}

// Drawing: Geoman fires pm:intersect on the map when the next point would cross an edge.
map.on("pm:intersect", () => showIntersection());
map.on("pm:drawstart", ({ workingLayer }) => {
  if (workingLayer) workingLayer.on("pm:vertexadded", clearIntersection);
});
map.on("pm:create pm:drawend", clearIntersection);
form.elements.capacity.addEventListener("input", updateReadout);

function showGeometry(geometry) {
  editGroup.clearLayers();
  if (!geometry) return;
  const polygons = geometry.type === "Polygon" ? [geometry.coordinates] : geometry.coordinates;
  for (const rings of polygons) {
    const latlngs = rings.map((ring) => ring.slice(0, -1).map(([lon, lat]) => [lat, lon]));
    L.polygon(latlngs, ZONE_STYLE).addTo(editGroup);
  }
}

function fillForm(properties) {
  for (const name of FIELDS) {
    const field = form.elements[name];
    let value = properties[name];
    if (name === "department" || name === "district") {
      // The API gives names; the selects hold codes.
      const option = Array.from(field.options).find((o) => o.textContent === value);
      value = option ? option.value : "";
    }
    if (field) field.value = value ?? "";
  }
}

function clearErrors() {
  for (const node of document.querySelectorAll(".field-error[id^='error-']")) {
    delete node.dataset.reason;
    node.hidden = true;
    node.textContent = "";
  }
  for (const node of form.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
  warningsNode.replaceChildren();
}

function showErrors(body) {
  const errors = body.errors || {};
  let shown = false;
  for (const [name, messages] of Object.entries(errors)) {
    const node = document.getElementById(`error-${name}`);
    if (!node) continue;
    node.textContent = [].concat(messages).join(" ");
    node.hidden = false;
    shown = true;
    const field = form.elements[name];
    if (field) field.setAttribute("aria-invalid", "true");
  }
  if (!shown) {
    const general = document.getElementById("error-general");
    general.textContent = body.detail || "";
    general.hidden = false;
  }
}

function setStatus(text) {
  statusNode.textContent = text;
}

async function loadZone() {
  if (!state.apiItem) return;
  setStatus(S.loading);
  const result = await request(state.apiItem, { cache: "no-store" });
  if (!result.ok) {
    setStatus(result.kind === "network" ? S.network : S.loadFailed);
    return;
  }
  const feature = result.body;
  state.version = result.version;
  statusNode.dataset.version = String(state.version);
  fillForm(feature.properties);
  showGeometry(feature.geometry);
  showRetired(feature.properties.status === "retired");
  state.dirty = false;
  const bounds = editGroup.getBounds();
  if (bounds.isValid()) map.fitBounds(bounds, { maxZoom: 18, padding: [20, 20], animate: false });
  updateReadout();
  setStatus("");
}

async function loadContext() {
  const [zones, sites] = await Promise.all([
    fetch(config.apiList, { credentials: "same-origin" }).then((r) => (r.ok ? r.json() : null)),
    fetch(config.projectsUrl, { credentials: "same-origin" }).then((r) => (r.ok ? r.json() : null)),
  ]);
  if (zones) {
    zones.features = zones.features.filter((f) => f.id !== state.zoneId);
    context.zones.addData(zones);
  }
  if (sites) context.sites.addData(sites);
}

function requestBody() {
  const properties = {};
  for (const name of FIELDS) {
    const value = form.elements[name].value;
    if (name === "capacity") properties[name] = value === "" ? null : Number(value);
    else properties[name] = value;
  }
  const body = { type: "Feature", properties, reason: form.elements.reason.value };
  if (state.dirty || !state.apiItem) body.geometry = collectGeometry();
  return body;
}

/**
 * Send one write (write.js); on success record the new version and return the body, else show
 * the network error, the conflict dialog (412) or the server's messages, and return null. The
 * form is left as it was, so nothing typed is lost.
 */
async function sendWrite(url, { method, ifMatch, payload, keepVersion = false }) {
  const result = await write(url, { method, payload, version: ifMatch ? state.version : null });
  if (result.kind === "conflict") {
    setStatus("");
    openConflict(result.body);
    return null;
  }
  if (!result.ok) {
    setStatus(failureMessage(result, S));
    if (result.kind === "refused") showErrors(result);
    return null;
  }
  if (!keepVersion) {
    state.version = result.version;
    statusNode.dataset.version = String(state.version);
  }
  return result.body;
}

/** Add the edit to the draft changeset (opening one with the reason as its comment). */
async function saveToDraft(edit) {
  const url = state.draft
    ? fillPattern(config.changesetEditsUrlPattern, { id: state.draft })
    : config.apiChangesets;
  const payload = state.draft ? edit : { comment: form.elements.reason.value, edits: [edit] };
  return sendWrite(url, { method: "POST", ifMatch: false, payload, keepVersion: true });
}

function showDraft(body) {
  state.draft = body.id;
  const link = document.getElementById("draft-link");
  link.href = fillPattern(config.reviewUrlPattern, { id: body.id });
  link.textContent = format(S.draftLink, { id: body.id });
  document.getElementById("draft-notice").hidden = false;
  statusNode.dataset.draft = String(body.id);
  statusNode.dataset.saves = String(Number(statusNode.dataset.saves || 0) + 1);
  setStatus(format(S.savedDraft, { id: body.id }));
}

async function save(event) {
  event.preventDefault();
  clearErrors();
  setStatus(S.saving);
  const creating = !state.apiItem;
  const edit = { ...requestBody(), kind: creating ? "create" : "update" };
  if (creating && state.editId) edit.edit = state.editId;
  if (!creating) {
    edit.zone = state.zoneId;
    edit.base_version = state.version;
  }
  const body = await saveToDraft(edit);
  if (body === null) return;
  state.dirty = false;
  if (creating) {
    const mine = body.edits.filter((e) => e.kind === "create");
    state.editId = body.edit || (mine.length ? mine[mine.length - 1].id : null);
  }
  showDraft(body);
  form.elements.reason.value = "";
  updateReadout();
}

const retireButton = document.getElementById("retire-button");
const restoreButton = document.getElementById("restore-button");
const titleNode = document.getElementById("editor-title");

/** Title, page title and the history/rules links for a zone that exists (after load or create). */
function showZone(id, properties) {
  const title = format(S.editTitle, { name: properties.name });
  document.title = document.title.replace(titleNode.textContent.trim(), title);
  titleNode.textContent = title;
  document.getElementById("history-link").href = fillPattern(config.historyUrlPattern, { id });
  document.getElementById("rules-link").href = fillPattern(config.rulesUrlPattern, { id });
  document.getElementById("zone-links").hidden = false;
}

function showRetired(retired) {
  state.retired = retired;
  document.getElementById("retired-notice").hidden = !retired;
  document.getElementById("save-button").disabled = retired;
  retireButton.hidden = retired || !state.apiItem;
  restoreButton.hidden = !retired || !state.apiItem;
}

/** Retire the zone, or bring a retired one back: either is an edit in the draft (issue 18:
 * nothing goes live before review); both need the reason box filled. */
async function changeLifecycle(retire) {
  clearErrors();
  if (!form.elements.reason.value.trim()) {
    showErrors({ errors: { reason: [S.reasonFirst] } });
    form.elements.reason.focus();
    return;
  }
  setStatus(S.saving);
  const kind = retire ? "retire" : "reinstate";
  const draft = await saveToDraft({ kind, zone: state.zoneId, base_version: state.version });
  if (draft === null) return;
  form.elements.reason.value = "";
  showDraft(draft);
}

retireButton.addEventListener("click", () => changeLifecycle(true));
restoreButton.addEventListener("click", () => changeLifecycle(false));

function openConflict(body) {
  const when = body.updated_at ? new Date(body.updated_at).toLocaleString() : "";
  document.getElementById("conflict-message").textContent = format(S.conflict, {
    user: body.updated_by || S.someone,
    when,
    version: body.current_version,
  });
  dialog.dataset.open = "true";
  dialog.showModal();
}

function closeConflict() {
  dialog.dataset.open = "false";
  dialog.close();
}

async function reloadKeepingGhost() {
  const mine = collectGeometry();
  closeConflict();
  if (state.ghost) state.ghost.remove();
  if (mine) {
    state.ghost = L.geoJSON(mine, {
      pmIgnore: true,
      snapIgnore: false,
      interactive: false,
      style: { color: "#4a5360", weight: 2, dashArray: "6 6", fill: false },
    }).addTo(map);
  }
  await loadZone();
  setStatus(format(S.reloaded, { version: state.version }));
}

document.getElementById("conflict-reload").addEventListener("click", reloadKeepingGhost);
document.getElementById("conflict-cancel").addEventListener("click", closeConflict);
form.addEventListener("submit", save);

window.zoneEditor = {
  map,
  editGroup,
  collectGeometry,
  areaM2,
  get version() {
    return state.version;
  },
  get ghost() {
    return state.ghost;
  },
};

// The other zones and project sites in view, as a table under the map (keyboard, reader).
const nearby = installNearbyTable(map, document.getElementById("nearby-list"), [
  { layer: context.zones, label: S.otherZones, state: (f) => f.properties.status_label,
    href: (f) => fillPattern(config.editUrl, { id: f.id }) },
  { layer: context.sites, label: S.sites, state: (f) => f.properties.stage_label,
    href: (f) => fillPattern(config.projectUrlPattern, { id: f.id }) },
], { count: S.nearbyCount });

Promise.all([loadZone(), loadContext().then(() => nearby())]).finally(() => {
  updateReadout();
  document.getElementById("editor-map").dataset.ready = "true";
});
