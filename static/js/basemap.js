// Basemaps and the map configuration shared by the public map and the admin geometry widget.
// Leaflet (global L) is loaded as a classic script before any module that imports this one.

import { escapeText } from "./popups.js";

const L = window.L;

// Tianditu's web-mercator ("_w") layers line up with WGS84 coordinates; Gaode/Tencent tiles are
// GCJ-02-shifted and must never be used here (DOMAIN.md, "Time and place").
const TIANDITU_URL =
  "https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0" +
  "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles" +
  "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={tk}";
const TIANDITU_ATTRIBUTION = "© 天地图 Tianditu";

/** Read the JSON that base.html writes with json_script. */
export function readJSON(id, fallback = null) {
  const node = document.getElementById(id);
  return node ? JSON.parse(node.textContent) : fallback;
}

/** The portal's map configuration (geo.context_processors.portal). */
export function readMapConfig(id = "map-config") {
  return readJSON(id, { basemap: "none", center: [39.79, 98.28], bbox: null });
}

/** Leaflet bounds of a (minx, miny, maxx, maxy) WGS84 bbox, or null. */
export function bboxToBounds(bbox) {
  if (!Array.isArray(bbox) || bbox.length !== 4) return null;
  const [minx, miny, maxx, maxy] = bbox;
  return L.latLngBounds([miny, minx], [maxy, maxx]);
}

/** Add the configured basemap to the map; returns the tile layers (none for "none").
 *
 * The server resolves the order (geo/basemap_pack.py): the city's own pack served at /tiles/
 * (its attribution carries the approval number, 审图号), else Tianditu with a key, else none.
 * The context layers (city, districts and their names, river, main roads) are drawn under the
 * features on every map in any case, so a map without tiles and without network still shows
 * where things are. `options.context === false` leaves them out.
 */
export function addBasemap(map, config, options = {}) {
  if (config.strings) activeStrings = config.strings;
  const layers = [];
  if (config.basemap === "pack" && config.pack) {
    const pack = config.pack;
    const [minx, miny, maxx, maxy] = pack.bounds;
    layers.push(
      L.tileLayer(pack.url, {
        // Tiles only where the pack has them; past its deepest zoom Leaflet scales those up.
        bounds: L.latLngBounds([miny, minx], [maxy, maxx]),
        minNativeZoom: pack.minZoom,
        maxNativeZoom: pack.maxZoom,
        minZoom: pack.minZoom,
        maxZoom: 19,
        attribution: escapeText(pack.attribution),
        className: "basemap-pack",
      }),
    );
  } else if (config.basemap === "osm" && config.basemapUrl) {
    layers.push(
      L.tileLayer(config.basemapUrl, {
        maxZoom: 19,
        attribution: config.basemapAttribution || "",
      }),
    );
  } else if (config.basemap === "tianditu" && config.tiandituKey) {
    // Annotation in the page's language: cva = Chinese labels, eva = English labels.
    const lang = document.documentElement.lang || "zh-hans";
    const labels = lang.startsWith("zh") ? "cva" : "eva";
    for (const layer of ["vec", labels]) {
      layers.push(
        L.tileLayer(TIANDITU_URL, {
          layer,
          tk: config.tiandituKey,
          subdomains: "01234567",
          maxZoom: 18,
          attribution: layer === "vec" ? TIANDITU_ATTRIBUTION : "",
        }),
      );
    }
  }
  // A plain-text credit: Leaflet's default prefix carries a flag emblem, out of place here.
  map.attributionControl?.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
  for (const layer of layers) layer.addTo(map);
  map.getContainer().classList.toggle("no-basemap", layers.length === 0);
  if (config.basemap === "tianditu" || config.basemap === "osm") dropUnreachableTiles(map, layers);
  if (options.context !== false && config.contextUrl) {
    addContextLayers(map, config.contextUrl, { tiles: layers.length > 0 });
  }
  // Every map says what it shows and as of when, and explains what it draws; a page with its
  // own title or legend passes `title: false` / `legend: false` and adds it itself.
  if (options.title !== false) addMapTitle(map, options.title || {});
  if (options.legend !== false) addLegend(map, options.legend || {});
  return layers;
}

/**
 * An outside tile service that cannot be reached (a government network without internet):
 * once a few tiles have failed and none has loaded, remove the tile layers and give the city its
 * land fill back, so the map reads as with no basemap instead of a grey field.
 */
function dropUnreachableTiles(map, layers) {
  let failed = 0;
  let loaded = false;
  for (const layer of layers) {
    layer.on("tileload", () => { loaded = true; });
    layer.on("tileerror", () => {
      failed += 1;
      if (loaded || failed !== 4) return;
      for (const tiles of layers) tiles.remove();
      map.getContainer().classList.add("no-basemap");
      map.portalContext?.eachLayer(function fill(item) {
        if (item.eachLayer) item.eachLayer(fill);
        else if (item.feature?.properties?.layer === "city") item.setStyle({ fill: true });
      });
    });
  }
}

// --- context layers -------------------------------------------------------------------------

// Panes under the features (Leaflet: tiles 200, overlays 400, markers 600): areas and lines at
// 250, district names at 260. Nothing there takes the pointer, and Geoman neither edits nor
// snaps to it (pmIgnore, snapIgnore). Drawn on one canvas, not as SVG paths: a real city's
// boundary has thousands of vertices, and the features' SVG stays the map's only paths.
const CONTEXT_PANE = "contextPane";
const CONTEXT_LABEL_PANE = "contextLabelPane";
let contextRequest = null;

/** The context FeatureCollection, fetched once per page (the endpoint is cacheable). */
export function fetchContext(url) {
  contextRequest ??= fetch(url, {
    headers: { Accept: "application/geo+json" },
    credentials: "same-origin",
  }).then((response) => {
    if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
    return response.json();
  });
  return contextRequest;
}

/** How each context layer is drawn; `tiles`: a basemap lies under it (no land fill then). */
export function contextStyle(layer, tiles, renderer = undefined) {
  const common = { interactive: false, pmIgnore: true, snapIgnore: true, pane: CONTEXT_PANE,
    renderer };
  switch (layer) {
    case "city":
      return { ...common, color: "#5f636c", weight: 2.5, fill: !tiles, fillColor: "#f7f5ef",
        fillOpacity: 1, className: "context-city" };
    case "district":
      return { ...common, color: "#8a8f98", weight: 1.2, dashArray: "5 4", fill: false,
        className: "context-district" };
    case "river":
      return { ...common, color: "#7fb2e5", weight: 5, opacity: 0.9, fillColor: "#a9cdf0",
        fillOpacity: 0.9, lineCap: "round", className: "context-river" };
    default:
      return { ...common, color: "#ffffff", weight: 4, opacity: 1, lineCap: "round",
        className: "context-road" };
  }
}

/** A road is a white line on a grey casing: the casing is drawn first, 2 px wider. */
function roadCasing(feature, renderer) {
  const style = { ...contextStyle("main_road", true, renderer), color: "#b7bcc4", weight: 6,
    className: "context-road-casing" };
  return L.geoJSON(feature, { ...style, style: () => style });
}

/**
 * Draw the context layers under the features of `map`; resolves to the group (null when the
 * endpoint could not be read: the map works without them). District names are labels, not
 * tooltips, so they never take a click or a tab stop.
 */
export async function addContextLayers(map, url, { tiles = false } = {}) {
  if (!map.getPane(CONTEXT_PANE)) {
    map.createPane(CONTEXT_PANE).style.zIndex = "250";
    map.createPane(CONTEXT_LABEL_PANE).style.zIndex = "260";
    map.getPane(CONTEXT_LABEL_PANE).style.pointerEvents = "none";
    // Names placed on the drawing, for the eye (the map's feature list carries the text).
    map.getPane(CONTEXT_LABEL_PANE).setAttribute("aria-hidden", "true");
  }
  const renderer = L.canvas({ pane: CONTEXT_PANE, padding: 0.5 });
  let collection;
  try {
    collection = await fetchContext(url);
  } catch (error) {
    console.warn("context layers not drawn:", error);
    return null;
  }
  // The tiles may have been dropped (unreachable) while the collection was on its way.
  tiles = tiles && !map.getContainer().classList.contains("no-basemap");
  const group = L.featureGroup([], { pmIgnore: true });
  const features = collection.features || [];
  for (const feature of features.filter((f) => f.properties.layer === "main_road")) {
    group.addLayer(roadCasing(feature, renderer));
  }
  for (const feature of features) {
    const layer = feature.properties.layer;
    const style = contextStyle(layer, tiles, renderer);
    group.addLayer(L.geoJSON(feature, { ...style, style: () => style }));
    if (Array.isArray(feature.properties.label)) {
      const [lon, lat] = feature.properties.label;
      // District names always; road and river names once zoomed in (CSS: .context-near).
      const className = layer === "district" ? "context-label" : "context-line-label";
      group.addLayer(L.marker([lat, lon], {
        pane: CONTEXT_LABEL_PANE,
        interactive: false,
        keyboard: false,
        pmIgnore: true,
        snapIgnore: true,
        icon: L.divIcon({
          className,
          html: `<span>${escapeText(feature.properties.name)}</span>`,
          iconSize: null,
        }),
      }));
    }
  }
  group.addTo(map);
  const near = () => map.getContainer().classList.toggle("context-near", map.getZoom() >= 15);
  map.on("zoomend", near);
  near();
  map.portalContext = group;
  map.getContainer().dataset.context = String(features.length);
  return group;
}

// --- titles and legends ---------------------------------------------------------------------

let activeStrings = null; // the strings of the configuration the last map was built with

function configStrings() {
  return activeStrings || readMapConfig().strings || {};
}

/** "2026年12月3日 19:05" (or "Dec 3, 2026, 19:05"): a moment in Beijing time, for people. */
export function asOfText(moment = new Date()) {
  const lang = document.documentElement.lang || "zh-hans";
  return new Intl.DateTimeFormat(lang.startsWith("zh") ? "zh-CN" : "en-GB", {
    timeZone: "Asia/Shanghai", year: "numeric", month: "long", day: "numeric",
    hour: "2-digit", minute: "2-digit", hourCycle: "h23",
  }).format(moment);
}

/**
 * The map's title: what it shows and "数据截至 …" (data as of). The title defaults to the page's
 * heading; `asOf` to the moment the page was drawn (the data are read live). The control keeps
 * `setAsOf(text)` and `setTitle(text)` for pages whose data date changes (the month slider).
 */
export function addMapTitle(map, { title, asOf } = {}) {
  const strings = configStrings();
  const control = L.control({ position: "topleft" });
  const root = L.DomUtil.create("div", "map-title");
  const heading = L.DomUtil.create("strong", "map-title-text", root);
  const date = L.DomUtil.create("span", "map-as-of", root);
  control.setTitle = (text) => { heading.textContent = text || ""; return control; };
  control.setAsOf = (text) => {
    date.textContent = (strings.dataAsOf || "Data as of %(when)s").replace("%(when)s", text);
    return control;
  };
  control.setTitle(title ?? document.querySelector("main h1")?.textContent?.trim());
  control.setAsOf(asOf || asOfText());
  control.onAdd = () => root;
  // Above the zoom buttons: Leaflet stacks a corner's controls in the order they are added.
  const zoom = map.zoomControl;
  if (zoom) zoom.remove();
  control.addTo(map);
  if (zoom) zoom.addTo(map);
  map.portalTitle = control;
  return control;
}

/** A legend swatch: `shape` is point, line, area, outline, road, river, city or district. */
export function legendSwatch(shape, color = "", dash = null) {
  const span = document.createElement("span");
  span.className = `legend-swatch is-${shape}`;
  if (color) {
    if (shape === "outline") span.style.borderColor = color;
    else span.style.background = color;
  }
  if (dash && color) {
    // The feature's dash pattern, as a dashed/dotted border in its colour (white inside).
    span.classList.add(dash.startsWith("1 ") ? "is-dotted" : "is-dashed");
    span.style.background = "#fff";
    span.style.borderColor = color;
  }
  span.setAttribute("aria-hidden", "true");
  return span;
}

let legendTitles = 0;

/**
 * A legend section's title and its list, the list named by the title. A title, not a heading:
 * a map sits under an h1 on some pages and an h2 on others, and a heading level fixed here
 * broke the page's outline on those (axe-core's heading-order).
 */
export function legendList(text) {
  const title = document.createElement("p");
  title.className = "legend-title";
  title.id = `legend-title-${++legendTitles}`;
  title.textContent = text;
  const list = document.createElement("ul");
  list.setAttribute("aria-labelledby", title.id);
  return { title, list };
}

/** The context layers' legend section (city, districts, river, main roads). */
export function contextLegendSection() {
  const strings = configStrings();
  const section = document.createElement("section");
  section.dataset.legendLayer = "context";
  const { title: heading, list } = legendList(strings.context || "Context");
  for (const [key, shape] of [["city", "city"], ["district", "district"], ["river", "river"],
    ["main_road", "road"]]) {
    const item = document.createElement("li");
    item.dataset.legend = `context-${key}`;
    const label = document.createElement("span");
    label.textContent = strings.contextLayers?.[key] || key;
    item.append(legendSwatch(shape), label);
    list.append(item);
  }
  section.append(heading, list);
  return section;
}

/**
 * A collapsible legend control: `entries` are the map's own [swatch element, text] rows (under
 * the page's heading for them), then the context layers. Open on wide screens.
 */
export function addLegend(map, { title = "", entries = [] } = {}) {
  const strings = configStrings();
  const control = L.control({ position: "bottomright" });
  control.onAdd = () => {
    const root = L.DomUtil.create("details", "map-legend");
    // Open where it leaves room for the map: a detail page's small map starts with it closed.
    const size = map.getSize();
    root.open = size.x >= 640 && size.y >= 420;
    const summary = document.createElement("summary");
    summary.textContent = strings.legend || "Legend";
    root.append(summary);
    if (entries.length) {
      const section = document.createElement("section");
      section.dataset.legendLayer = "features";
      const { title: heading, list } = legendList(title);
      if (!title) list.removeAttribute("aria-labelledby");
      else section.append(heading);
      for (const [swatch, text, key] of entries) {
        const item = document.createElement("li");
        if (key) item.dataset.legend = key;
        const label = document.createElement("span");
        label.textContent = text;
        item.append(swatch, label);
        list.append(item);
      }
      section.append(list);
      root.append(section);
    }
    root.append(contextLegendSection());
    L.DomEvent.disableClickPropagation(root);
    L.DomEvent.disableScrollPropagation(root);
    return root;
  };
  control.addTo(map);
  map.portalLegend = control;
  return control;
}
