// Checkpoint tally screen for phones, usable without a connection.
//
// Initialised on [data-tally] (the page /operations/{slug}/checkpoints/{id}/tally,
// template crossings/templates/crossings/tally.html). Everything comes from
// data-* attributes and <script type="application/json"> blocks (no inline
// script: the Content-Security-Policy forbids it):
//
//   data-api              /api/v1/operations/{slug}/crossings
//   data-csrf-token       the session's CSRF token, sent as X-CSRF-Token
//   data-checkpoint-id    the checkpoint counted at
//   data-storage-key      where the taps are kept (per operation, checkpoint and user)
//   data-service-worker   the service worker script (/tally-sw.js)
//
// How taps become records. Each tap is written to localStorage before anything
// else happens. This browser keeps one headcount record per hour (UTC),
// direction and means, with an id it makes itself (a UUID); a tap adds one to a
// field of the record of the current hour, direction and means, and "undo"
// takes the last tap off again. The whole record is sent to the JSON sync: the
// server answers "created" (version 1), "updated" (the edit named the version
// it was based on) or "duplicate" (it already holds exactly this content: an
// earlier send arrived but its answer was lost). A record is pending while its
// content differs from what the server last acknowledged, so sending again is
// always safe and every tap is counted once. A "conflict" on one of our own ids
// means the server stored an earlier send of ours whose answer was lost: its
// version becomes the base and the record is sent again (this browser is the
// only writer of its records, so its content is the truth). "invalid" records
// are shown with the server's errors and not sent again until they change.
//
// For tests: the root gets data-tally-state="ready" once wired and
// data-offline-ready="true" once the service worker controls the page; the
// status element carries data-sync-state (synced, pending, sending, offline,
// signin, refused) and data-pending (changes waiting to be sent).

import { format, readJson } from './page_data.js';

const COUNT_FIELDS = [
  'female_0_4',
  'female_5_17',
  'female_18_59',
  'female_60_plus',
  'male_0_4',
  'male_5_17',
  'male_18_59',
  'male_60_plus',
];
const FLAG_FIELDS = ['unaccompanied_children', 'injured', 'disabled', 'pregnant'];
const FIELDS = [...COUNT_FIELDS, ...FLAG_FIELDS];
const SLOT_MINUTES = 60;
const MAX_BATCH = 500;
const MAX_TAPS = 1000; // the undo history kept
const KEEP_SENT_MS = 48 * 3600 * 1000; // acknowledged records of older slots are dropped
const SEND_DELAY_MS = 1500; // taps in quick succession go in one request
const RETRY_DELAYS_MS = [3000, 5000, 10000, 20000, 30000, 60000];
const DEVICE_KEY = 'corridor.tally.device';

/** A random (version 4) UUID, also where crypto.randomUUID is missing (plain http). */
export function uuid4() {
  if (window.crypto && typeof window.crypto.randomUUID === 'function') return window.crypto.randomUUID();
  const bytes = window.crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function isoSeconds(date) {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The start of the current slot: the hour in UTC. */
export function slotStart(now = new Date()) {
  const start = new Date(now.getTime());
  start.setUTCMinutes(0, 0, 0);
  return isoSeconds(start);
}

function zeros() {
  return Object.fromEntries(FIELDS.map((name) => [name, 0]));
}

function total(counts) {
  return COUNT_FIELDS.reduce((sum, name) => sum + (counts[name] || 0), 0);
}

function sameCounts(a, b) {
  return Boolean(a && b) && FIELDS.every((name) => (a[name] || 0) === (b[name] || 0));
}

/** How many single changes separate the counts from what the server acknowledged. */
function distance(counts, acked) {
  return FIELDS.reduce((sum, name) => sum + Math.abs((counts[name] || 0) - ((acked && acked[name]) || 0)), 0);
}

/** The flags may never exceed the people they are among (the server checks the same). */
export function flagAllowed(counts, flag) {
  const next = { ...counts, [flag]: (counts[flag] || 0) + 1 };
  const children = COUNT_FIELDS.filter((n) => n.endsWith('0_4') || n.endsWith('5_17')).reduce(
    (sum, n) => sum + (next[n] || 0),
    0,
  );
  const women = COUNT_FIELDS.filter((n) => n.startsWith('female')).reduce((sum, n) => sum + (next[n] || 0), 0);
  if (flag === 'unaccompanied_children') return next[flag] <= children;
  if (flag === 'pregnant') return next[flag] <= women;
  return next[flag] <= total(next);
}

class Tally {
  constructor(root) {
    this.root = root;
    this.api = root.dataset.api || '';
    this.csrf = root.dataset.csrfToken || '';
    this.checkpointId = Number(root.dataset.checkpointId);
    this.key = root.dataset.storageKey || `corridor.tally.v1:${window.location.pathname}`;
    this.t = readJson(root, 'script[data-tally-messages]');
    this.labels = readJson(root, 'script[data-tally-labels]');
    this.status = root.querySelector('[data-role="status"]');
    this.message = root.querySelector('[data-role="message"]');
    this.summary = root.querySelector('[data-role="summary"]');
    this.errors = root.querySelector('[data-role="errors"]');
    this.offlineNote = root.querySelector('[data-role="offline-note"]');
    this.lang = document.documentElement.lang || undefined;
    this.network = 'idle'; // idle | sending | offline | signin
    this.busy = false;
    this.again = false;
    this.timer = null;
    this.failures = 0;
    this.storageOk = true;
    this.deviceId = this.loadDeviceId();
    this.state = this.load();
  }

  // -------------------------------------------------------------- storage

  loadDeviceId() {
    try {
      let id = window.localStorage.getItem(DEVICE_KEY);
      if (!id) {
        id = uuid4();
        window.localStorage.setItem(DEVICE_KEY, id);
      }
      return id;
    } catch (error) {
      return uuid4();
    }
  }

  load() {
    let state = null;
    try {
      state = JSON.parse(window.localStorage.getItem(this.key) || 'null');
    } catch (error) {
      console.warn('corridor tally: unreadable stored taps', error);
    }
    if (!state || typeof state !== 'object' || !Array.isArray(state.records)) {
      state = { records: [], taps: [] };
    }
    if (!Array.isArray(state.taps)) state.taps = [];
    state.direction = state.direction || 'outbound';
    state.means = state.means || 'foot';
    return state;
  }

  save() {
    try {
      window.localStorage.setItem(this.key, JSON.stringify(this.state));
      this.storageOk = true;
    } catch (error) {
      this.storageOk = false;
    }
  }

  /** Acknowledged records of slots long past are no longer needed on this device. */
  prune() {
    const now = Date.now();
    const keep = this.state.records.filter(
      (r) => !(sameCounts(r.counts, r.acked) && now - Date.parse(r.slot_start) > KEEP_SENT_MS),
    );
    if (keep.length === this.state.records.length) return;
    const ids = new Set(keep.map((r) => r.id));
    this.state.records = keep;
    this.state.taps = this.state.taps.filter((tap) => ids.has(tap.id));
    this.save();
  }

  find(id) {
    return this.state.records.find((r) => r.id === id) || null;
  }

  current(create = false) {
    const slot = slotStart();
    const { direction, means } = this.state;
    let record = this.state.records.find(
      (r) => r.slot_start === slot && r.direction === direction && r.means === means,
    );
    if (!record && create) {
      record = {
        id: uuid4(),
        slot_start: slot,
        direction,
        means,
        recorded_at: isoSeconds(new Date()),
        counts: zeros(),
        version: null, // the version the server last acknowledged
        acked: null, // the counts the server last acknowledged
        sent: false, // sent at least once: the server may hold it
        refused: null, // {counts, errors}: the server's answer "invalid"
      };
      this.state.records.push(record);
    }
    return record;
  }

  isDue(record) {
    if (sameCounts(record.counts, record.acked)) return false;
    return !(record.refused && sameCounts(record.refused.counts, record.counts));
  }

  pending() {
    return this.state.records.reduce((sum, r) => sum + distance(r.counts, r.acked), 0);
  }

  // ---------------------------------------------------------------- taps

  label(field) {
    if (FLAG_FIELDS.includes(field)) return (this.labels.flag || {})[field] || field;
    const [sex, ...band] = field.split('_');
    return `${(this.labels.sex || {})[sex] || sex} ${(this.labels.band || {})[band.join('_')] || band.join('_')}`;
  }

  tap(field) {
    const existing = this.current(false);
    const counts = existing ? existing.counts : zeros();
    if (FLAG_FIELDS.includes(field) && !flagAllowed(counts, field)) {
      this.say(format(this.t.flag_needs_person, { what: this.label(field) }));
      return;
    }
    const record = this.current(true);
    record.counts[field] = (record.counts[field] || 0) + 1;
    this.state.taps.push({ id: record.id, field });
    if (this.state.taps.length > MAX_TAPS) this.state.taps.splice(0, this.state.taps.length - MAX_TAPS);
    this.save(); // first: a tap is kept before anything else happens
    this.say(format(this.t.added, { what: this.label(field), count: record.counts[field] }));
    this.render();
    this.scheduleSend(SEND_DELAY_MS);
  }

  undo() {
    const tap = this.state.taps[this.state.taps.length - 1];
    const record = tap && this.find(tap.id);
    if (!tap || !record || !(record.counts[tap.field] > 0)) {
      if (tap) this.state.taps.pop();
      this.say(this.t.nothing_to_undo);
      this.render();
      return;
    }
    const next = { ...record.counts, [tap.field]: record.counts[tap.field] - 1 };
    if (total(next) === 0) {
      // A record cannot be emptied on the server: only one it never saw can go.
      if (record.sent || record.acked) {
        this.say(this.t.cannot_undo);
        return;
      }
      this.state.records = this.state.records.filter((r) => r !== record);
    } else {
      record.counts = next;
    }
    this.state.taps.pop();
    this.save();
    this.say(format(this.t.undone, { what: this.label(tap.field) }));
    this.render();
    this.scheduleSend(SEND_DELAY_MS);
  }

  say(text) {
    if (this.message) this.message.textContent = text || '';
  }

  // ---------------------------------------------------------------- sync

  scheduleSend(delay) {
    if (this.timer) window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => {
      this.timer = null;
      this.send();
    }, delay);
  }

  retryLater() {
    const delay = RETRY_DELAYS_MS[Math.min(this.failures, RETRY_DELAYS_MS.length - 1)];
    this.failures += 1;
    this.scheduleSend(delay);
  }

  payload(record) {
    const body = {
      id: record.id,
      checkpoint_id: this.checkpointId,
      slot_start: record.slot_start,
      slot_minutes: SLOT_MINUTES,
      direction: record.direction,
      means: record.means,
      recorded_at: record.recorded_at,
      device_id: `web:${this.deviceId}`,
      ...Object.fromEntries(FIELDS.map((name) => [name, record.counts[name] || 0])),
    };
    if (record.version !== null && record.version !== undefined) body.base_version = record.version;
    return body;
  }

  async post(records) {
    return fetch(`${this.api}/sync`, {
      method: 'POST',
      credentials: 'same-origin',
      cache: 'no-store',
      headers: {
        Accept: 'application/json, application/problem+json',
        'Content-Type': 'application/json',
        'X-CSRF-Token': this.csrf,
      },
      body: JSON.stringify({ records: records.map((r) => this.payload(r)) }),
    });
  }

  /** A page kept by the service worker may hold an old token: take the current one. */
  async refreshToken() {
    try {
      const response = await fetch(window.location.pathname, {
        credentials: 'same-origin',
        cache: 'no-store',
        headers: { Accept: 'text/html' },
      });
      if (!response.ok || response.redirected) return false;
      const html = await response.text();
      const doc = new DOMParser().parseFromString(html, 'text/html');
      const root = doc.querySelector('[data-tally]');
      if (!root || !root.dataset.csrfToken) return false;
      this.csrf = root.dataset.csrfToken;
      return true;
    } catch (error) {
      return false;
    }
  }

  /** Send every pending record; keep each until the server has acknowledged it. */
  async send() {
    if (this.busy) {
      this.again = true;
      return;
    }
    if (this.timer) {
      window.clearTimeout(this.timer);
      this.timer = null;
    }
    const due = this.state.records.filter((r) => this.isDue(r)).slice(0, MAX_BATCH);
    if (!due.length) {
      this.network = 'idle';
      this.render();
      return;
    }
    this.busy = true;
    this.again = false;
    this.network = 'sending';
    const snapshots = new Map(due.map((r) => [r.id, { ...r.counts }]));
    const wasSent = new Map(due.map((r) => [r.id, r.sent]));
    for (const record of due) record.sent = true;
    this.save();
    this.render();
    let retry = false;
    let repeat = false;
    try {
      let response = await this.post(due);
      if (response.status === 403 && (await this.refreshToken())) response = await this.post(due);
      if (response.status === 401 || response.status === 403) {
        this.network = 'signin';
        retry = true;
      } else if (!response.ok) {
        this.network = 'offline'; // a server error or a proxy's: try again later
        retry = true;
      } else {
        const data = await response.json();
        repeat = this.apply(data.results || [], snapshots);
        this.network = 'idle';
        this.failures = 0;
      }
    } catch (error) {
      // No answer. When the device knows it is offline nothing went out.
      if (navigator.onLine === false) {
        for (const record of due) record.sent = wasSent.get(record.id) || false;
      }
      this.network = 'offline';
      retry = true;
    } finally {
      this.busy = false;
    }
    this.save();
    this.render();
    if (retry) {
      this.retryLater();
    } else if (repeat || this.again || this.state.records.some((r) => this.isDue(r))) {
      this.again = false;
      this.scheduleSend(0);
    }
  }

  /** Record the server's answers; true when some records must be sent again now. */
  apply(results, snapshots) {
    let repeat = false;
    for (const result of results) {
      const record = this.find(result.id);
      const sent = snapshots.get(result.id);
      if (!record || !sent) continue;
      if (['created', 'updated', 'duplicate'].includes(result.status)) {
        record.version = result.version;
        record.acked = sent;
        record.refused = null;
        record.conflicts = 0;
      } else if (
        result.status === 'conflict' &&
        result.conflict_id === record.id &&
        typeof result.version === 'number' &&
        (record.conflicts || 0) < 3
      ) {
        // The server stored an earlier send of ours whose answer was lost.
        record.version = result.version;
        record.conflicts = (record.conflicts || 0) + 1;
        repeat = true;
      } else {
        const errors = result.errors && result.errors.length
          ? result.errors
          : [{ field: 'id', message: result.status }];
        record.refused = { counts: sent, errors };
      }
    }
    return repeat;
  }

  // -------------------------------------------------------------- display

  syncState(pending) {
    if (this.network === 'sending') return 'sending';
    if (this.state.records.some((r) => r.refused && sameCounts(r.refused.counts, r.counts))) return 'refused';
    if (!pending) return 'synced';
    if (this.network === 'offline' || this.network === 'signin') return this.network;
    return 'pending';
  }

  render() {
    const record = this.current(false);
    const counts = record ? record.counts : zeros();
    for (const slot of this.root.querySelectorAll('[data-count-for]')) {
      slot.textContent = String(counts[slot.dataset.countFor] || 0);
    }
    for (const button of this.root.querySelectorAll('.tally-flag[data-field]')) {
      const allowed = flagAllowed(counts, button.dataset.field);
      button.setAttribute('aria-disabled', allowed ? 'false' : 'true');
    }
    for (const input of this.root.querySelectorAll('input[name="tally-direction"]')) {
      input.checked = input.value === this.state.direction;
    }
    for (const input of this.root.querySelectorAll('input[name="tally-means"]')) {
      input.checked = input.value === this.state.means;
    }
    const undo = this.root.querySelector('[data-action="undo"]');
    if (undo) undo.disabled = this.state.taps.length === 0;

    if (this.summary) {
      this.summary.textContent = format(this.t.summary, {
        direction: (this.labels.direction || {})[this.state.direction] || this.state.direction,
        means: (this.labels.means || {})[this.state.means] || this.state.means,
        count: total(counts),
      });
    }

    const pending = this.pending();
    const state = this.syncState(pending);
    if (this.status) {
      this.status.dataset.syncState = state;
      this.status.dataset.pending = String(pending);
      const text = state === 'synced' ? this.t.synced : this.t[state] || this.t.pending;
      this.status.textContent = format(text, { count: pending });
    }
    const signin = this.root.querySelector('[data-role="signin"]');
    if (signin) signin.hidden = state !== 'signin';
    if (!this.storageOk) this.say(this.t.no_storage);
    this.renderErrors();
  }

  renderErrors() {
    if (!this.errors) return;
    const refused = this.state.records.filter((r) => r.refused && sameCounts(r.refused.counts, r.counts));
    this.errors.replaceChildren();
    this.errors.hidden = refused.length === 0;
    let timeFormat;
    try {
      timeFormat = new Intl.DateTimeFormat(this.lang, { dateStyle: 'short', timeStyle: 'short' });
    } catch (error) {
      timeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'short', timeStyle: 'short' });
    }
    for (const record of refused) {
      const item = document.createElement('div');
      item.className = 'tally-refused';
      item.dataset.recordId = record.id;
      const title = document.createElement('p');
      title.textContent = format(this.t.refused_record, {
        time: timeFormat.format(new Date(record.slot_start)),
        direction: (this.labels.direction || {})[record.direction] || record.direction,
        means: (this.labels.means || {})[record.means] || record.means,
      });
      const list = document.createElement('ul');
      for (const problem of record.refused.errors) {
        const entry = document.createElement('li');
        entry.textContent = `${problem.field}: ${problem.message}`;
        list.append(entry);
      }
      item.append(title, list);
      this.errors.append(item);
    }
  }

  // ------------------------------------------------------ service worker

  async keepOffline() {
    const root = this.root;
    const note = (text) => {
      if (this.offlineNote) this.offlineNote.textContent = text || '';
    };
    if (!('serviceWorker' in navigator) || !window.isSecureContext || !root.dataset.serviceWorker) {
      root.dataset.offlineReady = 'false';
      note(this.t.offline_unavailable);
      return;
    }
    const container = navigator.serviceWorker;
    try {
      const scope = window.location.pathname;
      const registration =
        (await container.getRegistration(scope)) ||
        (await container.register(root.dataset.serviceWorker, { scope, updateViaCache: 'none' }));
      if (registration.scope !== new URL(scope, window.location.href).href) {
        await container.register(root.dataset.serviceWorker, { scope, updateViaCache: 'none' });
      }
      if (!container.controller) {
        await new Promise((resolve) => container.addEventListener('controllerchange', resolve, { once: true }));
      }
      root.dataset.offlineReady = 'true';
      note(this.t.offline_ready);
    } catch (error) {
      console.warn('corridor tally: the page cannot be kept for offline use', error);
      root.dataset.offlineReady = 'false';
      note(this.t.offline_unavailable);
    }
  }

  // ---------------------------------------------------------------- wiring

  start() {
    const root = this.root;
    this.prune();
    for (const button of root.querySelectorAll('.tally-button[data-field]')) {
      button.addEventListener('click', () => this.tap(button.dataset.field));
      button.disabled = false;
    }
    for (const input of root.querySelectorAll('input[name="tally-direction"], input[name="tally-means"]')) {
      input.addEventListener('change', () => {
        if (!input.checked) return;
        if (input.name === 'tally-direction') this.state.direction = input.value;
        else this.state.means = input.value;
        this.save();
        this.render();
      });
    }
    const undo = root.querySelector('[data-action="undo"]');
    if (undo) undo.addEventListener('click', () => this.undo());
    const send = root.querySelector('[data-action="send"]');
    if (send) {
      send.disabled = false;
      send.addEventListener('click', () => {
        this.failures = 0;
        this.send();
      });
    }
    window.addEventListener('online', () => {
      this.failures = 0;
      this.send();
    });
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') this.send();
    });
    // Another tab of the same tally: take its taps.
    window.addEventListener('storage', (event) => {
      if (event.key !== this.key) return;
      this.state = this.load();
      this.render();
    });
    // The hour changes: show the new slot's counts.
    window.setInterval(() => this.render(), 30000);
    this.render();
    root.dataset.tallyState = 'ready';
    this.send();
    this.keepOffline();
  }
}

export function initTallies(scope = document) {
  for (const root of scope.querySelectorAll('[data-tally]')) {
    if (root.corridorTally) continue;
    try {
      root.corridorTally = new Tally(root);
      root.corridorTally.start();
    } catch (error) {
      root.dataset.tallyState = 'error';
      console.error('corridor tally: could not initialise', error);
    }
  }
}

export function installTallyHooks() {
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', () => initTallies(document));
  } else {
    initTallies(document);
  }
}
