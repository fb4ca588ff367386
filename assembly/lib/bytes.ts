// Big-endian access to linear memory, MAC addresses as u64, and the
// Internet checksum (RFC 1071). All wire formats use these.

@inline export function get8(p: usize): u32 { return <u32>load<u8>(p); }
@inline export function get16(p: usize): u32 { return <u32>bswap<u16>(load<u16>(p)); }
@inline export function get32(p: usize): u32 { return bswap<u32>(load<u32>(p)); }
@inline export function put8(p: usize, v: u32): void { store<u8>(p, <u8>v); }
@inline export function put16(p: usize, v: u32): void { store<u16>(p, bswap<u16>(<u16>v)); }
@inline export function put32(p: usize, v: u32): void { store<u32>(p, bswap<u32>(v)); }

/** A 48-bit MAC address held in the low bits of a u64, first octet highest. */
export function getMac(p: usize): u64 {
  return (<u64>get16(p) << 32) | <u64>get32(p + 2);
}
export function putMac(p: usize, mac: u64): void {
  put16(p, <u32>(mac >> 32));
  put32(p + 2, <u32>mac);
}
export const MAC_BROADCAST: u64 = 0xffff_ffff_ffff;
@inline export function isMulticastMac(mac: u64): bool { return (mac & 0x0100_0000_0000) != 0; }

/** One's-complement sum of `len` bytes as big-endian words, added to `acc` (not folded). */
export function sum16(p: usize, len: i32, acc: u32): u32 {
  let i = 0;
  for (; i + 1 < len; i += 2) acc += get16(p + <usize>i);
  if (i < len) acc += get8(p + <usize>i) << 8;
  return acc;
}
/** Fold a 32-bit one's-complement sum and complement it: the value a header carries. */
export function fold(acc: u32): u32 {
  acc = (acc & 0xffff) + (acc >> 16);
  acc = (acc & 0xffff) + (acc >> 16);
  return ~acc & 0xffff;
}
/** The Internet checksum of `len` bytes; over bytes that carry a correct checksum it is 0. */
export function checksum(p: usize, len: i32): u32 { return fold(sum16(p, len, 0)); }

/** Sum of the IPv4 pseudo-header for UDP/TCP checksums (RFC 768, RFC 793). */
export function pseudoSum(src: u32, dst: u32, proto: u32, len: i32): u32 {
  return (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + proto + <u32>len;
}

/** Compare `len` bytes of memory. */
export function bytesEqual(a: usize, b: usize, len: i32): bool {
  for (let i = 0; i < len; i++) if (load<u8>(a + <usize>i) != load<u8>(b + <usize>i)) return false;
  return true;
}
