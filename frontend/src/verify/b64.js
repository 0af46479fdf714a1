// base64url as src/corridor/amnesty/trust_list.py reads and writes it:
// `from_b64url` is Python's base64.urlsafe_b64decode after padding with "=" to
// a multiple of four, which is lenient: characters outside the alphabet are
// skipped, decoding stops at the padding, the unused low bits are ignored.
// Written out here (binascii.a2b_base64, non-strict) so that a trust list is
// read the same in the browser.

const TABLE = new Int8Array(128).fill(-1);
const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
for (let i = 0; i < 64; i += 1) TABLE[LETTERS.charCodeAt(i)] = i;

export class Base64Error extends Error {}

/** trust_list.from_b64url: bytes, or Base64Error where Python raises. */
export function fromB64url(text) {
  if (typeof text !== 'string') throw new Base64Error('not base64url text');
  for (let i = 0; i < text.length; i += 1) {
    if (text.charCodeAt(i) > 127) throw new Base64Error('only ASCII characters');
  }
  const padded = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4);
  const out = [];
  let quad = 0;
  let left = 0;
  let pads = 0;
  for (let i = 0; i < padded.length; i += 1) {
    const code = padded.charCodeAt(i);
    if (code === 0x3d) {
      // '=': enough padding after two or three characters ends the data
      if (quad >= 2) {
        pads += 1;
        if (quad + pads >= 4) return Uint8Array.from(out);
      }
      continue;
    }
    const value = TABLE[code];
    if (value < 0) continue;
    pads = 0;
    switch (quad) {
      case 0:
        quad = 1;
        left = value;
        break;
      case 1:
        quad = 2;
        out.push(((left << 2) | (value >> 4)) & 0xff);
        left = value & 0x0f;
        break;
      case 2:
        quad = 3;
        out.push(((left << 4) | (value >> 2)) & 0xff);
        left = value & 0x03;
        break;
      default:
        quad = 0;
        out.push(((left << 6) | value) & 0xff);
        left = 0;
    }
  }
  if (quad !== 0) throw new Base64Error(quad === 1 ? 'a lone base64 character' : 'Incorrect padding');
  return Uint8Array.from(out);
}

/** trust_list.b64url: no padding. */
export function toB64url(bytes) {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const chunk = (bytes[i] << 16) | ((bytes[i + 1] || 0) << 8) | (bytes[i + 2] || 0);
    const size = Math.min(3, bytes.length - i);
    out += LETTERS[(chunk >> 18) & 63] + LETTERS[(chunk >> 12) & 63];
    if (size > 1) out += LETTERS[(chunk >> 6) & 63];
    if (size > 2) out += LETTERS[chunk & 63];
  }
  return out.replace(/\+/g, '-').replace(/\//g, '_');
}

export function sameBytes(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return false;
  return true;
}
