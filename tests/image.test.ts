// Firmware images on the host (host/image.ts) and `ipphone image`: build,
// sign with Node's crypto, inspect every field, verify with a named reason;
// and the phone's bootloader accepts what the command builds.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createPublicKey, sign, verify } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  buildImage, devKey, flashImage, HEADER_SIZE, hex, keyHashOf, parseImage, readKey, sha256, signImage, TLV, verifyImage,
  DEV_KEY_PATH, decodeTrailer, encodeTrailer,
} from "../host/image.js";
import { PHONE_WASM } from "../host/firmware.js";
import { factoryFlash, otherKey, powerOn } from "../host/boot/testkit.js";
import { ipphone } from "./helpers/tools.js";

const tmp = mkdtempSync(join(tmpdir(), "ipphone-image-"));
test.after(() => rmSync(tmp, { recursive: true, force: true }));
const WASM = new Uint8Array(readFileSync(PHONE_WASM));

test("build lays out header, payload and a SHA-256 TLV; parse reads every field back", () => {
  const img = buildImage(WASM, { loadName: "P0030801SR02", securityCounter: 7 });
  const p = parseImage(img);
  assert.deepEqual(p.header, {
    magic: 0x49505049, headerVersion: 1, headerSize: 64, payloadSize: WASM.length, securityCounter: 7, flags: 0, target: 0, loadAddr: 0, loadName: "P0030801SR02",
  });
  assert.deepEqual(p.payload, WASM);
  assert.equal(p.tlvOffset, HEADER_SIZE + WASM.length);
  assert.deepEqual(p.tlvs.map((t) => [t.type, t.value.length]), [[TLV.SHA256, 32]]);
  assert.deepEqual(p.tlvs[0].value, sha256(img.subarray(0, p.tlvOffset)));
  assert.equal(p.length, img.length);
  assert.equal(new TextDecoder().decode(img.subarray(0, 4)), "IPPI");
  assert.throws(() => buildImage(WASM, { loadName: "has space" }), RangeError);
  assert.throws(() => buildImage(WASM, { loadName: "X".repeat(33) }), RangeError);
});

test("the signature is Node's Ed25519 of the SHA-256 of header + payload (MCUboot's TLV 0x24); re-signing replaces it", () => {
  const key = otherKey();
  const signed = signImage(signImage(buildImage(WASM, { loadName: "L1" }), devKey()), key);
  const p = parseImage(signed);
  assert.deepEqual(p.tlvs.map((t) => t.type), [TLV.SHA256, TLV.PUBKEY, TLV.ED25519]);
  const pub = p.tlvs[1].value;
  assert.deepEqual(sha256(pub), keyHashOf(key));
  assert.ok(verify(null, sha256(signed.subarray(0, p.tlvOffset)), createPublicKey(key), p.tlvs[2].value));
  assert.ok(!verify(null, signed.subarray(0, p.tlvOffset), createPublicKey(key), p.tlvs[2].value));
  assert.equal(verifyImage(signed, { keyHash: keyHashOf(key) }).ok, true);
  assert.equal(verifyImage(signed, { keyHash: keyHashOf(devKey()) }).reason, "key");
  assert.equal(verifyImage(signed, { minCounter: 1 }).reason, "downgrade");
});

test("an image whose signature is of its bytes, not of their SHA-256, is refused with that cause and signs again", () => {
  const good = signImage(buildImage(WASM, { loadName: "L1" }), devKey());
  const p = parseImage(good);
  const old = good.slice();
  old.set(sign(null, good.subarray(0, p.tlvOffset), devKey()), p.tlvs[2].offset + 4);
  const r = verifyImage(old, { keyHash: keyHashOf(devKey()) });
  assert.equal(r.reason, "signature");
  assert.match(r.detail, /signature is of the whole image, not of its SHA-256 .*sign it again/);
  assert.equal(verifyImage(signImage(old, devKey()), { keyHash: keyHashOf(devKey()) }).ok, true);
  const flipped = good.slice();
  flipped[p.tlvs[2].offset + 4 + 40] ^= 1;
  assert.equal(verifyImage(flipped).detail, "signature: Ed25519 signature does not verify");
});

test("trailers encode and decode in every state", () => {
  for (const state of ["pending", "trial", "confirmed", "rejected"] as const) {
    assert.deepEqual(decodeTrailer(encodeTrailer(42, state)), { state, seq: 42 });
  }
  assert.deepEqual(decodeTrailer(new Uint8Array(64).fill(0xff)), { state: "empty", seq: 0 });
});

test("ipphone image keygen, build, sign, inspect and verify", () => {
  const prefix = join(tmp, "k");
  const wasm = join(tmp, "phone.wasm");
  writeFileSync(wasm, WASM);
  let r = ipphone("image", "keygen", "--out", prefix);
  assert.equal(r.status, 0, r.stderr);
  const hash = hex(keyHashOf(readKey(`${prefix}.pub.pem`)));
  assert.match(r.stdout, new RegExp(`key hash \\(factory data\\): ${hash}`));
  r = ipphone("image", "keygen", "--out", prefix);
  assert.equal(r.status, 1, "does not overwrite a key");
  assert.match(r.stderr, /exists; --force/);

  const unsigned = join(tmp, "u.bin");
  r = ipphone("image", "build", "--wasm", wasm, "--load", "P0030801SR02", "--counter", "3", "--out", unsigned);
  assert.equal(r.status, 0, r.stderr);
  r = ipphone("image", "verify", unsigned);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /invalid: unsigned: /);

  const signed = join(tmp, "s.bin");
  r = ipphone("image", "sign", "--key", `${prefix}.pem`, unsigned, "--out", signed);
  assert.equal(r.status, 0, r.stderr);
  r = ipphone("image", "verify", signed, "--key", `${prefix}.pub.pem`, "--min-counter", "3");
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /valid, signed by key [0-9a-f]{64}; load P0030801SR02, security counter 3/);
  r = ipphone("image", "verify", signed, "--key-hash", hash);
  assert.equal(r.status, 0, r.stderr);

  r = ipphone("image", "inspect", signed);
  assert.equal(r.status, 0, r.stderr);
  for (const field of ["magic", "header version", "header size", "payload size", "security counter", "flags", "load name", "SHA256", "ED25519_PUBKEY", "ED25519_SIGNATURE"]) {
    assert.match(r.stdout, new RegExp(field), `inspect shows ${field}`);
  }
  assert.match(r.stdout, /a valid WebAssembly module/);
  assert.match(r.stdout, new RegExp(`key hash ${hash}`));
  r = ipphone("image", "inspect", "--json", signed);
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.header.load_name, "P0030801SR02");
  assert.equal(j.header.security_counter, 3);
  assert.equal(j.payload.size, WASM.length);
  assert.deepEqual(j.tlvs.map((t: { name: string }) => t.name), ["SHA256", "ED25519_PUBKEY", "ED25519_SIGNATURE"]);
  assert.equal(j.error, null);

  // Each failure exits 1 with its reason.
  const bytes = new Uint8Array(readFileSync(signed));
  const bad = (name: string, mutate: (b: Uint8Array) => Uint8Array) => {
    const f = join(tmp, name);
    writeFileSync(f, mutate(bytes.slice()));
    return f;
  };
  const cases: [string, string[]][] = [
    [bad("payload.bin", (b) => { b[500] ^= 1; return b; }), ["hash"]],
    [bad("sig.bin", (b) => { b[b.length - 3] ^= 0x10; return b; }), ["signature"]],
    [bad("short.bin", (b) => b.subarray(0, 4000)), ["truncated"]],
    [bad("magic.bin", (b) => { b[0] = 0; return b; }), ["magic"]],
  ];
  for (const [file, [reason]] of cases) {
    r = ipphone("image", "verify", file, "--key", `${prefix}.pub.pem`);
    assert.equal(r.status, 1, file);
    assert.match(r.stderr, new RegExp(`invalid: ${reason}: `), r.stderr);
  }
  r = ipphone("image", "verify", signed, "--key", DEV_KEY_PATH.replace(".pem", ".pub.pem"));
  assert.equal(r.status, 1);
  assert.match(r.stderr, /invalid: key: /);
  r = ipphone("image", "verify", "--json", signed, "--min-counter", "4");
  assert.equal(r.status, 1);
  assert.equal(JSON.parse(r.stdout).reason, "downgrade");
  r = ipphone("image", "inspect", join(tmp, "short.bin"));
  assert.equal(r.status, 1);
  assert.match(r.stdout, /load name +P0030801SR02/);
  assert.match(r.stdout, /error: truncated/);

  // Usage errors exit 2.
  for (const args of [["image"], ["image", "fly"], ["image", "build", "--wasm", wasm, "--load", "a b", "--out", "x"], ["image", "verify"], ["image", "verify", signed, "--key-hash", "abc"]]) {
    assert.equal(ipphone(...args).status, 2, args.join(" "));
  }
  r = ipphone("image", "build", "--wasm", unsigned, "--load", "X", "--out", join(tmp, "x.bin"));
  assert.equal(r.status, 1);
  assert.match(r.stderr, /not a valid WebAssembly module/);

  // The phone's bootloader starts what the command built, once factory data names its key.
  const flash = factoryFlash(readKey(`${prefix}.pem`));
  flashImage(flash, 0, bytes);
  const { phone, ok } = powerOn(flash);
  assert.equal(ok, true);
  assert.deepEqual(phone.image, { slot: 0, load: "P0030801SR02", trial: false });
});
