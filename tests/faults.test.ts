// Link faults (host/sim/faults.ts) and the soak (host/soak/soak.ts): seeded
// loss, duplication, reordering, corruption caught by checksums or the FCS,
// jitter and flaps; a few soak seeds with the upgrade; a failing seed
// replayed byte for byte.
import { test } from "node:test";
import assert from "node:assert/strict";
import { buildNetwork, bootPhone } from "../host/sim/network.js";
import { Scheduler } from "../host/sim/scheduler.js";
import { Wire, type Nic } from "../host/sim/wire.js";
import { checkFaultSpec, coveredBit, coveredRange, LinkFaults, type FaultSpec } from "../host/sim/faults.js";
import { readPcap } from "../host/sim/pcap.js";
import { Random } from "../host/sim/random.js";
import { buildUdpFrame } from "../host/wire/udp.js";
import { encodeArp, ARP_REQUEST } from "../host/wire/arp.js";
import { encodeEthernet, ETHERTYPE_ARP } from "../host/wire/ethernet.js";
import { broadcastMac, parseMac, parseIp } from "../host/wire/address.js";
import { internetChecksum } from "../host/wire/checksum.js";
import { soakPlan, soakSeed, soakScenario, summarize, powerCutMatrix, NEW_LOAD } from "../host/soak/soak.js";
import { parseScenario } from "../host/scenario.js";

const A = parseMac("02:00:5e:00:00:0a");
const B = parseMac("02:00:5e:00:00:0b");

function udp(i: number, checksum = true): Uint8Array {
  const f = buildUdpFrame({ srcMac: A, dstMac: B, srcIp: parseIp("192.0.2.1"), dstIp: parseIp("192.0.2.2"), srcPort: 1000, dstPort: 2000, payload: Uint8Array.of(i >> 8, i & 0xff, 1, 2, 3, 4, 5, 6) });
  if (!checksum) f.fill(0, 14 + 20 + 6, 14 + 20 + 8);
  return f;
}

/** A wire with `spec` on it; returns what side 1 received, in order, and the fault layer. */
function run(spec: ConstructorParameters<typeof LinkFaults>[2], frames: Uint8Array[], seed = 1) {
  const scheduler = new Scheduler();
  const wire = new Wire(scheduler);
  const got: { t: number; frame: Uint8Array }[] = [];
  const sink: Nic = { receive: (frame) => got.push({ t: scheduler.now, frame }) };
  const port = wire.attach(0, { receive: () => {} });
  wire.attach(1, sink);
  const lf = new LinkFaults(scheduler, "phone", spec, seed);
  wire.faults = lf;
  frames.forEach((f, i) => scheduler.at(i * 1000, () => port.send(f)));
  scheduler.run({});
  return { got, lf };
}

const frames = Array.from({ length: 2000 }, (_, i) => udp(i));
const index = (f: Uint8Array) => (f[42] << 8) | f[43];

test("no faults: every frame once, in order, on time; a wire without a fault layer is unchanged", () => {
  const { got, lf } = run({}, frames.slice(0, 50));
  assert.deepEqual(got.map((g) => index(g.frame)), Array.from({ length: 50 }, (_, i) => i));
  assert.equal(lf.stats(0).frames, 50);
  assert.equal(lf.active, false);
  const plain = buildNetwork({ seed: 5, pcap: true });
  const empty = buildNetwork({ seed: 5, pcap: true, faults: {} });
  bootPhone(plain);
  bootPhone(empty);
  assert.deepEqual(empty.pcap!.toBuffer(), plain.pcap!.toBuffer(), "an empty spec changes nothing, frame for frame");
});

test("loss, duplication and reordering at their rates, seeded", () => {
  const { got, lf } = run({ loss: 0.2, duplicate: 0.1, reorder: 0.1, reorderUs: 2500 }, frames);
  const s = lf.stats(0);
  assert.ok(Math.abs(s.lost / 2000 - 0.2) < 0.03, `lost ${s.lost}`);
  assert.ok(Math.abs(s.duplicated / (2000 - s.lost) - 0.1) < 0.03, `duplicated ${s.duplicated}`);
  assert.ok(s.reordered > 100, `reordered ${s.reordered}`);
  assert.equal(got.length, 2000 - s.lost + s.duplicated);
  const order = got.map((g) => index(g.frame));
  assert.ok(order.some((x, i) => i > 0 && x < order[i - 1]), "some frames overtaken");
  assert.equal(new Set(order).size, 2000 - s.lost);
  const again = run({ loss: 0.2, duplicate: 0.1, reorder: 0.1, reorderUs: 2500 }, frames);
  assert.deepEqual(again.got.map((g) => [g.t, index(g.frame)]), got.map((g) => [g.t, index(g.frame)]), "same seed, same faults");
  const other = run({ loss: 0.2 }, frames, 2);
  assert.notEqual(other.lf.stats(0).lost, s.lost);
});

test("jitter delays frames but keeps them in order; the other direction is untouched", () => {
  const { got, lf } = run({ up: { jitterUs: 900 } }, frames.slice(0, 300));
  const order = got.map((g) => index(g.frame));
  assert.deepEqual(order, [...order].sort((a, b) => a - b));
  const base = run({}, frames.slice(0, 300)).got;
  assert.ok(got.some((g, i) => g.t > base[i].t));
  assert.ok(got.every((g, i) => g.t - base[i].t <= 900 + 1000));
  assert.equal(lf.stats(1).frames, 0);
});

test("corruption flips one bit where a checksum covers it; frames without one are dropped by the FCS", () => {
  const arp = encodeEthernet({ dst: broadcastMac(), src: A, etherType: ETHERTYPE_ARP, payload: encodeArp({ op: ARP_REQUEST, senderMac: A, senderIp: 1, targetMac: new Uint8Array(6), targetIp: 2 }) }, true);
  const mixed = Array.from({ length: 600 }, (_, i) => (i % 3 === 0 ? arp : udp(i, i % 3 === 1)));
  const { got, lf } = run({ corrupt: 1 }, mixed);
  const s = lf.stats(0);
  assert.equal(s.fcsErrors, 200, "ARP: only the FCS can catch it");
  assert.equal(s.corrupted, 400, "UDP: the flip lands under the UDP checksum, or the IPv4 header checksum when the datagram has none");
  const sent = mixed.filter((_, i) => i % 3 !== 0);
  assert.equal(got.length, sent.length);
  got.forEach(({ frame }, k) => {
    const diff: number[] = [];
    for (let i = 0; i < frame.length; i++) for (let b = 0; b < 8; b++) if (((frame[i] ^ sent[k][i]) >> b) & 1) diff.push(i * 8 + b);
    assert.equal(diff.length, 1, "one bit");
    assert.ok(diff[0] >= 14 * 8, "not in the Ethernet header: the FCS would have caught it");
    if (sent[k][40] === 0 && sent[k][41] === 0) assert.ok(diff[0] < 34 * 8, "no UDP checksum: in the IPv4 header");
  });
  const cdpLike = new Uint8Array(60);
  cdpLike.set([0x01, 0x00, 0x0c, 0xcc, 0xcc, 0xcc], 0);
  cdpLike.set([0x00, 40, 0xaa, 0xaa, 0x03, 0x00, 0x00, 0x0c, 0x20, 0x00, 2, 180], 12);
  assert.deepEqual(coveredRange(cdpLike), { start: 22, end: 54, udpChecksumAt: -1 });
  // Never the flip that turns a UDP checksum into 0 ("no checksum").
  const one = udp(7);
  one.set([0x00, 0x01], 40);
  const rng = new Random(3);
  for (let i = 0; i < 20_000; i++) assert.notEqual(coveredBit(one, rng), 41 * 8);
});

test("a flap takes the link down both ways and tells the phone; frames sent meanwhile are lost", () => {
  const net = buildNetwork({ seed: 9, faults: { phone: { flaps: [{ atMs: 20_000, downMs: 3000 }] } } });
  assert.equal(bootPhone(net).registered, true);
  net.scheduler.run({ untilUs: 40_000_000 });
  const events = net.phone.timeline.filter((e) => e.t_ms >= 20_000 && e.t_ms <= 23_500).map((e) => e.event);
  assert.ok(events.includes("link down"), events.join(", "));
  assert.ok(events.includes("link up"), events.join(", "));
  assert.equal(net.phone.isRegistered, true, "registered again after the flap");
});

test("fault specs are checked field by field", () => {
  assert.throws(() => checkFaultSpec({ phone: { loss: 1.5 } }), /faults\.phone\.loss: must be a probability/);
  assert.throws(() => checkFaultSpec({ switch: {} }), /faults\.switch: unknown link/);
  assert.throws(() => checkFaultSpec({ phone: { up: { flaps: [] } } }), /faults\.phone\.up\.flaps: unknown field/);
  assert.throws(() => checkFaultSpec({ phone: { flaps: [{ atMs: -1, downMs: 1 }] } }), /flaps\[0\]/);
  assert.throws(() => checkFaultSpec({ phone: { jitterUs: 0.5 } }), /jitterUs/);
  const spec: FaultSpec = { seed: 3, phone: { loss: 0.1, down: { corrupt: 0.01 }, flaps: [{ atMs: 1, downMs: 2 }] }, tftp: { duplicate: 0.5 } };
  assert.deepEqual(checkFaultSpec(JSON.parse(JSON.stringify(spec))), spec);
});

test("faults on the server links too: the phone registers through a lossy TFTP and CallManager link", () => {
  const net = buildNetwork({ seed: 4, faults: { tftp: { loss: 0.2, corrupt: 0.05 }, cm1: { loss: 0.2, duplicate: 0.1, reorder: 0.1 }, dhcp: { duplicate: 0.5 } } });
  assert.equal(bootPhone(net, 600_000).registered, true);
  const r = net.faults!.report();
  assert.ok(r.tftp.up.lost + r.tftp.down.lost > 0 && r.cm1.up.frames > 0 && r.dhcp.down.duplicated + r.dhcp.up.duplicated > 0, JSON.stringify(r));
});

test("soak: eight seeds of the upgrade on a faulty link, power cuts included: registered, no trap, no corrupted frame accepted", () => {
  const results = [3, 4, 26, 29, 30, 57, 60, 254].map((seed) => soakSeed(seed));
  const s = summarize(results, 0);
  assert.equal(s.registered, 8, JSON.stringify(s.failuresByStage));
  assert.equal(s.traps + s.errors, 0);
  assert.equal(s.corruptedAccepted, 0);
  assert.ok(s.corruptedDelivered > 0, "corrupted frames reached the firmware's checksums");
  assert.equal(s.countersMismatch, 0);
  assert.ok(s.cuts >= 1, "a power cut in the middle of the upgrade");
  assert.ok(results.filter((r) => r.upgraded).length >= 6);
  assert.ok(results.every((r) => r.load !== null));
});

test("the power cut at every flash operation of the upgrade: the phone comes back registered every time", () => {
  const m = powerCutMatrix([0.5]);
  assert.ok(m.ops >= 20, `${m.ops} operations`);
  assert.equal(m.registered, m.cuts, JSON.stringify(m.failures));
  assert.equal(m.violations, 0);
  assert.ok(m.upgraded >= m.cuts - 2, `upgraded after ${m.upgraded}/${m.cuts}`);
});

test("a failing seed is replayed byte for byte, and its scenario file says the same", () => {
  // 90 % loss and two minutes: the phone cannot register. The failure, its timeline and its capture replay exactly.
  const options = { maxLoss: 0.7, limitMs: 120_000, pcap: true };
  const seed = 30; // 30 mod 31 = 30: the highest loss of the range
  const first = soakSeed(seed, options);
  const second = soakSeed(seed, options);
  assert.equal(first.registered, false);
  assert.equal(first.trap, null);
  assert.ok(first.pcap && first.pcap.length > 24 && readPcap(first.pcap)!.records.length > 5);
  assert.deepEqual(second.pcap, first.pcap, "the same capture, byte for byte");
  assert.deepEqual(second.timeline, first.timeline);
  assert.deepEqual(second.faults, first.faults);
  assert.equal(second.stage, first.stage);
  // The scenario file of the seed: the upgrade and the faults, as plain JSON.
  const plan = soakPlan(seed, options);
  const scenario = soakScenario(plan);
  assert.deepEqual(JSON.parse(JSON.stringify(scenario.faults)), plan.faults);
  const { faults: _f, ...rest } = scenario;
  const parsed = parseScenario(JSON.stringify(rest));
  assert.deepEqual(Object.keys(parsed.network.tftpFiles!).sort(), [`${NEW_LOAD}.bin`, "SEP001B54C2A710.cnf.xml"]);
  assert.equal(plan.faults.phone?.up?.loss, 0.7);
});
