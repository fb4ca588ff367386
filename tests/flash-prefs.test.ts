// The preferences store (assembly/flash/log.ts, prefs.ts), the firmware's own
// code on the flash model: values read back, the log compacts into the other
// sector, and a power cut at every flash operation of a write leaves every
// key whole, old or new.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Flash, LAYOUT, PowerCut } from "../host/flash.js";
import { FlashHarness } from "../host/boot/harness.js";

const text = (s: string) => new TextEncoder().encode(s);
const str = (b: Uint8Array | null) => (b === null ? null : new TextDecoder().decode(b));
const TEARS = [0, 0.5, 0.99];

test("set, get, overwrite, delete; absent keys read as unset", () => {
  const h = new FlashHarness(new Flash());
  assert.equal(h.prefsGet(1), null);
  assert.equal(h.prefsSet(1, text("ringer=3")), 0);
  assert.equal(h.prefsSet(2, text("contrast=7")), 0);
  assert.equal(h.prefsSet(1, text("ringer=5")), 0);
  assert.equal(str(h.prefsGet(1)), "ringer=5");
  assert.equal(str(h.prefsGet(2)), "contrast=7");
  assert.equal(h.prefsSet(2, new Uint8Array(0)), 0, "length 0 deletes");
  assert.equal(h.prefsGet(2), null);
  assert.equal(h.prefsSet(3, new Uint8Array(255).fill(7)), 0, "255 bytes, the largest value");
  assert.equal(h.prefsGet(3)?.length, 255);
  assert.ok(h.prefsSet(4, new Uint8Array(256)) < 0, "256 bytes is refused");
  assert.ok(h.prefsSet(255, text("x")) < 0, "key 255 is reserved");
  assert.equal(h.flash.violations, 0);
});

test("a full sector compacts into the other one, which keeps each key's latest value; both sectors wear", () => {
  const flash = new Flash();
  const h = new FlashHarness(flash);
  for (let i = 0; i < 600; i++) {
    assert.equal(h.prefsSet(i % 5, text(`value ${i} of key ${i % 5}`)), 0, `write ${i}`);
  }
  for (let k = 0; k < 5; k++) assert.equal(str(h.prefsGet(k)), `value ${595 + k} of key ${k}`);
  const e0 = flash.eraseCount(LAYOUT.prefs);
  const e1 = flash.eraseCount(LAYOUT.prefs + LAYOUT.sectorSize);
  assert.ok(e0 >= 2 && e1 >= 2 && Math.abs(e0 - e1) <= 1, `erase counts ${e0}, ${e1}`);
  assert.equal(flash.violations, 0);
  // Another instance (a reboot) reads the same.
  assert.equal(str(new FlashHarness(flash).prefsGet(3)), "value 598 of key 3");
});

/** Runs `write` on a copy of the state `setup` makes, cut at each operation in turn. */
function cutEveryOp(setup: (h: FlashHarness) => void, write: (h: FlashHarness) => void, check: (h: FlashHarness, at: number, tear: number) => void): number {
  const probe = new Flash();
  setup(new FlashHarness(probe));
  const before = probe.ops;
  write(new FlashHarness(probe));
  const ops = probe.ops - before;
  assert.ok(ops >= 1);
  for (let at = 1; at <= ops; at++) {
    for (const tear of TEARS) {
      const flash = new Flash();
      setup(new FlashHarness(flash));
      flash.armPowerCut({ atOp: at, tear });
      assert.throws(() => write(new FlashHarness(flash)), PowerCut, `cut at op ${at} of ${ops}`);
      flash.restorePower();
      check(new FlashHarness(flash), at, tear);
      assert.equal(flash.violations, 0);
    }
  }
  return ops;
}

test("power cut at every operation of a preferences write (append): the key reads old or new, whole; others unchanged", () => {
  const setup = (h: FlashHarness) => {
    h.prefsSet(1, text("old value of one"));
    h.prefsSet(2, text("two"));
  };
  const ops = cutEveryOp(setup, (h) => h.prefsSet(1, text("the new value of key one")), (h, at, tear) => {
    const v = str(h.prefsGet(1));
    assert.ok(v === "old value of one" || v === "the new value of key one", `op ${at} tear ${tear}: ${v}`);
    assert.equal(str(h.prefsGet(2)), "two");
    // The store still works after the cut.
    assert.equal(h.prefsSet(1, text("after")), 0);
    assert.equal(str(h.prefsGet(1)), "after");
    assert.equal(str(h.prefsGet(2)), "two");
  });
  assert.equal(ops, 1);
});

test("power cut at every operation of a preferences write that compacts: old or new, every key whole", () => {
  const values = new Map<number, string>();
  const setup = (h: FlashHarness) => {
    // Fill the first sector to within one record of the end: the next write compacts.
    for (let i = 0; ; i++) {
      const v = `${i}`.padEnd(40, "x");
      h.prefsSet(i % 7, text(v));
      values.set(i % 7, v);
      if (i >= 84) break; // 85 records of 48 bytes fill the 4080 bytes after the header
    }
  };
  const probe = new FlashHarness(new Flash());
  setup(probe);
  const newValue = "N".repeat(200);
  const before = probe.flash.ops;
  probe.prefsSet(3, text(newValue));
  assert.ok(probe.flash.eraseCount(LAYOUT.prefs + LAYOUT.sectorSize) === 1, "the probe write compacted into the second sector");
  const ops = cutEveryOp(setup, (h) => h.prefsSet(3, text(newValue)), (h, at, tear) => {
    const v = str(h.prefsGet(3));
    assert.ok(v === values.get(3) || v === newValue, `op ${at} tear ${tear}: key 3 = ${v}`);
    for (const [k, old] of values) if (k !== 3) assert.equal(str(h.prefsGet(k)), old, `op ${at} tear ${tear}: key ${k}`);
    assert.equal(h.prefsSet(3, text("after")), 0);
    assert.equal(str(h.prefsGet(3)), "after");
  });
  assert.equal(ops, probe.flash.ops - before);
  assert.ok(ops >= 9, `erase, 7 records, header: ${ops} operations`);
});

test("power cut at every operation of the very first write on a blank store: unset or the value", () => {
  cutEveryOp(() => {}, (h) => h.prefsSet(9, text("first")), (h) => {
    const v = str(h.prefsGet(9));
    assert.ok(v === null || v === "first", String(v));
  });
});
