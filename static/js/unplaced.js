// The placement queue (/staff/projects/unplaced/): choose a project, click its site on the map,
// and the click's WGS84 longitude/latitude fill that project's form (the basemap is WGS84:
// OpenStreetMap or Tianditu "_w"; see basemap.js). Saving is the form's ordinary POST.
// Leaflet (global L) is loaded as a classic script before this module.

import { addBasemap, bboxToBounds, legendSwatch, readJSON, readMapConfig } from "./basemap.js";
import { format } from "./text.js";

const L = window.L;
const data = readJSON("placement-data", { city: null, strings: {} });
const node = document.getElementById("place-map");
const status = document.getElementById("pick-status");
const items = [...document.querySelectorAll(".queue-item")];

if (node && L && items.length) {
  const config = readMapConfig();
  const map = L.map(node, { scrollWheelZoom: true });
  addBasemap(map, config, { legend: { entries: [
    [legendSwatch("point", "#a3161a"), config.strings?.pickedSite, "picked-site"],
  ] } });
  let bounds = bboxToBounds(config.bbox);
  if (data.city) {
    const outline = L.geoJSON(JSON.parse(data.city), {
      style: { color: "#0b4f9c", weight: 2, fill: false, dashArray: "6 4" },
      interactive: false,
    }).addTo(map);
    if (outline.getBounds().isValid()) bounds = outline.getBounds();
  }
  if (bounds) map.fitBounds(bounds, { padding: [10, 10] });
  else map.setView(config.center, 12);

  let active = null;
  let marker = null;

  const choose = (item, { focus = false } = {}) => {
    active = item;
    for (const other of items) other.classList.toggle("active", other === item);
    node.classList.add("picking");
    status.textContent = format(data.strings.choose || "", { name: item.dataset.name });
    if (focus) node.focus?.();
  };

  for (const item of items) {
    item.querySelector(".pick-button")?.addEventListener("click", () => choose(item));
  }
  choose(items[0]);

  map.on("click", (event) => {
    if (!active) return;
    const { lat, lng } = event.latlng;
    const lon = lng.toFixed(6);
    const latText = lat.toFixed(6);
    const id = active.dataset.project;
    document.getElementById(`lon-${id}`).value = lon;
    document.getElementById(`lat-${id}`).value = latText;
    document.getElementById(`crs-${id}`).value = "wgs84";
    if (marker) marker.setLatLng(event.latlng);
    else {
      marker = L.circleMarker(event.latlng, {
        radius: 9, color: "#a3161a", weight: 3, fillOpacity: 0.5,
      }).addTo(map);
    }
    status.textContent = format(data.strings.picked || "", {
      name: active.dataset.name, lon, lat: latText,
    });
    active.querySelector(".place-button")?.focus({ preventScroll: true });
  });
  node.dataset.ready = "true";
}
