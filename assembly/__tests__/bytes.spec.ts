import { fromHex, scratch, toHex } from "./hex";
import { checksum, get16, get32, getMac, put16, put32, putMac, sum16, fold } from "../lib/bytes";
import { crc32 } from "../lib/crc32";

describe("bytes", () => {
  it("reads and writes big-endian", () => {
    fromHex("0102030405060708");
    expect(get16(scratch)).toBe(0x0102);
    expect(get32(scratch + 2)).toBe(0x03040506);
    expect(getMac(scratch)).toBe(0x010203040506);
    put16(scratch, 0xbeef);
    put32(scratch + 2, 0xdeadc0de);
    expect(toHex(scratch, 6)).toBe("beefdeadc0de");
    putMac(scratch, 0x001b54c2a710);
    expect(toHex(scratch, 6)).toBe("001b54c2a710");
  });

  it("computes the RFC 1071 example checksum", () => {
    // RFC 1071 section 3: bytes 00 01 f2 03 f4 f5 f6 f7 sum to 0xddf2.
    fromHex("0001f203f4f5f6f7");
    expect(fold(sum16(scratch, 8, 0))).toBe(~0xddf2 & 0xffff);
    expect(checksum(scratch, 8)).toBe(0x220d);
  });

  it("pads an odd final byte with zero", () => {
    fromHex("0102ab");
    expect(sum16(scratch, 3, 0)).toBe(0x0102 + 0xab00);
  });

  it("computes CRC-32 of the standard check string", () => {
    // "123456789" -> 0xCBF43926, the check value of CRC-32/ISO-HDLC.
    fromHex("313233343536373839");
    expect(crc32(scratch, 9)).toBe(0xcbf43926);
    expect(crc32(scratch, 0)).toBe(0);
  });
});
