// A keyboard and screen-reader way to the reference features a map draws (issue 16 item 6):
// the zone editor shows the other zones and the project sites around the zone being drawn;
// this table lists those in the map's view, by name, and follows panning, zooming and the
// layer switches. Each name links to its own page.

import { format } from "./text.js";


function cell(tag, text) {
  const node = document.createElement(tag);
  node.textContent = text || "";
  if (tag === "th") node.scope = "row";
  return node;
}

/**
 * Rows for each group's features on the map and in view: `groups` are
 * {layer: L.GeoJSON, label, href(feature), state(feature)}; sorted by name within a group.
 */
export function visibleRows(map, groups) {
  const view = map.getBounds();
  const rows = [];
  for (const group of groups) {
    if (!map.hasLayer(group.layer)) continue;
    const inView = [];
    group.layer.eachLayer((drawn) => {
      const bounds = drawn.getBounds ? drawn.getBounds() : L.latLngBounds([drawn.getLatLng()]);
      if (bounds.isValid() && view.intersects(bounds)) inView.push(drawn.feature);
    });
    inView.sort((a, b) => (a.properties.name || "").localeCompare(b.properties.name || "", "zh"));
    for (const feature of inView) rows.push({ group, feature });
  }
  return rows;
}

export function installNearbyTable(map, root, groups, { count = "(%(n)s)" } = {}) {
  if (!root) return () => {};
  const body = root.querySelector("tbody");
  const update = () => {
    const items = visibleRows(map, groups).map(({ group, feature }) => {
      const tr = document.createElement("tr");
      tr.dataset.id = String(feature.id);
      const name = cell("th", "");
      const link = document.createElement("a");
      link.href = group.href(feature);
      link.textContent = feature.properties.name || `#${feature.id}`;
      name.append(link);
      tr.append(name, cell("td", group.label), cell("td", group.state(feature)));
      return tr;
    });
    body.replaceChildren(...items);
    root.querySelector(".feature-count").textContent = format(count, { n: items.length });
    root.dataset.count = String(items.length);
  };
  map.on("moveend overlayadd overlayremove", update);
  update();
  return update;
}
