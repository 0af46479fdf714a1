// Service worker of the certificate verification page (built into
// static/build/verify-sw.js, served as /verify-sw.js by amnesty/verify_pages.py,
// which puts self.CORRIDOR_VERIFY = {version, assets} in front of it). What it
// keeps and how: ../offline-worker.js. The page reads its query (?operation=)
// itself, so the one copy kept serves every operation; the trust list's fetch
// goes to the network as usual (the page keeps the last one it verified).

import { serveOffline } from '../offline-worker.js';

serveOffline(self.CORRIDOR_VERIFY, 'corridor-verify-');
