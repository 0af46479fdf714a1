// Ed25519 signature checks with WebCrypto.
//
// Certificates: the Python verifier uses libsodium (crypto_sign_open), which
// refuses before any arithmetic what other implementations may accept: a
// signature whose S is not reduced, whose R is of small order, a public key
// that is not canonical or of small order. The same checks are made here
// before WebCrypto's verification, so both give the same answer also for keys
// and signatures made to tell implementations apart.
//
// Trust lists: the Python reference uses OpenSSL (cryptography), which
// WebCrypto's plain verification matches.

// libsodium's ge25519_has_small_order block list (the last byte's top bit is ignored).
const SMALL_ORDER = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000000',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
].map((text) => Uint8Array.from(text.match(/../g), (pair) => parseInt(pair, 16)));

// The group order L, little-endian.
const ORDER = Uint8Array.from(
  'edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010'.match(/../g),
  (pair) => parseInt(pair, 16),
);

function hasSmallOrder(point) {
  return SMALL_ORDER.some((blocked) => {
    for (let i = 0; i < 31; i += 1) if (point[i] !== blocked[i]) return false;
    return (point[31] & 0x7f) === blocked[31];
  });
}

function isCanonicalPoint(point) {
  // Not canonical: y >= p = 2^255 - 19, i.e. ff..ff7f with a first byte >= 0xed.
  if ((point[31] & 0x7f) !== 0x7f) return true;
  for (let i = 30; i > 0; i -= 1) if (point[i] !== 0xff) return true;
  return point[0] < 0xed;
}

function isReducedScalar(scalar) {
  for (let i = 31; i >= 0; i -= 1) {
    if (scalar[i] < ORDER[i]) return true;
    if (scalar[i] > ORDER[i]) return false;
  }
  return false; // equal to L
}

async function webcryptoVerify(publicKey, signature, message) {
  try {
    const key = await crypto.subtle.importKey('raw', publicKey, { name: 'Ed25519' }, false, ['verify']);
    return await crypto.subtle.verify({ name: 'Ed25519' }, key, signature, message);
  } catch (error) {
    return false;
  }
}

/** Does `signature` verify `message` under `publicKey` (32 bytes), as libsodium decides? */
export async function verifyLikeLibsodium(publicKey, signature, message) {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  const r = signature.subarray(0, 32);
  const s = signature.subarray(32);
  if ((s[31] & 0xf0) !== 0 && !isReducedScalar(s)) return false;
  if (hasSmallOrder(r)) return false;
  if (!isCanonicalPoint(publicKey) || hasSmallOrder(publicKey)) return false;
  return webcryptoVerify(publicKey, signature, message);
}

/** Does `signature` verify `message` under `publicKey`, as OpenSSL decides? */
export async function verifyLikeOpenssl(publicKey, signature, message) {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  return webcryptoVerify(publicKey, signature, message);
}

/** Is WebCrypto's Ed25519 there at all (Chromium 137+, Firefox 129+, Safari 17+)? */
export async function ed25519Available() {
  try {
    // RFC 8032, test 1: a valid public key.
    const key = Uint8Array.from(
      'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a'.match(/../g),
      (pair) => parseInt(pair, 16),
    );
    await crypto.subtle.importKey('raw', key, { name: 'Ed25519' }, false, ['verify']);
    return true;
  } catch (error) {
    return false;
  }
}
