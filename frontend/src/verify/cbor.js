// CBOR decoding as the Python reference does it: `cbor2.loads` (cbor2 5.9, its C
// decoder), which src/corridor/amnesty/codec.py and claims.py call on untrusted
// bytes. A verdict is the same in the browser only if the same bytes decode (or
// fail to) and give values of the same Python types, so this is a port of
// cbor2's decoder, not a minimal one:
//
// - one item is decoded and anything after it is ignored (cbor2.loads does);
// - integers of any width (BigInt), lengths that are not the shortest, and
//   indefinite lengths are accepted; a break (0xff) where an item is expected
//   is a value of its own, as in cbor2; reserved additional information
//   (28-30) and nesting deeper than 400 are refused;
// - text must be valid UTF-8 (a BOM is kept);
// - map keys are decoded "immutable" (arrays as tuples, maps as frozen maps)
//   and merged as in a Python dict: 1, 1.0 and true are one key, the first
//   key stays and the last value wins; a key that Python cannot hash (a list
//   reached through a shared reference) is refused;
// - the tags cbor2 gives a meaning to are decoded as it does: bignums (2, 3)
//   are integers; shared values (28, 29), string references (25, 256) and the
//   self-described CBOR tag (55799) give the value itself; the others (dates,
//   decimals, fractions, UUIDs, regular expressions, MIME messages, sets, IP
//   addresses, complex numbers) are checked as cbor2 checks them and become
//   values that are none of the types a certificate is made of. Where cbor2
//   hands a value to the Python library (re.compile for tag 35, the email
//   parser for 36, ipaddress for 261, Decimal for 4 and 5 with arguments that
//   are not integers), the check here is the common part, not every corner.
//
// Python types: int -> bigint, float -> number, bool -> boolean, None -> null,
// str -> string, bytes -> Uint8Array, list/tuple -> PyList, dict/FrozenDict ->
// PyDict, set/frozenset -> PySet, CBORTag -> PyTag, CBORSimpleValue -> PySimple,
// undefined -> UNDEFINED, break_marker -> BREAK, other objects -> PyObject.

export class CborError extends Error {
  constructor(message) {
    super(message);
    this.name = 'CborError';
  }
}

export const UNDEFINED = Object.freeze({ python: 'undefined' });
export const BREAK = Object.freeze({ python: 'break_marker' });
const UNSET = Object.freeze({ python: 'unset shareable' });
const MAX_DEPTH = 400;

export class PyList {
  constructor(items, frozen) {
    this.items = items;
    this.frozen = frozen; // a tuple
  }
}

export class PyDict {
  constructor(frozen = false, entries = new Map()) {
    this.frozen = frozen; // a FrozenDict
    this.entries = entries; // key identity -> [first key, last value]
  }

  set(key, value) {
    const id = keyId(key);
    const found = this.entries.get(id);
    if (found) found[1] = value;
    else this.entries.set(id, [key, value]);
  }

  /** [found, value] for a key given by its identity (see keyId). */
  lookup(id) {
    const found = this.entries.get(id);
    return found ? [true, found[1]] : [false, null];
  }

  /** dict.get(key) with Python's None for a missing key. */
  get(key) {
    return this.lookup(keyId(key))[1];
  }

  has(key) {
    return this.entries.has(keyId(key));
  }

  get size() {
    return this.entries.size;
  }
}

export class PySet {
  constructor(ids, frozen) {
    this.ids = ids; // element identities
    this.frozen = frozen;
  }
}

export class PyTag {
  constructor(tag, value) {
    this.tag = tag; // bigint
    this.value = value;
  }
}

export class PySimple {
  constructor(value) {
    this.value = value;
  }
}

let uniqueIds = 0;

/** A Python object of a type no certificate field has; `id` is its hash/equality class. */
export class PyObject {
  constructor(kind, id) {
    this.kind = kind; // id null: Python cannot hash it
    this.id = id === undefined ? `${kind}#${(uniqueIds += 1)}` : id;
  }
}

// ------------------------------------------------------------------ equality

const TWO = 2n;

function gcd(a, b) {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y) [x, y] = [y, x % y];
  return x;
}

/** The identity of an exact rational n/d (d > 0): equal numbers of any type share it. */
function rationalId(n, d) {
  if (d < 0n) {
    n = -n;
    d = -d;
  }
  const g = gcd(n, d) || 1n;
  n /= g;
  d /= g;
  return d === 1n ? `i:${n}` : `q:${n}/${d}`;
}

/** A finite double as an exact rational [n, d]. */
function floatRational(value) {
  if (Number.isInteger(value)) return [BigInt(value), 1n];
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  const high = view.getUint32(0);
  const low = view.getUint32(4);
  const exponent = (high >>> 20) & 0x7ff;
  let mantissa = (BigInt(high & 0xfffff) << 32n) | BigInt(low);
  if (exponent) mantissa |= 1n << 52n;
  const shift = BigInt((exponent || 1) - 1075);
  const sign = value < 0 ? -1n : 1n;
  return shift >= 0n ? [sign * (mantissa << shift), 1n] : [sign * mantissa, TWO ** -shift];
}

function floatId(value) {
  if (Number.isNaN(value)) return `nan#${(uniqueIds += 1)}`; // a NaN equals nothing, not even itself
  if (value === Infinity) return 'inf';
  if (value === -Infinity) return '-inf';
  const [n, d] = floatRational(value);
  return rationalId(n, d);
}

function hex(bytes) {
  let out = '';
  for (const byte of bytes) out += byte.toString(16).padStart(2, '0');
  return out;
}

function unhashable(what) {
  return new CborError(`unhashable type: '${what}'`);
}

/**
 * The equality class of a Python value used as a dict key or set element:
 * two values are one key exactly when their identities are equal. Throws
 * CborError for what Python cannot hash (lists, dicts, sets, a tag that
 * contains itself).
 */
export function keyId(value, visiting = new Set()) {
  switch (typeof value) {
    case 'bigint':
      return `i:${value}`;
    case 'boolean':
      return value ? 'i:1' : 'i:0';
    case 'number':
      return floatId(value);
    case 'string':
      return `s:${value}`;
    default:
      break;
  }
  if (value === null) return 'None';
  if (value === UNDEFINED) return 'undefined';
  if (value === BREAK) return 'break_marker';
  if (value instanceof Uint8Array) return `b:${hex(value)}`;
  if (value instanceof PySimple) return `simple:${value.value}`;
  if (value instanceof PyObject) {
    if (value.id === null) throw unhashable(value.kind);
    return value.id;
  }
  if (visiting.has(value)) throw new CborError('a value that contains itself is not hashable');
  visiting.add(value);
  try {
    if (value instanceof PyList) {
      if (!value.frozen) throw unhashable('list');
      return `(${value.items.map((item) => keyId(item, visiting)).join(',')})`;
    }
    if (value instanceof PyDict) {
      if (!value.frozen) throw unhashable('dict');
      const items = [...value.entries.values()].map(([k, v]) => `${keyId(k, visiting)}=${keyId(v, visiting)}`);
      return `{${items.sort().join(',')}}`;
    }
    if (value instanceof PySet) {
      if (!value.frozen) throw unhashable('set');
      return `frozenset{${[...value.ids].sort().join(',')}}`;
    }
    if (value instanceof PyTag) return `tag:${value.tag}:${keyId(value.value, visiting)}`;
  } finally {
    visiting.delete(value);
  }
  throw new CborError('unhashable value');
}

/** The identity of a value for equality, or null where it cannot be hashed. */
export function identity(value) {
  try {
    return keyId(value);
  } catch (error) {
    return null;
  }
}

// ------------------------------------------------------------------ decoding

const TEXT = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const TIMESTAMP = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,6})\d*)?(?:Z|([+-])(\d\d):(\d\d))\n?$/; // "$" of Python: also before a last newline
const ISO_DATE = /^(\d{4})-(\d\d)-(\d\d)/;
const FIRST_DAY = -719162; // date(1, 1, 1) in days from 1970-01-01
const LAST_DAY = 2932896; // date(9999, 12, 31)

function isLeap(year) {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function checkDate(year, month, day) {
  if (year < 1 || year > 9999) throw new CborError(`year ${year} is out of range`);
  if (month < 1 || month > 12) throw new CborError('month must be in 1..12');
  const last = month === 2 && isLeap(year) ? 29 : DAYS_IN_MONTH[month - 1];
  if (day < 1 || day > last) throw new CborError('day is out of range for month');
}

/** Days from 1970-01-01 to a valid date (proleptic Gregorian). */
function daysFromCivil(year, month, day) {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function isInt(value) {
  return typeof value === 'bigint' || typeof value === 'boolean';
}

function asBigInt(value) {
  return typeof value === 'boolean' ? BigInt(value) : value;
}

/** Round half to even, as datetime.fromtimestamp rounds to the microsecond. */
function roundHalfEven(value) {
  const floor = Math.floor(value);
  const diff = value - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

const MIN_SECONDS = -62135596800n; // datetime(1, 1, 1, tzinfo=UTC)
const END_SECONDS = 253402300800n; // datetime(10000, 1, 1, tzinfo=UTC), excluded

function epochDatetime(value) {
  if (isInt(value)) {
    const seconds = asBigInt(value);
    if (seconds < MIN_SECONDS || seconds >= END_SECONDS) throw new CborError('error decoding datetime from epoch');
    return new PyObject('datetime', `datetime:${seconds * 1000000n}`);
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new CborError('error decoding datetime from epoch');
    const whole = Math.floor(value);
    let micros = roundHalfEven((value - whole) * 1e6);
    let seconds = BigInt(whole);
    if (micros >= 1000000) {
      seconds += 1n;
      micros -= 1000000;
    }
    if (seconds < MIN_SECONDS || seconds >= END_SECONDS) throw new CborError('error decoding datetime from epoch');
    return new PyObject('datetime', `datetime:${seconds * 1000000n + BigInt(micros)}`);
  }
  throw new CborError('invalid timestamp value');
}

function datetimeString(value) {
  if (typeof value !== 'string') throw new CborError('invalid datetime string');
  const match = TIMESTAMP.exec(value);
  if (!match) throw new CborError('invalid datetime string');
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number);
  const micros = match[7] === undefined ? 0 : Number(match[7].padEnd(6, '0'));
  checkDate(year, month, day);
  if (hour > 23) throw new CborError('hour must be in 0..23');
  if (minute > 59) throw new CborError('minute must be in 0..59');
  if (second > 59) throw new CborError('second must be in 0..59');
  let offset = 0;
  if (match[8]) {
    offset = (Number(match[9]) * 60 + Number(match[10])) * (match[8] === '-' ? -1 : 1);
    if (Math.abs(offset) >= 24 * 60) throw new CborError('offset must be strictly between -24 and 24 hours');
  }
  const seconds =
    BigInt(daysFromCivil(year, month, day)) * 86400n + BigInt(hour * 3600 + minute * 60 + second - offset * 60);
  return new PyObject('datetime', `datetime:${seconds * 1000000n + BigInt(micros)}`);
}

function epochDate(value) {
  if (typeof value === 'number') throw new CborError("'float' object cannot be interpreted as an integer");
  if (!isInt(value)) throw new CborError('invalid timestamp value');
  const days = asBigInt(value);
  if (days < BigInt(FIRST_DAY) || days > BigInt(LAST_DAY)) throw new CborError('date out of range');
  return new PyObject('date', `date:${days}`);
}

function dateString(value) {
  if (typeof value !== 'string') throw new CborError('invalid date value');
  const match = ISO_DATE.exec(value);
  if (!match) throw new CborError('invalid date string');
  const [year, month, day] = match.slice(1, 4).map(Number);
  checkDate(year, month, day);
  return new PyObject('date', `date:${daysFromCivil(year, month, day)}`);
}

/** A number from a tag (Decimal, Fraction) equal to the exact rational n/d. */
function exactNumber(kind, n, d) {
  return new PyObject(kind, rationalId(n, d));
}

// Decimal(str): any Unicode decimal digits, "_" between them.
const DECIMAL_TEXT = /^\s*[+-]?(?:\p{Nd}[\p{Nd}_]*(?:\.(?:\p{Nd}[\p{Nd}_]*)?)?|\.\p{Nd}[\p{Nd}_]*)(?:[eE][+-]?\p{Nd}[\p{Nd}_]*)?\s*$/u;
const DECIMAL_MAX_EXPONENT = 999999999999999999n; // the largest adjusted exponent of Decimal
const DECIMAL_MIN_EXPONENT = -1999999999999999997n;
const DECIMAL_SPECIAL = /^\s*[+-]?(?:inf|infinity|s?nan\d*)\s*$/i;
const BIG_EXPONENT = 4096n;

function mantissaSign(mantissa) {
  if (isInt(mantissa)) return asBigInt(mantissa) < 0n;
  if (typeof mantissa === 'number') return mantissa < 0 || Object.is(mantissa, -0);
  if (typeof mantissa === 'string') return mantissa.trim().startsWith('-');
  return false;
}

/** The value of a Unicode decimal digit (category Nd comes in runs of 0 to 9). */
function digitValue(char) {
  const code = char.codePointAt(0);
  let start = code;
  while (start > 0 && /\p{Nd}/u.test(String.fromCodePoint(start - 1))) start -= 1;
  return (code - start) % 10;
}

/**
 * The coefficient (the digits, as an integer) of Decimal(mantissa) as tag 4 uses
 * it; null where it is not worked out here; throws where Decimal() refuses.
 */
function decimalDigits(mantissa) {
  if (isInt(mantissa)) {
    const value = asBigInt(mantissa);
    return value < 0n ? -value : value;
  }
  if (typeof mantissa === 'number') {
    if (!Number.isFinite(mantissa)) return 0n; // NaN and infinities have no digits
    const [n, d] = floatRational(mantissa); // d is a power of two: n / 2^k = n 5^k / 10^k
    const k = BigInt(d.toString(2).length - 1);
    return (n < 0n ? -n : n) * 5n ** k;
  }
  if (typeof mantissa === 'string') {
    if (DECIMAL_SPECIAL.test(mantissa)) return 0n;
    if (!DECIMAL_TEXT.test(mantissa)) throw new CborError('invalid literal for Decimal');
    const coefficient = mantissa.trim().replace(/^[+-]/, '').split(/[eE]/)[0].replace(/[._]/g, '');
    let value = 0n;
    for (const char of coefficient) value = value * 10n + BigInt(digitValue(char));
    return value;
  }
  if (mantissa instanceof PyObject && mantissa.kind === 'decimal') return null;
  throw new CborError('conversion to Decimal is not supported');
}

function decimalFraction(value) {
  // Tag 4: Decimal((sign, digits of Decimal(mantissa), exponent)).
  if (!(value instanceof PyList) || value.items.length !== 2) throw new CborError('Incorrect tag 4 payload');
  const [exponent] = value.items;
  let [, mantissa] = value.items;
  // The C decoder calls Decimal(*mantissa) on a sequence (a list, or a simple value:
  // a namedtuple of one).
  if (mantissa instanceof PyList || mantissa instanceof PySimple) {
    const args = mantissa instanceof PySimple ? [BigInt(mantissa.value)] : mantissa.items;
    if (args.length > 1) throw new CborError('Decimal takes at most 2 arguments');
    mantissa = args.length ? args[0] : 0n;
  }
  const digits = decimalDigits(mantissa); // the coefficient of Decimal(mantissa), or null: unknown
  if (exponent === 'n') return new PyObject('decimal'); // a quiet NaN: equal to nothing
  if (exponent === 'N') return new PyObject('decimal', null); // a signalling NaN: not hashable
  if (exponent === 'F') return new PyObject('decimal', mantissaSign(mantissa) ? '-inf' : 'inf');
  if (!isInt(exponent)) throw new CborError('exponent must be an integer');
  const exp = asBigInt(exponent);
  const length = digits === null ? 1n : BigInt(digits.toString().length);
  if (exp < DECIMAL_MIN_EXPONENT || exp + length - 1n > DECIMAL_MAX_EXPONENT) {
    throw new CborError('decimal exponent out of range');
  }
  if (digits === 0n) return exactNumber('decimal', 0n, 1n);
  if (digits === null || exp > BIG_EXPONENT || exp < -BIG_EXPONENT) return new PyObject('decimal');
  const signed = mantissaSign(mantissa) ? -digits : digits;
  return exp >= 0n ? exactNumber('decimal', signed * 10n ** exp, 1n) : exactNumber('decimal', signed, 10n ** -exp);
}

function bigfloat(value) {
  // Tag 5: mantissa * 2 ** Decimal(exponent), in Decimal arithmetic (28 digits).
  if (!(value instanceof PyList) || value.items.length !== 2) throw new CborError('Incorrect tag 5 payload');
  const [exponent, mantissa] = value.items;
  const decimal = (item) => item instanceof PyObject && item.kind === 'decimal';
  if (!(isInt(mantissa) || decimal(mantissa))) throw new CborError('unsupported operand type for *');
  if (!(isInt(exponent) || decimal(exponent))) throw new CborError('unsupported operand type for **');
  if (!isInt(mantissa) || !isInt(exponent)) return new PyObject('decimal');
  const exp = asBigInt(exponent);
  const digits = asBigInt(mantissa);
  if (exp > 3321928n) throw new CborError('decimal overflow');
  if (exp < -BIG_EXPONENT || exp > 93n) return new PyObject('decimal'); // rounded: approximately equal
  const power = exp >= 0n ? [2n ** exp, 1n] : [1n, 2n ** -exp];
  const n = digits * power[0];
  if ((n < 0n ? -n : n).toString().length > 28) return new PyObject('decimal');
  return exactNumber('decimal', n, power[1]);
}

// re.compile refuses escapes of letters it does not know ("bad escape \\p").
const BAD_ESCAPE = /\\[ceghijklmopqyzCEFGHIJKLMOPQRTVXY]/;

/** What re.compile refuses, as far as a JavaScript RegExp can tell. */
function checkPattern(pattern) {
  let translated = pattern.replace(/\(\?P</g, '(?<').replace(/\(\?P=(\w+)\)/g, '\\k<$1>');
  translated = translated.replace(/^\(\?[aiLmsux]+\)/, '');
  if (BAD_ESCAPE.test(pattern.replace(/\\\\/g, ''))) throw new CborError('error decoding regular expression');
  try {
    new RegExp(translated); // eslint-disable-line no-new
  } catch (error) {
    throw new CborError('error decoding regular expression');
  }
  return pattern;
}

const FRACTION_TEXT = /^\s*([+-]?\d+(?:_\d+)*)(?:\s*\/\s*(\d+(?:_\d+)*))?\s*$/;

function rationalPart(item) {
  if (isInt(item)) return [asBigInt(item), 1n];
  if (item instanceof PyObject && item.kind === 'fraction' && item.id.startsWith('i:')) return [BigInt(item.id.slice(2)), 1n];
  if (item instanceof PyObject && item.kind === 'fraction' && item.id.startsWith('q:')) {
    const [n, d] = item.id.slice(2).split('/');
    return [BigInt(n), BigInt(d)];
  }
  return null;
}

function rational(value) {
  // Tag 30: Fraction(*value).
  if (!(value instanceof PyList)) throw new CborError('error decoding rational: input value was not a tuple');
  const args = value.items;
  if (args.length === 0) return exactNumber('fraction', 0n, 1n);
  if (args.length === 1) {
    const [only] = args;
    const part = rationalPart(only);
    if (part) return exactNumber('fraction', part[0], part[1]);
    if (typeof only === 'number') {
      if (!Number.isFinite(only)) throw new CborError('cannot convert to a Fraction');
      const [n, d] = floatRational(only);
      return exactNumber('fraction', n, d);
    }
    if (typeof only === 'string') {
      const match = FRACTION_TEXT.exec(only);
      if (match) {
        const d = match[2] === undefined ? 1n : BigInt(match[2].replace(/_/g, ''));
        if (d === 0n) throw new CborError('error decoding rational');
        return exactNumber('fraction', BigInt(match[1].replace(/_/g, '')), d);
      }
      if (DECIMAL_TEXT.test(only)) return new PyObject('fraction');
      throw new CborError('invalid literal for Fraction');
    }
    if (only instanceof PyObject && only.kind === 'decimal') return new PyObject('fraction', only.id);
    throw new CborError('error decoding rational');
  }
  if (args.length > 2) throw new CborError('error decoding rational');
  if (args[1] === null) return rational(new PyList([args[0]], true)); // Fraction(x, None) is Fraction(x)
  const numerator = rationalPart(args[0]);
  const denominator = rationalPart(args[1]);
  if (!numerator || !denominator) throw new CborError('error decoding rational');
  const d = numerator[1] * denominator[0];
  if (d === 0n) throw new CborError('error decoding rational');
  return exactNumber('fraction', numerator[0] * denominator[1], d);
}

function complexNumber(value) {
  // Tag 43000: complex(real, imag) from two floats.
  if (!(value instanceof PyList) || value.items.length !== 2) {
    throw new CborError('Incorrect tag 43000 payload: not an array of length 2');
  }
  const [real, imag] = value.items;
  if (typeof real !== 'number' || typeof imag !== 'number') {
    throw new CborError('Incorrect tag 43000 payload: does not contain two floats');
  }
  if (imag === 0) return new PyObject('complex', floatId(real));
  if (Number.isNaN(real) || Number.isNaN(imag)) return new PyObject('complex');
  return new PyObject('complex', `complex:${floatId(real)}:${floatId(imag)}`);
}

function uuid(value) {
  if (!(value instanceof Uint8Array) || value.length !== 16) throw new CborError('error decoding UUID value');
  return new PyObject('uuid', `uuid:${hex(value)}`);
}

function ipAddress(value) {
  if (!(value instanceof Uint8Array) || ![4, 6, 16].includes(value.length)) {
    throw new CborError('invalid ipaddress value');
  }
  if (value.length === 6) return new PyTag(260n, value); // a MAC address stays a tag
  return new PyObject('ipaddress', `ip${value.length === 4 ? 4 : 6}:${hex(value)}`);
}

function ipNetwork(value) {
  // the C decoder wants a dict: a FrozenDict (the map decoded inside a key) is refused
  if (!(value instanceof PyDict) || value.frozen || value.size !== 1) throw new CborError('invalid ipnetwork value');
  const [address, prefix] = [...value.entries.values()][0];
  // the C decoder wants the address in bytes and the prefix an int
  const bits = address instanceof Uint8Array && (address.length === 4 || address.length === 16) ? address.length * 8 : 0;
  if (!bits || typeof prefix !== 'bigint' || prefix < 0n || prefix > BigInt(bits)) {
    throw new CborError('invalid ipnetwork value');
  }
  return new PyObject('ipnetwork');
}

class Decoder {
  constructor(bytes) {
    this.bytes = bytes;
    this.pos = 0;
    this.depth = 0;
    this.immutable = false;
    this.shareIndex = null;
    this.shareables = [];
    this.stringrefs = null;
  }

  read(amount) {
    if (amount > this.bytes.length - this.pos) throw new CborError('premature end of stream');
    const out = this.bytes.subarray(this.pos, this.pos + amount);
    this.pos += amount;
    return out;
  }

  byte() {
    if (this.pos >= this.bytes.length) throw new CborError('premature end of stream');
    const out = this.bytes[this.pos];
    this.pos += 1;
    return out;
  }

  setShareable(value) {
    if (this.shareIndex !== null) this.shareables[this.shareIndex] = value;
    return value;
  }

  /** A length or integer argument: a bigint, or null for "indefinite" where allowed. */
  length(subtype, allowIndefinite = false) {
    if (subtype < 24) return BigInt(subtype);
    if (subtype === 24) return BigInt(this.byte());
    if (subtype >= 25 && subtype <= 27) {
      const size = 1 << (subtype - 24);
      let value = 0n;
      for (const byte of this.read(size)) value = (value << 8n) | BigInt(byte);
      return value;
    }
    if (subtype === 31 && allowIndefinite) return null;
    throw new CborError(`unknown unsigned integer subtype 0x${subtype.toString(16)}`);
  }

  /** A definite length as a number, or the end of the stream when it cannot be read. */
  size(length) {
    if (length > BigInt(this.bytes.length - this.pos)) throw new CborError('premature end of stream');
    return Number(length);
  }

  decode(immutable = false, unshared = false) {
    const oldImmutable = this.immutable;
    const oldIndex = this.shareIndex;
    if (immutable) this.immutable = true;
    if (unshared) this.shareIndex = null;
    this.depth += 1;
    try {
      if (this.depth > MAX_DEPTH) throw new CborError(`maximum container nesting depth (${MAX_DEPTH}) exceeded`);
      const initial = this.byte();
      const major = initial >> 5;
      const subtype = initial & 31;
      switch (major) {
        case 0:
          return this.setShareable(this.length(subtype));
        case 1:
          return this.setShareable(-this.length(subtype) - 1n);
        case 2:
          return this.decodeBytes(subtype);
        case 3:
          return this.decodeText(subtype);
        case 4:
          return this.decodeArray(subtype);
        case 5:
          return this.decodeMap(subtype);
        case 6:
          return this.decodeTag(subtype);
        default:
          return this.decodeSpecial(subtype);
      }
    } finally {
      this.immutable = oldImmutable;
      this.shareIndex = oldIndex;
      this.depth -= 1;
    }
  }

  addStringref(value, length) {
    if (this.stringrefs === null) return;
    const next = this.stringrefs.length;
    let referenced;
    if (next < 24) referenced = length >= 3;
    else if (next < 256) referenced = length >= 4;
    else if (next < 65536) referenced = length >= 5;
    else if (next < 4294967296) referenced = length >= 7;
    else referenced = length >= 11;
    if (referenced) this.stringrefs.push(value);
  }

  chunks(major, what) {
    const parts = [];
    for (;;) {
      const initial = this.byte();
      if (initial === 0xff) return parts;
      if (initial >> 5 !== major) throw new CborError(`non-${what} found in indefinite length ${what}`);
      parts.push(this.read(this.size(this.length(initial & 31))));
    }
  }

  decodeBytes(subtype) {
    const length = this.length(subtype, true);
    let result;
    if (length === null) {
      const parts = this.chunks(2, 'bytestring');
      result = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
      let offset = 0;
      for (const part of parts) {
        result.set(part, offset);
        offset += part.length;
      }
    } else {
      result = Uint8Array.prototype.slice.call(this.read(this.size(length)));
      this.addStringref(result, result.length);
    }
    return this.setShareable(result);
  }

  utf8(bytes) {
    try {
      return TEXT.decode(bytes);
    } catch (error) {
      throw new CborError('error decoding unicode string');
    }
  }

  decodeText(subtype) {
    const length = this.length(subtype, true);
    let result;
    if (length === null) {
      result = this.chunks(3, 'string')
        .map((part) => this.utf8(part))
        .join('');
    } else {
      const raw = this.read(this.size(length));
      result = this.utf8(raw);
      this.addStringref(result, raw.length);
    }
    return this.setShareable(result);
  }

  decodeArray(subtype) {
    const length = this.length(subtype, true);
    const items = [];
    const list = new PyList(items, false);
    if (!this.immutable) this.setShareable(list);
    if (length === null) {
      for (;;) {
        const value = this.decode(false, true);
        if (value === BREAK) break;
        items.push(value);
      }
    } else {
      for (let index = 0n; index < length; index += 1n) items.push(this.decode(false, true));
    }
    if (this.immutable) return this.setShareable(new PyList(items, true));
    return list;
  }

  decodeMap(subtype) {
    const length = this.length(subtype, true);
    const dictionary = new PyDict(false);
    this.setShareable(dictionary);
    if (length === null) {
      for (;;) {
        const key = this.decode(true, true);
        if (key === BREAK) break;
        dictionary.set(key, this.decode(false, true));
      }
    } else {
      for (let index = 0n; index < length; index += 1n) {
        const key = this.decode(true, true);
        dictionary.set(key, this.decode(false, true));
      }
    }
    if (this.immutable) return this.setShareable(new PyDict(true, dictionary.entries));
    return dictionary;
  }

  decodeSpecial(subtype) {
    if (subtype < 20) return new PySimple(subtype);
    switch (subtype) {
      case 20:
        return false;
      case 21:
        return true;
      case 22:
        return null;
      case 23:
        return UNDEFINED;
      case 24:
        return new PySimple(this.byte());
      case 25: {
        const raw = this.read(2);
        return this.setShareable(half(raw[0], raw[1]));
      }
      case 26: {
        const raw = this.read(4);
        return this.setShareable(new DataView(raw.buffer, raw.byteOffset, 4).getFloat32(0));
      }
      case 27: {
        const raw = this.read(8);
        return this.setShareable(new DataView(raw.buffer, raw.byteOffset, 8).getFloat64(0));
      }
      case 31:
        return BREAK;
      default:
        throw new CborError(`Undefined Reserved major type 7 subtype 0x${subtype.toString(16)}`);
    }
  }

  decodeTag(subtype) {
    const tag = this.length(subtype);
    switch (tag) {
      case 0n:
        return this.setShareable(datetimeString(this.decode()));
      case 1n:
        return this.setShareable(epochDatetime(this.decode()));
      case 2n:
      case 3n: {
        const value = this.decode();
        if (!(value instanceof Uint8Array)) throw new CborError('invalid bignum value');
        const magnitude = value.length ? BigInt(`0x${hex(value)}`) : 0n;
        return this.setShareable(tag === 2n ? magnitude : -magnitude - 1n);
      }
      case 4n:
        return this.setShareable(decimalFraction(this.decode()));
      case 5n:
        return this.setShareable(bigfloat(this.decode()));
      case 25n: {
        if (this.stringrefs === null) throw new CborError('string reference outside of namespace');
        const index = this.decode();
        return pyIndex(this.stringrefs, index, 'string reference');
      }
      case 28n: {
        const oldIndex = this.shareIndex;
        this.shareIndex = this.shareables.length;
        this.shareables.push(UNSET);
        try {
          return this.decode();
        } finally {
          this.shareIndex = oldIndex;
        }
      }
      case 29n: {
        const index = this.decode(false, true);
        const shared = pyIndex(this.shareables, index, 'shared reference');
        if (shared === UNSET) throw new CborError('shared value has not been initialized');
        return shared;
      }
      case 30n:
        return this.setShareable(rational(this.decode(true, true)));
      case 35n: {
        const value = this.decode(); // re.compile
        if (value instanceof PyObject && value.kind === 'regex') return this.setShareable(value);
        if (typeof value === 'string') return this.setShareable(new PyObject('regex', `re:s:${checkPattern(value)}`));
        if (value instanceof Uint8Array) {
          checkPattern(String.fromCharCode(...value));
          return this.setShareable(new PyObject('regex', `re:b:${hex(value)}`));
        }
        throw new CborError('first argument must be string or compiled pattern');
      }
      case 36n: {
        const value = this.decode(); // email's Parser().parsestr: a str, or None (read as empty)
        if (typeof value !== 'string' && value !== null) throw new CborError('error decoding MIME message');
        return this.setShareable(new PyObject('mime'));
      }
      case 37n:
        return this.setShareable(uuid(this.decode()));
      case 100n:
        return this.setShareable(epochDate(this.decode()));
      case 256n: {
        const old = this.stringrefs;
        this.stringrefs = [];
        const value = this.decode();
        this.stringrefs = old;
        return value;
      }
      case 258n: {
        const frozen = this.immutable;
        const items = this.decode(true);
        if (!(items instanceof PyList)) throw new CborError('invalid set array');
        const ids = new Set(items.items.map((item) => keyId(item)));
        return this.setShareable(new PySet(ids, frozen));
      }
      case 260n:
        return this.setShareable(ipAddress(this.decode()));
      case 261n:
        return this.setShareable(ipNetwork(this.decode()));
      case 1004n:
        return this.setShareable(dateString(this.decode()));
      case 43000n:
        return this.setShareable(complexNumber(this.decode(true, true)));
      case 55799n:
        return this.decode();
      default: {
        const tagged = new PyTag(tag, null);
        this.setShareable(tagged);
        tagged.value = this.decode(false, true);
        return this.setShareable(tagged);
      }
    }
  }
}

/** list[index] in Python: an int (or bool), negative from the end. */
function pyIndex(list, index, what) {
  if (!isInt(index)) throw new CborError(`${what}: list indices must be integers`);
  let at = asBigInt(index);
  if (at < 0n) at += BigInt(list.length);
  if (at < 0n || at >= BigInt(list.length)) throw new CborError(`${what} ${index} not found`);
  return list[Number(at)];
}

function half(high, low) {
  const exponent = (high >> 2) & 0x1f;
  const fraction = ((high & 0x03) << 8) | low;
  let value;
  if (exponent === 0) value = fraction * 2 ** -24;
  else if (exponent === 31) value = fraction ? NaN : Infinity;
  else value = (1 + fraction / 1024) * 2 ** (exponent - 15);
  return high & 0x80 ? -value : value;
}

/** cbor2.loads: the first item of `bytes` (the rest is ignored); throws CborError. */
export function loads(bytes) {
  try {
    return new Decoder(bytes).decode();
  } catch (error) {
    if (error instanceof CborError) throw error;
    // RangeError (a stack too deep for this browser) and the like: not CBOR either.
    throw new CborError(`${error && error.name}: ${error && error.message}`);
  }
}
