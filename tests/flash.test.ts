// The NOR flash model: erase to 0xFF, program only clears bits, geometry,
// erase counts, power cuts that tear the operation, shared sectors.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Flash, FLASH_ERR_ALIGN, FLASH_ERR_NOT_ERASED, FLASH_ERR_RANGE, FLASH_OK, PowerCut, toSectors } from "../host/flash.js";

const bytes = (...b: number[]) => new Uint8Array(b);
const read = (f: Flash, addr: number, len: number) => [...(f.read(addr, len) as Uint8Array)];

test("a new flash reads 0xFF; program clears bits; erase sets the sector back to 0xFF", () => {
  const f = new Flash({ size: 64 * 1024, sectorSize: 4096, programUnit: 1 });
  assert.deepEqual(read(f, 0, 4), [0xff, 0xff, 0xff, 0xff]);
  assert.equal(f.program(4094, bytes(0x12, 0x34, 0x56, 0x78)), FLASH_OK); // across a sector boundary
  assert.deepEqual(read(f, 4094, 4), [0x12, 0x34, 0x56, 0x78]);
  assert.equal(f.program(4094, bytes(0x10)), FLASH_OK, "clearing more bits is fine");
  assert.deepEqual(read(f, 4094, 1), [0x10]);
  assert.equal(f.erase(4096 + 100), FLASH_OK);
  assert.deepEqual(read(f, 4094, 4), [0x10, 0x34, 0xff, 0xff], "only the sector holding the address");
  assert.equal(f.eraseCount(4096), 1);
  assert.equal(f.eraseCount(0), 0);
  assert.deepEqual([...f.eraseCounts()], [[1, 1]]);
});

test("programming a 0 back to 1 is reported and counted, and the bit stays 0", () => {
  const f = new Flash();
  f.program(0, bytes(0x0f));
  assert.equal(f.program(0, bytes(0xf0)), FLASH_ERR_NOT_ERASED);
  assert.equal(f.violations, 1);
  assert.deepEqual(read(f, 0, 1), [0x00]);
});

test("range and program-unit alignment are checked; the geometry is configurable", () => {
  const f = new Flash({ size: 8192, sectorSize: 1024, programUnit: 16 });
  assert.equal(f.program(8, new Uint8Array(16)), FLASH_ERR_ALIGN);
  assert.equal(f.program(16, new Uint8Array(8)), FLASH_ERR_ALIGN);
  assert.equal(f.program(8192 - 16, new Uint8Array(32)), FLASH_ERR_RANGE);
  assert.equal(f.read(8190, 4), FLASH_ERR_RANGE);
  assert.equal(f.erase(8192), FLASH_ERR_RANGE);
  assert.equal(f.program(32, new Uint8Array(16)), FLASH_OK);
  f.erase(1500);
  assert.equal(f.eraseCount(1024), 1);
  assert.throws(() => new Flash({ size: 1000, sectorSize: 4096, programUnit: 1 }), RangeError);
  assert.throws(() => new Flash({ size: 8192, sectorSize: 4096, programUnit: 3 }), RangeError);
});

test("a power cut tears the Nth program: a prefix written, the byte at the cut only partly, then the device is off", () => {
  const f = new Flash();
  f.program(0, bytes(1));
  f.armPowerCut({ atOp: 2, tear: 0.5 });
  assert.equal(f.program(16, new Uint8Array(4).fill(0xaa)), FLASH_OK, "op 1 after arming completes");
  assert.throws(() => f.program(32, new Uint8Array(8)), (e) => e instanceof PowerCut && e.op === 3);
  assert.equal(f.poweredOff, true);
  assert.throws(() => f.read(0, 1), PowerCut, "nothing works while off");
  f.restorePower();
  // 4 of 8 bytes written, the fifth only its high nibble cleared.
  assert.deepEqual(read(f, 32, 8), [0, 0, 0, 0, 0x0f, 0xff, 0xff, 0xff]);
  assert.equal(f.ops, 3);
});

test("a torn erase leaves the sector partly erased", () => {
  const f = new Flash();
  f.program(4096, new Uint8Array(4096));
  f.armPowerCut({ atOp: 1, tear: 0.25 });
  assert.throws(() => f.erase(4096), PowerCut);
  f.restorePower();
  assert.deepEqual(read(f, 4096 + 1022, 4), [0xff, 0xff, 0x00, 0x00]);
  assert.equal(f.eraseCount(4096), 1, "the torn erase counts");
  f.armPowerCut({ atOp: 1, tear: 0 });
  assert.throws(() => f.program(0, bytes(0x00, 0x00)), PowerCut);
  f.restorePower();
  assert.deepEqual(read(f, 0, 2), [0x0f, 0xff], "tear 0: the first byte only partly");
});

test("shared sectors are copied on first write: other flashes keep the original", () => {
  const image = new Uint8Array(5000).map((_, i) => i & 0xff);
  const sectors = toSectors(image);
  assert.equal(sectors.length, 2);
  const a = new Flash();
  const b = new Flash();
  a.programShared(0x10000, sectors);
  b.programShared(0x10000, sectors);
  assert.equal(a.ownedBytes(), 0);
  assert.deepEqual(read(a, 0x10000 + 4999, 2), [4999 & 0xff, 0xff]);
  a.program(0x10000 + 4999 + 1, bytes(0x00));
  a.erase(0x10000);
  assert.deepEqual(read(a, 0x10000, 2), [0xff, 0xff]);
  assert.deepEqual(read(b, 0x10000, 2), [0, 1], "b unchanged");
  assert.deepEqual(read(b, 0x10000 + 5000, 1), [0xff]);
  assert.equal(a.ownedBytes(), 4096);
  assert.throws(() => b.programShared(0x10000, sectors), /not erased/);
});

test("a whole erased sector takes its bytes as a copy; later programs of it still check bits; a cut still tears it", () => {
  const f = new Flash();
  const data = new Uint8Array(8192).map((_, i) => (i * 7) & 0xff);
  const view = data.subarray(0, 8192);
  assert.equal(f.program(4096, view), FLASH_OK, "two whole erased sectors");
  data.fill(0); // the firmware reuses its buffer: the flash kept its own copy
  assert.deepEqual(read(f, 4096 + 4094, 4), [(4094 * 7) & 0xff, (4095 * 7) & 0xff, 0, 7]);
  assert.equal(f.program(4096 + 1, bytes(0xff)), FLASH_ERR_NOT_ERASED, "7 & ~0xff: a 0 back to 1 is reported");
  assert.equal(f.ownedBytes(), 8192);
  f.armPowerCut({ atOp: 1, tear: 0.5 });
  assert.throws(() => f.program(3 * 4096, new Uint8Array(4096)), PowerCut);
  f.restorePower();
  assert.deepEqual(read(f, 3 * 4096 + 2047, 3), [0, 0x0f, 0xff], "half written, the byte at the cut partly");
});

test("programs in order into an erased sector, and any mix of programs and erases, behave as a byte-by-byte NOR part", () => {
  const ss = 256;
  const f = new Flash({ size: 8 * ss, sectorSize: ss, programUnit: 1 });
  const model = new Uint8Array(8 * ss).fill(0xff);
  let seed = 0x2545f491;
  const rand = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) % n;
  let violations = 0;
  for (let op = 0; op < 4000; op++) {
    if (rand(20) === 0) {
      const sector = rand(8);
      assert.equal(f.erase(sector * ss), FLASH_OK);
      model.fill(0xff, sector * ss, (sector + 1) * ss);
      continue;
    }
    // Mostly runs that go on where the last left off (a download), some anywhere.
    const addr = rand(8 * ss - 1);
    const data = new Uint8Array(1 + rand(Math.min(300, 8 * ss - addr))).map(() => (rand(4) === 0 ? 0xff : rand(256)));
    let bad = false;
    for (let i = 0; i < data.length; i++) {
      if ((data[i] & ~model[addr + i] & 0xff) !== 0) bad = true;
      model[addr + i] &= data[i];
    }
    if (bad) violations++;
    assert.equal(f.program(addr, data), bad ? FLASH_ERR_NOT_ERASED : FLASH_OK, `op ${op}: program ${data.length} at ${addr}`);
  }
  assert.deepEqual(f.read(0, 8 * ss), model);
  assert.equal(f.violations, violations);
  assert.ok(violations > 100 && violations < 3900, `both outcomes exercised (${violations} violations)`);
});

test("a block written after the last one into an erased sector is taken whole, and a block over programmed bytes is still checked", () => {
  const f = new Flash();
  assert.equal(f.program(0, new Uint8Array(1428).fill(0x5a)), FLASH_OK);
  assert.equal(f.program(1428, new Uint8Array(1428).fill(0xa5)), FLASH_OK, "the erased rest of the sector");
  assert.equal(f.program(1428 * 2 - 1, bytes(0xff, 0x00)), FLASH_ERR_NOT_ERASED, "0xa5 -> 0xff: a 0 back to 1");
  assert.deepEqual(read(f, 1428 * 2 - 2, 4), [0xa5, 0xa5, 0x00, 0xff]);
  assert.equal(f.program(4000, new Uint8Array(96)), FLASH_OK, "past a gap: still erased");
  assert.equal(f.program(3000, new Uint8Array(8).fill(0x0f)), FLASH_OK, "inside the gap: still erased");
  assert.deepEqual(read(f, 2999, 10), [0xff, ...new Array(8).fill(0x0f), 0xff]);
});

test("reserved and erased sector buffers are reused, read as erased, and counted as the flash's own", () => {
  const f = new Flash({ size: 64 * 1024, sectorSize: 4096, programUnit: 1 });
  f.reserve(2 * 4096);
  assert.equal(f.ownedBytes(), 2 * 4096, "reserved room is memory the flash holds");
  assert.equal(f.program(0, new Uint8Array(4096).fill(0x11)), FLASH_OK);
  assert.equal(f.program(8192 + 10, bytes(0x22)), FLASH_OK);
  assert.equal(f.ownedBytes(), 2 * 4096, "both writes took reserved buffers");
  assert.equal(f.erase(0), FLASH_OK);
  assert.deepEqual(read(f, 0, 2), [0xff, 0xff]);
  assert.equal(f.program(4096 * 5 + 1, bytes(0x33)), FLASH_OK, "the erased sector's buffer, reused");
  assert.deepEqual(read(f, 4096 * 5, 3), [0xff, 0x33, 0xff], "a reused buffer starts erased");
  assert.deepEqual(read(f, 8192 + 9, 3), [0xff, 0x22, 0xff]);
  assert.equal(f.ownedBytes(), 2 * 4096);
});
