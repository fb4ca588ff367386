// The powered-device front end (assembly/phone/poe.ts) against IEEE 802.3
// clause 33's PD figures: the detection signature at 2.7-10.1 V (Table
// 33-14), the class currents at 14.5-20.5 V (Table 33-16), the 802.3at mark
// event (Table 33-17), and the relay of Cisco's pre-standard detection.
import {
  POE_CLASS_DEFAULT, POE_POWER_MW, poeClass, poeClassEvents, poeCurrentUa, poeFlpLoopback, poePowerGood, poePowered, poeSetClass,
} from "../phone/poe";

// Table 33-16, the class signature at the PD, µA.
const CLASS_MIN: i32[] = [0, 9_000, 17_000, 26_000, 36_000];
const CLASS_MAX: i32[] = [4_000, 12_000, 20_000, 30_000, 44_000];

/** Unpowered, back in detection, with the build's class. */
function fresh(): void {
  poePowerGood(false);
  poeSetClass(POE_CLASS_DEFAULT);
}

/** Ohms between two probe points, as a PSE computes them (ΔV/ΔI). */
function slopeOhms(mv1: i32, mv2: i32): i64 {
  const i1 = poeCurrentUa(mv1);
  const i2 = poeCurrentUa(mv2);
  return (<i64>(mv2 - mv1) * 1000) / <i64>(i2 - i1);
}

describe("PoE front end: relay and power", () => {
  test("the relay loops FLPs back while unpowered and opens once powered", () => {
    fresh();
    expect(poeFlpLoopback()).toBe(true);
    poePowerGood(true);
    expect(poeFlpLoopback()).toBe(false);
    expect(poePowered()).toBe(true);
    poePowerGood(false);
    expect(poeFlpLoopback()).toBe(true);
  });

  test("the PD turns on at 39 V (under V_On 42 V) and off under 31 V (over V_Off 30 V)", () => {
    fresh();
    expect(poeCurrentUa(38_900)).toBe(0); // class sink off above 22 V, not yet on
    expect(poeFlpLoopback()).toBe(true);
    // 6.3 W at 48 V: 131.25 mA.
    expect(poeCurrentUa(48_000)).toBe(131_250);
    expect(poeFlpLoopback()).toBe(false);
    expect(poeCurrentUa(-48_000)).toBe(131_250);
    expect(poeCurrentUa(31_000)).toBe(<i32>((<i64>POE_POWER_MW * 1_000_000 + 15_500) / 31_000));
    expect(poePowered()).toBe(true);
    poeCurrentUa(30_999);
    expect(poePowered()).toBe(false);
    expect(poeFlpLoopback()).toBe(true);
  });

  test("the class is a build constant: class 2 for a phone drawing 6.3 W (3.84-6.49 W)", () => {
    fresh();
    expect(poeClass()).toBe(2);
    expect(POE_POWER_MW).toBeLessThanOrEqual(6490);
    expect(POE_POWER_MW).toBeGreaterThan(3840);
  });

  test("the class can be set (0-4) only while unpowered", () => {
    fresh();
    expect(poeSetClass(4)).toBe(true);
    expect(poeClass()).toBe(4);
    expect(poeSetClass(5)).toBe(false);
    expect(poeSetClass(-1)).toBe(false);
    poePowerGood(true);
    expect(poeSetClass(1)).toBe(false);
    expect(poeClass()).toBe(4);
    fresh();
    expect(poeClass()).toBe(2);
  });
});

describe("PoE front end: detection signature", () => {
  test("draws (V - 1 V bridge) / 25 kOhm at every 100 mV of 2.7-10.1 V", () => {
    fresh();
    for (let mv = 2_700; mv <= 10_100; mv += 100) {
      expect(poeCurrentUa(mv)).toBe((mv - 1000 + 12) / 25);
    }
  });

  test("ΔV/ΔI of any two points at least 1 V apart is inside 23.75-26.25 kOhm", () => {
    fresh();
    for (let a = 2_800; a <= 9_000; a += 200) {
      for (let b = a + 1000; b <= 10_000; b += 500) {
        const r = slopeOhms(a, b);
        expect(r).toBeGreaterThanOrEqual(23_750);
        expect(r).toBeLessThanOrEqual(26_250);
      }
    }
    expect(slopeOhms(4_000, 9_000)).toBe(25_000);
  });

  test("the offset stays under V_offset 1.9 V: no current through the bridge below 1 V", () => {
    fresh();
    expect(poeCurrentUa(0)).toBe(0);
    expect(poeCurrentUa(1_000)).toBe(0);
    expect(poeCurrentUa(1_900)).toBe(36);
  });

  test("either polarity", () => {
    fresh();
    for (let mv = 0; mv <= 10_000; mv += 500) expect(poeCurrentUa(-mv)).toBe(poeCurrentUa(mv));
  });

  test("still the resistor between 10.1 V and the class-on threshold (12.5 V)", () => {
    fresh();
    expect(poeCurrentUa(10_100)).toBe(364);
    expect(poeCurrentUa(12_499)).toBe(460);
    expect(poeClassEvents()).toBe(0);
  });
});

describe("PoE front end: classification", () => {
  test("every class sinks its Table 33-16 current at every 100 mV of 14.5-20.5 V", () => {
    for (let c = 0; c <= 4; c++) {
      fresh();
      expect(poeSetClass(c)).toBe(true);
      for (let mv = 14_500; mv <= 20_500; mv += 100) {
        const ua = poeCurrentUa(mv);
        expect(ua).toBeGreaterThanOrEqual(CLASS_MIN[c]);
        expect(ua).toBeLessThanOrEqual(CLASS_MAX[c]);
      }
      expect(poeClassEvents()).toBe(1);
    }
  });

  test("the class sink switches on at 12.5 V rising and off under 11 V falling", () => {
    fresh();
    expect(poeCurrentUa(12_500)).toBe(18_500);
    expect(poeCurrentUa(11_000)).toBe(18_500);
    expect(poeCurrentUa(10_999)).toBe(1_000); // mark: 10 kOhm
  });

  test("off above 22 V (past 20.5 V), on again when the voltage comes back", () => {
    fresh();
    expect(poeCurrentUa(17_500)).toBe(18_500);
    expect(poeCurrentUa(22_000)).toBe(18_500);
    expect(poeCurrentUa(22_001)).toBe(0);
    expect(poeCurrentUa(30_000)).toBe(0);
    expect(poeCurrentUa(20_500)).toBe(18_500);
    expect(poeClassEvents()).toBe(1);
  });

  test("802.3at two-event: the mark state at 6.9-10.1 V draws 0.25-4 mA under 12 kOhm", () => {
    fresh();
    expect(poeSetClass(4)).toBe(true);
    expect(poeCurrentUa(17_500)).toBe(40_000);
    for (let mv = 6_900; mv <= 10_100; mv += 100) {
      const ua = poeCurrentUa(mv);
      expect(ua).toBeGreaterThanOrEqual(250);
      expect(ua).toBeLessThanOrEqual(4_000);
    }
    expect(slopeOhms(7_000, 10_000)).toBeLessThan(12_000);
    expect(poeCurrentUa(17_500)).toBe(40_000);
    expect(poeClassEvents()).toBe(2);
  });

  test("below the reset threshold (4 V, inside 2.81-6.9 V) the PD is back to its 25 kOhm signature", () => {
    fresh();
    poeCurrentUa(17_500);
    expect(poeCurrentUa(5_000)).toBe(400); // mark: 4 V / 10 kOhm
    expect(poeCurrentUa(3_999)).toBe(120); // reset: 3 V / 25 kOhm
    expect(poeClassEvents()).toBe(0);
    expect(poeCurrentUa(9_000)).toBe(320);
  });

  test("setting the class resets the class events", () => {
    fresh();
    poeCurrentUa(17_500);
    expect(poeClassEvents()).toBe(1);
    poeSetClass(1);
    expect(poeClassEvents()).toBe(0);
    expect(poeCurrentUa(9_000)).toBe(320);
    fresh();
  });
});
