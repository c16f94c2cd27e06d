// A changeset's review page (/staff/changesets/<id>/): every edited zone on one map, the
// outline before dashed and the shape after filled, fitted to all of them.

import { addBasemap, bboxToBounds, legendSwatch, readJSON, readMapConfig } from "./basemap.js";

const L = window.L;
const config = readJSON("changeset-config");
const mapConfig = readMapConfig();
const node = document.getElementById("changeset-map");
const map = L.map(node, { center: mapConfig.center, zoom: 14 });
addBasemap(map, mapConfig, { legend: { entries: [
  [legendSwatch("area", "#5a6675"), config.strings.before, "before"],
  [legendSwatch("area", "#0b7a3e"), config.strings.after, "after"],
] } });
const BEFORE = { color: "#5a6675", weight: 3, dashArray: "8 6", fill: false };
const AFTER = { color: "#0b7a3e", weight: 2, fillOpacity: 0.35 };
const before = L.geoJSON(null, { style: BEFORE }).addTo(map);
const after = L.geoJSON(null, { style: AFTER }).addTo(map);
for (const edit of config.edits) {
  if (edit.old) before.addData({ type: "Feature", properties: { name: edit.name }, geometry: edit.old });
  if (edit.new) after.addData({ type: "Feature", properties: { name: edit.name }, geometry: edit.new });
}
after.eachLayer((layer) => layer.bindTooltip(layer.feature.properties.name));
const bounds = before.getBounds().extend(after.getBounds());
if (bounds.isValid()) map.fitBounds(bounds, { maxZoom: 18, padding: [20, 20] });
else if (bboxToBounds(mapConfig.bbox)) map.fitBounds(bboxToBounds(mapConfig.bbox));
node.dataset.before = String(before.getLayers().length);
node.dataset.after = String(after.getLayers().length);

// The other zones as they will look once published (the preview API, open or not at the
// publish time), drawn thin under the edited ones.
async function addPreview() {
  const response = await fetch(config.previewUrl, { credentials: "same-origin" });
  if (!response.ok) return;
  const body = await response.json();
  const edited = new Set(config.edits.map((e) => e.zone));
  const others = body.features.filter((f) => !edited.has(f.id) && !f.properties.changeset);
  const layer = L.geoJSON({ type: "FeatureCollection", features: others }, {
    style: (f) => ({ color: f.properties.open_now ? "#b45309" : "#8a94a3", weight: 1, fillOpacity: 0.1 }),
    interactive: true,
  }).addTo(map);
  layer.eachLayer((l) => l.bindTooltip(l.feature.properties.name));
  layer.bringToBack();
  node.dataset.preview = String(others.length);
}

addPreview().finally(() => { node.dataset.ready = "true"; });
