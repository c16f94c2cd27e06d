// The public market pages as an installable app (issue 16 item 5): registers the service worker
// (its file and scope, the market pages, come from the page config: geo.page_urls), tells it
// which files this page loaded so they work offline, and, when the page came from the worker's
// cache, says when its list and hours were loaded.

import { siteUrl } from "./urls.js";
import { format } from "./text.js";

/** Show "Offline: … updated at HH:MM" when sw.js served this page from its cache. */
export function showOfflineNote(template) {
  const note = document.getElementById("offline-note");
  if (!note || note.dataset.served !== "cache") return false;
  note.textContent = format(template || "%(time)s", { time: note.dataset.loaded });
  note.hidden = false;
  document.body.dataset.served = "cache";
  return true;
}

/**
 * When this page's list and hours were made, in words ("2026年7月1日 20:15"): the server wrote
 * it, so a copy served from the worker's cache keeps the time it was loaded, not the time now.
 */
export function loadedAt() {
  return document.getElementById("offline-note")?.dataset.loaded || undefined;
}

/** Register the worker; once it controls the page, hand it this page's same-origin files. */
export function registerWorker() {
  if (!("serviceWorker" in navigator)) return;
  const files = () => performance.getEntriesByType("resource").map((entry) => entry.name)
    .filter((url) => new URL(url).origin === location.origin);
  navigator.serviceWorker.register(siteUrl("marketsWorker"), { scope: siteUrl("markets") }).then(async () => {
    const registration = await navigator.serviceWorker.ready;
    registration.active?.postMessage({ cache: [...files(), location.href] });
    document.body.dataset.worker = "ready";
  }).catch(() => {
    // No worker (private mode, an old browser): the pages simply work online only.
    document.body.dataset.worker = "unavailable";
  });
}
