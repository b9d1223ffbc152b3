// Flotte's service worker, served at /sw.js so that its scope is the whole
// site. It shows an offline page when the network is gone, and keeps the
// page of the current booking and its digital key so that the car still
// opens without network. Its cache is named after its own content.
"use strict";
const CACHE = "flotte-__VERSION__";
const OFFLINE_URL = "__OFFLINE_URL__";
// Pages kept as they were last seen: a booking's page and its key.
const KEPT = /^\/c\/[^/]+\/bookings\/\d+\/(key\/)?$/;

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE)
      .then((cache) => cache.add(new Request(OFFLINE_URL, { cache: "reload" })))
      .then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(
        names.filter((name) => name.startsWith("flotte-") && name !== CACHE)
          .map((name) => caches.delete(name))
      ))
      .then(() => self.clients.claim())
  );
});

function keep(cache, path) {
  return fetch(path, { credentials: "same-origin" }).then((response) => {
    if (response.ok && !response.redirected) return cache.put(path, response);
  }).catch(() => {});
}

self.addEventListener("message", (event) => {
  const data = event.data || {};
  if (Array.isArray(data.keep)) {
    const paths = data.keep.filter((path) => KEPT.test(path));
    event.waitUntil(caches.open(CACHE).then((cache) => Promise.all(paths.map((p) => keep(cache, p)))));
  }
  if (data.forget) {
    event.waitUntil(caches.open(CACHE).then((cache) => cache.keys().then((requests) =>
      Promise.all(requests
        .filter((request) => new URL(request.url).pathname !== OFFLINE_URL)
        .map((request) => cache.delete(request)))
    )));
  }
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    event.respondWith(
      fetch(request).then((response) => {
        if (response.ok && !response.redirected && KEPT.test(url.pathname)) {
          const copy = response.clone();
          caches.open(CACHE).then((cache) => cache.put(url.pathname, copy));
        }
        return response;
      }).catch(() =>
        caches.match(url.pathname).then((hit) => hit || caches.match(OFFLINE_URL))
      )
    );
    return;
  }
  if (url.pathname.startsWith("/static/")) {
    // Styles, scripts and icons: from the network when there is one, kept
    // for the pages shown offline.
    event.respondWith(
      fetch(request).then((response) => {
        if (response.ok) {
          const copy = response.clone();
          caches.open(CACHE).then((cache) => cache.put(request, copy));
        }
        return response;
      }).catch(() => caches.match(request))
    );
  }
});

// Web Push: the platform's push sender posts {"title", "body", "url", "tag"}
// (notify/senders/push.py), encrypted for this device; show it, and open its
// page when it is tapped.
function showPushed(data) {
  const message = data || {};
  return self.registration.showNotification(message.title || "Flotte", {
    body: message.body || "",
    tag: message.tag || undefined,
    icon: "/static/web/icons/flotte-192.png",
    data: { url: message.url || "/" },
  });
}
self.showPushed = showPushed;

self.addEventListener("push", (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch (error) {
    data = { body: event.data ? event.data.text() : "" };
  }
  event.waitUntil(showPushed(data));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const target = new URL((event.notification.data || {}).url || "/", self.location.origin);
  if (target.origin !== self.location.origin) return;
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
      const open = windows.find((client) => client.url === target.href);
      return open ? open.focus() : self.clients.openWindow(target.href);
    })
  );
});
