// SHA-512 (FIPS 180-4). One static context: init, update with the message in
// pieces of any size (an image read from flash chunk by chunk), final.
// Ed25519 verification owns this context between its start and finish.

/** Round constants K (FIPS 180-4 §4.2.3). */
export const K: usize = memory.data<u64>([
  0x428a2f98d728ae22, 0x7137449123ef65cd, 0xb5c0fbcfec4d3b2f, 0xe9b5dba58189dbbc,
  0x3956c25bf348b538, 0x59f111f1b605d019, 0x923f82a4af194f9b, 0xab1c5ed5da6d8118,
  0xd807aa98a3030242, 0x12835b0145706fbe, 0x243185be4ee4b28c, 0x550c7dc3d5ffb4e2,
  0x72be5d74f27b896f, 0x80deb1fe3b1696b1, 0x9bdc06a725c71235, 0xc19bf174cf692694,
  0xe49b69c19ef14ad2, 0xefbe4786384f25e3, 0x0fc19dc68b8cd5b5, 0x240ca1cc77ac9c65,
  0x2de92c6f592b0275, 0x4a7484aa6ea6e483, 0x5cb0a9dcbd41fbd4, 0x76f988da831153b5,
  0x983e5152ee66dfab, 0xa831c66d2db43210, 0xb00327c898fb213f, 0xbf597fc7beef0ee4,
  0xc6e00bf33da88fc2, 0xd5a79147930aa725, 0x06ca6351e003826f, 0x142929670a0e6e70,
  0x27b70a8546d22ffc, 0x2e1b21385c26c926, 0x4d2c6dfc5ac42aed, 0x53380d139d95b3df,
  0x650a73548baf63de, 0x766a0abb3c77b2a8, 0x81c2c92e47edaee6, 0x92722c851482353b,
  0xa2bfe8a14cf10364, 0xa81a664bbc423001, 0xc24b8b70d0f89791, 0xc76c51a30654be30,
  0xd192e819d6ef5218, 0xd69906245565a910, 0xf40e35855771202a, 0x106aa07032bbd1b8,
  0x19a4c116b8d2d0c8, 0x1e376c085141ab53, 0x2748774cdf8eeb99, 0x34b0bcb5e19b48a8,
  0x391c0cb3c5c95a63, 0x4ed8aa4ae3418acb, 0x5b9cca4f7763e373, 0x682e6ff3d6b2b8a3,
  0x748f82ee5defb2fc, 0x78a5636f43172f60, 0x84c87814a1f0ab72, 0x8cc702081a6439ec,
  0x90befffa23631e28, 0xa4506cebde82bde9, 0xbef9a3f7b2c67915, 0xc67178f2e372532b,
  0xca273eceea26619c, 0xd186b8c721c0c207, 0xeada7dd6cde0eb1e, 0xf57d4f7fee6ed178,
  0x06f067aa72176fba, 0x0a637dc5a2c898a6, 0x113f9804bef90dae, 0x1b710b35131c471b,
  0x28db77f523047d84, 0x32caab7b40c72493, 0x3c9ebe0a15c9bebc, 0x431d67c49c100d4c,
  0x4cc5d4becb3e42b6, 0x597f299cfc657e2a, 0x5fcb6fab3ad6faec, 0x6c44198c4a475817,
]);
/** Initial hash value H(0) (FIPS 180-4 §5.3.5). */
export const IV: usize = memory.data<u64>([
  0x6a09e667f3bcc908, 0xbb67ae8584caa73b, 0x3c6ef372fe94f82b, 0xa54ff53a5f1d36f1,
  0x510e527fade682d1, 0x9b05688c2b3e6c1f, 0x1f83d9abfb41bd6b, 0x5be0cd19137e2179,
]);

const BLOCK_SIZE = 128;
const H = memory.data(64); // hash value
const W = memory.data(128); // message schedule: the last 16 words are all a round needs
const BLOCK = memory.data(BLOCK_SIZE);
let fill = 0; // bytes waiting in BLOCK
let total: u64 = 0; // bytes hashed

@inline function word(i: i32): usize { return W + (<usize>(i & 15) << 3); }

/** Hashes the block at `block` (BLOCK, or a whole one in the caller's message). */
function compress(block: usize): void {
  let a = load<u64>(H), b = load<u64>(H, 8), c = load<u64>(H, 16), d = load<u64>(H, 24);
  let e = load<u64>(H, 32), f = load<u64>(H, 40), g = load<u64>(H, 48), h = load<u64>(H, 56);
  for (let t = 0; t < 80; t++) {
    let w: u64;
    if (t < 16) {
      w = bswap<u64>(load<u64>(block + (<usize>t << 3)));
    } else {
      const w2 = load<u64>(word(t - 2)), w15 = load<u64>(word(t - 15));
      w = (rotr(w2, 19) ^ rotr(w2, 61) ^ (w2 >> 6)) + load<u64>(word(t - 7))
        + (rotr(w15, 1) ^ rotr(w15, 8) ^ (w15 >> 7)) + load<u64>(word(t));
    }
    store<u64>(word(t), w);
    const t1 = h + (rotr(e, 14) ^ rotr(e, 18) ^ rotr(e, 41)) + ((e & f) ^ (~e & g))
      + load<u64>(K + (<usize>t << 3)) + w;
    const t2 = (rotr(a, 28) ^ rotr(a, 34) ^ rotr(a, 39)) + ((a & b) ^ (a & c) ^ (b & c));
    h = g; g = f; f = e; e = d + t1;
    d = c; c = b; b = a; a = t1 + t2;
  }
  store<u64>(H, load<u64>(H) + a); store<u64>(H, load<u64>(H, 8) + b, 8);
  store<u64>(H, load<u64>(H, 16) + c, 16); store<u64>(H, load<u64>(H, 24) + d, 24);
  store<u64>(H, load<u64>(H, 32) + e, 32); store<u64>(H, load<u64>(H, 40) + f, 40);
  store<u64>(H, load<u64>(H, 48) + g, 48); store<u64>(H, load<u64>(H, 56) + h, 56);
}

export function sha512Init(): void {
  memory.copy(H, IV, 64);
  fill = 0;
  total = 0;
}

export function sha512Update(p: usize, len: i32): void {
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

/** Pads (§5.1.2), writes the 64-byte digest at `out`; the context must be initialised again before reuse. */
export function sha512Final(out: usize): void {
  store<u8>(BLOCK + <usize>fill, 0x80);
  memory.fill(BLOCK + <usize>fill + 1, 0, BLOCK_SIZE - 1 - fill);
  if (fill >= BLOCK_SIZE - 16) { compress(BLOCK); memory.fill(BLOCK, 0, BLOCK_SIZE); }
  store<u64>(BLOCK, bswap<u64>(total << 3), BLOCK_SIZE - 8); // the 128-bit length's high half stays 0
  compress(BLOCK);
  for (let i: usize = 0; i < 64; i += 8) store<u64>(out + i, bswap<u64>(load<u64>(H + i)));
}

export function sha512(p: usize, len: i32, out: usize): void {
  sha512Init();
  sha512Update(p, len);
  sha512Final(out);
}
