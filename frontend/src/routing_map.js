// Corridor routing map: hazard zones, safe routes, reachable areas, corridors.
//
// Initialised on every [data-routing-map] element (the page
// /operations/{slug}/map, template routing/templates/routing/map.html). The
// element holds a .corridor-map (the map component of map.js, which loads the
// roads, corridors, hazards and checkpoints layers) and the tool forms. All
// data comes from data-* attributes and <script type="application/json">
// blocks: no inline script (the Content-Security-Policy forbids it).
//
//   data-api                  /api/v1/operations/{slug}
//   data-csrf-token           the session's CSRF token, sent as X-CSRF-Token
//   data-may-write-hazards    "true" when the user may save hazard zones
//   data-may-write-corridors  "true" when the user may save corridors
//
// Polygons are drawn and edited with Leaflet-Geoman (free edition), loaded
// only on this page. Its CSS inlines its icons as data: URIs.
//
// For tests: the element gets data-routing-state="ready" once wired, and each
// finished request sets data-last-action (hazard-saved, route, corridor-saved,
// reach, hazard-withdrawn, error). The Leaflet map exposes map.corridorRouting
// { route, reach, points, draft } (layer groups) next to map.corridorLayers.

import '@geoman-io/leaflet-geoman-free/dist/leaflet-geoman.css';

import L from 'leaflet';

import { initMaps, LAYER_KINDS, maps, styleFor } from './map.js';
import { format, readJson } from './page_data.js';

const BASE_PANE_Z = 410; // the same stacking as map.js: 410 + 5 × (index in the styles order)

let geomanReady = false;

/** Leaflet-Geoman extends the global L; load it once, on the first routing map. */
function loadGeoman() {
  if (geomanReady) return;
  if (!window.L) window.L = L;
  // A require() so that it runs now, after window.L exists (imports are hoisted).
  // eslint-disable-next-line global-require
  require('@geoman-io/leaflet-geoman-free');
  // Only layers created with pmIgnore: false get editing handles (not the roads).
  L.PM.setOptIn(true);
  geomanReady = true;
}

function paneZ(kind, extra = 0) {
  const index = LAYER_KINDS.indexOf(kind);
  return String(BASE_PANE_Z + (index < 0 ? LAYER_KINDS.length : index) * 5 + extra);
}

function numberFormat(lang, digits) {
  try {
    return new Intl.NumberFormat(lang || undefined, {
      maximumFractionDigits: digits,
      minimumFractionDigits: digits,
    });
  } catch (error) {
    return new Intl.NumberFormat(undefined, { maximumFractionDigits: digits, minimumFractionDigits: digits });
  }
}

/** "lat, lon" (as people write positions) → [lon, lat] (as the API wants), or null. */
export function parsePosition(text) {
  const parts = String(text || '')
    .trim()
    .split(/[\s,;]+/)
    .filter(Boolean);
  if (parts.length !== 2) return null;
  const [lat, lon] = parts.map(Number);
  if (!Number.isFinite(lat) || !Number.isFinite(lon)) return null;
  if (Math.abs(lat) > 90 || Math.abs(lon) > 180) return null;
  return [lon, lat];
}

export function formatPosition(lonLat) {
  return `${lonLat[1].toFixed(5)}, ${lonLat[0].toFixed(5)}`;
}

/** A failed API call: the HTTP status and the RFC 9457 problem details, if any. */
class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }
}

/** datetime-local value (device time) → ISO string with offset, or null. */
function localToIso(value) {
  if (!value) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : date.toISOString();
}

/** ISO time → datetime-local value in the device's time zone. */
function isoToLocal(value) {
  if (!value) return '';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return '';
  const pad = (n) => String(n).padStart(2, '0');
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}`
  );
}

class RoutingMap {
  constructor(root, container, map) {
    this.root = root;
    this.container = container;
    this.map = map;
    this.api = root.dataset.api || '';
    this.csrf =
      root.dataset.csrfToken ||
      (document.querySelector('meta[name="csrf-token"]') || {}).content ||
      '';
    this.mayWriteHazards = root.dataset.mayWriteHazards === 'true';
    this.mayWriteCorridors = root.dataset.mayWriteCorridors === 'true';
    this.t = readJson(root, 'script[data-routing-messages]');
    this.kindLabels = readJson(root, 'script[data-routing-kinds]');
    this.lang = document.documentElement.lang || undefined;
    this.mode = 'browse';
    this.points = { from: null, to: null, reach: null };
    this.lastRoute = null; // {from, to, profile} of the route shown
    this.hazard = null; // the hazard being edited (API object), null for a new one
    this.draft = null; // the polygon being drawn or edited
  }

  // ------------------------------------------------------------ set-up

  start() {
    const { map } = this;
    this.pane('corridor-routing-reach', paneZ('reachability', 1));
    this.pane('corridor-routing-route', paneZ('routes', 1));
    this.pane('corridor-routing-draft', paneZ('incidents', 10));
    this.pane('corridor-routing-points', paneZ('incidents', 15));
    this.reachLayer = L.featureGroup([], { pane: 'corridor-routing-reach' }).addTo(map);
    this.routeLayer = L.featureGroup([], { pane: 'corridor-routing-route' }).addTo(map);
    this.pointLayer = L.featureGroup([], { pane: 'corridor-routing-points' }).addTo(map);
    this.draftLayer = L.featureGroup([], { pane: 'corridor-routing-draft' }).addTo(map);
    map.corridorRouting = {
      route: this.routeLayer,
      reach: this.reachLayer,
      points: this.pointLayer,
      draft: this.draftLayer,
    };

    this.hint = this.root.querySelector('[data-role="hint"]');
    this.forms = {};
    for (const form of this.root.querySelectorAll('form[data-form]')) {
      this.forms[form.dataset.form] = form;
    }
    this.forms.route?.addEventListener('submit', (event) => {
      event.preventDefault();
      this.findRoute();
    });
    this.forms.reach?.addEventListener('submit', (event) => {
      event.preventDefault();
      this.computeReach();
    });
    this.forms.corridor?.addEventListener('submit', (event) => {
      event.preventDefault();
      this.saveCorridor();
    });
    for (const button of this.root.querySelectorAll('button[data-pick]')) {
      button.addEventListener('click', () => {
        const mode = button.dataset.pick;
        this.setMode(this.mode === mode ? 'browse' : mode);
      });
    }
    this.on('[data-action="clear-route"]', 'click', () => this.clearRoute());
    this.on('[data-action="clear-reach"]', 'click', () => this.clearReach());
    for (const name of ['from', 'to']) {
      this.forms.route?.elements[name]?.addEventListener('change', (event) => {
        const position = parsePosition(event.target.value);
        if (position) this.setPoint(name, position, { keepInput: true });
      });
    }
    this.forms.reach?.elements.from?.addEventListener('change', (event) => {
      const position = parsePosition(event.target.value);
      if (position) this.setPoint('reach', position, { keepInput: true });
    });

    map.on('click', (event) => this.onMapClick(event));
    document.addEventListener('keydown', (event) => {
      if (event.key === 'Escape' && ['from', 'to', 'reach'].includes(this.mode)) this.setMode('browse');
    });

    if (this.mayWriteHazards) this.startHazards();
    this.paintLegend();
    this.root.dataset.routingState = 'ready';
    this.root.dispatchEvent(new CustomEvent('corridor:routing-ready', { bubbles: true, detail: { map } }));
  }

  pane(name, zIndex) {
    const pane = this.map.getPane(name) || this.map.createPane(name);
    pane.style.zIndex = zIndex;
    return pane;
  }

  on(selector, type, handler) {
    for (const el of this.root.querySelectorAll(selector)) el.addEventListener(type, handler);
  }

  paintLegend() {
    for (const swatch of this.root.querySelectorAll('[data-swatch]')) {
      const props = {};
      if (swatch.dataset.status) props.status = swatch.dataset.status;
      if (swatch.dataset.flagged) props.flagged = true;
      const style = styleFor(swatch.dataset.swatch, { type: 'Feature', properties: props, geometry: null });
      swatch.style.borderColor = style.color || '';
      swatch.style.backgroundColor = style.fill === false ? style.color : style.fillColor || style.color || '';
      if (style.fill !== false) swatch.classList.add('legend-swatch-area');
      if (swatch.dataset.alternative) swatch.classList.add('legend-swatch-dim');
    }
  }

  setHint(text) {
    if (!this.hint) return;
    this.hint.textContent = text || '';
    this.hint.hidden = !text;
  }

  /** browse | from | to | reach | draw | edit */
  setMode(mode) {
    if (this.mode === 'draw' && mode !== 'draw' && this.map.pm) this.map.pm.disableDraw();
    this.mode = mode;
    const picking = ['from', 'to', 'reach', 'draw'].includes(mode);
    if (picking) this.container.dataset.pick = mode;
    else delete this.container.dataset.pick;
    this.root.dataset.mode = mode;
    for (const button of this.root.querySelectorAll('button[data-pick]')) {
      button.setAttribute('aria-pressed', String(button.dataset.pick === mode));
    }
    const drawButton = this.root.querySelector('[data-action="draw-hazard"]');
    if (drawButton) drawButton.setAttribute('aria-pressed', String(mode === 'draw'));
    if (picking) this.map.closePopup();
    const hints = {
      from: this.t.hint_from,
      to: this.t.hint_to,
      reach: this.t.hint_reach,
      draw: this.t.hint_draw,
      edit: this.t.hint_edit,
    };
    this.setHint(hints[mode] || '');
  }

  onMapClick(event) {
    const position = [event.latlng.lng, event.latlng.lat];
    if (this.mode === 'from') {
      this.setPoint('from', position);
      if (this.points.to) {
        this.setMode('browse');
        this.findRoute();
      } else {
        this.setMode('to');
      }
    } else if (this.mode === 'to') {
      this.setPoint('to', position);
      if (this.points.from) {
        this.setMode('browse');
        this.findRoute();
      } else {
        this.setMode('from');
      }
    } else if (this.mode === 'reach') {
      this.setPoint('reach', position);
      this.setMode('browse');
      this.computeReach();
    }
  }

  setPoint(name, lonLat, { keepInput = false } = {}) {
    this.points[name] = lonLat;
    const form = name === 'reach' ? this.forms.reach : this.forms.route;
    const input = form?.elements[name === 'reach' ? 'from' : name];
    if (input && !keepInput) input.value = formatPosition(lonLat);
    this.drawPoints();
  }

  drawPoints() {
    this.pointLayer.clearLayers();
    const labels = { from: this.t.start, to: this.t.destination, reach: this.t.start };
    const colours = { from: '#1b5e20', to: '#b71c1c', reach: '#6a1b9a' };
    for (const [name, lonLat] of Object.entries(this.points)) {
      if (!lonLat) continue;
      const marker = L.circleMarker([lonLat[1], lonLat[0]], {
        pane: 'corridor-routing-points',
        radius: 8,
        color: '#ffffff',
        weight: 3,
        fillColor: colours[name],
        fillOpacity: 1,
        interactive: false,
      });
      marker.corridorPoint = name;
      if (labels[name]) marker.bindTooltip(labels[name], { permanent: false, direction: 'top' });
      this.pointLayer.addLayer(marker);
    }
  }

  // ------------------------------------------------------------- requests

  async request(method, path, body) {
    const headers = { Accept: 'application/json, application/problem+json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (method !== 'GET' && method !== 'HEAD') headers['X-CSRF-Token'] = this.csrf;
    let response;
    try {
      response = await fetch(this.api + path, {
        method,
        headers,
        credentials: 'same-origin',
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw new ApiError(0, null);
    }
    if (response.status === 204) return null;
    const type = response.headers.get('content-type') || '';
    const data = type.includes('json') ? await response.json().catch(() => null) : null;
    if (!response.ok) throw new ApiError(response.status, data);
    return data;
  }

  /** Fetch a map.js layer's data-src again and redraw it. */
  async refreshLayer(kind) {
    const layer = this.map.corridorLayers && this.map.corridorLayers[kind];
    const script = this.container.querySelector(`script[data-layer="${kind}"][data-src]`);
    if (!layer || !script) return;
    const url = new URL(script.dataset.src, document.baseURI);
    if (url.origin !== window.location.origin) return;
    const response = await fetch(url.href, {
      credentials: 'same-origin',
      headers: { Accept: 'application/geo+json, application/json' },
    });
    if (!response.ok) throw new ApiError(response.status, null);
    const data = await response.json();
    layer.clearLayers();
    layer.addData(data);
    this.container.dispatchEvent(new CustomEvent('corridor:layer-refreshed', { bubbles: true, detail: { kind } }));
  }

  clearErrors(form) {
    if (!form) return;
    for (const slot of form.querySelectorAll('[data-error-for]')) {
      slot.textContent = '';
      slot.hidden = true;
    }
    for (const input of form.querySelectorAll('[aria-invalid]')) input.removeAttribute('aria-invalid');
    const summary = form.querySelector('[data-role="errors"]');
    if (summary) {
      summary.textContent = '';
      summary.hidden = true;
    }
  }

  /** Show an API error: each field's message next to it, the rest on top of the form. */
  showError(form, error, scope = form) {
    this.root.dataset.lastAction = 'error';
    if (!(error instanceof ApiError)) {
      console.error('corridor routing map:', error);
      error = new ApiError(0, null);
    }
    const summary = form && form.querySelector('[data-role="errors"]');
    const problem = error.problem || {};
    const leftover = [];
    let placed = 0;
    for (const item of problem.errors || []) {
      const field = String(item.field || '').split('.')[0];
      const slot =
        (form && form.querySelector(`[data-error-for="${CSS.escape(field)}"]`)) ||
        (scope && scope.querySelector(`[data-error-for="${CSS.escape(field)}"]`));
      if (slot) {
        slot.textContent = item.message;
        slot.hidden = false;
        const input = form && form.elements[field];
        if (input && input.setAttribute) input.setAttribute('aria-invalid', 'true');
        placed += 1;
      } else {
        leftover.push(`${item.field}: ${item.message}`);
      }
    }
    let text;
    if (error.status === 0) text = this.t.unreachable;
    else if (placed && !leftover.length) text = this.t.check_fields;
    else {
      const detail = leftover.length ? leftover.join('; ') : problem.detail || problem.title || '';
      text = `${format(this.t.refused, { status: error.status })} ${detail}`.trim();
    }
    if (summary) {
      summary.textContent = text;
      summary.hidden = false;
    }
  }

  setBusy(form, busy) {
    if (!form) return;
    form.setAttribute('aria-busy', String(busy));
    for (const button of form.querySelectorAll('button[type="submit"]')) button.disabled = busy;
  }

  localError(form, field, message) {
    this.clearErrors(form);
    const slot = form.querySelector(`[data-error-for="${field}"]`);
    if (slot) {
      slot.textContent = message;
      slot.hidden = false;
    }
    const input = form.elements[field];
    if (input && input.setAttribute) {
      input.setAttribute('aria-invalid', 'true');
      input.focus();
    }
  }

  // ---------------------------------------------------------------- routes

  readRoutePoint(name) {
    const input = this.forms.route.elements[name];
    const typed = parsePosition(input.value);
    if (typed) this.setPoint(name, typed, { keepInput: true });
    return typed;
  }

  async findRoute() {
    const form = this.forms.route;
    if (!form) return;
    const from = this.readRoutePoint('from');
    const to = this.readRoutePoint('to');
    if (!from || !to) {
      this.localError(form, from ? 'to' : 'from', from || to ? this.t.bad_position : this.t.need_points);
      return;
    }
    const profile = form.elements.profile.value;
    this.clearErrors(form);
    this.setBusy(form, true);
    const result = this.root.querySelector('[data-role="route-result"]');
    result.textContent = this.t.computing;
    try {
      const answer = await this.request('POST', '/routes', { from, to, profile, alternatives: 3 });
      this.lastRoute = { from, to, profile };
      this.showRoute(answer);
      this.root.dataset.lastAction = 'route';
    } catch (error) {
      result.textContent = '';
      this.routeLayer.clearLayers();
      this.lastRoute = null;
      if (this.forms.corridor) this.forms.corridor.hidden = true;
      this.showError(form, error);
    } finally {
      this.setBusy(form, false);
    }
  }

  showRoute(answer) {
    const { map } = this;
    this.routeLayer.clearLayers();
    const options = [answer.route, ...(answer.alternatives || [])];
    // Alternatives first (underneath), dimmer; the best route on top.
    for (let i = options.length - 1; i >= 0; i -= 1) {
      const option = options[i];
      const feature = { type: 'Feature', properties: { option: i }, geometry: option.geometry };
      const base = styleFor('routes', feature);
      const style = i === 0 ? base : { ...base, opacity: 0.4, weight: Math.max(3, (base.weight || 6) - 2), dashArray: '8 6' };
      const line = L.geoJSON(feature, { pane: 'corridor-routing-route', style: () => style, interactive: false });
      line.corridorOption = i;
      this.routeLayer.addLayer(line);
    }
    const bounds = this.routeLayer.getBounds();
    if (bounds.isValid() && !map.getBounds().contains(bounds)) {
      map.fitBounds(bounds, { padding: [24, 24], maxZoom: map.getZoom(), animate: false });
    }

    const result = this.root.querySelector('[data-role="route-result"]');
    result.textContent = '';
    result.dataset.status = answer.status;
    if (answer.status === 'no_safe_route') {
      const warning = document.createElement('p');
      warning.className = 'flash warning';
      warning.dataset.role = 'no-safe-route';
      warning.textContent = this.t.no_safe_route;
      result.appendChild(warning);
    }
    for (const [label, snap] of [
      [this.t.start, answer.origin],
      [this.t.destination, answer.destination],
    ]) {
      if (snap && snap.distance_m > 50) {
        const note = document.createElement('p');
        note.className = 'help';
        note.textContent = format(this.t.snapped, {
          point: label,
          metres: numberFormat(this.lang, 0).format(snap.distance_m),
        });
        result.appendChild(note);
      }
    }
    const list = document.createElement('ol');
    list.className = 'route-options';
    options.forEach((option, i) => list.appendChild(this.routeItem(option, i)));
    result.appendChild(list);

    if (this.forms.corridor) {
      this.forms.corridor.hidden = false;
      this.clearErrors(this.forms.corridor);
    }
    const status = this.root.querySelector('[data-role="corridor-status"]');
    if (status) status.hidden = true;
  }

  routeItem(option, index) {
    const item = document.createElement('li');
    item.className = index === 0 ? 'route-option best' : 'route-option alternative';
    item.dataset.distanceM = String(option.distance_m);
    item.dataset.durationS = String(option.duration_s);
    item.dataset.safe = String(option.safe);
    const title = document.createElement('strong');
    const swatch = document.createElement('span');
    swatch.className = index === 0 ? 'legend-swatch' : 'legend-swatch legend-swatch-dim';
    const style = styleFor('routes', null);
    swatch.style.backgroundColor = style.color;
    swatch.style.borderColor = style.color;
    title.append(swatch, ' ', index === 0 ? this.t.best_route : format(this.t.alternative, { number: index }));
    item.appendChild(title);

    const facts = document.createElement('dl');
    facts.className = 'route-facts';
    const add = (term, value, role) => {
      const dt = document.createElement('dt');
      dt.textContent = term;
      const dd = document.createElement('dd');
      dd.dataset.role = role;
      if (value instanceof Node) dd.appendChild(value);
      else {
        const bdi = document.createElement('bdi');
        bdi.textContent = value;
        dd.appendChild(bdi);
      }
      facts.append(dt, dd);
    };
    add(this.t.distance, format(this.t.km, { value: numberFormat(this.lang, 2).format(option.distance_m / 1000) }), 'distance');
    add(this.t.duration, format(this.t.minutes, { value: numberFormat(this.lang, 1).format(option.duration_s / 60) }), 'duration');
    const zones = [...(option.avoid_entered || []), ...(option.exposure || [])];
    const seen = new Set();
    const exposure = document.createElement('ul');
    exposure.className = 'route-exposure';
    for (const zone of zones) {
      const key = `${zone.hazard_id}:${zone.severity}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const li = document.createElement('li');
      const name = zone.name || this.kindLabels[zone.kind] || zone.kind || `#${zone.hazard_id}`;
      const values = {
        metres: numberFormat(this.lang, 0).format(zone.metres),
        name,
        factor: zone.factor == null ? '' : numberFormat(this.lang, 1).format(zone.factor),
        seconds: numberFormat(this.lang, 0).format(zone.seconds),
      };
      li.textContent = format(zone.severity === 'avoid' ? this.t.exposure_avoid : this.t.exposure_factor, values);
      if (zone.severity === 'avoid') li.className = 'exposure-avoid';
      exposure.appendChild(li);
    }
    if (!exposure.childElementCount) {
      const li = document.createElement('li');
      li.textContent = this.t.no_exposure;
      exposure.appendChild(li);
    }
    add(this.t.exposure, exposure, 'exposure');
    item.appendChild(facts);
    return item;
  }

  clearRoute() {
    this.routeLayer.clearLayers();
    this.points.from = null;
    this.points.to = null;
    this.lastRoute = null;
    if (this.forms.route) {
      this.forms.route.elements.from.value = '';
      this.forms.route.elements.to.value = '';
      this.clearErrors(this.forms.route);
    }
    const result = this.root.querySelector('[data-role="route-result"]');
    if (result) result.textContent = '';
    if (this.forms.corridor) this.forms.corridor.hidden = true;
    if (['from', 'to'].includes(this.mode)) this.setMode('browse');
    this.drawPoints();
  }

  async saveCorridor() {
    const form = this.forms.corridor;
    if (!form || !this.lastRoute) return;
    const name = form.elements.name.value.trim();
    if (!name) {
      this.localError(form, 'name', form.elements.name.validationMessage || this.t.check_fields);
      return;
    }
    this.clearErrors(form);
    this.setBusy(form, true);
    try {
      const corridor = await this.request('POST', '/corridors', {
        name,
        profile: this.lastRoute.profile,
        from: this.lastRoute.from,
        to: this.lastRoute.to,
      });
      form.reset();
      form.hidden = true;
      const status = this.root.querySelector('[data-role="corridor-status"]');
      if (status) {
        status.textContent = this.t.corridor_saved;
        status.dataset.corridorId = String(corridor.id);
        status.hidden = false;
      }
      await Promise.all([this.refreshLayer('corridors'), this.refreshLayer('checkpoints')]);
      this.root.dataset.lastAction = 'corridor-saved';
    } catch (error) {
      // A 409 here means the name is taken: say so next to the name.
      if (error instanceof ApiError && error.status === 409 && !(error.problem.errors || []).length) {
        error.problem.errors = [{ field: 'name', message: error.problem.detail || error.problem.title }];
      }
      this.showError(form, error);
    } finally {
      this.setBusy(form, false);
    }
  }

  // ----------------------------------------------------------- reachability

  async computeReach() {
    const form = this.forms.reach;
    if (!form) return;
    const typed = parsePosition(form.elements.from.value);
    if (typed) this.setPoint('reach', typed, { keepInput: true });
    const from = typed || null;
    if (!from) {
      this.localError(form, 'from', form.elements.from.value ? this.t.bad_position : this.t.need_point);
      return;
    }
    const minutes = Number(form.elements.minutes.value);
    const profile = form.elements.profile.value;
    this.clearErrors(form);
    this.setBusy(form, true);
    const result = this.root.querySelector('[data-role="reach-result"]');
    result.textContent = this.t.computing;
    try {
      const feature = await this.request('POST', '/reachability', { from, minutes, profile });
      this.reachLayer.clearLayers();
      const area = L.geoJSON(feature, {
        pane: 'corridor-routing-reach',
        style: (f) => styleFor('reachability', f),
        interactive: false,
      });
      this.reachLayer.addLayer(area);
      const props = feature.properties || {};
      result.textContent = format(this.t.reach_result, {
        minutes: numberFormat(this.lang, 0).format(props.minutes ?? minutes),
        area: numberFormat(this.lang, 2).format(props.area_km2 ?? 0),
      });
      result.dataset.areaKm2 = String(props.area_km2 ?? '');
      const bounds = this.reachLayer.getBounds();
      if (bounds.isValid() && !this.map.getBounds().contains(bounds)) {
        this.map.fitBounds(bounds, { padding: [24, 24], animate: false });
      }
      this.root.dataset.lastAction = 'reach';
    } catch (error) {
      result.textContent = '';
      this.showError(form, error);
    } finally {
      this.setBusy(form, false);
    }
  }

  clearReach() {
    this.reachLayer.clearLayers();
    this.points.reach = null;
    if (this.forms.reach) {
      this.forms.reach.elements.from.value = '';
      this.clearErrors(this.forms.reach);
    }
    const result = this.root.querySelector('[data-role="reach-result"]');
    if (result) result.textContent = '';
    if (this.mode === 'reach') this.setMode('browse');
    this.drawPoints();
  }

  // ---------------------------------------------------------------- hazards

  startHazards() {
    loadGeoman();
    const { map } = this;
    if (!map.pm) map.pm = new L.PM.Map(map); // the map existed before Geoman was loaded
    map.pm.setLang(
      'corridor',
      {
        tooltips: {
          firstVertex: this.t.first_vertex,
          continueLine: this.t.next_vertex,
          finishPoly: this.t.finish_polygon,
        },
      },
      'en',
    );
    map.pm.setGlobalOptions({
      snappable: false,
      layerGroup: this.draftLayer,
      panes: { layerPane: 'corridor-routing-draft', vertexPane: 'markerPane', markerPane: 'markerPane' },
      finishOnEnter: true,
      exitModeOnEscape: true,
    });
    this.hazardForm = this.forms.hazard;
    const form = this.hazardForm;
    this.on('[data-action="draw-hazard"]', 'click', () => {
      if (this.mode === 'draw') this.cancelHazard();
      else this.startDrawing();
    });
    this.on('[data-action="cancel-hazard"]', 'click', () => this.cancelHazard());
    this.on('[data-action="edit-shape"]', 'click', () => this.editShape());
    this.on('[data-action="withdraw-hazard"]', 'click', () => this.withdrawHazard());
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.saveHazard();
    });
    for (const radio of form.querySelectorAll('input[name="severity"]')) {
      radio.addEventListener('change', () => this.syncSeverity());
    }
    map.on('pm:create', (event) => this.onDrawn(event.layer));
    map.on('pm:drawend', () => {
      if (this.mode === 'draw') this.setMode(this.draft ? 'edit' : 'browse');
    });
    const hazards = map.corridorLayers && map.corridorLayers.hazards;
    if (hazards) {
      hazards.on('click', (event) => {
        if (this.mode !== 'browse' && this.mode !== 'edit') return;
        const props = (event.layer && event.layer.feature && event.layer.feature.properties) || {};
        if (props.id != null) this.selectHazard(props.id);
      });
    }
  }

  syncSeverity() {
    const form = this.hazardForm;
    const factor = form.elements.severity.value === 'factor';
    form.querySelector('[data-role="factor-field"]').hidden = !factor;
  }

  removeDraft() {
    if (this.draft) {
      if (this.draft.pm) this.draft.pm.disable();
      this.draftLayer.removeLayer(this.draft);
    }
    this.draft = null;
    this.draftLayer.clearLayers();
  }

  startDrawing() {
    this.removeDraft();
    this.hazard = null;
    this.hazardForm.hidden = true;
    this.clearErrors(this.hazardForm);
    this.root.querySelector('[data-error-for="geometry"]').hidden = true;
    this.root.querySelector('[data-role="hazard-status"]').hidden = true;
    this.setMode('draw');
    const style = styleFor('hazards', { type: 'Feature', properties: {}, geometry: { type: 'Polygon' } });
    this.map.pm.enableDraw('Polygon', {
      snappable: false,
      allowSelfIntersection: true,
      pathOptions: { ...style, pmIgnore: false },
      templineStyle: { color: style.color, pmIgnore: true },
      hintlineStyle: { color: style.color, dashArray: '5 5', pmIgnore: true },
      tooltips: true,
    });
  }

  onDrawn(layer) {
    this.draft = layer;
    layer.options.pmIgnore = false;
    if (!layer.pm) L.PM.reInitLayer(layer);
    if (layer.pm) layer.pm.enable({ allowSelfIntersection: true, snappable: false });
    this.openHazardForm(null);
    // Geoman ends its draw mode right after this event (pm:drawend switches to "edit").
    queueMicrotask(() => {
      if (this.mode === 'draw') this.setMode('edit');
    });
  }

  openHazardForm(hazard) {
    const form = this.hazardForm;
    this.hazard = hazard;
    this.clearErrors(form);
    form.reset();
    const title = form.querySelector('[data-role="hazard-title"]');
    if (hazard) {
      title.textContent = format(this.t.edit_hazard, { name: hazard.name || this.kindLabels[hazard.kind] || this.t.unnamed });
      form.elements.kind.value = hazard.kind;
      form.elements.severity.value = hazard.severity;
      if (hazard.factor != null) form.elements.factor.value = String(hazard.factor);
      form.elements.buffer_m.value = String(hazard.buffer_m);
      form.elements.name.value = hazard.name || '';
      form.elements.valid_until.value = isoToLocal(hazard.valid_until);
    } else {
      title.textContent = this.t.new_hazard;
    }
    form.dataset.hazardId = hazard ? String(hazard.id) : '';
    form.querySelector('[data-action="edit-shape"]').hidden = !hazard;
    form.querySelector('[data-action="withdraw-hazard"]').hidden = !hazard;
    this.syncSeverity();
    form.hidden = false;
    this.root.querySelector('[data-role="hazard-status"]').hidden = true;
  }

  async selectHazard(id) {
    if (this.mode === 'edit' && this.draft && !this.hazard) return; // a new zone is being described
    try {
      const hazard = await this.request('GET', `/hazards/${encodeURIComponent(id)}`);
      this.removeDraft();
      this.openHazardForm(hazard);
      this.setMode('browse');
      this.hazardForm.elements.kind.focus({ preventScroll: true });
    } catch (error) {
      this.hazardForm.hidden = false;
      this.showError(this.hazardForm, error);
    }
  }

  editShape() {
    if (!this.hazard) return;
    this.removeDraft();
    const style = styleFor('hazards', { type: 'Feature', properties: {}, geometry: this.hazard.geometry });
    const shape = L.geoJSON(this.hazard.geometry, {
      pane: 'corridor-routing-draft',
      style: () => ({ ...style, fillOpacity: 0.15, pmIgnore: false }),
      pmIgnore: false,
    });
    const [polygon] = shape.getLayers();
    if (!polygon) return;
    polygon.options.pmIgnore = false;
    if (!polygon.pm) L.PM.reInitLayer(polygon);
    this.draftLayer.addLayer(polygon);
    this.draft = polygon;
    if (polygon.pm) polygon.pm.enable({ allowSelfIntersection: true, snappable: false });
    this.setMode('edit');
  }

  hazardBody() {
    const form = this.hazardForm;
    const severity = form.elements.severity.value;
    const geometry = this.draft ? this.draft.toGeoJSON(8).geometry : this.hazard && this.hazard.geometry;
    const body = {
      geometry,
      kind: form.elements.kind.value,
      severity,
      factor: severity === 'factor' ? Number(form.elements.factor.value) : null,
      buffer_m: form.elements.buffer_m.value === '' ? 0 : Number(form.elements.buffer_m.value),
      name: form.elements.name.value.trim(),
      valid_until: localToIso(form.elements.valid_until.value),
    };
    if (this.hazard) {
      // PUT replaces the whole zone: keep what this form does not show.
      body.valid_from = this.hazard.valid_from;
      body.source = this.hazard.source;
      body.confidence = this.hazard.confidence;
      body.note = this.hazard.note;
    }
    return body;
  }

  async saveHazard() {
    const form = this.hazardForm;
    const geometrySlot = this.root.querySelector('[data-error-for="geometry"]');
    if (!this.draft && !this.hazard) {
      geometrySlot.textContent = this.t.need_shape;
      geometrySlot.hidden = false;
      return;
    }
    this.clearErrors(form);
    geometrySlot.hidden = true;
    this.setBusy(form, true);
    try {
      const body = this.hazardBody();
      const saved = this.hazard
        ? await this.request('PUT', `/hazards/${encodeURIComponent(this.hazard.id)}`, body)
        : await this.request('POST', '/hazards', body);
      this.removeDraft();
      this.hazard = null;
      form.hidden = true;
      this.setMode('browse');
      const status = this.root.querySelector('[data-role="hazard-status"]');
      status.textContent = this.t.hazard_saved;
      status.dataset.hazardId = String(saved.id);
      status.hidden = false;
      await this.refreshLayer('hazards');
      this.root.dataset.lastAction = 'hazard-saved';
    } catch (error) {
      this.showError(form, error, this.root.querySelector('#hazard-tools') || form);
    } finally {
      this.setBusy(form, false);
    }
  }

  async withdrawHazard() {
    if (!this.hazard) return;
    if (!window.confirm(this.t.confirm_withdraw)) return;
    const form = this.hazardForm;
    try {
      await this.request('DELETE', `/hazards/${encodeURIComponent(this.hazard.id)}`);
      this.removeDraft();
      this.hazard = null;
      form.hidden = true;
      this.setMode('browse');
      const status = this.root.querySelector('[data-role="hazard-status"]');
      status.textContent = this.t.hazard_withdrawn;
      status.hidden = false;
      await this.refreshLayer('hazards');
      this.root.dataset.lastAction = 'hazard-withdrawn';
    } catch (error) {
      this.showError(form, error);
    }
  }

  cancelHazard() {
    if (this.map.pm) this.map.pm.disableDraw();
    this.removeDraft();
    this.hazard = null;
    this.hazardForm.hidden = true;
    this.clearErrors(this.hazardForm);
    this.root.querySelector('[data-error-for="geometry"]').hidden = true;
    this.setMode('browse');
  }
}

/** Wire every [data-routing-map] inside root once its map has loaded its layers. */
export function initRoutingMaps(root = document) {
  const found = [];
  if (root instanceof Element && root.matches('[data-routing-map]')) found.push(root);
  if (root.querySelectorAll) found.push(...root.querySelectorAll('[data-routing-map]'));
  for (const el of found) {
    if (el.dataset.routingState) continue;
    const container = el.querySelector('.corridor-map');
    if (!container) continue;
    el.dataset.routingState = 'loading';
    const map = maps.find((m) => m.getContainer() === container) || initMaps(container)[0];
    if (!map) {
      el.dataset.routingState = 'error';
      continue;
    }
    const start = () => {
      try {
        new RoutingMap(el, container, map).start();
      } catch (error) {
        el.dataset.routingState = 'error';
        console.error('corridor routing map: could not initialise', error);
      }
    };
    if (container.dataset.mapState === 'ready') start();
    else container.addEventListener('corridor:map-ready', start, { once: true });
  }
}

/** Initialise on page load and after htmx swaps (after map.js's own hooks). */
export function installRoutingHooks() {
  const initAll = () => initRoutingMaps(document);
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', initAll);
  } else {
    initAll();
  }
  document.addEventListener('htmx:afterSwap', initAll);
}
