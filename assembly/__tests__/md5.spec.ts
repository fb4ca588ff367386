import { toHex } from "./hex";
import { hexLower, md5Begin, md5End, md5Feed, md5Hex } from "../lib/md5";

const MSG = memory.data(256);
const OUT = memory.data(64);

function ascii(s: string, dst: usize = MSG): i32 {
  for (let i = 0; i < s.length; i++) store<u8>(dst + <usize>i, <u8>s.charCodeAt(i));
  return s.length;
}
function md5(s: string): string {
  md5Hex(MSG, ascii(s), OUT);
  return String.UTF8.decodeUnsafe(OUT, 32);
}

// RFC 1321 appendix A.5, the test suite.
describe("MD5 (RFC 1321 A.5)", () => {
  it("hashes the empty string", () => { expect(md5("")).toBe("d41d8cd98f00b204e9800998ecf8427e"); });
  it("hashes \"a\"", () => { expect(md5("a")).toBe("0cc175b9c0f1b6a831c399e269772661"); });
  it("hashes \"abc\"", () => { expect(md5("abc")).toBe("900150983cd24fb0d6963f7d28e17f72"); });
  it("hashes \"message digest\"", () => { expect(md5("message digest")).toBe("f96b697d7cb7938d525a2f31aaf161d0"); });
  it("hashes the alphabet", () => { expect(md5("abcdefghijklmnopqrstuvwxyz")).toBe("c3fcd3d76192e4007dfb496cca67e13b"); });
  it("hashes the 62 letters and digits (one block and a half)", () => {
    expect(md5("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")).toBe("d174ab98d277d9f5a5611c2c9f419d9f");
  });
  it("hashes eight times 1234567890 (80 bytes)", () => {
    expect(md5("12345678901234567890123456789012345678901234567890123456789012345678901234567890")).toBe("57edf4a22be3c955ac49da2e2107b67a");
  });
});

describe("MD5 streaming", () => {
  it("gives the same digest fed in uneven pieces across block boundaries", () => {
    const n = ascii("12345678901234567890123456789012345678901234567890123456789012345678901234567890");
    md5Begin();
    md5Feed(MSG, 1);
    md5Feed(MSG + 1, 0);
    md5Feed(MSG + 1, 62);
    md5Feed(MSG + 63, 2);
    md5Feed(MSG + 65, n - 65);
    md5End(OUT);
    expect(toHex(OUT, 16)).toBe("57edf4a22be3c955ac49da2e2107b67a");
  });
  it("pads a 56-byte message into a second block", () => {
    // 56 bytes: the length no longer fits the first block (§3.1).
    md5Begin();
    for (let i = 0; i < 56; i++) store<u8>(MSG + <usize>i, 0x61);
    md5Feed(MSG, 56);
    md5End(OUT);
    expect(toHex(OUT, 16)).toBe("3b0c8ac703f828b04c6c197006d17218");
  });
  it("writes lowercase hex", () => {
    store<u8>(MSG, 0xab); store<u8>(MSG, 0x09, 1);
    hexLower(MSG, 2, OUT);
    expect(String.UTF8.decodeUnsafe(OUT, 4)).toBe("ab09");
  });
});
