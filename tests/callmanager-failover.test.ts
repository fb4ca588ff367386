// Registration and failover end to end, before registration is wired into
// phone.wasm: a test-only AssemblyScript entry (assembly/testing/register-harness.ts)
// runs the firmware's ARP, TCP and registration (assembly/net/tcp.ts,
// assembly/phone/register.ts) on a simulated switch with three simulated
// CallManagers (host/sim/callmanager.ts), and the outages of the issue:
// CM1 down -> CM2 in bounded time, CM1 back -> back to CM1, RegisterReject ->
// next, a CallManager lost while registered, all down -> a named state with
// backoff and few frames a minute. With tshark, the capture of a clean
// registration dissects as skinny with no TCP analysis flag.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { needs, run } from "./helpers/tools.js";
import { RegState } from "./helpers/firmware-enums.js";
import { net, registeredWith, runMs, runUntil } from "./helpers/register-net.js";
import { encodeEthernet, ETHERTYPE_IPV4 } from "../host/wire/ethernet.js";
import { encodeIpv4 } from "../host/wire/ipv4.js";
import { parseIp, parseMac } from "../host/wire/address.js";
import { encodeTcp } from "../host/wire/tcp.js";
import { Random } from "../host/sim/random.js";
import { encodeMessage } from "../host/wire/sccp.js";
import { Ev } from "../host/events.js";
import { COUNTER_NAMES } from "../host/counters.js";


test("all up: registered with CM1 at once; the capture is clean skinny over clean TCP", { timeout: 60_000 }, () => {
  const n = net();
  n.phone.start(n.cms);
  assert.ok(runUntil(n, registeredWith(n, 0), 1000), n.phone.timeline());
  assert.ok(n.s.now < 300_000, `${n.s.now} µs`); // an ARP exchange, the handshake, StationRegister, the set-up's ten round trips
  assert.equal(n.cms[0].logic.isRegistered("SEP001B54C2A710"), true);
  runMs(n, 65_000); // six keepalives
  assert.equal(n.phone.cm, 0);
  assert.equal(n.cms[0].events.filter((e) => e.type === "keepalive").length, 6);
  assert.equal(n.phone.counter("tcp_retransmits"), 0);
  assert.equal(n.phone.counter("sccp_malformed"), 0);
  if (needs("tshark") !== false) return;
  const work = mkdtempSync(join(tmpdir(), "register-pcap-"));
  after(() => rmSync(work, { recursive: true, force: true }));
  const file = join(work, "clean.pcap");
  writeFileSync(file, n.pcap.toBuffer());
  const r = run("tshark", ["-r", file, "-Y", "skinny", "-T", "fields", "-e", "ip.src", "-e", "skinny.messageId", "-e", "skinny.DeviceName", "-e", "skinny.stationIpAddr", "-e", "skinny.protocolVer", "-e", "skinny.keepAliveInterval"]);
  assert.equal(r.status, 0, r.stderr);
  const rows = r.stdout.trim().split("\n").map((l) => l.split("\t"));
  assert.deepEqual(rows[0], ["198.51.100.50", "1", "SEP001B54C2A710", "198.51.100.50", "11", ""]);
  assert.deepEqual(rows[1], ["198.51.100.10", "129", "", "", "", "10"]);
  // Then the station set-up, each request after the answer to the one before; keepalives only once registered.
  const ids = rows.slice(1).flatMap((c) => c[1].split(",").map(Number));
  for (const id of [0x9b, 0x02, 0x0e, 0x10, 0x97, 0x28, 0x108, 0x25, 0x109, 0x0c, 0x93, 0x0b, 0x92, 0x0a, 0x91, 0x09, 0x90, 0x0d, 0x94, 0x2d, 0x2b]) {
    assert.ok(ids.includes(id), `no message 0x${id.toString(16)}: ${ids.join(" ")}`);
  }
  assert.ok(ids.indexOf(0x0e) < ids.indexOf(0x97) && ids.indexOf(0x97) < ids.indexOf(0x28) && ids.indexOf(0x0d) < ids.indexOf(0x94), ids.join(" "));
  assert.ok(ids.indexOf(0x00) > ids.indexOf(0x2b) && ids.includes(0x100), ids.join(" "));
  // The phone's window updates (after taking in the set-up's larger answers) are TCP doing its job, not trouble.
  const bad = run("tshark", ["-r", file, "-Y", "_ws.malformed || _ws.expert.severity >= 6291456 || (tcp.analysis.flags && !tcp.analysis.window_update)"]);
  assert.equal(bad.stdout.trim(), "", bad.stdout);
});

test("CM1's service down (RST to the SYN): registered with CM2 within a second", () => {
  const n = net([{ down: "refuse" }, {}, {}]);
  n.phone.start(n.cms);
  assert.ok(runUntil(n, registeredWith(n, 1), 1000), n.phone.timeline());
  assert.match(n.phone.timeline(), /register +failed +CM1: refused/);
  assert.match(n.phone.timeline(), /register +failover +CM1 -> CM2/);
});

test("CM1's host gone (no ARP answer): registered with CM2 within 5 s", () => {
  const n = net([{ down: "silent" }, {}, {}]);
  n.phone.start(n.cms);
  assert.ok(runUntil(n, registeredWith(n, 1), 5000), n.phone.timeline());
  assert.match(n.phone.timeline(), /CM1: connect timeout/);
});

test("RegisterReject from CM1: the next CallManager", () => {
  const n = net([{ reject: ["SEP001B54C2A710"] }, {}, {}]);
  n.phone.start(n.cms);
  assert.ok(runUntil(n, registeredWith(n, 1), 1000), n.phone.timeline());
  assert.match(n.phone.timeline(), /register +rejected +RegisterReject/);
  assert.match(n.phone.timeline(), /CM1: rejected/);
  assert.equal(n.cms[0].logic.stats.rejects, 1);
});

test("CM1 fails while registered: CM2 at once; CM1 back: the phone returns to CM1 within 30 s and unregisters from CM2", () => {
  const n = net();
  n.phone.start(n.cms);
  assert.ok(runUntil(n, registeredWith(n, 0), 1000));
  runMs(n, 5000);
  n.cms[0].stop("refuse");
  const down = n.s.now;
  assert.ok(runUntil(n, registeredWith(n, 1), 1000), n.phone.timeline());
  assert.ok(n.s.now - down < 300_000, `${n.s.now - down} µs`);
  runMs(n, 45_000);
  assert.equal(n.phone.cm, 1); // CM1 still refuses the probes
  n.cms[0].start();
  const back = n.s.now;
  assert.ok(runUntil(n, registeredWith(n, 0), 31_000), n.phone.timeline());
  assert.ok(n.s.now - back <= 30_100_000, `${(n.s.now - back) / 1000} ms`);
  assert.match(n.phone.timeline(), /register +fallback +to CM1 from CM2/);
  runMs(n, 1000);
  assert.equal(n.cms[1].events.filter((e) => e.type === "unregister").length, 1);
  assert.equal(n.cms[1].logic.isRegistered("SEP001B54C2A710"), false);
  assert.equal(n.cms[0].logic.isRegistered("SEP001B54C2A710"), true);
  // And it stays there: no more probes.
  const syns = n.phone.framesOut;
  runMs(n, 120_000);
  assert.equal(n.phone.cm, 0);
  // 12 keepalives and ACKs of their acks, ARP; and the standby connection's KeepAlive to CM2 every 60 s (and their ACKs).
  assert.ok(n.phone.framesOut - syns <= 30, `${n.phone.framesOut - syns} frames in 2 min`);
});

test("CM1 vanishes while registered: missing keepalive acks move the phone to CM2 within three intervals", () => {
  const n = net();
  n.phone.start(n.cms);
  assert.ok(runUntil(n, registeredWith(n, 0), 1000));
  runMs(n, 3000);
  n.cms[0].stop("silent");
  const gone = n.s.now;
  assert.ok(runUntil(n, registeredWith(n, 1), 40_000), n.phone.timeline());
  const took = (n.s.now - gone) / 1000;
  assert.ok(took >= 17_000 && took <= 30_500, `${took} ms`);
  assert.match(n.phone.timeline(), /CM1: keepalive acks missing/);
});

test("all three down: a named state, rounds with backoff, a bounded number of frames a minute; registered when one returns", (t) => {
  for (const how of ["refuse", "silent"] as const) {
    const n = net([{ down: how }, { down: how }, { down: how }]);
    n.phone.start(n.cms);
    assert.ok(runUntil(n, () => n.phone.state === RegState.AllDown, 10_000), n.phone.timeline());
    assert.match(n.phone.timeline(), /register +all down +no CallManager answered \(round 1\): retry in [5-6]\.\d+s/);
    const perMinute: number[] = [];
    for (let m = 0; m < 10; m++) {
      const before = n.phone.framesOut;
      runMs(n, 60_000);
      perMinute.push(n.phone.framesOut - before);
    }
    // Steady state: one round a minute (60 s + up to 25 % jitter): 3 SYNs, or 3 x 3 ARP requests for hosts that are gone.
    t.diagnostic(`${how}: frames sent per minute: ${perMinute.join(" ")}`);
    const bound = how === "refuse" ? 6 : 18;
    assert.ok(perMinute.slice(2).every((f) => f <= bound), `${how}: ${perMinute.join(" ")}`);
    assert.ok(perMinute.slice(2).reduce((a, b) => a + b, 0) >= 6 * 3, `${how}: still trying: ${perMinute.join(" ")}`);
    assert.ok(perMinute.reduce((a, b) => a + b, 0) <= 150, `${how}: ${perMinute.join(" ")}`);
    const rounds = n.phone.events.filter((e) => e.code === Ev.RegAllDown);
    assert.ok(rounds.length >= 9 && rounds.length <= 13, `${rounds.length} rounds`);
    const waits = rounds.map((e) => e.a);
    assert.ok(waits[1] >= 10_000 && waits[1] < 12_500 && waits.at(-1)! >= 60_000 && waits.at(-1)! <= 75_000, waits.join(" "));
    for (const cm of n.cms) cm.start();
    assert.ok(runUntil(n, registeredWith(n, 0), 76_000), n.phone.timeline());
  }
});

test("Reset from the CallManager: the phone resets itself", () => {
  const n = net();
  n.phone.start(n.cms);
  assert.ok(runUntil(n, registeredWith(n, 0), 1000));
  assert.equal(n.cms[0].logic.resetDevice("SEP001B54C2A710", 2), true);
  runMs(n, 100);
  assert.deepEqual(n.phone.resets, [6]);
  assert.equal(n.phone.state, RegState.Off);
  assert.match(n.phone.timeline(), /register +reset +restart requested by CM1/);
});

test("a graceful stop unregisters", () => {
  const n = net();
  n.phone.start(n.cms);
  assert.ok(runUntil(n, registeredWith(n, 0), 1000));
  n.phone.x.stop(BigInt(n.phone.nowMs), true);
  n.phone.schedule();
  runMs(n, 1000);
  assert.equal(n.cms[0].events.filter((e) => e.type === "unregister").length, 1);
  assert.equal(n.cms[0].logic.openSessions, 0);
});

test("hostile TCP and SCCP from the CallManagers' addresses: no trap, every segment counted, registered again afterwards", (t) => {
  const n = net();
  n.phone.start(n.cms);
  assert.ok(runUntil(n, registeredWith(n, 0), 1000));
  const rnd = new Random(2024);
  const drops = COUNTER_NAMES.filter((c) => c.startsWith("drop_"));
  const dropSum = () => drops.reduce((a, c) => a + n.phone.counter(c), 0);
  const phoneMac = parseMac("00:1b:54:c2:a7:10");
  const phoneIp = parseIp("198.51.100.50");
  const kinds = new Map<string, number>();
  const injected = new Map<object, number>();
  for (let i = 0; i < 6000; i++) {
    // Aim at the CallManager the phone talks to now (it fails over as the garbage lands).
    const k = Math.max(0, n.cms.findIndex((c) => c.tcp.connections().some((x) => x.state === "established")));
    const cm = n.cms[k];
    const conn = cm.tcp.connections().find((x) => x.state === "established");
    const base = conn ?? { localPort: 2000, remotePort: 49152 + rnd.int(16384), sndNxt: rnd.nextU32(), rcvNxt: rnd.nextU32() };
    const kind = rnd.int(5);
    let payload: Uint8Array = Uint8Array.from({ length: rnd.int(3) === 0 ? 0 : rnd.int(300) }, () => rnd.int(256));
    if (kind === 2) {
      // SCCP-looking garbage: impossible, huge, short and truncated lengths.
      const lens = [0, 3, 4, 8, 0x10000, 0x10001, 0xffffffff, 2000, 40];
      const m = encodeMessage([0x81, 0x9d, 0x9f, 0x100, 0x118, 0x4242][rnd.int(6)], new Uint8Array(rnd.int(40)));
      new DataView(m.buffer).setUint32(0, lens[rnd.int(lens.length)], true);
      payload = m.subarray(0, 4 + rnd.int(m.length - 3));
    }
    const near = (x: number) => (x + rnd.int(4001) - 2000) >>> 0;
    const random = kind === 3;
    let tcp = encodeTcp({
      srcIp: cm.ip, dstIp: phoneIp,
      srcPort: kind === 4 ? rnd.int(65536) : base.localPort, dstPort: kind === 4 ? rnd.int(65536) : base.remotePort,
      seq: random ? rnd.nextU32() : near(base.sndNxt), ack: random ? rnd.nextU32() : near(base.rcvNxt),
      flags: rnd.int(64), window: rnd.int(3) === 0 ? 0 : rnd.int(65536), mss: rnd.int(4) === 0 ? rnd.int(65536) : undefined, payload,
    });
    if (kind === 0) tcp[rnd.int(tcp.length)] ^= 1 << rnd.int(8); // a bit flipped: bad checksum (or a bad header)
    if (kind === 1) tcp[12] = rnd.int(256); // any data offset (checksum left as it was)
    if (kind === 2 && conn !== undefined) {
      // In order (after what was injected before on this connection), so that TCP delivers it and SCCP has to read it.
      const seq = (conn.sndNxt + (injected.get(conn) ?? 0)) >>> 0;
      tcp = encodeTcp({ srcIp: cm.ip, dstIp: phoneIp, srcPort: conn.localPort, dstPort: conn.remotePort, seq, ack: conn.rcvNxt, flags: 0x18, window: 8192, payload });
      injected.set(conn, (injected.get(conn) ?? 0) + payload.length);
    }
    const frame = encodeEthernet({ dst: phoneMac, src: cm.tcp.mac, etherType: ETHERTYPE_IPV4, payload: encodeIpv4({ src: cm.ip, dst: phoneIp, protocol: 6, payload: tcp }) }, true);
    const before = dropSum();
    const r = n.phone.receive(frame);
    assert.ok(r === 1 || r === 0, `frame ${i}: not handed to TCP`);
    assert.equal(dropSum() - before, r === 1 ? 0 : 1, `frame ${i} (kind ${kind}): exactly one outcome`);
    kinds.set(`${kind}:${r}`, (kinds.get(`${kind}:${r}`) ?? 0) + 1);
    if (i % 20 === 0) runMs(n, 500);
  }
  assert.ok(n.phone.framesOut < 6000, `${n.phone.framesOut} frames sent: no ACK war`);
  t.diagnostic(`outcomes (kind:accepted): ${[...kinds].sort().map(([k, v]) => `${k}=${v}`).join(" ")}; sccp_malformed ${n.phone.counter("sccp_malformed")}; ${n.phone.events.filter((e) => e.code === Ev.RegFailover).length} failovers`);
  assert.ok(n.phone.counter("sccp_malformed") > 10);
  assert.ok(runUntil(n, () => n.phone.state === RegState.Registered, 300_000), n.phone.timeline().slice(-2000));
});
