// Base45 (RFC 9285) decoding, with exactly the refusals of
// src/corridor/amnesty/base45.py: a character outside the alphabet (or not
// ASCII), a lone last character, a group of three beyond 65535, a last pair
// beyond 255.

import { Malformed } from './errors.js';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';
const VALUES = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i += 1) VALUES[ALPHABET.charCodeAt(i)] = i;

/** The bytes a Base45 text stands for; throws Malformed for anything else. */
export function decodeBase45(text) {
  const length = text.length;
  const values = new Uint8Array(length);
  let invalid = false;
  for (let i = 0; i < length; i += 1) {
    const code = text.charCodeAt(i);
    if (code > 127) throw new Malformed('Base45: a character outside the Base45 alphabet');
    const value = VALUES[code];
    if (value < 0) invalid = true;
    else values[i] = value;
  }
  if (length % 3 === 1) throw new Malformed('Base45: the length leaves a lone character');
  if (invalid) throw new Malformed('Base45: a character outside the Base45 alphabet');
  const whole = Math.floor(length / 3) * 3;
  const out = new Uint8Array((whole / 3) * 2 + (whole < length ? 1 : 0));
  let o = 0;
  for (let i = 0; i < whole; i += 3) {
    const group = values[i] + values[i + 1] * 45 + values[i + 2] * 2025;
    if (group > 0xffff) throw new Malformed('Base45: a group of three characters is beyond two bytes');
    out[o] = group >> 8;
    out[o + 1] = group & 0xff;
    o += 2;
  }
  if (whole < length) {
    const last = values[whole] + values[whole + 1] * 45;
    if (last > 0xff) throw new Malformed('Base45: the last two characters are beyond one byte');
    out[o] = last;
  }
  return out;
}
