// datetime.fromisoformat of Python 3.11 (its C implementation, in
// Modules/_datetimemodule.c), as trust_list._moment uses it for issued_at and
// next_update after replacing every "Z" with "+00:00". Ported step by step,
// quirks included (any one character between date and time; one stray
// character before the offset; fractions of any length, cut to microseconds),
// so that a trust list's times are read the same here. The result is the moment
// in milliseconds since 1970 (UTC), or null where Python refuses the text or
// finds no time zone in it (_moment then refuses it too).

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeap(year) {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** Days from 1970-01-01 (proleptic Gregorian). */
function daysFromCivil(year, month, day) {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  return era * 146097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719468;
}

function civilFromDays(days) {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (month <= 2 ? 1 : 0), month, day];
}

/** Monday = 0. */
function weekday(year, month, day) {
  return (((daysFromCivil(year, month, day) + 3) % 7) + 7) % 7;
}

const ZERO = 0x30;
const NUL = 0;

/** The C string: the text's UTF-8 bytes and a NUL after them (reads past the end see 0). */
class CString {
  constructor(bytes) {
    this.bytes = bytes;
  }

  at(index) {
    return index < this.bytes.length ? this.bytes[index] : NUL;
  }

  isDigit(index) {
    const c = this.at(index);
    return c >= ZERO && c <= ZERO + 9;
  }

  /** parse_digits: [value, next index], or null when one of the `count` characters is no digit. */
  digits(index, count) {
    let value = 0;
    for (let i = 0; i < count; i += 1) {
      if (!this.isDigit(index + i)) return null;
      value = value * 10 + (this.at(index + i) - ZERO);
    }
    return [value, index + count];
  }
}

function isoToYmd(isoYear, isoWeek, isoDay) {
  if (isoWeek <= 0 || isoWeek >= 53) {
    const first = weekday(isoYear, 1, 1);
    if (!(isoWeek === 53 && (first === 3 || (first === 2 && isLeap(isoYear))))) return null;
  }
  if (isoDay <= 0 || isoDay >= 8) return null;
  // iso_week1_monday
  const firstDay = daysFromCivil(isoYear, 1, 1);
  const firstWeekday = (((firstDay + 3) % 7) + 7) % 7;
  let week1Monday = firstDay - firstWeekday;
  if (firstWeekday > 3) week1Monday += 7;
  return civilFromDays(week1Monday + (isoWeek - 1) * 7 + isoDay - 1);
}

function separatorLocation(s, length) {
  const DASH = 0x2d;
  const W = 0x57;
  if (length === 7) return 7;
  if (s.at(4) === DASH) {
    if (s.at(5) === W) {
      if (length < 8) return -1;
      if (length > 8 && s.at(8) === DASH) {
        if (length === 9) return -1;
        if (length > 10 && s.isDigit(10)) return 8;
        return 10;
      }
      return 8;
    }
    return 10;
  }
  if (s.at(4) === W) {
    let index = 7;
    for (; index < length; index += 1) if (!s.isDigit(index)) break;
    if (index < 9) return index;
    return index % 2 === 0 ? 7 : 8;
  }
  return 8;
}

/** parse_isoformat_date: [year, month, day] or null. */
function parseDate(s, length) {
  const DASH = 0x2d;
  const W = 0x57;
  let parsed = s.digits(0, 4);
  if (!parsed) return null;
  let [year, p] = parsed;
  const dashes = s.at(p) === DASH;
  if (dashes) p += 1;
  if (s.at(p) === W) {
    p += 1;
    parsed = s.digits(p, 2);
    if (!parsed) return null;
    let week;
    [week, p] = parsed;
    let isoDay = 1;
    if (p < length) {
      if (dashes) {
        if (s.at(p) !== DASH) return null;
        p += 1;
      }
      parsed = s.digits(p, 1);
      if (!parsed) return null;
      [isoDay] = parsed;
    }
    return isoToYmd(year, week, isoDay);
  }
  parsed = s.digits(p, 2);
  if (!parsed) return null;
  let month;
  [month, p] = parsed;
  if (dashes) {
    if (s.at(p) !== DASH) return null;
    p += 1;
  }
  parsed = s.digits(p, 2);
  if (!parsed) return null;
  return [year, month, parsed[0]];
}

/** parse_hh_mm_ss_ff: {code, values: [h, m, s, us]}; code < 0 is an error, 1 "more follows". */
function parseClock(s, start, end) {
  const values = [0, 0, 0, 0];
  let p = start;
  let hasSeparator = true;
  for (let i = 0; i < 3; i += 1) {
    const parsed = s.digits(p, 2);
    if (!parsed) return { code: -3, values };
    [values[i], p] = parsed;
    const c = s.at(p);
    p += 1;
    if (i === 0) hasSeparator = c === 0x3a;
    if (p >= end) return { code: c !== NUL ? 1 : 0, values };
    if (hasSeparator && c === 0x3a) continue;
    if (c === 0x2e || c === 0x2c) break;
    if (!hasSeparator) p -= 1;
    else return { code: -4, values };
  }
  // the fraction (also after a third ":" or a seventh digit, as the C code reads it)
  const remains = end - p;
  const count = remains >= 6 ? 6 : remains;
  const parsed = s.digits(p, count);
  if (!parsed) return { code: -3, values };
  [values[3], p] = parsed;
  if (count < 6) values[3] *= 10 ** (6 - count);
  while (s.isDigit(p)) p += 1;
  return { code: s.at(p) !== NUL ? 1 : 0, values };
}

/** parse_isoformat_time: {code, clock, offset (microseconds)}; code 1: with an offset. */
function parseTime(s, start, end) {
  let tz = start;
  do {
    const c = s.at(tz);
    if (c === 0x5a || c === 0x2b || c === 0x2d) break;
    tz += 1;
  } while (tz < end);
  const clock = parseClock(s, start, tz);
  if (clock.code < 0) return { code: clock.code };
  if (tz === end) return clock.code === 1 ? { code: -5 } : { code: 0, clock: clock.values };
  if (s.at(tz) === 0x5a) return s.at(tz + 1) !== NUL ? { code: -5 } : { code: 1, clock: clock.values, offset: 0 };
  const sign = s.at(tz) === 0x2d ? -1 : 1;
  const zone = parseClock(s, tz + 1, end);
  if (zone.code) return { code: -5 };
  const [h, m, sec, us] = zone.values;
  return { code: 1, clock: clock.values, offset: sign * ((h * 3600 + m * 60 + sec) * 1e6 + us) };
}

function isSurrogate(code) {
  return code >= 0xd800 && code <= 0xdfff;
}

/** Milliseconds since 1970 (UTC) of an aware ISO 8601 text, or null. */
export function parseAwareIso(value) {
  if (typeof value !== 'string') return null;
  let text = value.replace(/Z/g, '+00:00');
  if (text.length < 7) return null; // counted in code points by Python; shorter is shorter still
  for (const at of [7, 8, 10]) {
    if (at > text.length) break;
    if (at < text.length && isSurrogate(text.charCodeAt(at))) {
      text = `${text.slice(0, at)}T${text.slice(at + 1)}`;
      break;
    }
  }
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length && text.charCodeAt(i + 1) >= 0xdc00 && text.charCodeAt(i + 1) <= 0xdfff) {
      i += 1;
    } else if (isSurrogate(code)) {
      return null; // not encodable in UTF-8
    }
  }
  const bytes = new TextEncoder().encode(text);
  const s = new CString(bytes);
  const length = bytes.length;
  const separator = separatorLocation(s, length);
  if (separator < 0) return null;
  const date = parseDate(s, separator);
  if (!date) return null;
  let p = separator;
  if (p >= length) return null; // a date alone: naive
  const lead = s.at(p);
  if ((lead & 0x80) === 0) p += 1;
  else if ((lead & 0xf0) === 0xe0) p += 3;
  else if ((lead & 0xf0) === 0xf0) p += 4;
  else p += 2;
  const time = parseTime(s, p, length);
  if (time.code < 0) return null;
  if (time.code === 0) return null; // naive
  const [year, month, day] = date;
  const [hour, minute, second, micro] = time.clock;
  if (year < 1 || year > 9999 || month < 1 || month > 12) return null;
  const last = month === 2 && isLeap(year) ? 29 : DAYS_IN_MONTH[month - 1];
  if (day < 1 || day > last || hour > 23 || minute > 59 || second > 59) return null;
  if (Math.abs(time.offset) >= 86400e6) return null; // timezone(): strictly within a day
  const localMicros = ((hour * 60 + minute) * 60 + second) * 1e6 + micro;
  const utc = daysFromCivil(year, month, day) * 86400000 + Math.floor((localMicros - time.offset) / 1000);
  // astimezone(UTC) fails outside the years 1 to 9999
  if (utc < daysFromCivil(1, 1, 1) * 86400000 || utc >= daysFromCivil(10000, 1, 1) * 86400000) return null;
  return utc;
}
