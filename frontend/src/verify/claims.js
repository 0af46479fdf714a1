// What a certificate says, checked as src/corridor/amnesty/claims.py `parse`
// checks it: the first claim that is wrong makes the certificate Malformed.

import { PyDict } from './cbor.js';
import { codePoints, decodeCbor } from './codec.js';
import { Malformed } from './errors.js';

const ISS = 1n;
const EXP = 4n;
const NBF = 5n;
const IAT = 6n;
const CTI = 7n;
const CLAIM_CERTIFICATE = -65537n;
const PHOTO_HASH_BYTES = 16;
const CERTIFICATE_ID_BYTES = 16;
const MAX_NAME = 160;
const KINDS = new Set(['amnesty', 'safe_passage']);
// Python's \d is any Unicode decimal digit (category Nd).
const PARTIAL_DATE = /^\p{Nd}{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\p{Nd}|3[01]))?)?$/u;
const NUMERIC_DATE_LIMIT = 2n ** 40n;
// datetime.fromtimestamp fails past the year 9999 (a ValueError: malformed as well).
const LAST_MOMENT = 253402300799n;

function isDict(value) {
  return value instanceof PyDict && !value.frozen;
}

function text(value, name, limit) {
  if (typeof value !== 'string' || !value || codePoints(value) > limit) {
    throw new Malformed(`${name} is not a text of 1 to ${limit} characters`);
  }
  return value;
}

function optionalText(value, name, limit) {
  return value === null ? null : text(value, name, limit);
}

/** The claims in a payload: times in seconds (numbers), names, kind, ids. */
export function parseClaims(payload) {
  const token = decodeCbor(payload, 'the payload');
  if (!isDict(token)) throw new Malformed('payload is not a claims map');
  const certificateId = token.get(CTI);
  if (!(certificateId instanceof Uint8Array) || certificateId.length !== CERTIFICATE_ID_BYTES) {
    throw new Malformed(`cti is not ${CERTIFICATE_ID_BYTES} bytes`);
  }
  const issuer = text(token.get(ISS), 'iss', 64);
  const times = {};
  for (const [label, name] of [
    [IAT, 'iat'],
    [NBF, 'nbf'],
    [EXP, 'exp'],
  ]) {
    const value = token.get(label);
    if (typeof value !== 'bigint' || value < 0n || value >= NUMERIC_DATE_LIMIT) {
      throw new Malformed(`${name} is not a NumericDate`);
    }
    if (value > LAST_MOMENT) throw new Malformed(`${name}: year is out of range`);
    times[name] = Number(value);
  }
  if (times.exp < times.nbf) throw new Malformed('exp is before nbf');
  const body = token.get(CLAIM_CERTIFICATE);
  if (!isDict(body)) throw new Malformed(`no certificate claim (${CLAIM_CERTIFICATE})`);
  const kind = body.get('t');
  if (typeof kind !== 'string' || !KINDS.has(kind)) throw new Malformed('t is not a certificate type');
  const names = body.get('n');
  if (!isDict(names)) throw new Malformed('n is not a map of names');
  const nameArabic = optionalText(names.get('ar'), 'n.ar', MAX_NAME);
  const nameLatin = optionalText(names.get('la'), 'n.la', MAX_NAME);
  if (!(nameArabic || nameLatin)) throw new Malformed('n holds no name');
  const birthDate = body.get('dob');
  if (birthDate !== null && !(typeof birthDate === 'string' && PARTIAL_DATE.test(birthDate))) {
    throw new Malformed('dob is not a partial date');
  }
  const photo = body.get('ph');
  if (photo !== null && !(photo instanceof Uint8Array && photo.length === PHOTO_HASH_BYTES)) {
    throw new Malformed(`ph is not a ${PHOTO_HASH_BYTES}-byte photo hash`);
  }
  return {
    certificateId,
    kind,
    nameArabic,
    nameLatin,
    birthDate,
    photoHash: photo,
    issuer,
    issuedAt: times.iat,
    validFrom: times.nbf,
    validUntil: times.exp,
  };
}
