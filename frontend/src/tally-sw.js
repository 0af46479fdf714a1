// Service worker of the checkpoint tally screen (built into
// static/build/tally-sw.js, served as /tally-sw.js by crossings/tally_pages.py,
// which puts self.CORRIDOR_TALLY = {version, assets} in front of it). What it
// keeps and how: ./offline-worker.js.

import { serveOffline } from './offline-worker.js';

serveOffline(self.CORRIDOR_TALLY, 'corridor-tally-');
