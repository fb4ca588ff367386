// Verifies the image in a slot, streaming it from flash through one 4 KiB
// buffer into SHA-256: no allocation, constant stack, one pass over the
// image. The Ed25519 signature is of that digest, as MCUboot's TLV 0x24.
import { flash_read } from "../hal";
import { bytesEqual } from "../lib/bytes";
import { sha256, sha256Final, sha256Init, sha256Update } from "../lib/sha256";
import { ed25519Verify } from "../lib/ed25519";
import { IMAGE_MAX, slotAddr } from "../flash/layout";
import {
  headerCheck, HEADER_SIZE, ImageErr, imageTarget, payloadSize, securityCounter, Tlv, tlvAreaLen, tlvFind,
  TLV_INFO_SIZE, TLV_MAX, tlvMalformed,
} from "./image";

const CHUNK: u32 = 4096;
const buf = memory.data(<i32>CHUNK);
/** The header of the image last checked. */
export const header = memory.data(<i32>HEADER_SIZE);
const tlvs = memory.data(<i32>TLV_MAX);
const digest = memory.data(32);

/**
 * Checks everything about the image in `slot`; `keyHash` is the factory
 * data's SHA-256 of the signing key, `target` what this device can start.
 */
export function verifySlot(slot: i32, minCounter: u32, keyHash: usize, target: u32): ImageErr {
  const base = slotAddr(slot);
  if (flash_read(base, header, HEADER_SIZE) != 0) return ImageErr.Read;
  const err = headerCheck(header);
  if (err != ImageErr.Ok) return err;
  if (imageTarget(header) != target) return ImageErr.Target;
  const signed = HEADER_SIZE + payloadSize(header);

  // The TLV area: its info first, then all of it.
  if (flash_read(base + signed, tlvs, TLV_INFO_SIZE) != 0) return ImageErr.Read;
  const total = tlvAreaLen(tlvs, IMAGE_MAX - signed);
  if (total == 0) return ImageErr.Truncated;
  if (flash_read(base + signed, tlvs, total) != 0) return ImageErr.Read;
  const hash = tlvFind(tlvs, total, Tlv.Sha256, 32);
  if (tlvMalformed) return ImageErr.Truncated;
  const key = tlvFind(tlvs, total, Tlv.PubKey, 32);
  const sig = tlvFind(tlvs, total, Tlv.Ed25519, 64);
  if (hash == 0) return ImageErr.NoHash;
  if (key == 0 || sig == 0) return ImageErr.Unsigned;

  if (securityCounter(header) < minCounter) return ImageErr.Downgrade;
  sha256(key, 32, digest);
  if (!bytesEqual(digest, keyHash, 32)) return ImageErr.Key;

  sha256Init();
  for (let off: u32 = 0; off < signed; off += CHUNK) {
    const n = <i32>min(CHUNK, signed - off);
    if (flash_read(base + off, buf, n) != 0) return ImageErr.Read;
    sha256Update(buf, n);
  }
  sha256Final(digest);
  if (!bytesEqual(digest, hash, 32)) return ImageErr.Hash;
  if (!ed25519Verify(sig, key, digest, 32)) return ImageErr.Signature;
  return ImageErr.Ok;
}
