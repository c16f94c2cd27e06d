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
node.dataset.ready = "true";
