// The bootloader refuses bad images, each with a named reason, and starts
// the other slot; with both slots bad it returns an error the phone shows.
// The host's verifier (host/image.ts) gives the same reason for every case.
import { test } from "node:test";
import { sign } from "node:crypto";
import assert from "node:assert/strict";
import { flashImage, HEADER_SIZE, IMAGE_MAX, parseImage, readSlot, TLV, verifyImage, keyHashOf, devKey } from "../host/image.js";
import { LAYOUT } from "../host/flash.js";
import { bootLines, factoryFlash, flashWith, otherKey, phoneImage, powerOn } from "../host/boot/testkit.js";

const GOOD = phoneImage("P0030801SR01", 1);

function flip(image: Uint8Array, at: number, bit = 0): Uint8Array {
  const copy = image.slice();
  copy[at] ^= 1 << bit;
  return copy;
}

function tlvAt(image: Uint8Array, type: number): number {
  const t = parseImage(image).tlvs.find((x) => x.type === type);
  assert.ok(t, `TLV ${type}`);
  return t.offset + 4;
}

/** GOOD with its signature made over header + payload themselves (PureEdDSA, which MCUboot marks with TLV 0x25) rather than over their digest. */
function pureSigned(): Uint8Array {
  const copy = GOOD.slice();
  const p = parseImage(copy);
  copy.set(sign(null, copy.subarray(0, p.tlvOffset), devKey()), tlvAt(copy, TLV.ED25519));
  return copy;
}

function setPayloadSize(image: Uint8Array, size: number): Uint8Array {
  const copy = image.slice();
  new DataView(copy.buffer).setUint32(8, size);
  return copy;
}

const CASES: { name: string; image: () => Uint8Array; reason: string; line: RegExp }[] = [
  { name: "a flipped bit in the payload", image: () => flip(GOOD, HEADER_SIZE + 1000, 3), reason: "hash", line: /SHA-256 .* does not match/ },
  { name: "a flipped bit in the header's load name", image: () => flip(GOOD, 40, 1), reason: "hash", line: /SHA-256/ },
  { name: "a flipped bit in the header's security counter", image: () => flip(GOOD, 15, 1), reason: "hash", line: /SHA-256/ },
  { name: "a flipped bit in the magic", image: () => flip(GOOD, 0, 0), reason: "magic", line: /no image header/ },
  { name: "an unknown header version", image: () => flip(GOOD, 5, 1), reason: "header", line: /header version/ },
  { name: "a flipped bit in the signature", image: () => flip(GOOD, tlvAt(GOOD, TLV.ED25519) + 40, 5), reason: "signature", line: /signature does not verify/ },
  { name: "a signature of the whole image, not of its SHA-256", image: pureSigned, reason: "signature", line: /signature does not verify/ },
  { name: "a flipped bit in the SHA-256 TLV", image: () => flip(GOOD, tlvAt(GOOD, TLV.SHA256) + 3, 0), reason: "hash", line: /SHA-256/ },
  { name: "a flipped bit in the public key", image: () => flip(GOOD, tlvAt(GOOD, TLV.PUBKEY), 2), reason: "key", line: /key the factory data does not name/ },
  { name: "a signature by another key", image: () => phoneImage("P0030801SR01", 1, otherKey()), reason: "key", line: /key the factory data/ },
  { name: "an unsigned image", image: () => phoneImage("P0030801SR01", 1, null), reason: "unsigned", line: /not signed/ },
  { name: "a truncated image (its end never written)", image: () => GOOD.slice(0, GOOD.length - 200), reason: "truncated", line: /truncated/ },
  { name: "a truncated image (cut in the payload)", image: () => GOOD.slice(0, 3000), reason: "truncated", line: /truncated/ },
  { name: "a payload size past the end of the slot", image: () => setPayloadSize(GOOD, IMAGE_MAX), reason: "size", line: /past the end of the slot/ },
  { name: "a payload size of 4 GiB - 1", image: () => setPayloadSize(GOOD, 0xffffffff), reason: "size", line: /past the end of the slot/ },
  { name: "a payload size that makes the TLV area run past the slot", image: () => setPayloadSize(GOOD, IMAGE_MAX - HEADER_SIZE - 8), reason: "truncated", line: /truncated/ },
];

for (const c of CASES) {
  test(`rejected: ${c.name} (${c.reason}); the other slot boots`, () => {
    const bad = c.image();
    // The bad image is the newer one (sequence 2, slot B): the bootloader tries it first.
    const flash = flashWith(GOOD, bad, { state: "confirmed", seq: 2 });
    const { phone, ok } = powerOn(flash);
    assert.equal(ok, true);
    assert.deepEqual(phone.image, { slot: 0, load: "P0030801SR01", trial: false });
    const lines = bootLines(phone);
    const rejected = lines.filter((l) => l.startsWith("rejected"));
    assert.equal(rejected.length, 1, lines.join("\n"));
    assert.match(rejected[0], /^rejected  slot B: /);
    assert.match(rejected[0], c.line);
    assert.ok(lines.includes("run  P0030801SR01 from slot A (confirmed)"), lines.join("\n"));
    // The host's verifier names the same reason.
    assert.equal(verifyImage(bad, { keyHash: keyHashOf(devKey()) }).reason, c.reason);
  });
}

test("the newest valid image boots: the higher trailer sequence wins, slot A on a tie", () => {
  const newer = phoneImage("P0030801SR02", 1);
  assert.equal(powerOn(flashWith(GOOD, newer, { seq: 2 })).phone.image?.load, "P0030801SR02");
  assert.equal(powerOn(flashWith(newer, GOOD, { seq: 7 }, { seq: 9 })).phone.image?.slot, 0);
  assert.equal(powerOn(flashWith(GOOD, newer, { seq: 1 })).phone.image?.slot, 0, "tie: slot A");
  // An image with no trailer (never marked installed) is not started, valid or not.
  const flash = factoryFlash();
  flashImage(flash, 0, GOOD);
  flash.erase(LAYOUT.slots[0] + LAYOUT.trailerOffset);
  const { phone, ok } = powerOn(flash);
  assert.equal(ok, false);
  assert.ok(bootLines(phone).includes("slot  A empty"));
});

test("a lower security counter than the recorded one is refused as a downgrade", () => {
  const flash = flashWith(phoneImage("P0030801SR05", 5));
  assert.equal(powerOn(flash).phone.image?.load, "P0030801SR05"); // records counter 5
  flashImage(flash, 1, phoneImage("P0030801SR03", 3), { state: "pending", seq: 2 });
  const { phone } = powerOn(flash);
  assert.equal(phone.image?.load, "P0030801SR05");
  assert.ok(bootLines(phone).includes("rejected  slot B: security counter below the one recorded (downgrade)"), bootLines(phone).join("\n"));
  // The same counter is fine.
  flashImage(flash, 1, phoneImage("P0030801SR06", 5), { state: "pending", seq: 3 });
  assert.deepEqual(powerOn(flash).phone.image, { slot: 1, load: "P0030801SR06", trial: true });
});

test("both slots bad: boot() returns a negative error, the phone shows it and stays dark, nothing traps", () => {
  const flash = flashWith(flip(GOOD, 2000), phoneImage("X", 1, otherKey()), { state: "confirmed", seq: 2 });
  const { phone, ok } = powerOn(flash);
  assert.equal(ok, false);
  assert.equal(phone.image, null);
  const lines = bootLines(phone);
  assert.ok(lines.includes("no image  no valid image in either slot (error -10)"), lines.join("\n"));
  assert.ok(lines.includes("failed  bootloader error -10: no valid image in either slot"), lines.join("\n"));
  assert.equal(lines.filter((l) => l.startsWith("rejected")).length, 2);
  // Empty slots, and no factory data at all, are errors too.
  assert.ok(bootLines(powerOn(factoryFlash()).phone).includes("failed  bootloader error -10: no valid image in either slot"));
  const blank = flashWith(GOOD);
  blank.erase(0);
  assert.ok(bootLines(powerOn(blank).phone).some((l) => /^failed  bootloader error -2: no factory data/.test(l)));
});

test("hostile slot contents never trap the bootloader", () => {
  let seed = 12345;
  const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
  for (let i = 0; i < 40; i++) {
    const junk = GOOD.slice();
    // Random bytes over the header, a TLV, or a random place; sometimes a plausible size field.
    for (let k = 0; k < 1 + (rnd() % 8); k++) junk[rnd() % (i % 3 === 0 ? HEADER_SIZE : junk.length)] = rnd() & 0xff;
    if (i % 5 === 0) new DataView(junk.buffer).setUint32(8, rnd() % (IMAGE_MAX + 10));
    const flash = flashWith(GOOD, junk, { state: "confirmed", seq: 2 });
    const { phone } = powerOn(flash);
    assert.ok(phone.image, `case ${i} booted nothing`);
    const expected = verifyImage(junk, { keyHash: keyHashOf(devKey()) });
    assert.equal(phone.image.slot, expected.ok ? 1 : 0, `case ${i}: ${expected.detail}`);
  }
  // The host still reads the slot that was rejected.
  assert.equal(readSlot(flashWith(GOOD), 0).header?.loadName, "P0030801SR01");
});
