// Ed25519 signature verification (RFC 8032 §5.1.7), cofactorless:
// [S]B = R + [k]A with k = SHA-512(R || A || M) mod L.
// Verification handles only public data, so nothing here needs constant time.
// Field elements mod p = 2^255 - 19 are ten signed 64-bit limbs of 26 and 25
// bits alternately (radix 2^25.5, as ref10): a product is 100 multiply-adds
// with no 128-bit arithmetic. [S]B - [k]A is one Straus loop over both
// scalars in width-5 signed digits (ref10's sliding window), adding odd
// multiples 1..15 of each point from small tables: about 256 doublings and
// 85 additions, where a bit-by-bit loop takes 256 and 256.
import { bytesEqual } from "./bytes";
import { sha512Final, sha512Init, sha512Update } from "./sha512";

const LIMBS = 10;
const FE = LIMBS * 8; // bytes of one field element
const POINT = 4 * FE; // extended coordinates (X, Y, Z, T): x = X/Z, y = Y/Z, x*y = T/Z
/** Odd multiples 1, 3, .., 15 of a point, as cached points. */
const TABLE = 8;

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
const POW = memory.data(FE);
const PACK_T = memory.data(FE);
const BYTES_A = memory.data(32);
const BYTES_B = memory.data(32);
const TEMP = memory.data(9 * FE); // the point formulas, decode and encode never run inside one another
const MOD_L = memory.data(64 * 8);

const SIG = memory.data(64); // R || S
const PUB = memory.data(32); // A
const HASH = memory.data(64);
const K = memory.data(32); // k = HASH mod L
const BASE = memory.data(POINT);
const NEG_A = memory.data(POINT);
const CHECK = memory.data(POINT); // [S]B - [k]A, which must be R
const CHECK_BYTES = memory.data(32);
const TABLE_B = memory.data(TABLE * POINT);
const TABLE_A = memory.data(TABLE * POINT);
const TWICE = memory.data(POINT);
const DIGITS_S = memory.data(256);
const DIGITS_K = memory.data(256);

@inline function limb(a: usize, i: i32): i64 { return load<i64>(a + (<usize>i << 3)); }
@inline function setLimb(a: usize, i: i32, v: i64): void { store<i64>(a + (<usize>i << 3), v); }
@inline function temp(i: usize): usize { return TEMP + i * <usize>FE; }
/** Limb i holds 26 bits when i is even, 25 when odd; limb i weighs 2^ceil(25.5 i). */
@inline function width(i: i32): i64 { return 26 - (i & 1); }

// Field arithmetic mod p. feMul takes limbs up to 3 * 2^26 in size, so that
// its column sums stay under 10 * (3 * 2^26)^2 * 19 < 2^63: a carried
// element's limbs are within 2^25, an unpacked one's under 2^26, and the
// point formulas add or subtract at most four of them before multiplying.

function feUnpack(o: usize, s: usize): void {
  let bit = 0;
  for (let i = 0; i < LIMBS; i++) {
    const w = width(i);
    // Every limb's bits lie in the 4 bytes from its first one, all within s[0..31].
    const v = <i64>load<u32>(s + <usize>(bit >> 3)) >> (bit & 7);
    setLimb(o, i, v & ((1 << w) - 1)); // limb 9's 25 bits stop below bit 255, the sign
    bit += <i32>w;
  }
}

/**
 * Brings each limb within half its width's range, signed (|limb| <= 2^25 or
 * 2^24, limb 0 give or take 19), carrying the rest into the next limb; 2^255
 * = 19 (mod p) wraps the top one. fePack relies on these bounds.
 */
function feCarry(o: usize): void {
  feCarryOut(o, limb(o, 0), limb(o, 1), limb(o, 2), limb(o, 3), limb(o, 4), limb(o, 5), limb(o, 6), limb(o, 7), limb(o, 8), limb(o, 9));
}

/** feCarry of limbs held in locals (a product's columns), stored at `o`: two passes, each limb in turn. */
function feCarryOut(o: usize, h0: i64, h1: i64, h2: i64, h3: i64, h4: i64, h5: i64, h6: i64, h7: i64, h8: i64, h9: i64): void {
  for (let pass = 0; pass < 2; pass++) {
    let c = (h0 + (1 << 25)) >> 26; h0 -= c << 26; h1 += c;
    c = (h1 + (1 << 24)) >> 25; h1 -= c << 25; h2 += c;
    c = (h2 + (1 << 25)) >> 26; h2 -= c << 26; h3 += c;
    c = (h3 + (1 << 24)) >> 25; h3 -= c << 25; h4 += c;
    c = (h4 + (1 << 25)) >> 26; h4 -= c << 26; h5 += c;
    c = (h5 + (1 << 24)) >> 25; h5 -= c << 25; h6 += c;
    c = (h6 + (1 << 25)) >> 26; h6 -= c << 26; h7 += c;
    c = (h7 + (1 << 24)) >> 25; h7 -= c << 25; h8 += c;
    c = (h8 + (1 << 25)) >> 26; h8 -= c << 26; h9 += c;
    c = (h9 + (1 << 24)) >> 25; h9 -= c << 25; h0 += 19 * c;
  }
  setLimb(o, 0, h0); setLimb(o, 1, h1); setLimb(o, 2, h2); setLimb(o, 3, h3); setLimb(o, 4, h4);
  setLimb(o, 5, h5); setLimb(o, 6, h6); setLimb(o, 7, h7); setLimb(o, 8, h8); setLimb(o, 9, h9);
}

/** The canonical 32-byte encoding of `a` mod p (ref10's fe_tobytes after a carry). */
function fePack(out: usize, a: usize): void {
  const t = PACK_T;
  memory.copy(t, a, FE);
  feCarry(t);
  // q = 1 when t >= p: t + 19 then reaches 2^255.
  let q = (19 * limb(t, 9) + (1 << 24)) >> 25;
  for (let i = 0; i < LIMBS; i++) q = (limb(t, i) + q) >> width(i);
  setLimb(t, 0, limb(t, 0) + 19 * q);
  for (let i = 0; i < LIMBS; i++) {
    const w = width(i);
    const c = limb(t, i) >> w;
    setLimb(t, i, limb(t, i) - (c << w));
    if (i < LIMBS - 1) setLimb(t, i + 1, limb(t, i + 1) + c); // the top carry is the 2^255 dropped
  }
  memory.fill(out, 0, 32);
  let bit = 0;
  for (let i = 0; i < LIMBS; i++) {
    let v = limb(t, i), at = bit;
    for (let n = <i32>width(i); n > 0; ) {
      const take = min(8 - (at & 7), n);
      const p = out + <usize>(at >> 3);
      store<u8>(p, load<u8>(p) | <u8>((v & ((1 << take) - 1)) << (at & 7)));
      v >>= take; at += take; n -= take;
    }
    bit += <i32>width(i);
  }
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

/**
 * o = a*b; o may be a or b. a_i b_j lands in limb i+j, twice over when i and
 * j are both odd (their weights round up twice), and 19 times over limb
 * i+j-10 from 10 up (2^255 = 19). Unrolled with the limbs in locals, as
 * ref10's fe_mul: the loop over memory took most of a verify.
 */
function feMul(o: usize, a: usize, b: usize): void {
  const a0 = limb(a, 0), a1 = limb(a, 1), a2 = limb(a, 2), a3 = limb(a, 3), a4 = limb(a, 4), a5 = limb(a, 5), a6 = limb(a, 6), a7 = limb(a, 7), a8 = limb(a, 8), a9 = limb(a, 9);
  const b0 = limb(b, 0), b1 = limb(b, 1), b2 = limb(b, 2), b3 = limb(b, 3), b4 = limb(b, 4), b5 = limb(b, 5), b6 = limb(b, 6), b7 = limb(b, 7), b8 = limb(b, 8), b9 = limb(b, 9);
  const a1_2 = a1 << 1, a3_2 = a3 << 1, a5_2 = a5 << 1, a7_2 = a7 << 1, a9_2 = a9 << 1;
  const b1_19 = 19 * b1, b2_19 = 19 * b2, b3_19 = 19 * b3, b4_19 = 19 * b4, b5_19 = 19 * b5, b6_19 = 19 * b6, b7_19 = 19 * b7, b8_19 = 19 * b8, b9_19 = 19 * b9;
  const h0 = a0 * b0 + a1_2 * b9_19 + a2 * b8_19 + a3_2 * b7_19 + a4 * b6_19 + a5_2 * b5_19 + a6 * b4_19 + a7_2 * b3_19 + a8 * b2_19 + a9_2 * b1_19;
  const h1 = a0 * b1 + a1 * b0 + a2 * b9_19 + a3 * b8_19 + a4 * b7_19 + a5 * b6_19 + a6 * b5_19 + a7 * b4_19 + a8 * b3_19 + a9 * b2_19;
  const h2 = a0 * b2 + a1_2 * b1 + a2 * b0 + a3_2 * b9_19 + a4 * b8_19 + a5_2 * b7_19 + a6 * b6_19 + a7_2 * b5_19 + a8 * b4_19 + a9_2 * b3_19;
  const h3 = a0 * b3 + a1 * b2 + a2 * b1 + a3 * b0 + a4 * b9_19 + a5 * b8_19 + a6 * b7_19 + a7 * b6_19 + a8 * b5_19 + a9 * b4_19;
  const h4 = a0 * b4 + a1_2 * b3 + a2 * b2 + a3_2 * b1 + a4 * b0 + a5_2 * b9_19 + a6 * b8_19 + a7_2 * b7_19 + a8 * b6_19 + a9_2 * b5_19;
  const h5 = a0 * b5 + a1 * b4 + a2 * b3 + a3 * b2 + a4 * b1 + a5 * b0 + a6 * b9_19 + a7 * b8_19 + a8 * b7_19 + a9 * b6_19;
  const h6 = a0 * b6 + a1_2 * b5 + a2 * b4 + a3_2 * b3 + a4 * b2 + a5_2 * b1 + a6 * b0 + a7_2 * b9_19 + a8 * b8_19 + a9_2 * b7_19;
  const h7 = a0 * b7 + a1 * b6 + a2 * b5 + a3 * b4 + a4 * b3 + a5 * b2 + a6 * b1 + a7 * b0 + a8 * b9_19 + a9 * b8_19;
  const h8 = a0 * b8 + a1_2 * b7 + a2 * b6 + a3_2 * b5 + a4 * b4 + a5_2 * b3 + a6 * b2 + a7_2 * b1 + a8 * b0 + a9_2 * b9_19;
  const h9 = a0 * b9 + a1 * b8 + a2 * b7 + a3 * b6 + a4 * b5 + a5 * b4 + a6 * b3 + a7 * b2 + a8 * b1 + a9 * b0;
  feCarryOut(o, h0, h1, h2, h3, h4, h5, h6, h7, h8, h9);
}

/** o = a^2: feMul(o, a, a) with each a_i a_j (i != j) taken once, doubled. */
function feSquare(o: usize, a: usize): void {
  const a0 = limb(a, 0), a1 = limb(a, 1), a2 = limb(a, 2), a3 = limb(a, 3), a4 = limb(a, 4), a5 = limb(a, 5), a6 = limb(a, 6), a7 = limb(a, 7), a8 = limb(a, 8), a9 = limb(a, 9);
  const h0 = a0 * a0 + 38 * (a2 * a8 + a4 * a6 + a5 * a5) + 76 * (a1 * a9 + a3 * a7);
  const h1 = 2 * a0 * a1 + 38 * (a2 * a9 + a3 * a8 + a4 * a7 + a5 * a6);
  const h2 = 2 * (a0 * a2 + a1 * a1) + 19 * a6 * a6 + 38 * a4 * a8 + 76 * (a3 * a9 + a5 * a7);
  const h3 = 2 * (a0 * a3 + a1 * a2) + 38 * (a4 * a9 + a5 * a8 + a6 * a7);
  const h4 = a2 * a2 + 2 * a0 * a4 + 4 * a1 * a3 + 38 * (a6 * a8 + a7 * a7) + 76 * a5 * a9;
  const h5 = 2 * (a0 * a5 + a1 * a4 + a2 * a3) + 38 * (a6 * a9 + a7 * a8);
  const h6 = 2 * (a0 * a6 + a2 * a4 + a3 * a3) + 4 * a1 * a5 + 19 * a8 * a8 + 76 * a7 * a9;
  const h7 = 2 * (a0 * a7 + a1 * a6 + a2 * a5 + a3 * a4) + 38 * a8 * a9;
  const h8 = a4 * a4 + 2 * (a0 * a8 + a2 * a6) + 4 * (a1 * a7 + a3 * a5) + 38 * a9 * a9;
  const h9 = 2 * (a0 * a9 + a1 * a8 + a2 * a7 + a3 * a6 + a4 * a5);
  feCarryOut(o, h0, h1, h2, h3, h4, h5, h6, h7, h8, h9);
}


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

// Points in extended coordinates (RFC 8032 §5.1.4), and cached ones
// (Y+X, Y-X, 2Z, 2dT) that an addition takes as its second operand.

@inline function X(p: usize): usize { return p; }
@inline function Y(p: usize): usize { return p + <usize>FE; }
@inline function Z(p: usize): usize { return p + 2 * <usize>FE; }
@inline function T(p: usize): usize { return p + 3 * <usize>FE; }
@inline function entry(table: usize, i: i32): usize { return table + <usize>i * POINT; }

function setIdentity(p: usize): void {
  memory.fill(p, 0, POINT);
  store<i64>(Y(p), 1);
  store<i64>(Z(p), 1);
}

/** c = p as a cached point: Y+X, Y-X, 2Z, 2dT in the X, Y, Z, T places. */
function cache(c: usize, p: usize): void {
  const sum = temp(0);
  feAdd(sum, Y(p), X(p));
  feSub(Y(c), Y(p), X(p));
  memory.copy(X(c), sum, FE);
  feAdd(Z(c), Z(p), Z(p));
  feMul(T(c), T(p), D2);
}

/** p = p + c, or p - c when `negative`; complete, so also right for p = c and the identity. */
function pointAdd(p: usize, c: usize, negative: bool): void {
  const a = temp(0), b = temp(1), cc = temp(2), d = temp(3);
  const e = temp(4), f = temp(5), g = temp(6), h = temp(7);
  // -c swaps Y+X with Y-X and negates 2dT.
  feSub(a, Y(p), X(p)); feMul(a, a, negative ? X(c) : Y(c));
  feAdd(b, Y(p), X(p)); feMul(b, b, negative ? Y(c) : X(c));
  feMul(cc, T(p), T(c));
  feMul(d, Z(p), Z(c));
  feSub(e, b, a); feAdd(h, b, a);
  if (negative) { feAdd(f, d, cc); feSub(g, d, cc); } else { feSub(f, d, cc); feAdd(g, d, cc); }
  feMul(X(p), e, f); feMul(Y(p), g, h); feMul(T(p), e, h); feMul(Z(p), f, g);
}

/** p = 2p (RFC 8032 §5.1.4's doubling: four squarings where an addition multiplies eight times). */
function pointDouble(p: usize): void {
  const a = temp(0), b = temp(1), c = temp(2), e = temp(3), f = temp(4), g = temp(5), h = temp(6);
  feSquare(a, X(p)); feSquare(b, Y(p)); feSquare(c, Z(p));
  feAdd(h, a, b);
  feAdd(e, X(p), Y(p)); feSquare(e, e); feSub(e, h, e);
  feSub(g, a, b);
  feAdd(f, c, c); feAdd(f, f, g);
  feMul(X(p), e, f); feMul(Y(p), g, h); feMul(T(p), e, h); feMul(Z(p), f, g);
}

/** table[i] = (2i+1) p, cached. */
function fillTable(table: usize, p: usize): void {
  const acc = CHECK; // free until the main loop
  memory.copy(acc, p, POINT);
  cache(entry(table, 0), p);
  memory.copy(TWICE, p, POINT);
  pointDouble(TWICE);
  cache(TWICE, TWICE);
  for (let i = 1; i < TABLE; i++) {
    pointAdd(acc, TWICE, false);
    cache(entry(table, i), acc);
  }
}

/** 32-byte `s` as a little-endian scalar: its bit i. */
@inline function bit(s: usize, i: i32): i32 { return (load<u8>(s + (<usize>i >> 3)) >> (i & 7)) & 1; }
@inline function digit(r: usize, i: i32): i32 { return load<i8>(r + <usize>i); }
@inline function setDigit(r: usize, i: i32, v: i32): void { store<i8>(r + <usize>i, <i8>v); }

/**
 * r = s in signed digits: r[i] is 0 or odd in -15..15 and s = sum r[i] 2^i,
 * so a nonzero digit is followed by at least four zeros (ref10's slide).
 */
function slide(r: usize, s: usize): void {
  for (let i = 0; i < 256; i++) setDigit(r, i, bit(s, i));
  for (let i = 0; i < 256; i++) {
    if (digit(r, i) == 0) continue;
    for (let b = 1; b <= 6 && i + b < 256; b++) {
      const next = digit(r, i + b);
      if (next == 0) continue;
      const cur = digit(r, i);
      if (cur + (next << b) <= 15) {
        setDigit(r, i, cur + (next << b));
        setDigit(r, i + b, 0);
      } else if (cur - (next << b) >= -15) {
        setDigit(r, i, cur - (next << b));
        for (let k = i + b; k < 256; k++) { // add 2^(i+b): carry up through the ones
          if (digit(r, k) == 0) { setDigit(r, k, 1); break; }
          setDigit(r, k, 0);
        }
      } else break;
    }
  }
}

/** p += r[i] * table's point, for a signed odd digit (nothing for 0). */
function addDigit(p: usize, table: usize, r: usize, i: i32): void {
  const v = digit(r, i);
  if (v > 0) pointAdd(p, entry(table, v >> 1), false);
  else if (v < 0) pointAdd(p, entry(table, (-v) >> 1), true);
}

/** p = [s]q + [k]r, sharing the doublings (Straus); variable time. */
function doubleScalarMult(p: usize, s: usize, q: usize, k: usize, r: usize): void {
  slide(DIGITS_S, s);
  slide(DIGITS_K, k);
  fillTable(TABLE_B, q);
  fillTable(TABLE_A, r);
  setIdentity(p);
  let i = 255;
  while (i >= 0 && digit(DIGITS_S, i) == 0 && digit(DIGITS_K, i) == 0) i--;
  for (; i >= 0; i--) {
    pointDouble(p);
    addDigit(p, TABLE_B, DIGITS_S, i);
    addDigit(p, TABLE_A, DIGITS_K, i);
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
