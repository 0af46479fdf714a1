// Entry point of the Corridor front-end bundle (built by frontend/build.mjs
// into src/corridor/web/static/build/corridor.js + corridor.css).
//
// Everything the pages need is bundled here so nothing is loaded from
// another host: the field may have no internet.

import 'leaflet/dist/leaflet.css';
import './map.css';

import htmx from 'htmx.org';
import L from 'leaflet';

import { initMaps, installMapHooks, LAYER_KINDS, styleFor } from './map.js';
import { installRoutingHooks } from './routing_map.js';

// htmx would inject a <style> element for its request indicators, which a
// strict Content-Security-Policy (style-src 'self') blocks; the same rules
// live in static/css/corridor.css instead.
htmx.config.includeIndicatorStyles = false;

// hx-* attributes are processed by htmx itself; the global is for inline
// helpers and tests that call htmx.ajax / htmx.process.
window.htmx = htmx;
window.L = L;
window.corridor = Object.freeze({ initMaps, styleFor, layerKinds: LAYER_KINDS });

installMapHooks();
installRoutingHooks(); // after the maps: it wires the tools of [data-routing-map] pages

import { installTallyHooks } from './tally.js';

installTallyHooks(); // the checkpoint tally screen ([data-tally])

import { fillInvitationToken } from './invitation.js';

if (document.readyState === 'loading') {
  document.addEventListener('DOMContentLoaded', fillInvitationToken);
} else {
  fillInvitationToken();
}
