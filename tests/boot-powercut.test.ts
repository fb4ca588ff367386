// Power cut at every flash operation of an upgrade: writing the new image
// and marking it for trial (the firmware's installer), the trial boot, the
// image's confirmation, and the boot after that (which records the security
// counter). After every cut, at every tear, the phone boots a valid image
// signed with the trusted key, never starts the unconfirmed image twice, and
// settles on the new image exactly when the writes that commit it were whole.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Flash, PowerCut } from "../host/flash.js";
import { devKey, keyHashOf, readSlot, verifyImage } from "../host/image.js";
import type { BootedImage } from "../host/phone.js";
import { FlashHarness } from "../host/boot/harness.js";
import { bootOnNetwork, flashWith, phoneImage } from "../host/boot/testkit.js";

const A = phoneImage("P0030801SR01", 1);
const B = phoneImage("P0030801SR02", 2);
const TEARS = [0, 0.5, 0.99];
const KEY_HASH = keyHashOf(devKey());

/** Boots on the network; records what started (even when a power cut ends the run) and checks it. */
function boot(flash: Flash, starts: BootedImage[]): void {
  const seed = starts.length + 1;
  let started: BootedImage | null = null;
  try {
    const { net } = bootOnNetwork(flash, seed, 30_000);
    started = net.phone.image;
    assert.ok(started, "the phone booted an image");
  } catch (e) {
    if (!(e instanceof PowerCut)) throw e;
    // The cut came from inside the boot or the running firmware; what had started by then counts.
    throw Object.assign(e, { started });
  } finally {
    if (started) {
      starts.push(started);
      const slot = readSlot(flash, started.slot);
      assert.ok(slot.bytes, "the slot holds a whole image");
      assert.deepEqual(slot.bytes, started.load === "P0030801SR01" ? A : B);
      assert.equal(verifyImage(slot.bytes, { keyHash: KEY_HASH }).ok, true);
    }
  }
}

interface Step { name: string; run: (flash: Flash, starts: BootedImage[]) => void }

const STEPS: Step[] = [
  { name: "install B and mark it for trial", run: (f) => new FlashHarness(f).install(1, B, 2) },
  { name: "trial boot, until B confirms itself", run: boot },
  { name: "next boot: B confirmed, security counter recorded", run: boot },
];

/** Runs the steps; returns the step and op (within it) the cut hit, or null. */
function runSteps(flash: Flash, starts: BootedImage[], opsPerStep?: number[]): { step: number } | null {
  for (let i = 0; i < STEPS.length; i++) {
    const before = flash.ops;
    try {
      STEPS[i].run(flash, starts);
    } catch (e) {
      if (e instanceof PowerCut) {
        // A start interrupted by the cut was pushed by boot() already.
        return { step: i };
      }
      throw e;
    }
    opsPerStep?.push(flash.ops - before);
  }
  return null;
}

function scenario(name: string, setup: () => Flash): void {
  test(`power cut at every flash operation of an upgrade (${name})`, () => {
    const probe = setup();
    const perStep: number[] = [];
    const probeStarts: BootedImage[] = [];
    assert.equal(runSteps(probe, probeStarts, perStep), null);
    assert.deepEqual(probeStarts.map((s) => `${s.load} ${s.trial ? "trial" : "confirmed"}`), ["P0030801SR02 trial", "P0030801SR02 confirmed"]);
    const total = perStep.reduce((a, b) => a + b, 0);
    assert.ok(perStep[0] >= 10 && perStep[1] >= 2 && perStep[2] >= 1, `operations per step: ${perStep}`);
    const confirmOp = perStep[0] + perStep[1]; // the trial image's confirmation is the last write of step 2
    let cuts = 0;
    for (let at = 1; at <= total; at++) {
      for (const tear of TEARS) {
        const flash = setup();
        const starts: BootedImage[] = [];
        flash.armPowerCut({ atOp: at, tear });
        const cut = runSteps(flash, starts);
        const where = `cut at op ${at}/${total} (${STEPS[cut?.step ?? 0].name}), tear ${tear}`;
        assert.ok(cut, where);
        cuts++;
        flash.restorePower();
        // The upgrade goes on exactly when the write that commits it was whole:
        // the installer's "pending" mark, then the image's confirmation.
        const b = readSlot(flash, 1).state;
        const settled = b === "pending" || b === "confirmed" ? "P0030801SR02" : "P0030801SR01";
        if (at < perStep[0]) assert.equal(b, "empty", `${where}: B not installed yet`);
        // Until the trial boot marks B "trial" the upgrade stands; a cut after that (the trial
        // writes the DHCP lease before it registers and confirms) leaves an unconfirmed trial: the
        // boots below must revert it.
        if (at > perStep[0] && at < confirmOp) assert.ok(b === "pending" || b === "trial", `${where}: B installed, then lost (${b})`);
        if (at === confirmOp) assert.equal(b, "trial", `${where}: a torn confirmation does not count`);
        for (let i = 0; i < 3; i++) boot(flash, starts); // the next boots after power returns
        const trialsOfB = starts.filter((s) => s.slot === 1 && s.trial).length;
        assert.ok(trialsOfB <= 1, `${where}: B started unconfirmed ${trialsOfB} times`);
        const last = starts.slice(-2);
        for (const s of last) assert.deepEqual(s, { slot: settled === "P0030801SR01" ? 0 : 1, load: settled, trial: false }, where);
        assert.equal(flash.violations, 0, `${where}: programmed a 0 back to 1`);
        // After an upgrade that went through, the counter is B's: A is a downgrade from now on.
        const counter = new FlashHarness(flash).x.boot_counter();
        assert.equal(counter, settled === "P0030801SR02" ? 2 : 1, where);
      }
    }
    assert.equal(cuts, total * TEARS.length);
  });
}

scenario("a phone that has booted before", () => {
  const flash = flashWith(A);
  bootOnNetwork(flash);
  return flash;
});

scenario("the boot record's log is full, so the trial boot's record compacts it", () => {
  const flash = flashWith(A);
  bootOnNetwork(flash);
  const h = new FlashHarness(flash);
  for (let i = 0; i < 254; i++) assert.equal(h.x.record_boot(0, 1), 0);
  return flash;
});

scenario("a phone fresh from the factory (no boot record yet)", () => flashWith(A));
