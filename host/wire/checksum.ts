// The Internet checksum (RFC 1071) and the IPv4 pseudo-header UDP and TCP sum.

/** Unfolded sum of big-endian 16-bit words, odd byte padded with zero. */
export function sum16(data: Uint8Array, initial = 0): number {
  let sum = initial;
  const n = data.length;
  for (let i = 0; i + 1 < n; i += 2) sum += (data[i] << 8) | data[i + 1];
  if ((n & 1) === 1) sum += data[n - 1] << 8;
  return sum;
}

export function foldSum(sum: number): number {
  let s = sum;
  for (let i = 0; i < 4 && s > 0xffff; i++) s = (s % 0x10000) + Math.floor(s / 0x10000);
  return s;
}

/** RFC 1071: one's complement of the one's complement sum. */
export function internetChecksum(data: Uint8Array, initial = 0): number {
  return ~foldSum(sum16(data, initial)) & 0xffff;
}

/** RFC 768 / RFC 9293: source, destination, protocol and length, as a sum to start from. */
export function pseudoHeaderSum(src: number, dst: number, protocol: number, length: number): number {
  return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + protocol + length;
}

/** True when `segment` with its pseudo-header sums to all ones (its checksum field included). */
export function pseudoChecksumOk(segment: Uint8Array, src: number, dst: number, protocol: number): boolean {
  return foldSum(sum16(segment, pseudoHeaderSum(src, dst, protocol, segment.length))) === 0xffff;
}
