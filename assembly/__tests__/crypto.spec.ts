import { fromHex, toHex } from "./hex";
import { sha256, sha256Final, sha256Init, sha256Update } from "../lib/sha256";
import { sha512, sha512Final, sha512Init, sha512Update } from "../lib/sha512";
import { ed25519Verify, ed25519VerifyFinish, ed25519VerifyStart, ed25519VerifyUpdate } from "../lib/ed25519";

const MSG = memory.data(1024);
const SIG = memory.data(64);
const PUB = memory.data(32);
const OUT = memory.data(64);

/** Writes the ASCII `s` at `dst`; returns its length. */
function ascii(s: string, dst: usize = MSG): i32 {
  for (let i = 0; i < s.length; i++) store<u8>(dst + <usize>i, <u8>s.charCodeAt(i));
  return s.length;
}

function flip(p: usize, i: i32, bit: i32): void {
  store<u8>(p + <usize>i, <u8>(<u32>load<u8>(p + <usize>i) ^ (1 << bit)));
}

function hash256(s: string): string { sha256(MSG, ascii(s), OUT); return toHex(OUT, 32); }
function hash512(s: string): string { sha512(MSG, ascii(s), OUT); return toHex(OUT, 64); }

/** Loads a signature, key and message given as hex, and verifies in one call. */
function verifyHex(sig: string, pub: string, msg: string): bool {
  fromHex(sig, SIG);
  fromHex(pub, PUB);
  return ed25519Verify(SIG, PUB, MSG, fromHex(msg, MSG));
}

// NIST's example messages (FIPS 180-4 examples, csrc.nist.gov).
const ABC = "abc";
const M448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
const M896 = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";

describe("SHA-256", () => {
  it("hashes the NIST one-block message \"abc\"", () => {
    expect(hash256(ABC)).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });

  it("hashes the NIST 448-bit message (padding spills into a second block)", () => {
    expect(hash256(M448)).toBe("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  });

  it("hashes the NIST 896-bit message", () => {
    expect(hash256(M896)).toBe("cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
  });

  it("hashes the empty message", () => {
    sha256(MSG, 0, OUT);
    expect(toHex(OUT, 32)).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  });

  it("hashes one million 'a' streamed in 1000-byte pieces", () => {
    memory.fill(MSG, 0x61, 1000);
    sha256Init();
    for (let i = 0; i < 1000; i++) sha256Update(MSG, 1000);
    sha256Final(OUT);
    expect(toHex(OUT, 32)).toBe("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  });

  it("gives the same digest however the message is cut", () => {
    const n = ascii(M896);
    sha256Init();
    sha256Update(MSG, 1);
    sha256Update(MSG + 1, 63);
    sha256Update(MSG + 64, 0);
    sha256Update(MSG + 64, n - 64);
    sha256Final(OUT);
    expect(toHex(OUT, 32)).toBe("cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
  });
});

describe("SHA-512", () => {
  it("hashes the NIST one-block message \"abc\"", () => {
    expect(hash512(ABC)).toBe(
      "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
  });

  it("hashes the NIST 448-bit message", () => {
    expect(hash512(M448)).toBe(
      "204a8fc6dda82f0a0ced7beb8e08a41657c16ef468b228a8279be331a703c33596fd15c13b1b07f9aa1d3bea57789ca031ad85c7a71dd70354ec631238ca3445");
  });

  it("hashes the NIST 896-bit message (padding spills into a second block)", () => {
    expect(hash512(M896)).toBe(
      "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909");
  });

  it("hashes one million 'a' streamed in 1000-byte pieces", () => {
    memory.fill(MSG, 0x61, 1000);
    sha512Init();
    for (let i = 0; i < 1000; i++) sha512Update(MSG, 1000);
    sha512Final(OUT);
    expect(toHex(OUT, 64)).toBe(
      "e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973ebde0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b");
  });
});

// RFC 8032 §7.1 (the secret keys are not needed to verify).
const T1_PUB = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
const T1_SIG = "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";
const T2_PUB = "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c";
const T2_SIG = "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00";
const T3_PUB = "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025";
const T3_SIG = "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a";
const T1024_PUB = "278117fc144c72340f67d0f2316e8386ceffbf2b2428c9c51fef7c597f1d426e";
const T1024_SIG = "0aab4c900501b3e24d7cdf4663326a3a87df5e4843b2cbdb67cbf6e460fec350aa5371b1508f9f4528ecea23c436d94b5e8fcd4f681e30a6ac00a9704a188a03";
const T1024_MSG =
  "08b8b2b733424243760fe426a4b54908632110a66c2f6591eabd3345e3e4eb98fa6e264bf09efe12ee50f8f54e9f77b1e355f6c50544e23fb1433ddf73be84d8" +
  "79de7c0046dc4996d9e773f4bc9efe5738829adb26c81b37c93a1b270b20329d658675fc6ea534e0810a4432826bf58c941efb65d57a338bbd2e26640f89ffbc" +
  "1a858efcb8550ee3a5e1998bd177e93a7363c344fe6b199ee5d02e82d522c4feba15452f80288a821a579116ec6dad2b3b310da903401aa62100ab5d1a36553e" +
  "06203b33890cc9b832f79ef80560ccb9a39ce767967ed628c6ad573cb116dbefefd75499da96bd68a8a97b928a8bbc103b6621fcde2beca1231d206be6cd9ec7" +
  "aff6f6c94fcd7204ed3455c68c83f4a41da4af2b74ef5c53f1d8ac70bdcb7ed185ce81bd84359d44254d95629e9855a94a7c1958d1f8ada5d0532ed8a5aa3fb2" +
  "d17ba70eb6248e594e1a2297acbbb39d502f1a8c6eb6f1ce22b3de1a1f40cc24554119a831a9aad6079cad88425de6bde1a9187ebb6092cf67bf2b13fd65f270" +
  "88d78b7e883c8759d2c4f5c65adb7553878ad575f9fad878e80a0c9ba63bcbcc2732e69485bbc9c90bfbd62481d9089beccf80cfe2df16a2cf65bd92dd597b07" +
  "07e0917af48bbb75fed413d238f5555a7a569d80c3414a8d0859dc65a46128bab27af87a71314f318c782b23ebfe808b82b0ce26401d2e22f04d83d1255dc51a" +
  "ddd3b75a2b1ae0784504df543af8969be3ea7082ff7fc9888c144da2af58429ec96031dbcad3dad9af0dcbaaaf268cb8fcffead94f3c7ca495e056a9b47acdb7" +
  "51fb73e666c6c655ade8297297d07ad1ba5e43f1bca32301651339e22904cc8c42f58c30c04aafdb038dda0847dd988dcda6f3bfd15c4b4c4525004aa06eeff8" +
  "ca61783aacec57fb3d1f92b0fe2fd1a85f6724517b65e614ad6808d6f6ee34dff7310fdc82aebfd904b01e1dc54b2927094b2db68d6f903b68401adebf5a7e08" +
  "d78ff4ef5d63653a65040cf9bfd4aca7984a74d37145986780fc0b16ac451649de6188a7dbdf191f64b5fc5e2ab47b57f7f7276cd419c17a3ca8e1b939ae49e4" +
  "88acba6b965610b5480109c8b17b80e1b7b750dfc7598d5d5011fd2dcc5600a32ef5b52a1ecc820e308aa342721aac0943bf6686b64b2579376504ccc493d97e" +
  "6aed3fb0f9cd71a43dd497f01f17c0e2cb3797aa2a2f256656168e6c496afc5fb93246f6b1116398a346f1a641f3b041e989f7914f90cc2c7fff357876e506b5" +
  "0d334ba77c225bc307ba537152f3f1610e4eafe595f6d9d90d11faa933a15ef1369546868a7f3a45a96768d40fd9d03412c091c6315cf4fde7cb68606937380d" +
  "b2eaaa707b4c4185c32eddcdd306705e4dc1ffc872eeee475a64dfac86aba41c0618983f8741c5ef68d3a101e8a3b8cac60c905c15fc910840b94c00a0b9d0";

const TABC_PUB = "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf";
const TABC_SIG = "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704";
const TABC_MSG = "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f";

// Made once with Node v20.20.2's crypto, three fresh key pairs:
//   const { privateKey, publicKey } = crypto.generateKeyPairSync("ed25519");
//   sig = crypto.sign(null, Buffer.from(MESSAGE), privateKey);
//   pub = publicKey.export({ format: "der", type: "spki" }).subarray(12); // the raw 32-byte key
// and each checked with crypto.verify(null, msg, publicKey, sig).
const NODE_MSG = ["phone.wasm for slot A", "SEP001B54C2A710.cnf.xml", "The bootloader verifies this with its own code."];
const NODE_PUB = [
  "998be5254d6fdda4257fb0472be94238b0d39c91a4244a60a13fc0f7789a1454",
  "a24dc3f3b1115825bba79e75c92d3a1e3677507fd0e1283da133b47a2316efa1",
  "7a8ba7a25315b9bbae792d2b2577a64e2b9302c643a2b71c9c6e536b29c04f0e",
];
const NODE_SIG = [
  "e81c73db5052b6c77379876ba3751d5c150621b385eb3fe9b54f561331c8efef72cccf3e0ebd2ec4fff0efbfbcf987fa6bea8fef1ea043a9e3f64f5ea314910c",
  "a671abcac1306290a9db4f57ad7df0c775f7d2ac4db0514f137353a600ea43a1f97c63e743fd5a982293c712b6573f6fe987afd76d5e01b3716409194a258203",
  "c8b3587b353bc64a6a55b5338f52f137364c501556f1654956df59b7551644c2f38da146b3375167d9c94e8a763709f86c740affa7e7659e558c6b7626f9c806",
];

// Points for hand-made signatures, as encodings (little-endian y, sign of x in the top bit).
const IDENTITY = "0100000000000000000000000000000000000000000000000000000000000000"; // (0, 1)
const IDENTITY_Y_PLUS_P = "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"; // y = p + 1
const IDENTITY_NEGATIVE_ZERO = "0100000000000000000000000000000000000000000000000000000000000080"; // x = -0
const NOT_ON_CURVE = "0200000000000000000000000000000000000000000000000000000000000000"; // y = 2: no x
const BASE = "5866666666666666666666666666666666666666666666666666666666666666"; // B
const ONE = "0100000000000000000000000000000000000000000000000000000000000000";
const ZERO = "0000000000000000000000000000000000000000000000000000000000000000";
const L_HEX = "edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010";

describe("Ed25519 verification", () => {
  it("accepts RFC 8032 TEST 1 (empty message)", () => {
    expect(verifyHex(T1_SIG, T1_PUB, "")).toBe(true);
  });

  it("accepts RFC 8032 TEST 2 (one byte)", () => {
    expect(verifyHex(T2_SIG, T2_PUB, "72")).toBe(true);
  });

  it("accepts RFC 8032 TEST 3 (two bytes)", () => {
    expect(verifyHex(T3_SIG, T3_PUB, "af82")).toBe(true);
  });

  it("accepts RFC 8032 TEST 1024 (1023 bytes)", () => {
    expect(verifyHex(T1024_SIG, T1024_PUB, T1024_MSG)).toBe(true);
  });

  it("accepts RFC 8032 TEST SHA(abc)", () => {
    expect(verifyHex(TABC_SIG, TABC_PUB, TABC_MSG)).toBe(true);
  });

  it("accepts signatures made by Node's crypto", () => {
    for (let i = 0; i < 3; i++) {
      fromHex(NODE_SIG[i], SIG);
      fromHex(NODE_PUB[i], PUB);
      expect(ed25519Verify(SIG, PUB, MSG, ascii(NODE_MSG[i]))).toBe(true);
    }
  });

  it("streams the message in pieces, and copies the signature and key at the start", () => {
    const n = fromHex(T1024_MSG, MSG);
    fromHex(T1024_SIG, SIG);
    fromHex(T1024_PUB, PUB);
    ed25519VerifyStart(SIG, PUB);
    memory.fill(SIG, 0, 64);
    memory.fill(PUB, 0, 32);
    ed25519VerifyUpdate(MSG, 1);
    ed25519VerifyUpdate(MSG + 1, 0);
    ed25519VerifyUpdate(MSG + 1, 500);
    ed25519VerifyUpdate(MSG + 501, n - 501);
    expect(ed25519VerifyFinish()).toBe(true);
  });

  it("rejects a flipped bit in R", () => {
    fromHex(T3_SIG, SIG); fromHex(T3_PUB, PUB); const n = fromHex("af82", MSG);
    flip(SIG, 5, 3);
    expect(ed25519Verify(SIG, PUB, MSG, n)).toBe(false);
  });

  it("rejects a flipped bit in S", () => {
    fromHex(T3_SIG, SIG); fromHex(T3_PUB, PUB); const n = fromHex("af82", MSG);
    flip(SIG, 40, 0);
    expect(ed25519Verify(SIG, PUB, MSG, n)).toBe(false);
  });

  it("rejects a flipped bit in the message", () => {
    fromHex(T1024_SIG, SIG); fromHex(T1024_PUB, PUB); const n = fromHex(T1024_MSG, MSG);
    flip(MSG, 1022, 7);
    expect(ed25519Verify(SIG, PUB, MSG, n)).toBe(false);
  });

  it("rejects a flipped bit in the public key, a low bit and the sign bit", () => {
    fromHex(T2_SIG, SIG); fromHex(T2_PUB, PUB); const n = fromHex("72", MSG);
    flip(PUB, 0, 0);
    expect(ed25519Verify(SIG, PUB, MSG, n)).toBe(false);
    flip(PUB, 0, 0);
    flip(PUB, 31, 7);
    expect(ed25519Verify(SIG, PUB, MSG, n)).toBe(false);
  });

  it("rejects a signature checked with another key", () => {
    expect(verifyHex(T1_SIG, T2_PUB, "")).toBe(false);
    expect(verifyHex(NODE_SIG[0], NODE_PUB[1], "")).toBe(false);
  });

  it("rejects S + L, which satisfies the group equation but is not reduced", () => {
    fromHex(T2_SIG, SIG); fromHex(T2_PUB, PUB); const n = fromHex("72", MSG);
    fromHex(L_HEX, OUT);
    let carry: u32 = 0;
    for (let i = 0; i < 32; i++) { // S < L < 2^253, so S + L still fits in 32 bytes
      const v = <u32>load<u8>(SIG + 32 + <usize>i) + <u32>load<u8>(OUT + <usize>i) + carry;
      store<u8>(SIG + 32 + <usize>i, <u8>v);
      carry = v >> 8;
    }
    expect(ed25519Verify(SIG, PUB, MSG, n)).toBe(false);
    expect(verifyHex(T2_SIG, T2_PUB, "72")).toBe(true);
  });

  // With A the identity, [S]B = R + [k]A holds for R = [S]B whatever the message:
  // (R, S) = (B, 1) passes with A's canonical encoding (RFC 8032 does not reject
  // small-order keys) and must fail with any other encoding of the same point.
  it("accepts the identity key's own signature, to show the next cases differ only in encoding", () => {
    expect(verifyHex(BASE + ONE, IDENTITY, "72")).toBe(true);
    expect(verifyHex(IDENTITY + ZERO, IDENTITY, "72")).toBe(true);
  });

  it("rejects a non-canonical A (y >= p)", () => {
    expect(verifyHex(BASE + ONE, IDENTITY_Y_PLUS_P, "72")).toBe(false);
  });

  it("rejects an A with x = 0 and the sign bit set", () => {
    expect(verifyHex(BASE + ONE, IDENTITY_NEGATIVE_ZERO, "72")).toBe(false);
  });

  it("rejects an A that is not on the curve", () => {
    expect(verifyHex(BASE + ONE, NOT_ON_CURVE, "72")).toBe(false);
  });

  it("rejects a non-canonical R (y >= p) and an R with x = 0 and the sign bit set", () => {
    expect(verifyHex(IDENTITY_Y_PLUS_P + ZERO, IDENTITY, "72")).toBe(false);
    expect(verifyHex(IDENTITY_NEGATIVE_ZERO + ZERO, IDENTITY, "72")).toBe(false);
  });

  it("rejects an all-zero and an all-ones signature and key without trapping", () => {
    expect(verifyHex(ZERO + ZERO, T1_PUB, "")).toBe(false);
    const ones = "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";
    expect(verifyHex(ones + ones, ones, "")).toBe(false);
    expect(verifyHex(T1_SIG, ones, "")).toBe(false);
  });
});
