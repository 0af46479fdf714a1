// The certificate verification page (/verify): a checkpoint officer opens it
// once while online; from then on it verifies certificates in the browser
// alone, the server may be gone.
//
// Initialised on [data-verify] (template amnesty/templates/amnesty/verify.html).
// Everything comes from the page: data-* attributes and the JSON block of
// translated messages (no inline script: the Content-Security-Policy forbids it).
//
//   data-service-worker   the service worker script (/verify-sw.js)
//   ?operation=SLUG       in the page's address: fetch that operation's trust
//                         list (/trust/SLUG/trust-list.json) when the server
//                         can be reached, and keep it on the device
//
// The trust list in use is kept in localStorage (per operation, or one for
// lists loaded from a file) and checked again, signature included, every time
// the page opens: nothing read from storage is trusted as such.
//
// For tests and tools: the root gets data-verify-state="ready" once wired and
// data-offline-ready="true" once the service worker controls the page; the
// trust list section data-trust-state (none, loaded, error) and data-root (the
// root key fingerprint); the result data-verdict (valid, expired,
// not_yet_valid, revoked, unknown_signer, bad_signature, malformed: the words
// of `corridor cert verify --json`; empty when there is none) and data-checks
// (how many verifications have finished).

import { format, readJson } from '../page_data.js';
import { fromB64url, toB64url } from './b64.js';
import { ed25519Available } from './ed25519.js';
import { NotAnImage, readQrCode } from './qr_image.js';
import { isStale, loadTrustList, MAX_BYTES, TrustListError } from './trust_list.js';
import { verifyCertificate } from './verifier.js';

const STORAGE_KEY = 'corridor.verify.trust-list.v1';
const SLUG = /^[a-z0-9][a-z0-9-]{1,62}$/;
const SIGNED_VERDICTS = new Set(['valid', 'expired', 'not_yet_valid', 'revoked']);

/** "2026-12-02 10:00 UTC": a moment as the site writes one. */
function utc(ms) {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function operationFromUrl() {
  const slug = new URLSearchParams(window.location.search).get('operation');
  return slug && SLUG.test(slug) ? slug : null;
}

class VerifyPage {
  constructor(root) {
    this.root = root;
    this.t = readJson(root, 'script[data-verify-messages]');
    this.operation = operationFromUrl();
    this.storageKey = this.operation ? `${STORAGE_KEY}:${this.operation}` : STORAGE_KEY;
    this.trust = null; // {list, source, at}
    this.queue = Promise.resolve(); // one verification at a time, in order
    this.checks = 0;
    const find = (role) => root.querySelector(`[data-role="${role}"]`);
    this.el = {
      offlineNote: find('offline-note'),
      unsupported: find('unsupported'),
      trust: find('trust'),
      trustStatus: find('trust-status'),
      trustFacts: find('trust-facts'),
      trustStale: find('trust-stale'),
      trustError: find('trust-error'),
      trustFile: find('trust-file'),
      photo: find('photo'),
      text: find('text'),
      verifyText: root.querySelector('[data-action="verify-text"]'),
      result: find('result'),
      verdict: find('verdict'),
      explanation: find('explanation'),
      holder: find('holder'),
      detail: find('detail'),
      message: find('message'),
    };
  }

  /** A translated message; the values put in are isolated (FSI ... PDI), so that a
   * date or a technical detail keeps its own direction inside an Arabic sentence. */
  msg(key, values = {}) {
    const isolated = Object.fromEntries(Object.entries(values).map(([name, value]) => [name, `\u2068${value}\u2069`]));
    return format(this.t[key] || key, isolated);
  }

  field(container, name, value) {
    const element = container.querySelector(`[data-field="${name}"]`);
    if (!element) return;
    element.textContent = value || '';
    const row = element.closest('[data-row]');
    if (row) row.hidden = !value;
  }

  async start() {
    this.el.trustFile.addEventListener('change', () => this.fromTrustFile());
    this.el.photo.addEventListener('change', () => this.fromPhoto());
    this.el.verifyText.addEventListener('click', () => this.fromText());
    this.el.text.addEventListener('keydown', (event) => {
      // A QR text has no line breaks: Enter verifies (as a scanner typing the code ends with it).
      if (event.key === 'Enter' && !event.shiftKey) {
        event.preventDefault();
        this.fromText();
      }
    });
    if (!(await ed25519Available())) {
      this.el.unsupported.hidden = false;
      for (const input of [this.el.trustFile, this.el.photo, this.el.text, this.el.verifyText]) input.disabled = true;
    }
    await this.loadKept();
    this.showTrust();
    this.root.dataset.verifyState = 'ready';
    this.keepOffline();
    if (this.operation) this.fetchTrustList();
  }

  // ------------------------------------------------------------ trust list

  store(bytes, source, at) {
    try {
      window.localStorage.setItem(this.storageKey, JSON.stringify({ data: toB64url(bytes), source, at }));
      return true;
    } catch (error) {
      return false; // storage off or full: the list is used until the page closes
    }
  }

  async loadKept() {
    let kept;
    try {
      kept = JSON.parse(window.localStorage.getItem(this.storageKey) || 'null');
    } catch (error) {
      kept = null;
    }
    if (!kept || typeof kept.data !== 'string') return;
    try {
      const list = await loadTrustList(fromB64url(kept.data));
      this.trust = { list, source: kept.source === 'server' ? 'kept_server' : 'kept_file', at: kept.at };
    } catch (error) {
      // Altered in storage, or from an older format: not used.
      try {
        window.localStorage.removeItem(this.storageKey);
      } catch (ignored) {
        // nothing more to do
      }
    }
  }

  /** Use a trust list that verified; `bytes` are kept on the device. */
  adopt(list, bytes, source) {
    const at = Date.now();
    const kept = this.store(bytes, source === 'server' ? 'server' : 'file', at);
    this.trust = { list, source, at, kept };
    this.showTrust();
    this.clearResult();
  }

  refuse(error) {
    const reason = error instanceof TrustListError ? this.msg(`trust_${error.code}`) : this.msg('trust_unreadable');
    this.el.trust.dataset.trustState = this.trust ? 'loaded' : 'error';
    this.el.trustError.textContent = this.msg(this.trust ? 'trust_refused_kept' : 'trust_refused', { reason });
    this.el.trustError.hidden = false;
    this.el.trust.dataset.trustError = error instanceof TrustListError ? error.code : 'unreadable';
  }

  async fromTrustFile() {
    const file = this.el.trustFile.files && this.el.trustFile.files[0];
    if (!file) return;
    let bytes;
    try {
      if (file.size > MAX_BYTES) throw new TrustListError('too_large', 'larger than any trust list');
      bytes = new Uint8Array(await file.arrayBuffer());
      this.adopt(await loadTrustList(bytes), bytes, 'file');
    } catch (error) {
      this.refuse(error);
    } finally {
      this.el.trustFile.value = '';
    }
  }

  async fetchTrustList() {
    const url = `/trust/${encodeURIComponent(this.operation)}/trust-list.json`;
    this.el.trustStatus.textContent = this.msg('trust_fetching');
    let bytes;
    try {
      const response = await fetch(url, { cache: 'no-store', credentials: 'omit' });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      bytes = new Uint8Array(await response.arrayBuffer());
    } catch (error) {
      this.showTrust(this.msg(this.trust ? 'trust_fetch_failed_kept' : 'trust_fetch_failed'));
      return;
    }
    try {
      const list = await loadTrustList(bytes);
      if (this.trust && list.issuedAt < this.trust.list.issuedAt) {
        this.showTrust(); // the one kept is newer (loaded from a file meanwhile)
        return;
      }
      this.adopt(list, bytes, 'server');
    } catch (error) {
      this.showTrust();
      this.refuse(error);
    }
  }

  showTrust(note) {
    const { trust } = this;
    const facts = this.el.trustFacts;
    this.el.trustError.hidden = true;
    this.el.trustError.textContent = '';
    delete this.el.trust.dataset.trustError;
    if (!trust) {
      this.el.trust.dataset.trustState = 'none';
      delete this.el.trust.dataset.root;
      facts.hidden = true;
      this.el.trustStale.hidden = true;
      this.el.trustStatus.textContent = note || this.msg(this.operation ? 'trust_none_operation' : 'trust_none');
      return;
    }
    const { list } = trust;
    this.el.trust.dataset.trustState = 'loaded';
    this.el.trust.dataset.root = list.rootThumbprint;
    this.el.trust.dataset.issuedAt = String(list.issuedAt);
    facts.hidden = false;
    this.field(facts, 'operation', list.operation);
    this.field(facts, 'root', list.rootThumbprint);
    this.field(facts, 'issued-at', utc(list.issuedAt));
    this.field(facts, 'next-update', utc(list.nextUpdate));
    this.field(facts, 'keys', String(list.keys.length));
    this.field(facts, 'revoked', String(list.revoked.size));
    const source = {
      file: 'trust_source_file',
      server: 'trust_source_server',
      kept_file: 'trust_source_kept',
      kept_server: 'trust_source_kept_server',
    }[trust.source];
    let status = this.msg(source, { time: trust.at ? utc(trust.at) : '' });
    if (trust.kept === false) status += ` ${this.msg('trust_not_kept')}`;
    this.el.trustStatus.textContent = note ? `${status} ${note}` : status;
    const stale = isStale(list, Date.now());
    this.el.trust.dataset.stale = String(stale);
    this.el.trustStale.hidden = !stale;
    this.el.trustStale.textContent = stale ? this.msg('trust_stale', { time: utc(list.nextUpdate) }) : '';
  }

  // ---------------------------------------------------------- certificates

  clearResult() {
    const { result } = this.el;
    result.dataset.verdict = '';
    result.hidden = true;
    this.el.holder.hidden = true;
  }

  enqueue(task) {
    const guarded = async () => {
      try {
        await task();
      } catch (error) {
        console.error('corridor verify: the check failed', error);
        this.notice('unexpected');
      }
    };
    this.queue = this.queue.then(guarded);
    return this.queue;
  }

  fromPhoto() {
    const file = this.el.photo.files && this.el.photo.files[0];
    if (!file) return;
    this.enqueue(async () => {
      this.busy('reading_photo');
      try {
        if (!this.trust) return this.notice('no_trust_list');
        let text;
        try {
          text = await readQrCode(file);
        } catch (error) {
          if (!(error instanceof NotAnImage)) console.warn('corridor verify: the photo cannot be read', error);
          return this.notice('not_an_image');
        }
        if (text === null) {
          // As the command line: no code in the image is the verdict "malformed".
          return this.show({ verdict: 'malformed', detail: 'no QR code found in the image' }, 'photo');
        }
        return this.show(await verifyCertificate(this.trust.list, text), 'photo');
      } finally {
        this.el.photo.value = '';
      }
    });
  }

  fromText() {
    const text = this.el.text.value;
    this.enqueue(async () => {
      this.busy('checking');
      if (!this.trust) return this.notice('no_trust_list');
      if (!text.trim()) return this.notice('empty_text');
      return this.show(await verifyCertificate(this.trust.list, text), 'text');
    });
  }

  busy(key) {
    this.el.message.textContent = this.msg(key);
    this.root.dataset.busy = 'true';
  }

  /** A message instead of a verdict (nothing was verified). */
  notice(key) {
    this.clearResult();
    this.el.message.textContent = this.msg(key);
    this.finish('');
  }

  finish(source) {
    this.checks += 1;
    this.el.result.dataset.checks = String(this.checks);
    this.el.result.dataset.source = source;
    this.root.dataset.busy = 'false';
  }

  show(result, source) {
    const { el } = this;
    const { verdict, claims } = result;
    el.message.textContent = '';
    el.result.hidden = false;
    el.result.dataset.verdict = verdict;
    el.verdict.dataset.verdict = verdict;
    el.verdict.textContent = this.msg(`verdict_${verdict}`);
    const dates = claims ? { since: utc(claims.validFrom * 1000), until: utc(claims.validUntil * 1000) } : {};
    el.explanation.textContent = this.msg(`explain_${verdict}`, dates);
    el.detail.textContent = result.detail ? this.msg('technical_detail', { detail: result.detail }) : '';
    const signed = Boolean(claims) && SIGNED_VERDICTS.has(verdict);
    el.holder.hidden = !signed;
    if (signed) {
      const { signer } = result;
      this.field(el.holder, 'type', this.msg(`kind_${claims.kind}`));
      this.field(el.holder, 'name-arabic', claims.nameArabic);
      this.field(el.holder, 'name-latin', claims.nameLatin);
      this.field(el.holder, 'birth-date', claims.birthDate);
      this.field(el.holder, 'valid-from', dates.since);
      this.field(el.holder, 'valid-until', dates.until);
      this.field(el.holder, 'issuer', signer && signer.name ? `${signer.name} (${claims.issuer})` : claims.issuer);
      this.field(el.holder, 'certificate-id', result.certificateId);
      this.field(el.holder, 'photo-hash', claims.photoHash ? this.msg('photo_printed') : '');
    } else {
      for (const element of el.holder.querySelectorAll('[data-field]')) element.textContent = '';
    }
    this.finish(source);
    // On a phone the verdict is below the inputs: bring it into view.
    if (typeof el.result.scrollIntoView === 'function') el.result.scrollIntoView({ block: 'nearest' });
  }

  // ---------------------------------------------------------- offline use

  async keepOffline() {
    const { root } = this;
    const note = (key) => {
      if (this.el.offlineNote) this.el.offlineNote.textContent = this.msg(key);
    };
    if (!('serviceWorker' in navigator) || !window.isSecureContext || !root.dataset.serviceWorker) {
      root.dataset.offlineReady = 'false';
      note('offline_unavailable');
      return;
    }
    const container = navigator.serviceWorker;
    const scope = window.location.pathname;
    try {
      const registration = await container.register(root.dataset.serviceWorker, { scope, updateViaCache: 'none' });
      if (!container.controller) {
        await new Promise((resolve) => {
          container.addEventListener('controllerchange', resolve, { once: true });
          if (registration.active && !container.controller) registration.active.postMessage('claim');
        });
      }
      root.dataset.offlineReady = 'true';
      note('offline_ready');
    } catch (error) {
      console.warn('corridor verify: the page cannot be kept for offline use', error);
      root.dataset.offlineReady = 'false';
      note('offline_unavailable');
    }
  }
}

/** Wire every [data-verify] of the page once the document is parsed. */
export function installVerifyPage() {
  const start = () => {
    for (const root of document.querySelectorAll('[data-verify]')) {
      if (root.dataset.verifyState === 'ready') continue;
      new VerifyPage(root).start().catch((error) => {
        console.error('corridor verify: the page could not start', error);
        root.dataset.verifyState = 'failed';
      });
    }
  };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
}
