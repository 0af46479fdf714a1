// A certificate on the wire, as src/corridor/amnesty/codec.py reads it:
// "AC1:" + Base45(zlib(COSE_Sign1)), COSE_Sign1 = tag 18 around
// [protected bstr, unprotected map, payload bstr, signature bstr(64)], the
// protected header {1: -8 (EdDSA), 4: kid}. Every refusal is Malformed.

import { decodeBase45 } from './base45.js';
import { CborError, identity, loads, PyDict, PyList, PyTag } from './cbor.js';
import { Malformed } from './errors.js';
import { inflateZlib } from './inflate.js';

export const PREFIX = 'AC1:';
export const MAX_TEXT = 4296; // the most alphanumeric characters a QR code holds
export const MAX_INFLATED = 4096;
const COSE_SIGN1_TAG = 18n;
const HEADER_ALG = 1n;
const HEADER_KID = 4n;
const EDDSA = 'i:-8'; // identity of the integer -8 (see cbor.identity)

// What Python's str.strip() takes off both ends (str.isspace()).
const PYTHON_SPACE = new Set([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003,
  0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
]);

/** str.strip() of Python: its notion of white space, not JavaScript's trim(). */
export function pythonStrip(text) {
  let start = 0;
  let end = text.length;
  while (start < end && PYTHON_SPACE.has(text.charCodeAt(start))) start += 1;
  while (end > start && PYTHON_SPACE.has(text.charCodeAt(end - 1))) end -= 1;
  return text.slice(start, end);
}

/** len() of a Python str: code points, not UTF-16 units. */
export function codePoints(text) {
  let count = 0;
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i += 1;
    }
    count += 1;
  }
  return count;
}

/** The COSE message in a QR text (codec.from_text). */
export async function fromText(text) {
  if (typeof text !== 'string') throw new Malformed('not text');
  const stripped = pythonStrip(text);
  if (codePoints(stripped) > MAX_TEXT) throw new Malformed('longer than any QR code holds');
  if (!stripped.startsWith(PREFIX)) throw new Malformed(`does not start with ${PREFIX}`);
  const deflated = decodeBase45(stripped.slice(PREFIX.length));
  return inflateZlib(deflated, MAX_INFLATED);
}

/** cbor2.loads on untrusted bytes (codec.decode_cbor). */
export function decodeCbor(bytes, what) {
  try {
    return loads(bytes);
  } catch (error) {
    if (error instanceof CborError) throw new Malformed(`${what} is not CBOR (${error.message})`);
    throw error;
  }
}

/** codec.parse_sign1: {protected, kid, payload, signature}. */
export function parseSign1(message) {
  let decoded = decodeCbor(message, 'the message');
  if (decoded instanceof PyTag) {
    if (decoded.tag !== COSE_SIGN1_TAG) throw new Malformed(`CBOR tag ${decoded.tag} is not COSE_Sign1 (18)`);
    decoded = decoded.value;
  }
  if (!(decoded instanceof PyList) || decoded.frozen || decoded.items.length !== 4) {
    throw new Malformed('not a COSE_Sign1 array of four');
  }
  const [protectedBytes, unprotected, payload, signature] = decoded.items;
  if (!(protectedBytes instanceof Uint8Array) || !(payload instanceof Uint8Array)) {
    throw new Malformed('protected header or payload is not a byte string');
  }
  if (!(signature instanceof Uint8Array) || signature.length !== 64) throw new Malformed('signature is not 64 bytes');
  if (!(unprotected instanceof PyDict) || unprotected.frozen) throw new Malformed('unprotected header is not a map');
  const header = protectedBytes.length ? decodeCbor(protectedBytes, 'the protected header') : new PyDict(false);
  if (!(header instanceof PyDict) || header.frozen) throw new Malformed('protected header is not a map');
  if (identity(header.get(HEADER_ALG)) !== EDDSA) throw new Malformed('algorithm is not EdDSA (-8)');
  const [inHeader, headerKid] = header.lookup(`i:${HEADER_KID}`);
  const kid = inHeader ? headerKid : unprotected.get(HEADER_KID);
  if (!(kid instanceof Uint8Array) || !kid.length) throw new Malformed('no key id');
  return { protected: protectedBytes, kid, payload, signature };
}

function bstrHead(length) {
  if (length < 24) return [0x40 + length];
  if (length < 0x100) return [0x58, length];
  if (length < 0x10000) return [0x59, length >> 8, length & 0xff];
  return [0x5a, (length >>> 24) & 0xff, (length >>> 16) & 0xff, (length >>> 8) & 0xff, length & 0xff];
}

const SIG_STRUCTURE_HEAD = [0x84, 0x6a, ...new TextEncoder().encode('Signature1')];

/** The COSE Sig_structure ["Signature1", protected, h'', payload] in CBOR (codec.to_be_signed). */
export function toBeSigned(protectedBytes, payload) {
  const parts = [
    SIG_STRUCTURE_HEAD,
    bstrHead(protectedBytes.length),
    protectedBytes,
    [0x40],
    bstrHead(payload.length),
    payload,
  ];
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
