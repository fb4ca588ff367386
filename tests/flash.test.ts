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
