// The admin geometry widget (geo.widgets.LeafletGeometryWidget): a Leaflet map with
// Leaflet-Geoman drawing tools, kept in sync with a hidden textarea that holds GeoJSON (WGS84).
// Leaflet and Leaflet-Geoman are classic scripts loaded before this module (global L).

import { addBasemap, bboxToBounds, readJSON } from "./basemap.js";
import { nameToolButtons } from "./geoman_names.js";

const L = window.L;

// What each Django geometry type lets the user draw; `multiple` keeps every drawn shape,
// otherwise a new shape replaces the old one.
const DRAW_RULES = {
  Point: { shapes: ["Point"], multiple: false },
  MultiPoint: { shapes: ["Point"], multiple: true },
  LineString: { shapes: ["LineString"], multiple: false },
  MultiLineString: { shapes: ["LineString"], multiple: true },
  Polygon: { shapes: ["Polygon"], multiple: false },
  MultiPolygon: { shapes: ["Polygon"], multiple: true },
  GeometryCollection: { shapes: ["Point", "LineString", "Polygon"], multiple: true },
  Geometry: { shapes: ["Point", "LineString", "Polygon"], multiple: true },
};

const SHAPE_STYLE = { color: "#a3161a", weight: 3, fillOpacity: 0.25 };

/** The simple geometries (Point, LineString, Polygon) inside any GeoJSON geometry. */
export function flatten(geometry) {
  if (!geometry) return [];
  switch (geometry.type) {
    case "Point":
    case "LineString":
    case "Polygon":
      return [geometry];
    case "MultiPoint":
    case "MultiLineString":
    case "MultiPolygon": {
      const type = geometry.type.slice("Multi".length);
      return geometry.coordinates.map((coordinates) => ({ type, coordinates }));
    }
    case "GeometryCollection":
      return geometry.geometries.flatMap(flatten);
    default:
      throw new Error(`unsupported geometry type ${geometry.type}`);
  }
}

/** One GeoJSON geometry of the field's type made of the drawn simple geometries (or null). */
export function combine(parts, geomType) {
  if (parts.length === 0) return null;
  if (geomType.startsWith("Multi")) {
    return { type: geomType, coordinates: parts.map((part) => part.coordinates) };
  }
  if (geomType === "GeometryCollection") return { type: geomType, geometries: parts };
  if (geomType !== "Geometry") return parts[parts.length - 1];
  if (parts.length === 1) return parts[0];
  const types = new Set(parts.map((part) => part.type));
  if (types.size === 1) {
    return { type: `Multi${parts[0].type}`, coordinates: parts.map((part) => part.coordinates) };
  }
  return { type: "GeometryCollection", geometries: parts };
}

function drawControls(rules, disabled) {
  const can = (shape) => !disabled && rules.shapes.includes(shape);
  return {
    position: "topleft",
    drawMarker: false, // marker icons are images whose path breaks with hashed static names
    drawCircleMarker: can("Point"),
    drawPolyline: can("LineString"),
    drawPolygon: can("Polygon"),
    drawRectangle: can("Polygon"),
    drawCircle: false,
    drawText: false,
    cutPolygon: can("Polygon"),
    editMode: !disabled,
    dragMode: !disabled,
    rotateMode: false,
    removalMode: !disabled,
  };
}

/** Set up one widget: the map, the existing geometry, the tools and the textarea sync. */
export function initWidget(root) {
  const textarea = document.getElementById(root.dataset.textarea);
  const errorBox = root.querySelector("[data-geometry-error]");
  const config = readJSON(root.dataset.config, { basemap: "none", bbox: null });
  const geomType = root.dataset.geomType || "Geometry";
  const rules = { ...(DRAW_RULES[geomType] || DRAW_RULES.Geometry) };
  // A field may narrow the tools further (e.g. projects: points or footprints, no lines).
  if (root.dataset.shapes) rules.shapes = root.dataset.shapes.split(",");
  const disabled = root.dataset.disabled === "true";

  const map = L.map(root.dataset.map);
  addBasemap(map, config, { title: false }); // the admin form's heading names the record
  const cityBounds = bboxToBounds(config.bbox);

  const showError = (message) => {
    errorBox.textContent = message || "";
    errorBox.hidden = !message;
  };

  const drawnLayers = () => map.pm.getGeomanLayers();

  const sync = () => {
    // precision false: keep every digit, so an unedited shape compares equal on the server.
    const parts = drawnLayers().flatMap((layer) => flatten(layer.toGeoJSON(false).geometry));
    const geometry = combine(parts, geomType);
    textarea.value = geometry ? JSON.stringify(geometry) : "";
    textarea.dispatchEvent(new Event("change", { bubbles: true }));
  };

  const watch = (layer) => {
    layer.on("pm:edit pm:update pm:dragend pm:rotateend pm:markerdragend", sync);
  };

  const addShape = (geometry) => {
    const layer = L.geoJSON(geometry, {
      style: () => SHAPE_STYLE,
      pointToLayer: (_feature, latlng) => L.circleMarker(latlng, { ...SHAPE_STYLE, radius: 7 }),
    }).getLayers()[0];
    layer.addTo(map);
    watch(layer);
    return layer;
  };

  if (textarea.value.trim()) {
    try {
      flatten(JSON.parse(textarea.value)).forEach(addShape);
    } catch (err) {
      showError(`${err.message}`);
    }
  }
  const existing = drawnLayers();
  if (existing.length) {
    map.fitBounds(L.featureGroup(existing).getBounds(), { maxZoom: 17, padding: [20, 20] });
  } else if (cityBounds) {
    map.fitBounds(cityBounds);
  } else {
    map.setView(config.center || [39.79, 98.28], 12);
  }

  if (document.documentElement.lang?.startsWith("zh")) map.pm.setLang("zh");
  map.pm.setGlobalOptions({
    allowSelfIntersection: false, // an invalid polygon would only fail later at ST_IsValid
    snappable: true,
    templineStyle: SHAPE_STYLE,
    hintlineStyle: { ...SHAPE_STYLE, dashArray: "5 5" },
    pathOptions: SHAPE_STYLE,
  });
  map.pm.addControls(drawControls(rules, disabled));
  nameToolButtons(map);

  map.on("pm:create", ({ layer }) => {
    if (!rules.multiple) {
      for (const other of drawnLayers()) if (other !== layer) other.remove();
    }
    watch(layer);
    showError("");
    sync();
  });
  map.on("pm:remove", sync);
  map.on("pm:cut", ({ layer }) => {
    watch(layer);
    sync();
  });
  // A mode switched off is the end of an edit session: catch anything a layer event missed.
  map.on(
    "pm:globaleditmodetoggled pm:globaldragmodetoggled pm:globalremovalmodetoggled",
    ({ enabled }) => enabled || sync(),
  );

  root.portalWidget = { map, sync };
  return root.portalWidget;
}

for (const root of document.querySelectorAll("[data-geometry-widget]")) {
  initWidget(root);
}
