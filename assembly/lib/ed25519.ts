// Ed25519 signature verification (RFC 8032 §5.1.7), cofactorless:
// [S]B = R + [k]A with k = SHA-512(R || A || M) mod L.
// Verification handles only public data, so nothing here needs constant time;
// the code is written to be small. Field elements mod p = 2^255 - 19 are 16
// signed 64-bit limbs of 16 bits each (TweetNaCl's representation): a product
// is 256 multiply-adds with no 128-bit arithmetic, and every loop is short.
import { bytesEqual } from "./bytes";
import { sha512Final, sha512Init, sha512Update } from "./sha512";

const LIMBS = 16;
const FE = LIMBS * 8; // bytes of one field element
const POINT = 4 * FE; // extended coordinates (X, Y, Z, T): x = X/Z, y = Y/Z, x*y = T/Z

// Constants, little-endian like encodings.
/** L = 2^252 + 27742317777372353535851937790883648493, the order of B. */
const L = memory.data<u8>([
  0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
]);
/** d = -121665/121666 mod p. */
const D_BYTES = memory.data<u8>([
  0xa3, 0x78, 0x59, 0x13, 0xca, 0x4d, 0xeb, 0x75, 0xab, 0xd8, 0x41, 0x41, 0x4d, 0x0a, 0x70, 0x00,
  0x98, 0xe8, 0x79, 0x77, 0x79, 0x40, 0xc7, 0x8c, 0x73, 0xfe, 0x6f, 0x2b, 0xee, 0x6c, 0x03, 0x52,
]);
/** 2^((p-1)/4), a square root of -1 mod p. */
const SQRT_M1_BYTES = memory.data<u8>([
  0xb0, 0xa0, 0x0e, 0x4a, 0x27, 0x1b, 0xee, 0xc4, 0x78, 0xe4, 0x2f, 0xad, 0x06, 0x18, 0x43, 0x2f,
  0xa7, 0xd7, 0xfb, 0x3d, 0x99, 0x00, 0x4d, 0x2b, 0x0b, 0xdf, 0xc1, 0x4f, 0x80, 0x24, 0x83, 0x2b,
]);
/** The encoding of the base point B (y = 4/5, x even): decoded at run time, not stored twice. */
const B_BYTES = memory.data<u8>([
  0x58, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
  0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
]);

const D = memory.data(FE);
const D2 = memory.data(FE); // 2*d, as the addition formula uses it
const SQRT_M1 = memory.data(FE);
const PRODUCT = memory.data(FE);
const POW = memory.data(FE);
const PACK_T = memory.data(FE);
const PACK_M = memory.data(FE);
const BYTES_A = memory.data(32);
const BYTES_B = memory.data(32);
const TEMP = memory.data(9 * FE); // pointAdd, decode and encode never run inside one another
const MOD_L = memory.data(64 * 8);

const SIG = memory.data(64); // R || S
const PUB = memory.data(32); // A
const HASH = memory.data(64);
const K = memory.data(32); // k = HASH mod L
const BASE = memory.data(POINT);
const NEG_A = memory.data(POINT);
const CHECK = memory.data(POINT); // [S]B - [k]A, which must be R
const CHECK_BYTES = memory.data(32);

@inline function limb(a: usize, i: i32): i64 { return load<i64>(a + (<usize>i << 3)); }
@inline function setLimb(a: usize, i: i32, v: i64): void { store<i64>(a + (<usize>i << 3), v); }
@inline function temp(i: usize): usize { return TEMP + i * <usize>FE; }

// Field arithmetic mod p.

function feUnpack(o: usize, s: usize): void {
  for (let i = 0; i < LIMBS; i++) setLimb(o, i, <i64>load<u16>(s + (<usize>i << 1)));
  setLimb(o, 15, limb(o, 15) & 0x7fff);
}

/** Moves each limb's bits above 16 into the next; 2^256 = 38 (mod p) wraps the top one. */
function feCarry(o: usize): void {
  for (let i = 0; i < LIMBS; i++) {
    const v = limb(o, i);
    const c = v >> 16;
    setLimb(o, i, v & 0xffff);
    if (i < 15) setLimb(o, i + 1, limb(o, i + 1) + c);
    else setLimb(o, 0, limb(o, 0) + 38 * c);
  }
}

/** The canonical 32-byte encoding of `a` mod p. */
function fePack(out: usize, a: usize): void {
  const t = PACK_T, m = PACK_M;
  memory.copy(t, a, FE);
  feCarry(t); feCarry(t); feCarry(t);
  for (let j = 0; j < 2; j++) { // t < 2^256 < 3p here: subtracting p at most twice reaches t < p
    let borrow: i64 = 0;
    for (let i = 0; i < LIMBS; i++) {
      const v = limb(t, i) - (i == 0 ? 0xffed : i == 15 ? 0x7fff : 0xffff) - borrow;
      borrow = (v >> 16) & 1;
      setLimb(m, i, v & 0xffff);
    }
    if (borrow == 0) memory.copy(t, m, FE);
  }
  for (let i = 0; i < LIMBS; i++) store<u16>(out + (<usize>i << 1), <u16>limb(t, i));
}

function feEqual(a: usize, b: usize): bool {
  fePack(BYTES_A, a);
  fePack(BYTES_B, b);
  return bytesEqual(BYTES_A, BYTES_B, 32);
}

/** The low bit of `a` mod p: the sign of x in an encoding. */
function feParity(a: usize): u32 {
  fePack(BYTES_A, a);
  return load<u8>(BYTES_A) & 1;
}

function feOne(o: usize): void {
  memory.fill(o, 0, FE);
  store<i64>(o, 1);
}

function feAdd(o: usize, a: usize, b: usize): void {
  for (let i = 0; i < LIMBS; i++) setLimb(o, i, limb(a, i) + limb(b, i));
}

function feSub(o: usize, a: usize, b: usize): void {
  for (let i = 0; i < LIMBS; i++) setLimb(o, i, limb(a, i) - limb(b, i));
}

function feNegate(o: usize, a: usize): void {
  for (let i = 0; i < LIMBS; i++) setLimb(o, i, -limb(a, i));
}

/** o = a*b; o may be a or b. Products at limb 16 + k weigh 2^256 = 38 times limb k. */
function feMul(o: usize, a: usize, b: usize): void {
  for (let k = 0; k < LIMBS; k++) {
    let low: i64 = 0, high: i64 = 0;
    for (let i = 0; i <= k; i++) low += limb(a, i) * limb(b, k - i);
    for (let i = k + 1; i < LIMBS; i++) high += limb(a, i) * limb(b, k + LIMBS - i);
    setLimb(PRODUCT, k, low + 38 * high);
  }
  feCarry(PRODUCT);
  feCarry(PRODUCT);
  memory.copy(o, PRODUCT, FE);
}

@inline function feSquare(o: usize, a: usize): void { feMul(o, a, a); }

/** o = a^e, where e has bits top+1 down to 0 all set but those in `zeros` (< 2^8). */
function fePow(o: usize, a: usize, top: i32, zeros: u32): void {
  memory.copy(POW, a, FE);
  for (let i = top; i >= 0; i--) {
    feSquare(POW, POW);
    if (i >= 8 || ((zeros >> i) & 1) == 0) feMul(POW, POW, a);
  }
  memory.copy(o, POW, FE);
}

/** 1/a = a^(p-2), p-2 = 2^255 - 21. */
@inline function feInvert(o: usize, a: usize): void { fePow(o, a, 253, 0b10100); }
/** a^((p-5)/8), (p-5)/8 = 2^252 - 3. */
@inline function fePow2523(o: usize, a: usize): void { fePow(o, a, 250, 0b10); }

// Points in extended coordinates (RFC 8032 §5.1.4).

@inline function X(p: usize): usize { return p; }
@inline function Y(p: usize): usize { return p + <usize>FE; }
@inline function Z(p: usize): usize { return p + 2 * <usize>FE; }
@inline function T(p: usize): usize { return p + 3 * <usize>FE; }

function setIdentity(p: usize): void {
  memory.fill(p, 0, POINT);
  store<i64>(Y(p), 1);
  store<i64>(Z(p), 1);
}

/** p = p + q; complete, so it also doubles (q = p). */
function pointAdd(p: usize, q: usize): void {
  const a = temp(0), b = temp(1), c = temp(2), d = temp(3);
  const e = temp(4), f = temp(5), g = temp(6), h = temp(7), t = temp(8);
  feSub(a, Y(p), X(p)); feSub(t, Y(q), X(q)); feMul(a, a, t);
  feAdd(b, Y(p), X(p)); feAdd(t, Y(q), X(q)); feMul(b, b, t);
  feMul(c, T(p), T(q)); feMul(c, c, D2);
  feMul(d, Z(p), Z(q)); feAdd(d, d, d);
  feSub(e, b, a); feSub(f, d, c); feAdd(g, d, c); feAdd(h, b, a);
  feMul(X(p), e, f); feMul(Y(p), g, h); feMul(T(p), e, h); feMul(Z(p), f, g);
}

/** 32-byte `s` as a little-endian scalar: its bit i. */
@inline function bit(s: usize, i: i32): u32 { return (load<u8>(s + (<usize>i >> 3)) >> (i & 7)) & 1; }

/** p = [s]q + [k]r, sharing the doublings (Straus); variable time. */
function doubleScalarMult(p: usize, s: usize, q: usize, k: usize, r: usize): void {
  setIdentity(p);
  for (let i = 255; i >= 0; i--) {
    pointAdd(p, p);
    if (bit(s, i)) pointAdd(p, q);
    if (bit(k, i)) pointAdd(p, r);
  }
}

/** RFC 8032 §5.1.2. */
function encode(out: usize, p: usize): void {
  const zInv = temp(0), x = temp(1), y = temp(2);
  feInvert(zInv, Z(p));
  feMul(x, X(p), zInv);
  feMul(y, Y(p), zInv);
  fePack(out, y);
  store<u8>(out + 31, load<u8>(out + 31) | <u8>(feParity(x) << 7));
}

/** RFC 8032 §5.1.3; false for y >= p, for no x on the curve, and for x = 0 with the sign bit set. */
function decode(p: usize, s: usize): bool {
  const sign = load<u8>(s + 31) >> 7;
  feUnpack(Y(p), s);
  fePack(BYTES_B, Y(p));
  if (!bytesEqual(BYTES_B, s, 31) || load<u8>(BYTES_B + 31) != (load<u8>(s + 31) & 0x7f)) return false;
  feOne(Z(p));
  const u = temp(0), v = temp(1), v3 = temp(2), check = temp(3), x = X(p);
  feSquare(u, Y(p));
  feMul(v, u, D);
  feSub(u, u, Z(p)); // u = y^2 - 1
  feAdd(v, v, Z(p)); // v = d y^2 + 1
  feSquare(v3, v); feMul(v3, v3, v);
  feSquare(x, v3); feMul(x, x, v); feMul(x, x, u);
  fePow2523(x, x); feMul(x, x, v3); feMul(x, x, u); // x = u v^3 (u v^7)^((p-5)/8)
  feSquare(check, x); feMul(check, check, v);
  if (!feEqual(check, u)) feMul(x, x, SQRT_M1); // v x^2 = -u: x * sqrt(-1) is the root
  feSquare(check, x); feMul(check, check, v);
  if (!feEqual(check, u)) return false;
  if (feParity(x) != sign) feNegate(x, x);
  if (feParity(x) != sign) return false; // x = 0 has no negative
  feMul(T(p), x, Y(p));
  return true;
}

// Scalars mod L.

/** s < L, for the 32-byte little-endian s. */
function isReduced(s: usize): bool {
  for (let i = 31; i >= 0; i--) {
    const a = load<u8>(s + <usize>i), b = load<u8>(L + <usize>i);
    if (a != b) return a < b;
  }
  return false;
}

@inline function wide(i: i32): i64 { return load<i64>(MOD_L + (<usize>i << 3)); }
@inline function setWide(i: i32, v: i64): void { store<i64>(MOD_L + (<usize>i << 3), v); }
@inline function lByte(i: i32): i64 { return <i64>load<u8>(L + <usize>i); }

/** out = the 64-byte little-endian h mod L, 32 bytes (TweetNaCl's modL). */
function reduceModL(out: usize, h: usize): void {
  for (let i = 0; i < 64; i++) setWide(i, <i64>load<u8>(h + <usize>i));
  // Fold each top byte down: 2^256 = 16 * 2^252 = -16 * (L - 2^252) (mod L).
  for (let i = 63; i >= 32; i--) {
    let carry: i64 = 0;
    let j = i - 32;
    for (; j < i - 12; j++) {
      const v = wide(j) + carry - 16 * wide(i) * lByte(j - (i - 32));
      carry = (v + 128) >> 8;
      setWide(j, v - (carry << 8));
    }
    setWide(j, wide(j) + carry);
    setWide(i, 0);
  }
  let carry: i64 = 0;
  for (let j = 0; j < 32; j++) {
    const v = wide(j) + carry - (wide(31) >> 4) * lByte(j);
    carry = v >> 8;
    setWide(j, v & 255);
  }
  for (let j = 0; j < 32; j++) setWide(j, wide(j) - carry * lByte(j));
  for (let i = 0; i < 32; i++) {
    setWide(i + 1, wide(i + 1) + (wide(i) >> 8));
    store<u8>(out + <usize>i, <u8>wide(i));
  }
}

// Verification.

function loadConstants(): void {
  feUnpack(D, D_BYTES);
  feAdd(D2, D, D);
  feUnpack(SQRT_M1, SQRT_M1_BYTES);
  decode(BASE, B_BYTES);
}

/**
 * Starts verifying the 64-byte signature `sig` (R || S) with the 32-byte public key `pub`;
 * both are copied. The message follows through ed25519VerifyUpdate. Uses the SHA-512 context.
 */
export function ed25519VerifyStart(sig: usize, pub: usize): void {
  memory.copy(SIG, sig, 64);
  memory.copy(PUB, pub, 32);
  sha512Init();
  sha512Update(SIG, 32);
  sha512Update(PUB, 32);
}

export function ed25519VerifyUpdate(p: usize, len: i32): void {
  sha512Update(p, len);
}

/** True only for a valid signature of the whole message over the key given to ed25519VerifyStart. */
export function ed25519VerifyFinish(): bool {
  sha512Final(HASH);
  reduceModL(K, HASH);
  if (!isReduced(SIG + 32)) return false;
  loadConstants();
  if (!decode(NEG_A, PUB)) return false;
  feNegate(X(NEG_A), X(NEG_A));
  feNegate(T(NEG_A), T(NEG_A));
  doubleScalarMult(CHECK, SIG + 32, BASE, K, NEG_A);
  // Comparing encodings, rather than decoding R, also rejects an R that is
  // not a canonical encoding of a point: encode() only gives canonical ones.
  encode(CHECK_BYTES, CHECK);
  return bytesEqual(CHECK_BYTES, SIG, 32);
}

export function ed25519Verify(sig: usize, pub: usize, msg: usize, msgLen: i32): bool {
  ed25519VerifyStart(sig, pub);
  ed25519VerifyUpdate(msg, msgLen);
  return ed25519VerifyFinish();
}
