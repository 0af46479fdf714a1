// The service worker of a page that works offline, shared by the tally screen
// (tally-sw.js) and the certificate verification page (verify/sw.js). Each is
// served from the root by corridor.web.service_workers, which puts its
// configuration, {version, assets}, in front of it.
//
// The page registers it with the page's own path as its scope, so it controls
// that page only. It keeps:
//   - the assets the page needs (bundles and stylesheets), cache first, in a
//     cache named after the assets' version: a new build gives a new worker
//     script, which fetches them anew and drops the old cache;
//   - the page itself (without its query), network first (it carries the
//     session's CSRF token), falling back to the copy kept when the server
//     cannot be reached.
// Nothing else is touched: the JSON API goes to the network as usual.

export function serveOffline(config = { version: 'dev', assets: [] }, PREFIX) {
  const ASSET_CACHE = `${PREFIX}assets-${config.version}`;
  const PAGE_CACHE = `${PREFIX}pages`;
  const NETWORK_TIMEOUT_MS = 6000;
  const ASSETS = new Set(config.assets);

  function pageKey(url) {
    const parsed = new URL(url);
    return parsed.origin + parsed.pathname;
  }

  function isHtml(response) {
    return (response.headers.get('content-type') || '').startsWith('text/html');
  }

  async function keepPage(url) {
    try {
      const response = await fetch(url, { credentials: 'same-origin', cache: 'no-store' });
      if (response.ok && !response.redirected && isHtml(response)) {
        const cache = await caches.open(PAGE_CACHE);
        await cache.put(pageKey(url), response);
      }
    } catch (error) {
      // Kept at the next visit instead.
    }
  }

  self.addEventListener('install', (event) => {
    event.waitUntil(
      (async () => {
        const cache = await caches.open(ASSET_CACHE);
        await cache.addAll(config.assets.map((path) => new Request(path, { cache: 'reload' })));
        await keepPage(self.registration.scope);
        await self.skipWaiting();
      })(),
    );
  });

  self.addEventListener('activate', (event) => {
    event.waitUntil(
      (async () => {
        for (const name of await caches.keys()) {
          if (name.startsWith(`${PREFIX}assets-`) && name !== ASSET_CACHE) await caches.delete(name);
        }
        await self.clients.claim();
      })(),
    );
  });

  async function pageFromNetwork(event) {
    const key = pageKey(event.request.url);
    const network = fetch(event.request).then(async (response) => {
      if (response.ok && !response.redirected && isHtml(response)) {
        try {
          const cache = await caches.open(PAGE_CACHE);
          await cache.put(key, response.clone());
        } catch (error) {
          // Storage full: the page still opens, the kept copy is older.
        }
      }
      return response;
    });
    const timeout = new Promise((resolve) => {
      setTimeout(() => resolve(null), NETWORK_TIMEOUT_MS);
    });
    let response = null;
    try {
      response = await Promise.race([network, timeout]);
    } catch (error) {
      response = null; // the server cannot be reached
    }
    // A redirect (to sign in) goes to the browser as it is; a server error or no
    // answer falls back to the kept copy.
    if (response && (response.type === 'opaqueredirect' || response.status < 500)) return response;
    const kept = await caches.match(key, { cacheName: PAGE_CACHE });
    if (kept) return kept;
    if (response) return response;
    return network; // nothing kept: wait for the network after all (or its error)
  }

  async function assetFromCache(request) {
    const kept =
      (await caches.match(request, { cacheName: ASSET_CACHE, ignoreSearch: true })) ||
      (await caches.match(request, { ignoreSearch: true }));
    if (kept) return kept;
    const response = await fetch(request);
    if (response.ok) {
      const cache = await caches.open(ASSET_CACHE);
      await cache.put(request, response.clone());
    }
    return response;
  }

  self.addEventListener('fetch', (event) => {
    const { request } = event;
    if (request.method !== 'GET') return;
    const url = new URL(request.url);
    if (url.origin !== self.location.origin) return;
    if (request.mode === 'navigate' && pageKey(url.href) === pageKey(self.registration.scope)) {
      event.respondWith(pageFromNetwork(event));
    } else if (ASSETS.has(url.pathname)) {
      event.respondWith(assetFromCache(request));
    }
  });

  // A page opened past the worker (a forced reload) asks to be controlled.
  self.addEventListener('message', (event) => {
    if (event.data === 'claim') event.waitUntil(self.clients.claim());
  });
}
