// The public list of night markets (/markets/): the map beside the list, and "near me" ordering.
// The list itself is rendered by the server (it works without JavaScript); this module draws the
// zones on the map and, when the visitor allows it, orders the list by walking distance along the
// roads (/api/v1/markets/walking/); offline, by the straight line, and the page says so.
// Leaflet is a classic script loaded before this module (global L).

import { addBasemap, bboxToBounds, legendSwatch, readJSON, readMapConfig } from "./basemap.js";
import { marketPopup } from "./popups.js";
import { loadedAt, registerWorker, showOfflineNote } from "./pwa.js";
import { format } from "./text.js";

const L = window.L;
const EARTH_RADIUS_M = 6371008.8; // mean Earth radius (IUGG), metres

const data = readJSON("markets-data", { type: "FeatureCollection", features: [] });
const strings = readJSON("markets-strings", {});
const statusNode = document.getElementById("markets-status");
const list = document.getElementById("market-list");

/** Great-circle distance in metres between two WGS84 points (haversine). */
export function distanceMetres(lat1, lon1, lat2, lon2) {
  const rad = Math.PI / 180;
  const dLat = (lat2 - lat1) * rad;
  const dLon = (lon2 - lon1) * rad;
  const a =
    Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.sqrt(a));
}

const centres = new Map(); // feature id -> [lat, lon], the centre of the zone's bounds

function drawMap() {
  const node = document.getElementById("markets-map");
  if (!node || !L) return null;
  const config = readMapConfig();
  const map = L.map(node, { center: config.center, zoom: 13 });
  addBasemap(map, config, { title: { asOf: loadedAt() }, legend: { entries: [
    [legendSwatch("area", "#0b6b2e"), config.strings?.openNow, "market-open"],
    [legendSwatch("area", "#4a5360"), config.strings?.closedNow, "market-closed"],
  ] } });
  const layer = L.geoJSON(data, {
    style: (feature) => ({
      color: feature.properties.open_now ? "#0b6b2e" : "#4a5360",
      weight: 2,
      fillOpacity: feature.properties.open_now ? 0.45 : 0.2,
      className: `market-zone ${feature.properties.open_now ? "is-open" : "is-closed"}`,
    }),
    onEachFeature: (feature, featureLayer) => {
      const centre = featureLayer.getBounds().getCenter();
      centres.set(String(feature.id), [centre.lat, centre.lng]);
      featureLayer.bindPopup(marketPopup(feature.properties));
    },
  }).addTo(map);
  const bounds = data.features.length ? layer.getBounds() : bboxToBounds(config.bbox);
  if (bounds && bounds.isValid()) map.fitBounds(bounds, { padding: [20, 20], maxZoom: 16 });
  return map;
}

const map = drawMap();
let youAreHere = null;

const nearButton = document.getElementById("near-me");

/** "350 米" below a kilometre (to 10 m), "1.2 公里" from one up: as markets/walking.py. */
function distanceText(metres) {
  if (metres < 1000) {
    return format(strings.metres || "%(n)s m", { n: (Math.round(metres / 10) * 10).toLocaleString("en") });
  }
  return format(nearButton?.dataset.km || "%(n)s km", {
    n: (metres / 1000).toLocaleString("en", { minimumFractionDigits: 1, maximumFractionDigits: 1 }),
  });
}

/** The server's walks along the roads (markets/walking.py), or null offline or on any failure. */
async function walkingDistances(lat, lon) {
  const url = nearButton?.dataset.walkUrl;
  if (!url || !navigator.onLine) return null;
  try {
    const response = await fetch(`${url}?near=${lon.toFixed(6)},${lat.toFixed(6)}`, {
      headers: { Accept: "application/json" },
    });
    if (!response.ok) return null;
    const body = await response.json();
    return new Map(body.markets.map((walk) => [String(walk.id), walk]));
  } catch {
    return null; // no signal: the straight line below, and the page says so
  }
}

async function sortByDistance(lat, lon) {
  const walks = await walkingDistances(lat, lon);
  const items = [...list.querySelectorAll(".market-item")];
  for (const item of items) {
    const label = item.querySelector(".market-distance");
    const walk = walks?.get(item.dataset.id);
    if (walk) {
      item.dataset.distance = String(walk.metres);
      item.dataset.route = walk.route;
      label.textContent = walk.text;
    } else {
      const centre = centres.get(item.dataset.id);
      if (!centre) continue;
      const metres = Math.round(distanceMetres(lat, lon, centre[0], centre[1]) / 10) * 10;
      item.dataset.distance = String(metres);
      item.dataset.route = "straight";
      label.textContent = format(nearButton?.dataset.straight || "%(distance)s", {
        distance: distanceText(metres),
      });
    }
    label.hidden = false;
  }
  items.sort((a, b) => Number(a.dataset.distance) - Number(b.dataset.distance));
  for (const item of items) list.append(item);
  // "walking" when the roads joined at least one market; "distance" for the straight line.
  const byRoad = items.some((item) => item.dataset.route === "roads");
  list.dataset.order = byRoad ? "walking" : "distance";
  const sorted = byRoad ? "sortedWalking" : walks ? "sortedStraight" : "sortedOffline";
  statusNode.textContent = nearButton?.dataset[sorted] || strings.located || "";
  if (map) {
    if (youAreHere) youAreHere.remove();
    youAreHere = L.circleMarker([lat, lon], { radius: 7, color: "#0b4f9c", className: "you-are-here" })
      .addTo(map);
  }
  document.body.dataset.nearMe = list.dataset.order;
}

function nearMe() {
  if (!("geolocation" in navigator)) {
    statusNode.textContent = strings.unsupported || "";
    list.dataset.order = "name";
    return;
  }
  statusNode.textContent = strings.locating || "";
  navigator.geolocation.getCurrentPosition(
    (position) => sortByDistance(position.coords.latitude, position.coords.longitude),
    () => {
      // Denied, unavailable or timed out: the list stays as it is (alphabetical).
      statusNode.textContent = strings.denied || "";
      list.dataset.order = "name";
    },
    { enableHighAccuracy: false, timeout: 10000, maximumAge: 60000 },
  );
}

document.getElementById("near-me")?.addEventListener("click", nearMe);
showOfflineNote(strings.offline);
registerWorker();
window.marketsPage = { ready: true, map, count: data.features.length };
document.body.dataset.marketsReady = "true";
