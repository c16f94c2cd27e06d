// The site's paths as the server reversed them (geo.page_urls, in the page's map-config): no
// script spells a path, so a moved URL changes in urls.py only.

import { readMapConfig } from "./basemap.js";

let cached = null;

/** The page config's URLs (key -> path, or a pattern with {id}, {layer}, {format}). */
export function siteUrls() {
  cached ??= readMapConfig().urls || {};
  return cached;
}

/** The path named `key`, its {placeholders} filled (encoded) from `values`. */
export function siteUrl(key, values = {}) {
  const pattern = siteUrls()[key];
  if (pattern === undefined) throw new Error(`No URL "${key}" in the page config`);
  return fillPattern(pattern, values);
}

/** A pattern's {name} placeholders filled with encoded values ("/projects/{id}/" -> "/projects/7/"). */
export function fillPattern(pattern, values) {
  return pattern.replace(/\{(\w+)\}/g, (_m, name) => encodeURIComponent(String(values[name])));
}
