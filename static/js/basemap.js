// Basemaps and the map configuration shared by the public map and the admin geometry widget.
// Leaflet (global L) is loaded as a classic script before any module that imports this one.

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

/** Add the configured basemap to the map; returns the tile layers (none for "none"). */
export function addBasemap(map, config) {
  const layers = [];
  if (config.basemap === "osm" && config.basemapUrl) {
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
  return layers;
}
