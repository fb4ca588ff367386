// Power over Ethernet: the switch side (host/poe.ts) against IEEE 802.3
// clause 33's PSE windows, and against the phone firmware's own powered-
// device front end (the poe_* exports of build/phone.wasm, no poll, no
// factory data): detection, classification, the budget and its priorities,
// the Catalyst's log lines, CDP power renegotiation.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { PoeFrontEnd } from "../host/firmware.js";
import {
  catalystLogLine, classify, classOfCurrent, classPowerMw, ieeeDetect, judgeSignature, POE_TIMING, PoeSwitch, powerAvailableTlv,
  powerUpMs, type PoePriority, type PoweredDevice,
} from "../host/poe.js";
import { Scheduler } from "../host/sim/scheduler.js";

/** A synthetic PD: a signature resistor behind an offset, an optional class current, an optional relay. */
function pd(opts: { ohms?: number; offsetMv?: number; classUa?: number; loopback?: boolean } = {}): PoweredDevice & { powered: boolean } {
  const d = {
    powered: false,
    flpLoopback: () => (opts.loopback ?? false) && !d.powered,
    currentAt(mv: number): number {
      if (mv >= 14_500 && mv <= 20_500 && opts.classUa !== undefined) return opts.classUa;
      if (opts.ohms === undefined) return 0;
      return (Math.max(0, mv - (opts.offsetMv ?? 0)) * 1000) / opts.ohms;
    },
    powerGood(on: boolean) { d.powered = on; },
  };
  return d;
}

const kohm = (k: number) => ieeeDetect(pd({ ohms: k * 1000 }));

describe("PSE detection: the accept/reject windows of 802.3 33.2.5 (Table 33-5)", () => {
  test("accepts 19 kOhm to 26.5 kOhm, both edges included", () => {
    for (const k of [19, 19.001, 21, 25, 26.499, 26.5]) assert.deepEqual([k, kohm(k).valid, kohm(k).zone], [k, true, "valid"]);
    assert.equal(kohm(19).ohms, 19_000);
    assert.equal(kohm(26.5).ohms, 26_500);
  });

  test("18.9 and 26.6 kOhm fall in the 'may accept' zones, which a Catalyst rejects", () => {
    assert.deepEqual([kohm(18.9).valid, kohm(18.9).zone], [false, "grey-low"]);
    assert.deepEqual([kohm(26.6).valid, kohm(26.6).zone], [false, "grey-high"]);
    assert.equal(kohm(15).zone, "grey-low");
    assert.equal(kohm(33).zone, "grey-high");
  });

  test("below 15 kOhm and above 33 kOhm must be rejected", () => {
    for (const k of [0.1, 10, 14.9, 14.999]) assert.deepEqual([k, kohm(k).zone], [k, "low"]);
    for (const k of [33.001, 33.1, 45, 1000]) assert.deepEqual([k, kohm(k).zone], [k, "high"]);
  });

  test("an open port and a port that draws less at the higher probe are rejected", () => {
    assert.deepEqual(ieeeDetect(pd()), { valid: false, ohms: Infinity, zone: "open" });
    const odd: PoweredDevice = { flpLoopback: () => false, currentAt: (mv) => (mv === 9_000 ? 100 : 300), powerGood: () => {} };
    assert.equal(ieeeDetect(odd).zone, "low");
  });

  test("the PD's bridge offset (up to 1.9 V) cancels out: ΔV/ΔI", () => {
    assert.equal(ieeeDetect(pd({ ohms: 25_000, offsetMv: 1_900 })).ohms, 25_000);
    assert.equal(ieeeDetect(pd({ ohms: 19_000, offsetMv: 1_900 })).valid, true);
    assert.equal(judgeSignature(33_000.4).zone, "grey-high");
    assert.equal(judgeSignature(33_000.5).zone, "high");
  });
});

describe("PSE classification (Table 33-10) and class power", () => {
  test("class boundaries; the 'either' bands go to the class with more power", () => {
    const cases: Array<[number, number]> = [
      [0, 0], [5_000, 0], [7_999, 0], [8_000, 1], [13_000, 1], [13_001, 2], [16_000, 2], [21_000, 2], [21_001, 3],
      [25_000, 3], [31_000, 3], [31_001, 4], [35_000, 4], [45_000, 4], [51_000, 4], [51_001, 0],
    ];
    for (const [ua, cls] of cases) assert.deepEqual([ua, classOfCurrent(ua)], [ua, cls]);
  });

  test("allocates 15.4 W for class 0 and 3, 4 W, 7 W, 30 W for class 4; a type 1 PSE treats class 4 as class 0", () => {
    assert.deepEqual([0, 1, 2, 3, 4].map((c) => classPowerMw(c as 0)), [15_400, 4_000, 7_000, 15_400, 30_000]);
    assert.equal(classPowerMw(4, 1), 15_400);
  });

  test("every PD class current of Table 33-16 (0-4, 9-12, 17-20, 26-30, 36-44 mA) reads as its class", () => {
    const ranges = [[0, 4], [9, 12], [17, 20], [26, 30], [36, 44]];
    ranges.forEach(([lo, hi], cls) => {
      for (let ma = lo; ma <= hi; ma += 0.5) assert.equal(classify(pd({ ohms: 25_000, classUa: ma * 1000 }), 1).cls, cls, `${ma} mA`);
    });
  });
});

describe("the phone's PoE front end (phone.wasm poe_* exports, no poll, no factory data)", () => {
  test("shows a 25 kOhm signature to the PSE, and the relay loops FLPs back until power is good", () => {
    const fe = PoeFrontEnd.dark(); // any hal call throws
    assert.equal(fe.flpLoopback(), true);
    assert.deepEqual(ieeeDetect(fe), { valid: true, ohms: 25_000, zone: "valid" });
    assert.equal(fe.pdClass, 2);
    fe.powerGood(true);
    assert.equal(fe.flpLoopback(), false);
    assert.equal(fe.setClass(3), false, "the class cannot change while powered");
    fe.powerGood(false);
    assert.equal(fe.flpLoopback(), true);
  });

  test("classifies as the class it is set to; class 4 takes two events on a type 2 PSE", () => {
    const fe = PoeFrontEnd.dark();
    for (const cls of [0, 1, 2, 3, 4]) {
      assert.equal(fe.setClass(cls), true);
      assert.equal(ieeeDetect(fe).valid, true);
      const c = classify(fe, 2);
      assert.deepEqual([c.cls, c.events], [cls, cls === 4 ? 2 : 1]);
    }
    assert.equal(fe.setClass(7), false);
  });

  test("draws its 6.3 W once the PSE's 48 V is on, either polarity", () => {
    const fe = PoeFrontEnd.dark();
    assert.equal(fe.currentAt(-48_000), 131_250);
    assert.equal(fe.flpLoopback(), false);
  });
});

// ---------------------------------------------------------------- the switch

function sw(opts: { budgetMw: number; ports: number; priorities?: (port: number) => PoePriority; mode?: "cisco" | "ieee" | "both"; pseType?: 1 | 2 }) {
  const clock = new Scheduler();
  const power: Array<[number, number, boolean]> = [];
  const poe = new PoeSwitch({
    clock, budgetMw: opts.budgetMw, mode: opts.mode, pseType: opts.pseType,
    ports: Array.from({ length: opts.ports }, (_, i) => ({ priority: opts.priorities?.(i) ?? "low" })),
    onPower: (port, on) => power.push([clock.now / 1000, port, on]),
  });
  return { clock, poe, power };
}

describe("PoE budget exhausted (phone stays dark, switch logs the refusal)", () => {
  test("the second phone is refused, stays dark, and comes up when the first is unplugged", () => {
    const { clock, poe, power } = sw({ budgetMw: 10_000, ports: 2 });
    const phones = [PoeFrontEnd.dark(), PoeFrontEnd.dark()];
    phones.forEach((fe, port) => poe.plug(port, fe));
    clock.run({});
    assert.deepEqual(poe.log.map(catalystLogLine), [
      "*Mar  1 00:00:00.250: %ILPOWER-7-DETECT: Interface Fa0/1: Power Device detected: IEEE PD",
      "*Mar  1 00:00:00.250: %ILPOWER-7-DETECT: Interface Fa0/2: Power Device detected: IEEE PD",
      "*Mar  1 00:00:00.270: %ILPOWER-5-ILPOWER_POWER_DENY: Interface Fa0/2: inline power denied. Reason: insufficient power",
      "*Mar  1 00:00:00.590: %ILPOWER-5-POWER_GRANTED: Interface Fa0/1: Power granted",
    ]);
    assert.deepEqual(power, [[590, 0, true]]);
    assert.equal(phones[1].flpLoopback(), true, "dark: its relay still closed");
    assert.equal(phones[0].flpLoopback(), false);
    assert.equal(poe.status(1).oper, "power-deny");
    assert.deepEqual([poe.usedMw, poe.remainingMw], [7_000, 3_000]);
    assert.match(poe.showPowerInline(), /^Fa0\/2 {5}auto {3}power-deny 0\.0 {5}n\/a {17}n\/a {3}30\.0$/m);
    assert.match(poe.showPowerInline(), /^Available:10\.0\(w\) {2}Used:7\.0\(w\) {2}Remaining:3\.0\(w\)$/m);

    // CDP: the phone asks for 6.3 W; 3.7 W left is still not 7 W.
    assert.ok(poe.cdpPowerRequest(0, { requestId: 1, requestedMw: 6_300 }));
    clock.run({});
    assert.equal(poe.status(1).oper, "power-deny");
    assert.equal(poe.log.length, 4, "a refusal is logged once");

    clock.runUntil(10_000_000);
    poe.unplug(0);
    clock.run({});
    assert.deepEqual(poe.log.slice(4).map(catalystLogLine), [
      "*Mar  1 00:00:10.000: %ILPOWER-5-IEEE_DISCONNECT: Interface Fa0/1: PD removed",
      "*Mar  1 00:00:10.320: %ILPOWER-5-POWER_GRANTED: Interface Fa0/2: Power granted",
    ]);
    assert.deepEqual(power.slice(1), [[10_000, 0, false], [10_320, 1, true]]);
    assert.equal(phones[0].flpLoopback(), true, "unplugged: its relay closed again");
    assert.equal(phones[1].flpLoopback(), false);
  });
});

describe("budget and priorities: 60 phones, budget for 48", () => {
  const BUDGET = 48 * 7_000;

  function storm(priorities: (port: number) => PoePriority, mode: "ieee" | "cisco" | "both" = "both", budgetMw = BUDGET) {
    const s = sw({ budgetMw, ports: 60, priorities, mode });
    const phones = Array.from({ length: 60 }, () => PoeFrontEnd.dark());
    phones.forEach((fe, port) => s.poe.plug(port, fe));
    s.clock.run({});
    const dark = phones.flatMap((fe, port) => (fe.flpLoopback() ? [port] : []));
    return { ...s, phones, dark };
  }

  test("exactly the 12 low-priority phones stay dark", () => {
    const low = (p: number) => p % 5 === 2;
    const { poe, dark, power } = storm((p) => (low(p) ? "low" : "high"));
    assert.deepEqual(dark, Array.from({ length: 60 }, (_, p) => p).filter(low));
    assert.equal(power.length, 48);
    assert.ok(power.every(([t]) => t === powerUpMs("ieee")), "all powered 590 ms after the building's power came on");
    assert.equal(poe.remainingMw, 0);
    assert.deepEqual(poe.log.filter((e) => e.kind === "denied").map((e) => e.port), dark);
  });

  test("with one priority for all, port order decides: Fa0/49 to Fa0/60 stay dark", () => {
    const { dark } = storm(() => "low");
    assert.deepEqual(dark, Array.from({ length: 12 }, (_, i) => 48 + i));
  });

  test("critical beats high beats low, wherever the port is", () => {
    // 10 critical at the top, 40 high, 10 low at the bottom: 48 = 10 + 38 high.
    const pri = (p: number): PoePriority => (p >= 50 ? "critical" : p < 10 ? "low" : "high");
    const { dark } = storm(pri);
    assert.deepEqual(dark, [...Array.from({ length: 10 }, (_, i) => i), 48, 49]);
  });

  test("Cisco pre-standard: 15.4 W each until CDP, then the refused phones come up", () => {
    const { poe, clock, dark, phones, power } = storm(() => "low", "cisco", 48 * 15_400);
    assert.deepEqual(dark, Array.from({ length: 12 }, (_, i) => 48 + i));
    assert.ok(poe.log.some((e) => e.text === "%ILPOWER-7-DETECT: Interface Fa0/1: Power Device detected: Cisco PD"));
    assert.equal(power[0][0], powerUpMs("cisco"));
    for (let port = 0; port < 48; port++) {
      const pa = poe.cdpPowerRequest(port, { requestId: 1, requestedMw: 6_300 });
      assert.deepEqual(pa, { requestId: 1, managementId: 2, availableMw: 6_300, maxMw: 30_000 });
    }
    clock.run({});
    assert.deepEqual(phones.filter((fe) => fe.flpLoopback()).length, 0);
    assert.equal(poe.usedMw, 48 * 6_300 + 12 * 15_400);
  });
});

describe("CDP power renegotiation", () => {
  function powered(budgetMw = 20_000) {
    const s = sw({ budgetMw, ports: 2 });
    s.poe.plug(0, PoeFrontEnd.dark());
    s.clock.run({});
    return s;
  }

  test("before any request the switch announces the class allocation (request id 0, management id 1)", () => {
    const { poe } = powered();
    assert.deepEqual(poe.cdpPowerAvailable(0), { requestId: 0, managementId: 1, availableMw: 7_000, maxMw: 30_000 });
    assert.equal(poe.cdpPowerAvailable(1), null);
    assert.equal(poe.cdpPowerRequest(1, { requestId: 1, requestedMw: 6_300 }), null, "nothing on the port");
  });

  test("lower: the allocation follows the request and the management id moves", () => {
    const { poe } = powered();
    assert.deepEqual(poe.cdpPowerRequest(0, { requestId: 5, managementId: 1, requestedMw: 6_300 }), { requestId: 5, managementId: 2, availableMw: 6_300, maxMw: 30_000 });
    assert.equal(poe.usedMw, 6_300);
    // The same request again changes nothing.
    assert.deepEqual(poe.cdpPowerRequest(0, { requestId: 5, requestedMw: 6_300 })?.managementId, 2);
  });

  test("higher: granted when the budget and the port maximum allow, else the allocation stays", () => {
    const { poe } = powered(20_000);
    assert.equal(poe.cdpPowerRequest(0, { requestId: 1, requestedMw: 12_950 })?.availableMw, 12_950);
    assert.equal(poe.cdpPowerRequest(0, { requestId: 2, requestedMw: 25_000 })?.availableMw, 12_950, "over the budget");
    const big = powered(100_000).poe;
    assert.equal(big.cdpPowerRequest(0, { requestId: 1, requestedMw: 30_001 })?.availableMw, 7_000, "over the port maximum");
    assert.equal(big.cdpPowerRequest(0, { requestId: 2, requestedMw: 30_000 })?.availableMw, 30_000);
  });

  test("the Power Available TLV (0x1a): request id, management id, available, maximum", () => {
    const tlv = powerAvailableTlv({ requestId: 1, managementId: 2, availableMw: 6_300, maxMw: 15_400 });
    assert.equal(tlv.type, 0x1a);
    assert.equal(Buffer.from(tlv.value).toString("hex"), "0001" + "0002" + "0000189c" + "00003c28");
  });

  test("the device name from CDP shows in show power inline", () => {
    const { poe } = powered();
    poe.cdpPowerRequest(0, { requestId: 1, requestedMw: 6_300, device: "IP Phone 7960" });
    assert.match(poe.showPowerInline(), /^Fa0\/1 {5}auto {3}on {9}6\.3 {5}IP Phone 7960 {7}2 {5}30\.0$/m);
  });
});

describe("PSE modes, types and timing", () => {
  test("a Cisco-only phone (no signature) is found by FLP loopback after the IEEE attempt, in mode both", () => {
    const { poe, clock, power } = sw({ budgetMw: 370_000, ports: 1 });
    poe.plug(0, pd({ loopback: true }));
    clock.run({});
    assert.equal(poe.status(0).device, "cisco");
    assert.equal(poe.status(0).allocatedMw, 15_400);
    assert.deepEqual(power, [[POE_TIMING.detectMs + powerUpMs("cisco"), 0, true]]);
  });

  test("mode ieee ignores FLP loopback; mode cisco ignores the signature", () => {
    const a = sw({ budgetMw: 370_000, ports: 1, mode: "ieee" });
    a.poe.plug(0, pd({ loopback: true }));
    a.clock.run({});
    assert.deepEqual([a.poe.status(0).oper, a.poe.status(0).signature?.zone], ["off", "open"]);
    const b = sw({ budgetMw: 370_000, ports: 1, mode: "cisco" });
    b.poe.plug(0, pd({ ohms: 25_000, classUa: 18_500 }));
    b.clock.run({});
    assert.equal(b.poe.status(0).oper, "off");
    assert.equal(b.poe.log.length, 0);
  });

  test("not a PD (a PC's NIC, 150 Ohm termination): no power, no log", () => {
    const { poe, clock } = sw({ budgetMw: 370_000, ports: 1 });
    poe.plug(0, pd({ ohms: 150 }));
    clock.run({});
    assert.deepEqual([poe.status(0).oper, poe.status(0).signature?.zone, poe.log.length], ["off", "low", 0]);
  });

  test("class 4: two events and 30 W on a type 2 PSE (620 ms), 15.4 W on a type 1 (590 ms)", () => {
    for (const [type, mw, ms] of [[2, 30_000, powerUpMs("ieee-2event")], [1, 15_400, powerUpMs("ieee")]] as const) {
      const { poe, clock } = sw({ budgetMw: 370_000, ports: 1, pseType: type });
      const fe = PoeFrontEnd.dark();
      fe.setClass(4);
      poe.plug(0, fe);
      clock.run({});
      assert.deepEqual([poe.status(0).cls, poe.status(0).allocatedMw, poe.status(0).poweredAtMs], [4, mw, ms]);
    }
    assert.deepEqual([powerUpMs("ieee"), powerUpMs("ieee-2event"), powerUpMs("cisco")], [590, 620, 570]);
  });

  test("power inline never: no detection at all", () => {
    const clock = new Scheduler();
    const poe = new PoeSwitch({ clock, budgetMw: 370_000, ports: [{ admin: "never" }] });
    const fe = PoeFrontEnd.dark();
    poe.plug(0, fe);
    clock.run({});
    assert.deepEqual([poe.status(0).oper, fe.flpLoopback()], ["off", true]);
  });

  test("unplugged while being detected: nothing happens later", () => {
    const { poe, clock, power } = sw({ budgetMw: 370_000, ports: 1 });
    poe.plug(0, PoeFrontEnd.dark());
    clock.runUntil(260_000);
    poe.unplug(0);
    clock.run({});
    assert.deepEqual([power.length, poe.usedMw, poe.status(0).oper], [0, 0, "off"]);
  });
});
