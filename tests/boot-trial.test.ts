// A new image boots once on trial, confirms itself when healthy (DHCP bound,
// for now), and stays; unconfirmed, the next boot reverts it. The loader
// instantiates the WebAssembly found in the slot, once per distinct image.
import { createHash } from "node:crypto";
import { test } from "node:test";
import assert from "node:assert/strict";
import { flashImage, readSlot, devImage, DEFAULT_LOAD_NAME } from "../host/image.js";
import { imageModuleCount, PHONE_WASM } from "../host/firmware.js";
import { FlashHarness } from "../host/boot/harness.js";
import { bootLines, bootOnNetwork, flashWith, phoneImage, powerOn } from "../host/boot/testkit.js";
import { Phone } from "../host/phone.js";
import { Scheduler } from "../host/sim/scheduler.js";
import { buildNetwork, bootPhone } from "../host/sim/network.js";

const A = phoneImage("P0030801SR01", 1);
const B = phoneImage("P0030801SR02", 2);

test("the default phone boots the signed image in slot A, confirmed, and shows it in its timeline", () => {
  const net = buildNetwork({ seed: 1 });
  assert.equal(bootPhone(net).bound, true);
  assert.deepEqual(net.phone.image, { slot: 0, load: DEFAULT_LOAD_NAME, trial: false });
  const lines = bootLines(net.phone);
  assert.deepEqual(lines, [
    "start",
    "slot  A confirmed",
    "slot  B empty",
    "security counter  1 recorded (was 0)",
    `run  ${DEFAULT_LOAD_NAME} from slot A (confirmed)`,
  ]);
  // The image there is build/phone.wasm, signed with the development key.
  assert.deepEqual(readSlot(net.phone.flash, 0).bytes, devImage(PHONE_WASM));
});

test("a new image boots once on trial, confirms itself when bound, and stays; the security counter rises after", () => {
  const flash = flashWith(A);
  assert.equal(bootOnNetwork(flash).bound, true);
  new FlashHarness(flash).install(1, B, 2); // what the running firmware does with a download
  assert.equal(readSlot(flash, 1).state, "pending");

  const first = bootOnNetwork(flash).net.phone;
  assert.deepEqual(first.image, { slot: 1, load: "P0030801SR02", trial: true });
  const lines = bootLines(first);
  assert.ok(lines.includes("slot  B pending"));
  assert.ok(lines.includes("run  P0030801SR02 from slot B (trial)"));
  assert.ok(lines.includes("confirmed  image in slot B confirmed: it stays"), lines.join("\n"));
  assert.equal(readSlot(flash, 1).state, "confirmed");
  assert.equal(new FlashHarness(flash).x.running_slot(), 1);
  assert.equal(new FlashHarness(flash).x.boot_counter(), 1, "not raised by a trial");

  const second = bootOnNetwork(flash).net.phone;
  assert.deepEqual(second.image, { slot: 1, load: "P0030801SR02", trial: false });
  assert.ok(bootLines(second).includes("security counter  2 recorded (was 1)"));
  assert.ok(!bootLines(second).some((l) => l.startsWith("confirmed")), "nothing left to confirm");
  assert.equal(new FlashHarness(flash).x.boot_counter(), 2);
  // Slot A (counter 1) is now a downgrade.
  assert.equal(flash.violations, 0);
});

test("an image that resets before it confirms is reverted by the next boot, and never started again", () => {
  const flash = flashWith(A, B, { state: "pending", seq: 2 });
  const sched = new Scheduler();
  const phone = new Phone(sched, { mac: "00:1b:54:c2:a7:10", seed: 1, flash });
  assert.equal(phone.powerOn(), true);
  assert.deepEqual(phone.image, { slot: 1, load: "P0030801SR02", trial: true });
  phone.reset(7); // what hal.reset does
  sched.run({ untilUs: sched.now + 1000 });
  assert.deepEqual(phone.image, { slot: 0, load: "P0030801SR01", trial: false });
  const lines = bootLines(phone);
  assert.ok(lines.includes("reset  requested by the firmware (reason 7)"), lines.join("\n"));
  assert.ok(lines.includes("slot  B trial"));
  assert.ok(lines.includes("revert  slot B: its trial ended unconfirmed; rejected, back to the other slot"));
  assert.equal(readSlot(flash, 1).state, "rejected");
  assert.equal(phone.boots, 2);
  // And on every boot after.
  const again = powerOn(flash).phone;
  assert.equal(again.image?.slot, 0);
  assert.ok(bootLines(again).includes("slot  B rejected"));
});

test("power lost while a trial runs (before it confirms): the next boot reverts it", () => {
  const flash = flashWith(A, B, { state: "pending", seq: 2 });
  assert.equal(powerOn(flash).phone.image?.trial, true); // runs, never reaches DHCP: no confirmation
  assert.deepEqual(powerOn(flash).phone.image, { slot: 0, load: "P0030801SR01", trial: false });
});

test("a signed image whose payload is not WebAssembly fails to start; on trial, the boot reverts it at once", () => {
  const junk = phoneImage("P0030801SR09", 1, undefined, new TextEncoder().encode("not a wasm module"));
  const flash = flashWith(A, junk, { state: "pending", seq: 2 });
  const { phone, ok } = powerOn(flash);
  assert.equal(ok, true);
  assert.deepEqual(phone.image, { slot: 0, load: "P0030801SR01", trial: false });
  const lines = bootLines(phone);
  assert.ok(lines.some((l) => /^failed  slot B: the image does not start/.test(l)), lines.join("\n"));
  assert.ok(lines.some((l) => l.startsWith("revert  slot B")));
});

test("phones that boot the same image share one compiled module and the image's flash sectors", () => {
  const before = imageModuleCount();
  const phones = Array.from({ length: 20 }, (_, i) => {
    const p = new Phone(new Scheduler(), { mac: `00:1b:54:00:00:${i.toString(16).padStart(2, "0")}`, seed: i });
    assert.equal(p.powerOn(), true);
    return p;
  });
  assert.ok(imageModuleCount() - before <= 1, "at most one new module (the default image)");
  for (const p of phones) {
    // Factory data and the two boot-record sectors are the phone's own; slot A is shared.
    assert.ok(p.flash.ownedBytes() <= 3 * 4096, `${p.flash.ownedBytes()} bytes`);
  }
});

test("the firmware's confirm is a no-op on a confirmed image: no flash write after the boot record but the lease", () => {
  const flash = flashWith(A);
  bootOnNetwork(flash);
  // The preferences store (0x1000-0x2fff) keeps the DHCP lease; boot record and slots follow it.
  const rest = () => { const b = new Uint8Array(0x820000 - 0x3000); flash.copyOut(0x3000, b); return createHash("sha256").update(b).digest("hex"); };
  const before = rest();
  const { bound } = bootOnNetwork(flash);
  assert.equal(bound, true);
  assert.equal(rest(), before, "a normal boot writes nothing but the lease");
});

test("the firmware's slot code works on a part with a 16-byte program unit", () => {
  const flash = flashWith(A);
  const part = new (flash.constructor as typeof import("../host/flash.js").Flash)({ size: 16 << 20, sectorSize: 4096, programUnit: 16 });
  const data = new Uint8Array(16 << 20);
  flash.copyOut(0, data.subarray(0, 0x20000));
  assert.equal(part.program(0, data.subarray(0, 4096)), 0); // factory sector
  flashImage(part, 0, A);
  new FlashHarness(part).install(1, B, 2, 512);
  assert.equal(bootOnNetwork(part).net.phone.image?.trial, true);
  assert.equal(bootOnNetwork(part).net.phone.image?.load, "P0030801SR02");
  assert.equal(part.violations, 0);
  const h = new FlashHarness(part);
  assert.equal(h.prefsSet(1, new TextEncoder().encode("odd length value")), 0);
  assert.equal(new TextDecoder().decode(h.prefsGet(1)!), "odd length value");
});
