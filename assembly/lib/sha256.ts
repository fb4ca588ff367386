// SHA-256 (FIPS 180-4). One static context: init, update with the message in
// pieces of any size (an image read from flash chunk by chunk), final.
import { IV, K } from "./sha512";

const BLOCK_SIZE = 64;
const H = memory.data(32); // hash value
const W = memory.data(64); // message schedule: the last 16 words are all a round needs
const BLOCK = memory.data(BLOCK_SIZE);
let fill = 0; // bytes waiting in BLOCK
let total: u64 = 0; // bytes hashed

// SHA-256's K and H(0) are the high 32 bits of SHA-512's (the same roots of the
// same primes, §4.2.2 and §4.2.3), so the tables are shared, not stored twice.
@inline function k(t: i32): u32 { return load<u32>(K + (<usize>t << 3), 4); }
@inline function iv(i: i32): u32 { return load<u32>(IV + (<usize>i << 3), 4); }
@inline function word(i: i32): usize { return W + (<usize>(i & 15) << 2); }

/** Hashes the block at `block` (BLOCK, or a whole one in the caller's message). */
function compress(block: usize): void {
  let a = load<u32>(H), b = load<u32>(H, 4), c = load<u32>(H, 8), d = load<u32>(H, 12);
  let e = load<u32>(H, 16), f = load<u32>(H, 20), g = load<u32>(H, 24), h = load<u32>(H, 28);
  for (let t = 0; t < 64; t++) {
    let w: u32;
    if (t < 16) {
      w = bswap<u32>(load<u32>(block + (<usize>t << 2)));
    } else {
      const w2 = load<u32>(word(t - 2)), w15 = load<u32>(word(t - 15));
      w = (rotr(w2, 17) ^ rotr(w2, 19) ^ (w2 >> 10)) + load<u32>(word(t - 7))
        + (rotr(w15, 7) ^ rotr(w15, 18) ^ (w15 >> 3)) + load<u32>(word(t));
    }
    store<u32>(word(t), w);
    const t1 = h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + k(t) + w;
    const t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    h = g; g = f; f = e; e = d + t1;
    d = c; c = b; b = a; a = t1 + t2;
  }
  store<u32>(H, load<u32>(H) + a); store<u32>(H, load<u32>(H, 4) + b, 4);
  store<u32>(H, load<u32>(H, 8) + c, 8); store<u32>(H, load<u32>(H, 12) + d, 12);
  store<u32>(H, load<u32>(H, 16) + e, 16); store<u32>(H, load<u32>(H, 20) + f, 20);
  store<u32>(H, load<u32>(H, 24) + g, 24); store<u32>(H, load<u32>(H, 28) + h, 28);
}

export function sha256Init(): void {
  for (let i = 0; i < 8; i++) store<u32>(H + (<usize>i << 2), iv(i));
  fill = 0;
  total = 0;
}

export function sha256Update(p: usize, len: i32): void {
  total += <u64>len;
  let i = 0;
  if (fill > 0) {
    i = min(len, BLOCK_SIZE - fill);
    memory.copy(BLOCK + <usize>fill, p, <usize>i);
    fill += i;
    if (fill < BLOCK_SIZE) return;
    compress(BLOCK);
    fill = 0;
  }
  // Whole blocks straight from the message, no copy.
  for (; len - i >= BLOCK_SIZE; i += BLOCK_SIZE) compress(p + <usize>i);
  fill = len - i;
  memory.copy(BLOCK, p + <usize>i, <usize>fill);
}

/** Pads (§5.1.1), writes the 32-byte digest at `out`; the context must be initialised again before reuse. */
export function sha256Final(out: usize): void {
  store<u8>(BLOCK + <usize>fill, 0x80);
  memory.fill(BLOCK + <usize>fill + 1, 0, BLOCK_SIZE - 1 - fill);
  if (fill >= BLOCK_SIZE - 8) { compress(BLOCK); memory.fill(BLOCK, 0, BLOCK_SIZE); }
  store<u64>(BLOCK, bswap<u64>(total << 3), BLOCK_SIZE - 8);
  compress(BLOCK);
  for (let i: usize = 0; i < 32; i += 4) store<u32>(out + i, bswap<u32>(load<u32>(H + i)));
}

export function sha256(p: usize, len: i32, out: usize): void {
  sha256Init();
  sha256Update(p, len);
  sha256Final(out);
}
