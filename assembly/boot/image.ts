// The firmware image format (README "Firmware images"; host/image.ts builds
// and inspects the same bytes). Big-endian.
//
//   header, 64 bytes:
//     0 magic "IPPI" u32 | 4 header version u16 = 1 | 6 header size u16 = 64
//     8 payload size u32 | 12 security counter u32 | 16 flags u32 = 0
//    20 target u32: 0 WebAssembly, 1 mps2-an386 (native code) | 24 load address u32
//    28 reserved[4] = 0 | 32 load name[32], ASCII, NUL-padded
//   payload: the phone's WebAssembly module (target 0), or its native code
//     linked to run at the load address, where the board copies it (RAM-load)
//     (target 1; host/device/native_abi.h)
//   TLV area, right after the payload:
//     info: magic u16 0x6907 | total length u16 (info included)
//     TLVs: type u16 | length u16 | value, back to back
//       0x10 SHA-256 of header + payload (32)
//       0x02 Ed25519 public key (32); its SHA-256 must equal factory data's key hash
//       0x24 Ed25519 signature of header + payload (64)
// The header and the TLV area are parsed here from memory: no flash, no trap.
import { get16, get32 } from "../lib/bytes";
import { IMAGE_MAX } from "../flash/layout";

export const IMAGE_MAGIC: u32 = 0x49505049; // "IPPI"
export const HEADER_VERSION: u32 = 1;
export const HEADER_SIZE: u32 = 64;
export const TARGET = 20;
export const LOAD_ADDR = 24;
export const LOAD_NAME = 32;
export const LOAD_NAME_MAX = 32;
export const TLV_INFO_MAGIC: u32 = 0x6907;
export const TLV_INFO_SIZE: u32 = 4;
export const TLV_MAX: u32 = 1024;

/** What an image's payload is: which engine may start it. Version 1 headers before targets had 0 here. */
export const enum Target { Wasm = 0, Mps2An386 = 1 }

export const enum Tlv { PubKey = 0x02, Sha256 = 0x10, Ed25519 = 0x24 }

/** Why an image is refused (Ev.BootReject's b; host/events.ts names them). */
export const enum ImageErr {
  Ok = 0,
  Read = 1,        // flash read failed
  Magic = 2,       // no image header
  Header = 3,      // unknown header version or size
  Size = 4,        // payload size runs past the slot
  Truncated = 5,   // no TLV area after the payload, or a malformed one
  NoHash = 6,      // no SHA-256 TLV
  Unsigned = 7,    // no signature or no public key TLV
  Key = 8,         // signed with a key the factory data does not name
  Downgrade = 9,   // security counter below the one recorded
  Hash = 10,       // SHA-256 of header + payload differs
  Signature = 11,  // the Ed25519 signature does not verify
  Target = 12,     // built for another target (native code for a WebAssembly runtime, or the reverse)
}

@inline export function payloadSize(h: usize): u32 { return get32(h + 8); }
@inline export function securityCounter(h: usize): u32 { return get32(h + 12); }
@inline export function imageTarget(h: usize): u32 { return get32(h + TARGET); }

/** Checks the 64-byte header at `h`: magic, version, size, bounds in the slot. */
export function headerCheck(h: usize): ImageErr {
  if (get32(h) != IMAGE_MAGIC) return ImageErr.Magic;
  if (get16(h + 4) != HEADER_VERSION || get16(h + 6) != HEADER_SIZE) return ImageErr.Header;
  // Room for the header, the payload and at least the TLV info (u64: no wrap-around).
  if (<u64>HEADER_SIZE + <u64>payloadSize(h) + <u64>TLV_INFO_SIZE > <u64>IMAGE_MAX) return ImageErr.Size;
  return ImageErr.Ok;
}

/** Length of the load name (up to its first NUL). */
export function loadNameLen(h: usize): i32 {
  let n = 0;
  while (n < LOAD_NAME_MAX && load<u8>(h + LOAD_NAME + <usize>n) != 0) n++;
  return n;
}

/** Total length of the TLV area whose info is at `p`, given `room` bytes left in the slot; 0 when it is not one. */
export function tlvAreaLen(p: usize, room: u32): u32 {
  if (get16(p) != TLV_INFO_MAGIC) return 0;
  const total = get16(p + 2);
  if (total < TLV_INFO_SIZE || total > TLV_MAX || total > room) return 0;
  return total;
}

/**
 * The value of the first TLV of `type` with length `want` in the area at `p`
 * (`total` bytes, info included), or 0 when absent. Sets tlvMalformed when a
 * TLV runs past the area.
 */
export let tlvMalformed = false;
export function tlvFind(p: usize, total: u32, type: u32, want: u32): usize {
  tlvMalformed = false;
  let off = TLV_INFO_SIZE;
  while (off < total) {
    if (off + 4 > total) { tlvMalformed = true; return 0; }
    const t = get16(p + off);
    const len = get16(p + off + 2);
    if (off + 4 + len > total) { tlvMalformed = true; return 0; }
    if (t == type && len == want) return p + off + 4;
    off += 4 + len;
  }
  return 0;
}
