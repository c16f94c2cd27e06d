// "Export this view" on the map page: download links for every layer and format that carry
// the map's current filters (portal.params, set by map.js) and, on request, the area in view.
// The menu's translated HTML is a <template> in sites/map.html; Leaflet is the global L.

import { onPortalMap, templateControl } from "./map_controls.js";
import { siteUrl } from "./urls.js";

/** The download URL of a layer in a format, with the list's filters and an optional bbox. */
export function downloadUrl(layer, format, params = {}, bbox = null) {
  const query = new URLSearchParams(params);
  if (bbox) query.set("bbox", bbox);
  const text = query.toString();
  return `${siteUrl("download", { layer, format })}${text ? `?${text}` : ""}`;
}

const clamp = (value, low, high) => Math.min(high, Math.max(low, value));

/** The map's view as minx,miny,maxx,maxy in WGS84, clamped to valid degrees (6 decimals). */
export function viewBbox(map) {
  const b = map.getBounds();
  return [
    clamp(b.getWest(), -180, 180),
    clamp(b.getSouth(), -90, 90),
    clamp(b.getEast(), -180, 180),
    clamp(b.getNorth(), -90, 90),
  ].map((v) => v.toFixed(6)).join(",");
}

function refresh(portal, root) {
  const inView = root.querySelector("input[name='export-in-view']").checked;
  const bbox = inView ? viewBbox(portal.map) : null;
  const params = portal.params || {};
  for (const link of root.querySelectorAll("a[data-layer]")) {
    const { layer, format } = link.dataset;
    link.href = downloadUrl(layer, format, params[layer] || {}, bbox);
  }
}

export function installExportMenu(portal) {
  if (portal.exportMenu) return null;
  const root = templateControl(portal.map, "export-menu-template");
  if (!root) return null;
  const update = () => refresh(portal, root);
  root.querySelector("input[name='export-in-view']").addEventListener("change", update);
  portal.map.on("moveend", update);
  document.addEventListener("portal:map-reloaded", update);
  update();
  portal.exportMenu = root;
  return root;
}

onPortalMap(installExportMenu);
