// MD5 (RFC 1321), for SIP digest authentication (RFC 2617 / RFC 8760) only:
// not a security primitive here, the registrar chooses it. One static
// context, fed in pieces of any size, as sha256.ts.
const BLOCK_SIZE = 64;
const H = memory.data(16);
const BLOCK = memory.data(BLOCK_SIZE);
let fill = 0;
let total: u64 = 0;

// T[i] = floor(2^32 * |sin(i + 1)|) (RFC 1321 §3.4), and the per-round shifts.
const T = memory.data<u32>([
  0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
  0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
  0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
  0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
  0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
  0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
  0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
  0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
]);
const S = memory.data<u8>([7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21]);

function compress(): void {
  let a = load<u32>(H), b = load<u32>(H, 4), c = load<u32>(H, 8), d = load<u32>(H, 12);
  for (let i = 0; i < 64; i++) {
    const round = i >> 4;
    let f: u32, g: i32;
    if (round == 0) { f = (b & c) | (~b & d); g = i; }
    else if (round == 1) { f = (d & b) | (~d & c); g = (5 * i + 1) & 15; }
    else if (round == 2) { f = b ^ c ^ d; g = (3 * i + 5) & 15; }
    else { f = c ^ (b | ~d); g = (7 * i) & 15; }
    // Words are little-endian (§2), as WebAssembly's loads.
    const x = a + f + load<u32>(T + (<usize>i << 2)) + load<u32>(BLOCK + (<usize>g << 2));
    a = d; d = c; c = b;
    b = b + rotl(x, <u32>load<u8>(S + <usize>((round << 2) | (i & 3))));
  }
  store<u32>(H, load<u32>(H) + a); store<u32>(H, load<u32>(H, 4) + b, 4);
  store<u32>(H, load<u32>(H, 8) + c, 8); store<u32>(H, load<u32>(H, 12) + d, 12);
}

export function md5Begin(): void {
  store<u32>(H, 0x67452301); store<u32>(H, 0xefcdab89, 4);
  store<u32>(H, 0x98badcfe, 8); store<u32>(H, 0x10325476, 12);
  fill = 0;
  total = 0;
}

export function md5Feed(p: usize, len: i32): void {
  for (let i = 0; i < len; i++) {
    store<u8>(BLOCK + <usize>fill, load<u8>(p + <usize>i));
    if (++fill == BLOCK_SIZE) { compress(); fill = 0; }
  }
  if (len > 0) total += <u64>len;
}

/** Pads (§3.1, §3.2), writes the 16-byte digest at `out`; md5Begin again before reuse. */
export function md5End(out: usize): void {
  store<u8>(BLOCK + <usize>fill, 0x80);
  memory.fill(BLOCK + <usize>fill + 1, 0, BLOCK_SIZE - 1 - fill);
  if (fill >= BLOCK_SIZE - 8) { compress(); memory.fill(BLOCK, 0, BLOCK_SIZE); }
  store<u64>(BLOCK, total << 3, BLOCK_SIZE - 8);
  compress();
  memory.copy(out, H, 16);
}

/** Writes `len` bytes at `p` as lowercase hex at `out` (2 * len bytes). */
export function hexLower(p: usize, len: i32, out: usize): void {
  for (let i = 0; i < len; i++) {
    const b = <u32>load<u8>(p + <usize>i);
    store<u8>(out + (<usize>i << 1), hexDigit(b >> 4));
    store<u8>(out + (<usize>i << 1) + 1, hexDigit(b & 15));
  }
}
@inline function hexDigit(v: u32): u8 { return <u8>(v < 10 ? 0x30 + v : 0x57 + v); }

/** MD5 of `len` bytes at `p` as 32 lowercase hex digits at `out`. */
export function md5Hex(p: usize, len: i32, out: usize): void {
  md5Begin();
  md5Feed(p, len);
  const raw = memory.data(16);
  md5End(raw);
  hexLower(raw, 16, out);
}
