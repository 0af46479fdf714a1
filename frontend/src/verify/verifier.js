// One verdict for a certificate text against a trust list, in the order of
// src/corridor/amnesty/verifier.py: malformed, unknown_signer, bad_signature,
// revoked, not_yet_valid, expired, else valid. The claims are returned only
// when the signature verified: an unverified name is never shown.

import { toB64url } from './b64.js';
import { parseClaims } from './claims.js';
import { fromText, parseSign1, toBeSigned } from './codec.js';
import { verifyLikeLibsodium } from './ed25519.js';
import { Malformed } from './errors.js';
import { hexOf } from './trust_list.js';

export const VERDICTS = ['valid', 'expired', 'not_yet_valid', 'revoked', 'unknown_signer', 'bad_signature', 'malformed'];

/** Never rejects: every failure is a verdict. `nowMs` is the moment verified at. */
export async function verifyCertificate(trustList, text, nowMs = Date.now()) {
  let message;
  let claims;
  try {
    message = parseSign1(await fromText(text));
    claims = parseClaims(message.payload);
  } catch (error) {
    if (error instanceof Malformed) return { verdict: 'malformed', detail: error.message };
    return { verdict: 'malformed', detail: `unreadable (${error && error.name})` };
  }
  const certificateId = toB64url(claims.certificateId);
  const keyId = toB64url(message.kid);
  const candidates = trustList.byKid.get(hexOf(message.kid));
  if (!candidates) {
    return { verdict: 'unknown_signer', detail: 'no key in the trust list has this key id', certificateId, keyId };
  }
  const signed = toBeSigned(message.protected, message.payload);
  let signer = null;
  for (const key of candidates) {
    if (await verifyLikeLibsodium(key.publicKey, message.signature, signed)) {
      signer = key;
      break;
    }
  }
  if (signer === null) {
    return {
      verdict: 'bad_signature',
      detail: `the signature does not verify with the ${candidates.length} key(s) of this id`,
      certificateId,
      keyId,
    };
  }
  if (signer.issuer !== claims.issuer) {
    return {
      verdict: 'bad_signature',
      detail: `signed with a key of ${signer.issuer}, not of the issuer ${claims.issuer}`,
      certificateId,
      keyId,
    };
  }
  let verdict;
  let detail;
  if (trustList.revoked.has(hexOf(claims.certificateId))) {
    [verdict, detail] = ['revoked', 'the certificate is on the revocation list'];
  } else if (nowMs < claims.validFrom * 1000) {
    [verdict, detail] = ['not_yet_valid', 'before the first day of validity'];
  } else if (nowMs >= claims.validUntil * 1000) {
    [verdict, detail] = ['expired', 'after the last moment of validity'];
  } else {
    [verdict, detail] = ['valid', 'signature, revocation list and dates hold'];
  }
  return { verdict, detail, certificateId, keyId, signer, claims };
}
