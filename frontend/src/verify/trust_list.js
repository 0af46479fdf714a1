// The trust list a checkpoint downloads, read and checked as
// src/corridor/amnesty/trust_list.py `load` does: a JWS in the flattened JSON
// serialization signed with EdDSA by the root key in its protected header;
// nothing in it is used before that signature verifies. What makes the root
// trusted is its fingerprint (RFC 7638 thumbprint), shown to the officer.

import { Base64Error, fromB64url, toB64url } from './b64.js';
import { verifyLikeOpenssl } from './ed25519.js';
import { parseAwareIso } from './isotime.js';

export const MAX_BYTES = 8 * 1024 * 1024;

/** `code` names the check that failed (for the page's messages). */
export class TrustListError extends Error {
  constructor(code, message) {
    super(message);
    this.name = 'TrustListError';
    this.code = code;
  }
}

function isDict(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function member(object, name) {
  if (!isDict(object)) throw new TypeError(`not an object (looking for ${name})`);
  if (!Object.prototype.hasOwnProperty.call(object, name)) throw new TypeError(`no ${name}`);
  return object[name];
}

function optional(object, name, fallback) {
  return Object.prototype.hasOwnProperty.call(object, name) ? object[name] : fallback;
}

/** json.loads of bytes: the encoding as Python detects it (UTF-8, with or without BOM, or UTF-16). */
function pythonJson(bytes) {
  let encoding = 'utf-8';
  let start = 0;
  const [b0, b1, b2, b3] = bytes;
  if ((b0 === 0 && b1 === 0 && b2 === 0xfe && b3 === 0xff) || (b0 === 0xff && b1 === 0xfe && b2 === 0 && b3 === 0)) {
    throw new TypeError('UTF-32 is not read here');
  } else if (b0 === 0xfe && b1 === 0xff) {
    encoding = 'utf-16be';
    start = 2;
  } else if (b0 === 0xff && b1 === 0xfe) {
    encoding = 'utf-16le';
    start = 2;
  } else if (b0 === 0xef && b1 === 0xbb && b2 === 0xbf) {
    start = 3;
  } else if (bytes.length >= 4) {
    if (!b0) {
      if (!b1) throw new TypeError('UTF-32 is not read here');
      encoding = 'utf-16be';
    } else if (!b1) {
      if (!(b2 || b3)) throw new TypeError('UTF-32 is not read here');
      encoding = 'utf-16le';
    }
  } else if (bytes.length === 2) {
    if (!b0) encoding = 'utf-16be';
    else if (!b1) encoding = 'utf-16le';
  }
  const text = new TextDecoder(encoding, { fatal: true, ignoreBOM: true }).decode(bytes.subarray(start));
  return JSON.parse(text);
}

/** iter() of a JSON value in Python: a list's items, an object's keys, a string's characters. */
function pythonIter(value) {
  if (Array.isArray(value)) return value;
  if (typeof value === 'string') return [...value];
  if (isDict(value)) return Object.keys(value);
  throw new TypeError('not iterable');
}

function pythonRepr(value) {
  if (typeof value === 'string') return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (Array.isArray(value)) return `[${value.map(pythonRepr).join(', ')}]`;
  if (isDict(value)) return `{${Object.entries(value).map(([k, v]) => `${pythonRepr(k)}: ${pythonRepr(v)}`).join(', ')}}`;
  return pythonStr(value);
}

/** str() in Python of a JSON value (a number's text may differ for floats written as integers). */
function pythonStr(value) {
  if (typeof value === 'string') return value;
  if (value === null) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value).toString() : String(value);
  return pythonRepr(value);
}

function ed25519X(key) {
  if (!isDict(key) || optional(key, 'kty', null) !== 'OKP' || optional(key, 'crv', null) !== 'Ed25519') {
    throw new TypeError('a key is not an Ed25519 JWK');
  }
  const x = fromB64url(member(key, 'x'));
  if (x.length !== 32) throw new TypeError('a key is not 32 bytes');
  return x;
}

function moment(value) {
  const ms = parseAwareIso(value);
  if (ms === null) throw new TypeError('not an ISO 8601 time with a zone');
  return ms;
}

export function hexOf(bytes) {
  let out = '';
  for (const byte of bytes) out += byte.toString(16).padStart(2, '0');
  return out;
}

/** RFC 7638: SHA-256 of the JWK's required members, sorted, without spaces. */
export async function thumbprint(publicKey) {
  const canonical = `{"crv":"Ed25519","kty":"OKP","x":"${toB64url(publicKey)}"}`;
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(canonical));
  return toB64url(new Uint8Array(digest));
}

/**
 * A trust list checked against its root key. `data` is the file's bytes (or text).
 * Resolves to {operation, issuedAt, nextUpdate (ms), keys, byKid, revoked, rootThumbprint};
 * rejects with TrustListError.
 */
export async function loadTrustList(data) {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  if (bytes.length > MAX_BYTES) throw new TrustListError('too_large', 'larger than any trust list');
  let protectedText;
  let payloadText;
  let signature;
  let header;
  let body;
  try {
    const document = pythonJson(bytes);
    protectedText = member(document, 'protected');
    payloadText = member(document, 'payload');
    signature = fromB64url(member(document, 'signature'));
    header = pythonJson(fromB64url(protectedText));
    body = pythonJson(fromB64url(payloadText));
  } catch (error) {
    throw new TrustListError('not_jws', 'not a JWS in the flattened JSON serialization');
  }
  if (!isDict(header) || optional(header, 'alg', null) !== 'EdDSA') {
    throw new TrustListError('not_eddsa', 'the trust list is not signed with EdDSA');
  }
  let rootPublic;
  try {
    const rootJwk = optional(header, 'jwk', null);
    if (member(rootJwk, 'kty') !== 'OKP' || member(rootJwk, 'crv') !== 'Ed25519') throw new TypeError('not OKP');
    rootPublic = fromB64url(member(rootJwk, 'x'));
    if (rootPublic.length !== 32) throw new TypeError('not 32 bytes');
  } catch (error) {
    throw new TrustListError('bad_root', "the trust list's root key is not an Ed25519 JWK");
  }
  const signed = new TextEncoder().encode(`${protectedText}.${payloadText}`);
  if (!(await verifyLikeOpenssl(rootPublic, signature, signed))) {
    throw new TrustListError('bad_signature', "the trust list's signature does not verify");
  }
  const root = await thumbprint(rootPublic);
  try {
    const keys = pythonIter(member(member(body, 'keys'), 'keys')).map((key) => ({
      kid: fromB64url(member(key, 'kid')),
      publicKey: ed25519X(key),
      issuer: pythonStr(optional(key, 'iss', '')),
      name: pythonStr(optional(key, 'name', '')),
    }));
    const operation = pythonStr(member(body, 'operation'));
    const issuedAt = moment(member(body, 'issued_at'));
    const nextUpdate = moment(member(body, 'next_update'));
    const revoked = new Set(pythonIter(member(body, 'revoked')).map((entry) => hexOf(fromB64url(entry))));
    const byKid = new Map();
    for (const key of keys) {
      const id = hexOf(key.kid);
      if (!byKid.has(id)) byKid.set(id, []);
      byKid.get(id).push(key);
    }
    return { operation, issuedAt, nextUpdate, keys, byKid, revoked, rootThumbprint: root };
  } catch (error) {
    const detail = error instanceof Base64Error || error instanceof TypeError ? error.message : String(error);
    throw new TrustListError('bad_payload', `the trust list's payload is not as specified (${detail})`);
  }
}

/** TrustList.stale: past its next update. */
export function isStale(trustList, nowMs) {
  return nowMs > trustList.nextUpdate;
}
