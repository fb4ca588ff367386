// Shared by the unit tests: fixture bytes as hex, written into a buffer.
export const scratch = memory.data(2048);

/** Writes the bytes of `hex` at `dst` (the scratch buffer by default); returns their count. */
export function fromHex(hex: string, dst: usize = scratch): i32 {
  const n = hex.length >> 1;
  for (let i = 0; i < n; i++) store<u8>(dst + <usize>i, <u8>parseInt(hex.substr(i * 2, 2), 16));
  return n;
}

/** The bytes at `p` as lower-case hex. */
export function toHex(p: usize, len: i32): string {
  let s = "";
  for (let i = 0; i < len; i++) {
    const b = load<u8>(p + <usize>i);
    s += (b < 16 ? "0" : "") + b.toString(16);
  }
  return s;
}
