// The simulated CallManager (host/sim/callmanager.ts) and the host TCP under
// it (host/sim/tcp.ts), driven by a phone-side client made of the same host
// TCP and the host's SCCP encoder: registration, keepalives, unregistration,
// the reject list, registrations per second, outages, hostile streams; and
// the host TCP itself across a lossy link.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Scheduler } from "../host/sim/scheduler.js";
import { Wire } from "../host/sim/wire.js";
import type { Nic, WirePort } from "../host/sim/wire.js";
import { EthernetSwitch } from "../host/sim/switch.js";
import { SimCallManager, type SimCallManagerConfig } from "../host/sim/callmanager.js";
import { TcpHost, type TcpConnection, type TcpEnd } from "../host/sim/tcp.js";
import { TcpFlag, decodeTcp } from "../host/wire/tcp.js";
import {
  PHONE_CAPABILITIES, SccpFramer, SccpMsg, decodeButtonTemplate, decodeDefineTimeDate, decodeLineStat, decodeRegisterAck, decodeRegisterReject, encodeCapabilitiesRes,
  encodeEmpty, encodeKeepAlive, encodeMessage, encodeStationRegister, encodeU32Message, encodeUnregister, type SccpMessage,
} from "../host/wire/sccp.js";
import { SIM_EPOCH_MS } from "../host/sim/callmanager.js";
import { decodeEthernet } from "../host/wire/ethernet.js";
import { decodeIpv4 } from "../host/wire/ipv4.js";
import { parseIp } from "../host/wire/address.js";

const PHONE_IP = "198.51.100.50";
const CM1 = { mac: "02:00:5e:00:0a:01", ip: "198.51.100.10", name: "CM1" };
const CM2 = { mac: "02:00:5e:00:0a:02", ip: "198.51.100.11", name: "CM2" };

interface Net {
  s: Scheduler;
  cms: SimCallManager[];
  phones: TcpHost[];
}

/** A switch with `phones` client hosts and one CallManager per config. */
function net(cmConfigs: Array<Partial<SimCallManagerConfig>>, phones = 1, seed = 1): Net {
  const s = new Scheduler();
  const sw = new EthernetSwitch(s, phones + cmConfigs.length);
  let port = 0;
  const cms = cmConfigs.map((c, i) => {
    const cm = new SimCallManager(s, { ...(i === 0 ? CM1 : CM2), ...c } as SimCallManagerConfig);
    const w = new Wire(s);
    cm.plug(w, 0);
    sw.connect(port++, w, 1);
    return cm;
  });
  const hosts = Array.from({ length: phones }, (_, i) => {
    const h = new TcpHost(s, { mac: `00:1b:54:00:00:${(i + 1).toString(16).padStart(2, "0")}`, ip: parseIp(PHONE_IP) + i, seed: seed + i, maxRetries: 4 });
    const w = new Wire(s);
    h.plug(w, 0);
    sw.connect(port++, w, 1);
    return h;
  });
  return { s, cms, phones: hosts };
}

/** A phone's SCCP over a host TCP connection. */
class Client {
  readonly conn: TcpConnection;
  readonly got: SccpMessage[] = [];
  readonly framer = new SccpFramer();
  ended: TcpEnd | null = null;
  peerClosed = false;
  established = false;

  constructor(host: TcpHost, cmIp: string, readonly name = "SEP001B54C2A710") {
    this.conn = host.connect(cmIp, 2000);
    this.conn.onEstablished = () => { this.established = true; };
    this.conn.onData = (b) => this.got.push(...this.framer.push(b));
    this.conn.onPeerClose = () => { this.peerClosed = true; this.conn.close(); };
    this.conn.onEnd = (how) => { this.ended = how; };
  }

  register(ip = parseIp(PHONE_IP)): void {
    this.conn.send(encodeStationRegister({ deviceName: this.name, userId: 0, instance: 1, stationIp: ip, deviceType: 7, maxStreams: 5, protocolVersion: 11 }));
  }

  /** The station set-up as a phone does it (all requests at once); without CapabilitiesRes, or stopping before TimeDateReq, when asked. */
  setUp(o: { capabilities?: boolean; timeDate?: boolean } = {}): void {
    if (o.capabilities !== false) this.conn.send(encodeCapabilitiesRes(PHONE_CAPABILITIES));
    for (const id of [SccpMsg.ButtonTemplateReq, SccpMsg.SoftKeyTemplateReq, SccpMsg.SoftKeySetReq, SccpMsg.ConfigStatReq]) this.conn.send(encodeEmpty(id));
    this.conn.send(encodeU32Message(SccpMsg.LineStatReq, 1));
    this.conn.send(encodeU32Message(SccpMsg.ForwardStatReq, 1));
    if (o.timeDate !== false) this.conn.send(encodeEmpty(SccpMsg.TimeDateReq));
    this.conn.send(encodeU32Message(SccpMsg.RegisterAvailableLines, 1));
  }

  ids(): number[] {
    return this.got.map((m) => m.id);
  }
}

function runMs(n: Net, ms: number): void {
  n.s.runUntil(n.s.now + ms * 1000);
}

test("registers a station once its set-up completed: RegisterAck, CapabilitiesReq, the answers; KeepAliveAck, UnregisterAck", () => {
  const n = net([{ keepAliveS: 15, lines: () => [{ dirNumber: "1001", displayName: "Alice" }] }]);
  const c = new Client(n.phones[0], CM1.ip);
  runMs(n, 10);
  assert.equal(c.established, true);
  c.register();
  runMs(n, 10);
  assert.deepEqual(c.ids(), [SccpMsg.RegisterAck, SccpMsg.CapabilitiesReq]);
  const ack = decodeRegisterAck(c.got[0].data);
  assert.equal(ack?.keepAliveS, 15);
  assert.equal(ack?.maxProtocolVersion, 11);
  const cm = n.cms[0];
  assert.equal(cm.logic.isRegistered("SEP001B54C2A710"), false, "RegisterAck alone is not a registration");
  c.setUp();
  runMs(n, 10);
  assert.deepEqual(c.ids().slice(2), [SccpMsg.ButtonTemplate, SccpMsg.SoftKeyTemplateRes, SccpMsg.SoftKeySetRes, SccpMsg.ConfigStat, SccpMsg.LineStat,
    SccpMsg.ForwardStat, SccpMsg.DefineTimeDate, SccpMsg.ClearPromptStatus]);
  assert.deepEqual(decodeButtonTemplate(c.got[2].data), [{ instance: 1, type: 9 }, { instance: 1, type: 2 }]);
  assert.deepEqual(decodeLineStat(c.got[6].data), { line: 1, dirNumber: "1001", displayName: "Alice", label: "1001" });
  const sent = decodeDefineTimeDate(c.got[8].data)!.getTime() - SIM_EPOCH_MS; // the simulated wall clock: epoch + virtual time
  assert.ok(sent > 0 && sent <= n.s.now / 1000, String(sent));
  assert.equal(cm.logic.isRegistered("SEP001B54C2A710"), true);
  const r = cm.logic.registrations()[0];
  assert.equal(r.stationIp, parseIp(PHONE_IP));
  assert.deepEqual(r.codecs, ["G.711 mu-law", "G.711 A-law", "G.729", "G.722"]);
  assert.deepEqual(r.lines, [{ dirNumber: "1001", displayName: "Alice" }]);
  assert.equal(cm.logic.stats.acks, 1);
  assert.equal(cm.logic.stats.registrations, 1);
  assert.deepEqual(cm.logic.devices().map((d) => [d.deviceName, d.state, d.lines.length, d.codecs.length]), [["SEP001B54C2A710", "registered", 1, 4]]);
  c.conn.send(encodeKeepAlive());
  runMs(n, 10);
  assert.equal(c.got.at(-1)?.id, SccpMsg.KeepAliveAck);
  c.conn.send(encodeUnregister());
  runMs(n, 10);
  assert.equal(c.got.at(-1)?.id, SccpMsg.UnregisterAck);
  assert.equal(cm.logic.isRegistered("SEP001B54C2A710"), false);
  c.conn.close();
  runMs(n, 100);
  assert.equal(cm.logic.openSessions, 0);
  assert.deepEqual(cm.events.map((e) => e.type).filter((t) => t !== "setup"), ["connect", "ack", "register", "keepalive", "unregister", "disconnect"]);
  assert.equal(n.phones[0].stats.retransmits + cm.tcp.stats.retransmits, 0);
});

test("a device on the reject list gets RegisterReject with the reason, then the CallManager's FIN", () => {
  const n = net([{ reject: new Map([["SEP001B54C2A710", "Not in database"]]) }]);
  const c = new Client(n.phones[0], CM1.ip);
  runMs(n, 10);
  c.register();
  runMs(n, 100);
  assert.deepEqual(c.ids(), [SccpMsg.RegisterReject]);
  assert.equal(decodeRegisterReject(c.got[0].data), "Not in database");
  assert.equal(c.peerClosed, true);
  runMs(n, 100);
  assert.equal(c.ended, "closed");
  assert.equal(n.cms[0].logic.stats.rejects, 1);
  // Another device is welcome.
  const d = new Client(n.phones[0], CM1.ip, "SEP001B54000002");
  runMs(n, 10);
  d.register();
  runMs(n, 10);
  assert.deepEqual(d.ids(), [SccpMsg.RegisterAck, SccpMsg.CapabilitiesReq]);
});

test("outage 'refuse': SYNs get a RST, registered phones are reset; back after start()", () => {
  const n = net([{}]);
  const c = new Client(n.phones[0], CM1.ip);
  runMs(n, 10);
  c.register();
  runMs(n, 10);
  n.cms[0].stop("refuse");
  runMs(n, 10);
  assert.equal(c.ended, "reset");
  assert.equal(n.cms[0].logic.isRegistered("SEP001B54C2A710"), false);
  const d = new Client(n.phones[0], CM1.ip);
  runMs(n, 10);
  assert.equal(d.ended, "refused");
  n.cms[0].start();
  const e = new Client(n.phones[0], CM1.ip);
  runMs(n, 10);
  e.register();
  runMs(n, 10);
  assert.deepEqual(e.ids(), [SccpMsg.RegisterAck, SccpMsg.CapabilitiesReq]);
});

test("outage 'fin': the CallManager closes each connection cleanly, then refuses", () => {
  const n = net([{}]);
  const c = new Client(n.phones[0], CM1.ip);
  runMs(n, 10);
  c.register();
  runMs(n, 10);
  n.cms[0].stop("fin");
  runMs(n, 10);
  assert.equal(c.peerClosed, true);
  runMs(n, 100);
  assert.equal(c.ended, "closed");
  const d = new Client(n.phones[0], CM1.ip);
  runMs(n, 10);
  assert.equal(d.ended, "refused");
});

test("outage 'silent': no answer at all, not even ARP; after start() a new connection works", () => {
  const n = net([{ down: "silent" }]);
  const c = new Client(n.phones[0], CM1.ip);
  runMs(n, 60_000);
  assert.equal(c.established, false);
  assert.equal(c.ended, "timeout");
  assert.equal(n.cms[0].tcp.stats.framesOut, 0);
  n.cms[0].start();
  const d = new Client(n.phones[0], CM1.ip);
  runMs(n, 10);
  d.register();
  runMs(n, 10);
  assert.deepEqual(d.ids(), [SccpMsg.RegisterAck, SccpMsg.CapabilitiesReq]);
});

test("a silent CallManager that comes back has forgotten its connections: the old one is reset", () => {
  const n = net([{ keepAliveS: 5 }]);
  const c = new Client(n.phones[0], CM1.ip);
  runMs(n, 10);
  c.register();
  runMs(n, 10);
  n.cms[0].stop("silent");
  c.conn.send(encodeKeepAlive());
  runMs(n, 2000); // retransmitted into the void
  n.cms[0].start();
  runMs(n, 10_000);
  assert.equal(c.ended, "reset");
  assert.equal(n.cms[0].logic.isRegistered("SEP001B54C2A710"), false);
});

test("registrations per second: a burst of 10 is answered at the configured rate", () => {
  const n = net([{ registrationsPerSecond: 2, burst: 1 }], 10);
  const clients = n.phones.map((h, i) => new Client(h, CM1.ip, `SEP001B5400${(i + 0x10).toString(16).toUpperCase()}AA`));
  runMs(n, 10);
  const t0 = n.s.now;
  for (const [i, c] of clients.entries()) c.register(parseIp(PHONE_IP) + i);
  const acked: number[] = [];
  n.cms[0].onEvent = (e) => { if (e.type === "ack") acked.push((e.tMs * 1000 - t0) / 1000); };
  runMs(n, 10_000);
  assert.equal(acked.length, 10);
  assert.ok(clients.every((c) => c.ids()[0] === SccpMsg.RegisterAck));
  assert.ok(acked[0] < 10, `first at ${acked[0]} ms`);
  assert.ok(acked[9] >= 4400 && acked[9] <= 4600, `last at ${acked[9]} ms`);
  for (let i = 1; i < 10; i++) assert.ok(acked[i] - acked[i - 1] >= 490, `gap ${i}: ${acked[i] - acked[i - 1]} ms`);
  assert.equal(n.cms[0].logic.stats.throttled, 9);
});

test("registrations per second: phones that leave the queue give up their turn, the others keep their order", () => {
  const n = net([{ registrationsPerSecond: 2, burst: 1 }], 6);
  const clients = n.phones.map((h, i) => new Client(h, CM1.ip, `SEP001B5400${(i + 0x10).toString(16).toUpperCase()}BB`));
  runMs(n, 10);
  const t0 = n.s.now;
  const acked: Array<{ session: number; ms: number }> = [];
  const waiting: string[] = [];
  n.cms[0].onEvent = (e) => {
    if (e.type === "ack") acked.push({ session: e.session, ms: (e.tMs * 1000 - t0) / 1000 });
    if (e.type === "throttle") waiting.push(e.detail ?? "");
  };
  for (const [i, c] of clients.slice(0, 5).entries()) c.register(parseIp(PHONE_IP) + i);
  runMs(n, 100);
  clients[1].conn.abort();
  clients[3].conn.abort();
  runMs(n, 100);
  clients[5].register(parseIp(PHONE_IP) + 5);
  runMs(n, 5_000);
  // Sessions are numbered in connection order: 1 answered at once, 3, 5 and 6 in turn, 2 and 4 never.
  assert.deepEqual(acked.map((a) => a.session), [1, 3, 5, 6]);
  assert.ok(acked[1].ms >= 450 && acked[1].ms <= 600, `second answer at ${acked[1].ms} ms`);
  assert.ok(acked[3].ms >= 1450 && acked[3].ms <= 1600, `last answer at ${acked[3].ms} ms`);
  assert.deepEqual(waiting, ["1 waiting", "2 waiting", "3 waiting", "4 waiting", "3 waiting"]);
  assert.equal(n.cms[0].logic.openSessions, 4);
});

test("hostile streams: an impossible length resets the connection; a short StationRegister too; unknown ids are ignored", () => {
  const n = net([{}]);
  const c = new Client(n.phones[0], CM1.ip);
  runMs(n, 10);
  c.conn.send(encodeMessage(0x4242, new Uint8Array(3)));
  runMs(n, 10);
  assert.equal(c.ended, null);
  assert.equal(n.cms[0].logic.stats.unknown, 1);
  const huge = new Uint8Array(12);
  new DataView(huge.buffer).setUint32(0, 0xfffffff0, true);
  c.conn.send(huge);
  runMs(n, 10);
  assert.equal(c.ended, "reset");
  const d = new Client(n.phones[0], CM1.ip);
  runMs(n, 10);
  d.conn.send(encodeMessage(SccpMsg.Register, new Uint8Array(10)));
  runMs(n, 10);
  assert.equal(d.ended, "reset");
  assert.equal(n.cms[0].logic.stats.malformed, 2);
  assert.equal(n.cms[0].logic.openSessions, 0);
});

test("the same device registering on a new connection replaces the old one, which is reset", () => {
  const n = net([{}]);
  const a = new Client(n.phones[0], CM1.ip);
  runMs(n, 10);
  a.register();
  runMs(n, 10);
  const b = new Client(n.phones[0], CM1.ip);
  runMs(n, 10);
  b.register();
  runMs(n, 10);
  b.setUp();
  runMs(n, 10);
  assert.equal(a.ended, "reset");
  assert.deepEqual(b.ids().slice(0, 2), [SccpMsg.RegisterAck, SccpMsg.CapabilitiesReq]);
  assert.equal(n.cms[0].logic.registrations().length, 1);
  assert.equal(n.cms[0].logic.registrations()[0].session, 2);
});

test("resetDevice sends Reset to a registered phone", () => {
  const n = net([{}]);
  const c = new Client(n.phones[0], CM1.ip);
  runMs(n, 10);
  c.register();
  runMs(n, 10);
  assert.equal(n.cms[0].logic.resetDevice("SEP001B54C2A710", 2), false, "not registered before its set-up");
  c.setUp();
  runMs(n, 10);
  assert.equal(n.cms[0].logic.resetDevice("SEP001B54C2A710", 2), true);
  runMs(n, 10);
  assert.equal(c.got.at(-1)?.id, SccpMsg.Reset);
  assert.equal(n.cms[0].logic.resetDevice("SEP000000000000"), false);
});

test("a phone that stops after RegisterAck is not registered: after the set-up timeout the CallManager says why and closes", () => {
  const n = net([{ setupTimeoutS: 5 }]);
  const c = new Client(n.phones[0], CM1.ip);
  runMs(n, 10);
  c.register();
  runMs(n, 4_000);
  const cm = n.cms[0];
  assert.equal(cm.logic.isRegistered("SEP001B54C2A710"), false);
  assert.deepEqual(cm.logic.devices().map((d) => [d.state, d.missing]), [["setting up", ["never answered CapabilitiesReq", "never sent TimeDateReq"]]]);
  assert.equal(c.peerClosed, false);
  runMs(n, 1_100);
  assert.equal(c.peerClosed, true);
  const e = cm.events.find((x) => x.type === "incomplete");
  assert.equal(e?.detail, "never answered CapabilitiesReq, never sent TimeDateReq");
  assert.equal(cm.logic.stats.incomplete, 1);
  assert.equal(cm.logic.stats.registrations, 0);
  assert.equal(cm.events.some((x) => x.type === "register"), false);
});

test("a phone that skips CapabilitiesRes gets every answer, DefineTimeDate too, and is still not registered", () => {
  const n = net([{ setupTimeoutS: 5 }]);
  const c = new Client(n.phones[0], CM1.ip);
  runMs(n, 10);
  c.register();
  runMs(n, 10);
  c.setUp({ capabilities: false });
  runMs(n, 10);
  assert.ok(c.ids().includes(SccpMsg.DefineTimeDate));
  assert.equal(n.cms[0].logic.isRegistered("SEP001B54C2A710"), false);
  runMs(n, 5_100);
  assert.equal(c.peerClosed, true);
  assert.equal(n.cms[0].events.find((x) => x.type === "incomplete")?.detail, "never answered CapabilitiesReq");
  // Answered late (before the timeout), the same set-up registers.
  const m = net([{ setupTimeoutS: 5 }]);
  const d = new Client(m.phones[0], CM1.ip);
  runMs(m, 10);
  d.register();
  runMs(m, 10);
  d.setUp({ capabilities: false });
  runMs(m, 1_000);
  d.conn.send(encodeCapabilitiesRes(PHONE_CAPABILITIES));
  runMs(m, 10);
  assert.equal(m.cms[0].logic.isRegistered("SEP001B54C2A710"), true);
});

test("a registered phone whose keepalives stop is unregistered after two intervals and 5 s, and its connection closed", () => {
  const n = net([{ keepAliveS: 10 }]);
  const c = new Client(n.phones[0], CM1.ip);
  runMs(n, 10);
  c.register();
  runMs(n, 10);
  c.setUp();
  runMs(n, 10);
  const cm = n.cms[0].logic;
  assert.equal(cm.isRegistered("SEP001B54C2A710"), true);
  runMs(n, 9_000);
  c.conn.send(encodeKeepAlive()); // one keepalive: the clock starts again
  runMs(n, 24_900);
  assert.equal(cm.isRegistered("SEP001B54C2A710"), true);
  runMs(n, 200);
  assert.equal(cm.isRegistered("SEP001B54C2A710"), false);
  assert.equal(cm.stats.expired, 1);
  assert.equal(n.cms[0].events.find((e) => e.type === "expired")?.detail, "no keepalive for 25s: unregistered");
  runMs(n, 100);
  assert.equal(c.peerClosed, true);
});

test("withholdSetup: RegisterAck and nothing after it, not even to the set-up's requests", () => {
  const n = net([{ withholdSetup: true }]);
  const c = new Client(n.phones[0], CM1.ip);
  runMs(n, 10);
  c.register();
  runMs(n, 10);
  c.setUp();
  runMs(n, 10);
  assert.deepEqual(c.ids(), [SccpMsg.RegisterAck]);
  assert.equal(n.cms[0].logic.isRegistered("SEP001B54C2A710"), false);
});

// ---- the host TCP on its own -----------------------------------------------------------------

/** A two-port relay between two wires that drops the frames `drop` picks. */
class Lossy {
  a!: WirePort;
  b!: WirePort;
  dropped = 0;
  constructor(s: Scheduler, left: Nic, right: Nic & { plug(w: Wire, side: 0 | 1): void }, leftPlug: (w: Wire) => void, public drop: (frame: Uint8Array, toRight: boolean) => boolean) {
    const w1 = new Wire(s);
    const w2 = new Wire(s);
    leftPlug(w1);
    right.plug(w2, 0);
    this.a = w1.attach(1, { receive: (f) => (this.drop(f, true) ? this.dropped++ : this.b.send(f)) });
    this.b = w2.attach(1, { receive: (f) => (this.drop(f, false) ? this.dropped++ : this.a.send(f)) });
    void left;
  }
}

/** The sequence number of a data segment, or null for anything else. */
function dataSeq(frame: Uint8Array): number | null {
  const eth = decodeEthernet(frame);
  const ip = eth && eth.etherType === 0x0800 ? decodeIpv4(eth.payload) : null;
  const seg = ip && ip.protocol === 6 ? decodeTcp(ip.payload, ip.src, ip.dst) : null;
  return seg && seg.payload.length > 0 ? seg.seq : null;
}

test("host TCP: every other data segment lost, the data still arrives whole and in order", () => {
  const s = new Scheduler();
  const server = new TcpHost(s, { mac: "02:00:00:00:00:01", ip: "192.0.2.1", seed: 1 });
  const client = new TcpHost(s, { mac: "02:00:00:00:00:02", ip: "192.0.2.2", seed: 2 });
  // The first transmission of every other segment is lost.
  const seen = new Set<number>();
  let n = 0;
  new Lossy(s, client, server, (w) => client.plug(w, 0), (f, toRight) => {
    const seq = toRight ? dataSeq(f) : null;
    if (seq === null || seen.has(seq)) return false;
    seen.add(seq);
    return n++ % 2 === 0;
  });
  const received: number[] = [];
  let serverConn: TcpConnection | null = null;
  server.listen(7, (c) => {
    serverConn = c;
    c.onData = (b) => received.push(...b);
  });
  const c = client.connect("192.0.2.1", 7);
  const data = Uint8Array.from({ length: 5000 }, (_, i) => i & 0xff);
  c.onEstablished = () => c.send(data);
  s.runUntil(120_000_000);
  assert.equal(received.length, 5000);
  assert.deepEqual(Uint8Array.from(received), data);
  assert.ok(client.stats.retransmits > 0);
  assert.equal(c.unacknowledged, 0);
  assert.ok(serverConn !== null);
});

test("host TCP: RST for a closed port; FIN both ways; TIME-WAIT ends the connection", () => {
  const s = new Scheduler();
  const server = new TcpHost(s, { mac: "02:00:00:00:00:01", ip: "192.0.2.1", timeWaitMs: 1000 });
  const client = new TcpHost(s, { mac: "02:00:00:00:00:02", ip: "192.0.2.2", timeWaitMs: 1000 });
  const w = new Wire(s);
  server.plug(w, 0);
  client.plug(w, 1);
  const refused = client.connect("192.0.2.1", 9);
  s.runUntil(100_000);
  assert.equal(refused.ended, "refused");
  assert.equal(server.stats.resetsSent, 1);
  let sc: TcpConnection | null = null;
  server.listen(9, (c) => { sc = c; c.onPeerClose = () => c.close(); });
  const c = client.connect("192.0.2.1", 9);
  s.runUntil(s.now + 100_000);
  assert.equal(c.state, "established");
  c.close();
  s.runUntil(s.now + 100_000);
  assert.equal((sc as TcpConnection | null)?.ended, "closed");
  assert.equal(c.state, "time-wait");
  s.runUntil(s.now + 1_100_000);
  assert.equal(c.ended, "closed");
  assert.equal(client.connections().length + server.connections().length, 0);
  assert.equal(TcpFlag.RST, 4);
});

test("a standby connection: KeepAlive with no device registered is answered, reported once as standby; StationRegister on it registers as on any connection", () => {
  const n = net([{ keepAliveS: 10, secondaryKeepAliveS: 20 }]);
  const c = new Client(n.phones[0], CM1.ip);
  runMs(n, 10);
  for (let i = 0; i < 3; i++) {
    c.conn.send(encodeKeepAlive());
    runMs(n, 20_000);
  }
  const cm = n.cms[0];
  assert.deepEqual(c.ids(), [SccpMsg.KeepAliveAck, SccpMsg.KeepAliveAck, SccpMsg.KeepAliveAck]);
  assert.deepEqual(cm.events.map((e) => e.type), ["connect", "standby", "keepalive", "keepalive", "keepalive"]);
  assert.equal(cm.logic.stats.standby, 1);
  assert.deepEqual(cm.logic.standbys().map((s) => [s.remote.split(":")[0], s.lastKeepAliveMs >= 40_000]), [[PHONE_IP, true]]);
  assert.deepEqual(cm.logic.devices(), []);
  assert.equal(cm.logic.isRegistered("SEP001B54C2A710"), false);
  c.register();
  runMs(n, 10);
  c.setUp();
  runMs(n, 10);
  assert.equal(cm.logic.isRegistered("SEP001B54C2A710"), true);
  assert.deepEqual(cm.logic.standbys(), []);
  // Registered, the registration's keepalive expiry governs the connection, not the silence rule.
  runMs(n, 20_000);
  assert.equal(c.ended, null);
});

test("a connection with no registration silent for two secondary keepalive intervals and 5 s is closed (as chan-sccp-b closes a silent session)", () => {
  const n = net([{ keepAliveS: 10, secondaryKeepAliveS: 20 }]);
  const cm = n.cms[0];
  const c = new Client(n.phones[0], CM1.ip);
  runMs(n, 10);
  c.conn.send(encodeKeepAlive());
  runMs(n, 44_900);
  assert.equal(c.peerClosed, false);
  runMs(n, 200);
  assert.equal(c.peerClosed, true);
  assert.equal(cm.logic.stats.idle, 1);
  assert.equal(cm.events.find((e) => e.type === "idle")?.detail, "nothing for 45s on a connection with no registration: closed");
  // One that never says anything is closed the same way.
  const mute = new Client(n.phones[0], CM1.ip);
  runMs(n, 45_100);
  assert.equal(mute.peerClosed, true);
  assert.equal(cm.logic.stats.idle, 2);
  assert.equal(cm.logic.stats.standby, 1);
});
