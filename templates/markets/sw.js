{% load static %}// The service worker of the public market pages (/markets/, scope /markets/): issue 16 item 5.
// Pages: network first; each page loaded is kept, and served from the cache when the network
// fails, marked data-served="cache" so the page says when its list and hours were loaded.
// Static files (the shell): cache first; the page tells the worker which files it used.
const VERSION = "{{ version }}";
const PAGES = `markets-pages-${VERSION}`;
const SHELL = `markets-shell-${VERSION}`;
const SHELL_URLS = {{ shell_urls|safe }};
const LIST_URL = "{% url 'markets' %}";
// Data the pages fetch that is worth having offline: the map's context layers.
const DATA_URLS = ["{% url 'api-context' %}"];

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(SHELL).then((cache) => cache.addAll(SHELL_URLS)).then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name !== PAGES && name !== SHELL) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

// The page lists the same-origin files it loaded (its ES modules' imports included).
self.addEventListener("message", (event) => {
  const urls = (event.data && event.data.cache) || [];
  const own = urls.filter((url) => new URL(url).origin === self.location.origin);
  event.waitUntil(caches.open(SHELL).then((cache) => cache.addAll(own)).catch(() => {}));
});

async function fromCache(request) {
  const cache = await caches.open(PAGES);
  const cached = (await cache.match(request)) || (await cache.match(LIST_URL, { ignoreSearch: true }));
  if (!cached) return Response.error();
  const text = (await cached.text()).replace('data-served="network"', 'data-served="cache"');
  return new Response(text, { status: cached.status, headers: cached.headers });
}

async function page(request, fallback = fromCache) {
  try {
    const response = await fetch(request);
    if (response.ok) {
      const cache = await caches.open(PAGES);
      await cache.put(request, response.clone());
    }
    return response;
  } catch (error) {
    return fallback(request);
  }
}

async function data(request) {
  return page(request, async () => (await caches.match(request)) || Response.error());
}

async function shell(request) {
  const cached = await caches.match(request);
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok) (await caches.open(SHELL)).put(request, response.clone());
  return response;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && url.pathname.startsWith(LIST_URL)) {
    event.respondWith(page(request));
  } else if (DATA_URLS.includes(url.pathname)) {
    event.respondWith(data(request));
  } else if (url.pathname.startsWith("{{ static_url }}")) {
    event.respondWith(shell(request));
  }
});
