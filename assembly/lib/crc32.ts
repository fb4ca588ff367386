// CRC-32 (IEEE 802.3, reflected, poly 0xEDB88320), bitwise: no table, so it
// costs no RAM and a few dozen bytes of code. Used for flash records.
export function crc32(p: usize, len: i32, crc: u32 = 0): u32 {
  crc = ~crc;
  for (let i = 0; i < len; i++) {
    crc ^= <u32>load<u8>(p + <usize>i);
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & (0 - (crc & 1)));
  }
  return ~crc;
}
