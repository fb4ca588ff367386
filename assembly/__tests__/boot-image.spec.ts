// The bootloader's parsers on bytes in memory: image header, TLV area, slot
// trailer. Fixtures made by host/image.ts (node -e 'buildImage(...)'), which
// builds what `ipphone image build` writes.
import { fromHex, scratch } from "./hex";
import {
  headerCheck, ImageErr, loadNameLen, payloadSize, securityCounter, Tlv, tlvAreaLen, tlvFind, tlvMalformed, HEADER_SIZE, TLV_INFO_SIZE,
} from "../boot/image";
import { SlotState, trailerSeq, trailerState } from "../flash/slots";
import { IMAGE_MAX } from "../flash/layout";
import { put16, put32 } from "../lib/bytes";

// buildImage(<8 bytes: \0asm 1 0 0 0>, { loadName: "P0030801SR02", securityCounter: 3 }), unsigned.
const IMAGE = "495050490001004000000008000000030000000000000000000000000000000050303033303830315352303200000000000000000000000000000000000000000061736d0100000069070028001000209b0fd8cca8365297a5fdd32ebe79467909edc046a551f3de4b3c7a971f3e43b1";
// encodeTrailerRecord(7): magic "IPPT", sequence 7, CRC-32 of the first 8 bytes.
const TRAILER = "49505054000000072f5c1b47ffffffff";

function trailer(trial: bool, confirmed: bool, rejected: bool): usize {
  memory.fill(scratch, 0xff, 64);
  fromHex(TRAILER);
  if (trial) memory.fill(scratch + 16, 0, 16);
  if (confirmed) memory.fill(scratch + 32, 0, 16);
  if (rejected) memory.fill(scratch + 48, 0, 16);
  return scratch;
}

describe("image header", () => {
  it("accepts a header made by the host and reads its fields", () => {
    fromHex(IMAGE);
    expect(headerCheck(scratch)).toBe(ImageErr.Ok);
    expect(payloadSize(scratch)).toBe(8);
    expect(securityCounter(scratch)).toBe(3);
    expect(loadNameLen(scratch)).toBe(12);
  });

  it("names what is wrong: magic, version, header size, payload past the slot", () => {
    fromHex(IMAGE);
    store<u8>(scratch, 0x48);
    expect(headerCheck(scratch)).toBe(ImageErr.Magic);
    fromHex(IMAGE);
    put16(scratch + 4, 2);
    expect(headerCheck(scratch)).toBe(ImageErr.Header);
    fromHex(IMAGE);
    put16(scratch + 6, 128);
    expect(headerCheck(scratch)).toBe(ImageErr.Header);
    fromHex(IMAGE);
    put32(scratch + 8, IMAGE_MAX - HEADER_SIZE - TLV_INFO_SIZE);
    expect(headerCheck(scratch)).toBe(ImageErr.Ok);
    put32(scratch + 8, IMAGE_MAX - HEADER_SIZE - TLV_INFO_SIZE + 1);
    expect(headerCheck(scratch)).toBe(ImageErr.Size);
    put32(scratch + 8, 0xffffffff);
    expect(headerCheck(scratch)).toBe(ImageErr.Size);
  });

  it("reads a load name that fills all 32 bytes without running past it", () => {
    fromHex(IMAGE);
    memory.fill(scratch + 32, 0x41, 32);
    store<u8>(scratch + 64, 0x42);
    expect(loadNameLen(scratch)).toBe(32);
  });
});

describe("TLV area", () => {
  it("finds the SHA-256 TLV and reports absent ones", () => {
    fromHex(IMAGE);
    const area = scratch + 72;
    const total = tlvAreaLen(area, 1000);
    expect(total).toBe(40);
    const hash = tlvFind(area, total, Tlv.Sha256, 32);
    expect(hash).toBe(area + 8);
    expect(tlvMalformed).toBe(false);
    expect(tlvFind(area, total, Tlv.Ed25519, 64)).toBe(0);
    expect(tlvFind(area, total, Tlv.Sha256, 64)).toBe(0); // wrong length: not the one
  });

  it("refuses an area with no info, a bad length, or more than the slot holds", () => {
    fromHex(IMAGE);
    const area = scratch + 72;
    expect(tlvAreaLen(area, 39)).toBe(0);
    put16(area + 2, 3);
    expect(tlvAreaLen(area, 1000)).toBe(0);
    put16(area + 2, 2000);
    expect(tlvAreaLen(area, 4000)).toBe(0);
    memory.fill(area, 0xff, 4); // erased flash after a truncated image
    expect(tlvAreaLen(area, 1000)).toBe(0);
  });

  it("flags a TLV that runs past the area instead of reading on", () => {
    fromHex(IMAGE);
    const area = scratch + 72;
    put16(area + 6, 33);
    expect(tlvFind(area, 40, Tlv.Sha256, 32)).toBe(0);
    expect(tlvMalformed).toBe(true);
    fromHex(IMAGE);
    expect(tlvFind(area, 42, Tlv.Ed25519, 64)).toBe(0); // 2 bytes left: not even a TLV header
    expect(tlvMalformed).toBe(true);
  });
});

describe("slot trailer", () => {
  it("decodes each state and the sequence", () => {
    expect(trailerState(trailer(false, false, false))).toBe(SlotState.Pending);
    expect(trailerSeq).toBe(7);
    expect(trailerState(trailer(true, false, false))).toBe(SlotState.Trial);
    expect(trailerState(trailer(true, true, false))).toBe(SlotState.Confirmed);
    expect(trailerState(trailer(true, false, true))).toBe(SlotState.Rejected);
  });

  it("an erased or torn magic record means no image installed", () => {
    memory.fill(scratch, 0xff, 64);
    expect(trailerState(scratch)).toBe(SlotState.Empty);
    trailer(true, true, false);
    store<u8>(scratch + 11, 0x4f); // the CRC's last byte only partly programmed
    expect(trailerState(scratch)).toBe(SlotState.Empty);
    expect(trailerSeq).toBe(0);
  });

  it("a flag counts only when all 16 bytes are programmed: a torn one is not set", () => {
    trailer(true, false, false);
    memory.fill(scratch + 32, 0, 15);
    store<u8>(scratch + 47, 0x0f);
    expect(trailerState(scratch)).toBe(SlotState.Trial);
    trailer(false, false, false);
    store<u8>(scratch + 16, 0x0f);
    expect(trailerState(scratch)).toBe(SlotState.Pending);
  });
});
