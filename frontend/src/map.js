// Corridor map component.
//
// The field may have no internet, so this map never talks to a tile server:
// it draws only the GeoJSON layers that the page itself supplies, styled from
// src/corridor/web/map_styles.json (the same file the PDF renderer uses).
//
// Contract (emitted by the server templates):
//
//   <div class="corridor-map" data-attribution="osm" style="block-size: 24rem">
//     <script type="application/geo+json" data-layer="area" data-label="…">{…}</script>
//     <script type="application/geo+json" data-layer="roads"
//             data-src="/api/v1/operations/demo/roads.geojson"></script>
//   </div>
//
// After initialisation the container carries data-map-state="loading", then
// "ready" once every layer has been loaded or has failed (failures are counted
// in data-map-errors), and a "corridor:map-ready" event bubbles from it.

import L from 'leaflet';
import styles from '../../src/corridor/web/map_styles.json';

export const LAYER_KINDS = Object.freeze([...styles.order]);

const GEOJSON_SELECTOR = 'script[type="application/geo+json"]';
const OSM_ATTRIBUTION =
  '© <a href="https://www.openstreetmap.org/copyright" target="_blank" rel="noopener noreferrer">' +
  'OpenStreetMap</a> contributors, ODbL';
// Leaflet path options we pass through from map_styles.json; everything else
// in the file (label, weightBy, svgLabels…) is metadata for us or the PDF side.
const PATH_OPTIONS = [
  'color', 'weight', 'opacity', 'fill', 'fillColor', 'fillOpacity',
  'dashArray', 'lineCap', 'lineJoin', 'radius',
];
const LINE_TYPES = new Set(['LineString', 'MultiLineString']);

/** Leaflet maps created on this page, in creation order (used by browser tests). */
export const maps = [];

/**
 * Style for one feature of a layer kind, as Leaflet path options.
 * Lines never get a fill (Leaflet would otherwise fill the polyline's hull).
 */
export function styleFor(kind, feature) {
  const spec = { ...styles.defaults, ...(styles.layers[kind] || {}) };
  const props = (feature && feature.properties) || {};
  const out = {};
  for (const key of PATH_OPTIONS) {
    if (spec[key] !== undefined && spec[key] !== null) out[key] = spec[key];
  }
  if (spec.weightBy) {
    const value = props[spec.weightBy.property];
    const weight = spec.weightBy.values[value];
    if (typeof weight === 'number') out.weight = weight;
  }
  for (const rule of spec.styleBy || []) {
    const override = rule.values[String(props[rule.property])];
    if (override) Object.assign(out, override);
  }
  const geometryType = feature && feature.geometry && feature.geometry.type;
  if (LINE_TYPES.has(geometryType)) out.fill = false;
  return out;
}

/** Human label of a layer: the page's (translated) data-label, else the styles file. */
function labelFor(script, kind) {
  const given = (script.dataset.label || '').trim();
  if (given) return given;
  return (styles.layers[kind] && styles.layers[kind].label) || kind;
}

/** Popup content built with DOM text nodes, so feature properties are never parsed as HTML. */
function popupFor(feature) {
  const props = (feature && feature.properties) || {};
  const name = props.name == null ? '' : String(props.name);
  const kind = props.kind == null ? '' : String(props.kind);
  if (!name && !kind) return null;
  const box = document.createElement('div');
  box.className = 'corridor-map-popup';
  box.setAttribute('dir', 'auto');
  if (name) {
    const strong = document.createElement('strong');
    strong.className = 'corridor-map-popup-name';
    strong.textContent = name;
    box.appendChild(strong);
  }
  if (kind) {
    const span = document.createElement('span');
    span.className = 'corridor-map-popup-kind';
    span.textContent = kind;
    box.appendChild(span);
  }
  return box;
}

/** Read one layer's GeoJSON: inline text, or a same-origin fetch of data-src. */
async function readLayerData(script) {
  const src = script.getAttribute('data-src');
  if (src) {
    const url = new URL(src, document.baseURI);
    if (url.origin !== window.location.origin) {
      throw new Error(`refusing to load map layer from another origin: ${url.href}`);
    }
    const response = await fetch(url.href, {
      credentials: 'same-origin',
      headers: { Accept: 'application/geo+json, application/json' },
    });
    if (!response.ok) throw new Error(`map layer ${url.pathname}: HTTP ${response.status}`);
    return response.json();
  }
  const text = (script.textContent || '').trim();
  return text ? JSON.parse(text) : null;
}

function isRtl(el) {
  return window.getComputedStyle(el).direction === 'rtl';
}

/** Create the Leaflet map for one container and start loading its layers. */
function createMap(container) {
  container.dataset.mapState = 'loading';
  const rtl = isRtl(container);
  const map = L.map(container, {
    // No tiles: zoom freely, the vector layers stay crisp at any level.
    zoomSnap: 0.25,
    zoomControl: false,
    attributionControl: false,
    worldCopyJump: false,
  });
  map.setView([0, 0], 2);
  // Mirror the controls in right-to-left pages, where the reading start is on the right.
  L.control.zoom({ position: rtl ? 'topright' : 'topleft' }).addTo(map);
  // The default prefix links to leafletjs.com; keep the credit as plain text.
  map.attributionControl = L.control
    .attribution({ position: rtl ? 'bottomleft' : 'bottomright', prefix: 'Leaflet' })
    .addTo(map);
  if (container.dataset.attribution === 'osm') {
    map.attributionControl.addAttribution(OSM_ATTRIBUTION);
  }
  const layerControl = L.control.layers(null, null, {
    collapsed: container.dataset.layersCollapsed === 'true',
    position: rtl ? 'topleft' : 'topright',
    // List layers in the page's order, not in the order their data arrived.
    sortLayers: true,
    sortFunction: (a, b) => a.corridorIndex - b.corridorIndex,
  });
  layerControl.addTo(map);

  map.corridorLayers = {};
  map.corridorErrors = [];

  const scripts = Array.from(container.querySelectorAll(GEOJSON_SELECTOR));
  const jobs = scripts.map(async (script, index) => {
    const kind = script.dataset.layer || '';
    if (!styles.layers[kind]) {
      console.warn(`corridor map: unknown layer kind "${kind}", using default style`);
    }
    // One pane per layer slot, stacked in the styles file's order, so the
    // drawing order does not depend on which fetch finishes first.
    const order = styles.order.indexOf(kind);
    const paneName = `corridor-${index}`;
    const pane = map.createPane(paneName);
    pane.style.zIndex = String(410 + (order < 0 ? styles.order.length : order) * 5);
    pane.dataset.layer = kind;

    const data = await readLayerData(script);
    const layer = L.geoJSON(data, {
      pane: paneName,
      style: (feature) => styleFor(kind, feature),
      pointToLayer: (feature, latlng) => L.circleMarker(latlng, { ...styleFor(kind, feature), pane: paneName }),
      onEachFeature: (feature, featureLayer) => {
        const content = popupFor(feature);
        if (content) featureLayer.bindPopup(content);
      },
    });
    layer.corridorKind = kind;
    layer.corridorIndex = index;
    layer.addTo(map);
    layerControl.addOverlay(layer, labelFor(script, kind));
    const key = map.corridorLayers[kind] ? `${kind}:${index}` : kind;
    map.corridorLayers[key] = layer;
    return layer;
  });

  Promise.allSettled(jobs).then((results) => {
    let bounds = null;
    for (const [i, result] of results.entries()) {
      if (result.status === 'rejected') {
        console.error('corridor map: layer failed', scripts[i], result.reason);
        map.corridorErrors.push(String(result.reason));
        continue;
      }
      const layerBounds = result.value.getBounds();
      if (layerBounds.isValid()) {
        bounds = bounds ? bounds.extend(layerBounds) : L.latLngBounds(layerBounds.getSouthWest(), layerBounds.getNorthEast());
      }
    }
    // An empty layer list would show as a blank box.
    if (!results.some((result) => result.status === 'fulfilled')) layerControl.remove();
    if (bounds) {
      map.fitBounds(bounds, { padding: [16, 16], maxZoom: 16, animate: false });
    } else {
      container.classList.add('corridor-map-empty');
    }
    if (map.corridorErrors.length) container.dataset.mapErrors = String(map.corridorErrors.length);
    container.dataset.mapState = 'ready';
    container.dispatchEvent(new CustomEvent('corridor:map-ready', { bubbles: true, detail: { map } }));
  });
  return map;
}

/** Forget maps whose container left the page (e.g. replaced by an htmx swap). */
function pruneDetached() {
  for (let i = maps.length - 1; i >= 0; i -= 1) {
    if (!maps[i].getContainer().isConnected) {
      maps[i].remove();
      maps.splice(i, 1);
    }
  }
}

/**
 * Initialise every .corridor-map inside root (and root itself) that has not
 * been initialised yet. Safe to call repeatedly.
 */
export function initMaps(root = document) {
  pruneDetached();
  const found = [];
  if (root instanceof Element && root.matches('.corridor-map')) found.push(root);
  if (root.querySelectorAll) found.push(...root.querySelectorAll('.corridor-map'));
  const created = [];
  for (const container of found) {
    if (container.dataset.mapState) continue;
    try {
      const map = createMap(container);
      maps.push(map);
      created.push(map);
    } catch (error) {
      container.dataset.mapState = 'error';
      console.error('corridor map: could not initialise', container, error);
    }
  }
  return created;
}

/** Wire initialisation to page load and to htmx swaps. */
export function installMapHooks() {
  window.corridorMaps = maps;
  const initAll = () => initMaps(document);
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', initAll);
  } else {
    initAll();
  }
  document.addEventListener('htmx:afterSwap', initAll);
  document.addEventListener('htmx:load', (event) => initMaps(event.target));
}
