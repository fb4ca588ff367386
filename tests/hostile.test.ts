// Hostile servers (issue 11): a DHCP server whose options overflow their
// lengths or list 0 or 200 TFTP servers, a TFTP server that never stops
// sending, a 10 MB configuration file, CallManagers that accept TCP and never
// answer or answer garbage. Each case is bounded (the phone's frames per
// minute stay few, what it takes in stays within its buffers), named (a
// counter, the display, an event says what happened) and traps nothing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { buildNetwork, bootPhone, sepFileName, DEFAULT_PHONE_MAC, DEFAULT_DHCP, DEFAULT_TFTP, CALLMANAGERS, type Network } from "../host/sim/network.js";
import type { Nic, Side, Wire, WirePort } from "../host/sim/wire.js";
import { TcpHost } from "../host/sim/tcp.js";
import { Random } from "../host/sim/random.js";
import { cnfXml } from "../host/sim/cnf.js";
import { broadcastMac, parseIp, parseMac, type Mac } from "../host/wire/address.js";
import { buildUdpFrame, parseUdpFrame } from "../host/wire/udp.js";
import { decodeDhcp, DhcpOpt, DhcpType, DHCP_CLIENT_PORT, DHCP_SERVER_PORT } from "../host/wire/dhcp.js";
import { encodeArp, decodeArp, ARP_REPLY, ARP_REQUEST } from "../host/wire/arp.js";
import { encodeEthernet, decodeEthernet, ETHERTYPE_ARP } from "../host/wire/ethernet.js";

const SEP = sepFileName(DEFAULT_PHONE_MAC);
const FREE_PORT = 1;
const SERVER_MAC = parseMac("02:00:5e:00:02:66");
const SERVER_IP = parseIp(DEFAULT_DHCP.ip as string);
const COOKIE = 0x63825363;

function counters(net: Network): Record<string, number> {
  return net.phone.report().counters.all as Record<string, number>;
}

function events(net: Network, name: string): string[] {
  return net.phone.timeline.filter((e) => e.event === name).map((e) => e.detail);
}

/** Frames the phone sent from `fromMs` to `toMs` of virtual time (by its tx counter, sampled by the caller). */
function txRate(net: Network, ms: number): number {
  const before = counters(net).tx_frames;
  net.scheduler.run({ untilUs: net.scheduler.now + ms * 1000 });
  return counters(net).tx_frames - before;
}

/** No trap, counters add up. */
function healthy(net: Network): void {
  const c = net.phone.report().counters;
  assert.equal(c.frames_in, c.accepted + Object.values(c.dropped).reduce((a, b) => a + b, 0), "every frame counted once");
}

// ---------------------------------------------------------------- a hostile DHCP server

/** Answers DISCOVER and REQUEST with the BOOTP message `reply` builds (raw bytes: nothing checked). Answers ARP for its address. */
class RawDhcpServer implements Nic {
  private port: WirePort | null = null;
  offers = 0;
  /** Answers sent so far, OFFERs and ACKs. */
  answers = 0;
  constructor(readonly reply: (type: number, xid: number, chaddr: Uint8Array, n: number) => Uint8Array | null) {}
  plug(wire: Wire, side: Side): void { this.port = wire.attach(side, this); }
  receive(frame: Uint8Array): void {
    const eth = decodeEthernet(frame);
    if (eth?.etherType === ETHERTYPE_ARP) {
      const a = decodeArp(eth.payload);
      if (a && a.op === ARP_REQUEST && a.targetIp === SERVER_IP) {
        const r = encodeArp({ op: ARP_REPLY, senderMac: SERVER_MAC, senderIp: SERVER_IP, targetMac: a.senderMac, targetIp: a.senderIp });
        this.port?.send(encodeEthernet({ dst: a.senderMac, src: SERVER_MAC, etherType: ETHERTYPE_ARP, payload: r }, true));
      }
      return;
    }
    const u = parseUdpFrame(frame);
    if (!u || u.udp.dstPort !== DHCP_SERVER_PORT) return;
    const m = decodeDhcp(u.udp.payload);
    const type = m?.options.find((o) => o.code === DhcpOpt.MESSAGE_TYPE)?.data[0];
    if (!m || (type !== DhcpType.DISCOVER && type !== DhcpType.REQUEST)) return;
    const answer = type === DhcpType.DISCOVER ? DhcpType.OFFER : DhcpType.ACK;
    if (answer === DhcpType.OFFER) this.offers++;
    const n = this.answers++;
    const payload = this.reply(answer, m.xid, m.chaddr.subarray(0, 6), n);
    if (!payload) return;
    this.port?.send(buildUdpFrame({ srcMac: SERVER_MAC, dstMac: broadcastMac(), srcIp: SERVER_IP, dstIp: 0xffffffff, srcPort: DHCP_SERVER_PORT, dstPort: DHCP_CLIENT_PORT, payload }));
  }
}

const ip = (s: string) => [...s.split(".").map(Number)];
/** A BOOTREPLY with exactly these option bytes after the cookie. */
function bootReply(xid: number, chaddr: Uint8Array, options: number[]): Uint8Array {
  const b = new Uint8Array(Math.max(240 + options.length, 300));
  const v = new DataView(b.buffer);
  b.set([2, 1, 6]);
  v.setUint32(4, xid);
  b.set(ip("192.0.2.50"), 16);
  b.set(ip("192.0.2.1"), 20);
  b.set(chaddr, 28);
  v.setUint32(236, COOKIE);
  b.set(options, 240);
  return b;
}

/** The options of a sane reply of `type`, then `extra` (before End). */
function saneOptions(type: number, extra: number[] = []): number[] {
  return [53, 1, type, 54, 4, ...ip("192.0.2.1"), 51, 4, 0, 0, 0x0e, 0x10, 1, 4, 255, 255, 255, 0, 3, 4, ...ip("192.0.2.1"), 6, 4, ...ip("192.0.2.53"), ...extra, 255];
}

function dhcpNetwork(seed: number, reply: RawDhcpServer["reply"]): { net: Network; server: RawDhcpServer } {
  const net = buildNetwork({ seed, dhcp: { silent: true } });
  const server = new RawDhcpServer(reply);
  net.plug(FREE_PORT, server);
  return { net, server };
}

test("DHCP offers whose options run past their lengths are dropped as malformed, the phone keeps asking at a bounded rate, then binds", () => {
  const overflowing = [
    [53, 1, 2, 54, 4, ...ip("192.0.2.1"), 150, 200, ...ip("192.0.2.10")], // option 150 claims 200 bytes, the message ends
    [53, 1, 2, 3, 255, 1, 2, 3],                                          // a router list of 255 bytes in 3
    [53, 1, 2, 54, 4, ...ip("192.0.2.1"), 66, 64, 0x74, 0x66],             // option 66 runs past the end
    [53, 1, 2, 52, 1, 3, 255],                                             // overload into file and sname full of garbage
    [53, 1, 2, 51, 4, 0, 0],                                               // a lease time cut short, no End
  ];
  const { net, server } = dhcpNetwork(41, (type, xid, chaddr, n) => {
    if (n < 12) {
      const opts = overflowing[n % overflowing.length];
      const m = bootReply(xid, chaddr, opts);
      // The options fill the message to its last byte: nothing after them.
      const cut = m.subarray(0, 240 + opts.length);
      if (n % overflowing.length === 3) { cut.fill(0xab, 44, 236); return m; }
      return cut;
    }
    return bootReply(xid, chaddr, saneOptions(type === DhcpType.OFFER ? 2 : 5, [150, 4, ...ip("192.0.2.10")]));
  });
  const r = bootPhone(net, 600_000);
  healthy(net);
  const c = counters(net);
  assert.ok(c.drop_dhcp_malformed >= 12, `12 hostile offers counted as malformed: ${c.drop_dhcp_malformed}`);
  assert.equal(r.registered, true, `registered once the server made sense: ${net.phone.lcd}`);
  assert.ok(server.offers >= 13);
  // Bounded: the DISCOVERs before a sane offer backed off (RFC 2131: 4, 8, 16, 32, 64 s).
  const discovers = net.phone.timeline.filter((e) => e.stage === "dhcp" && /^DISCOVER/.test(e.event)).length;
  assert.ok(discovers <= 14, `${discovers} DISCOVERs`);
});

test("option 150 with 0 addresses and no option 66: bound, then the named failure 'No TFTP server', retried at a bounded rate", () => {
  const { net } = dhcpNetwork(42, (type, xid, chaddr) => bootReply(xid, chaddr, saneOptions(type === DhcpType.OFFER ? 2 : 5, [150, 0])));
  const r = bootPhone(net, 120_000);
  healthy(net);
  assert.equal(r.bound, true);
  assert.equal(r.registered, false);
  assert.equal(net.phone.lcd, "No TFTP server");
  assert.ok(txRate(net, 60_000) <= 20, "a quiet phone while it waits to try again");
});

// The phone does not concatenate repeated options (RFC 3396): the last option 150 is the one it uses.
test("option 150 with 200 addresses in pieces of 6, 252, 252, 252 and 38 bytes: one list (RFC 3396), its first four kept; the phone registers", () => {
  // The second address, the only TFTP server there, is split across the first two pieces.
  const addrs = [[198, 51, 100, 1], ip("192.0.2.10"), ...Array.from({ length: 198 }, (_, i) => [198, 51, 100, (i % 250) + 2])].flat();
  const split: number[] = [150, 6, ...addrs.slice(0, 6)];
  for (let at = 6; at < addrs.length; at += 252) split.push(150, Math.min(252, addrs.length - at), ...addrs.slice(at, at + 252));
  const { net } = dhcpNetwork(43, (type, xid, chaddr) => bootReply(xid, chaddr, saneOptions(type === DhcpType.OFFER ? 2 : 5, split)));
  const r = bootPhone(net, 300_000);
  healthy(net);
  assert.equal(r.registered, true, net.phone.lcd);
  assert.deepEqual(net.phone.report().tftp_servers, ["198.51.100.1", "192.0.2.10", "198.51.100.2", "198.51.100.3"]);
});

test("option 150 with 200 addresses of which none answers: each tried a bounded number of times, then a named failure", () => {
  const addrs = Array.from({ length: 200 }, (_, i) => [192, 0, 2, 200 + (i % 50)]).flat(); // nobody there
  const split: number[] = [];
  for (let at = 0; at < addrs.length; at += 252) split.push(150, Math.min(252, addrs.length - at), ...addrs.slice(at, at + 252));
  const { net } = dhcpNetwork(44, (type, xid, chaddr) => bootReply(xid, chaddr, saneOptions(type === DhcpType.OFFER ? 2 : 5, split)));
  const r = bootPhone(net, 300_000);
  healthy(net);
  assert.equal(r.registered, false);
  assert.ok(events(net, "config failed").includes("no TFTP server answered (last: timeout)"), "named");
  assert.ok(events(net, "timeout").length <= 4 * 5, "each server tried five times, four servers");
  assert.ok(txRate(net, 60_000) <= 30, "bounded: a few frames a minute");
});

// ---------------------------------------------------------------- a hostile TFTP server

/** RFC 1350 without options: for `forever` files, full 512-byte blocks that never end, retransmitted each second, errors ignored. */
class EndlessTftp implements Nic {
  private port: WirePort | null = null;
  readonly mac = parseMac("02:00:5e:00:02:6a");
  readonly ip = parseIp(DEFAULT_TFTP.ip);
  sent = 0;
  private timers = 0;
  constructor(private readonly net: Network, private readonly files: Record<string, Uint8Array>, private readonly forever: Set<string>) {}
  plug(wire: Wire, side: Side): void { this.port = wire.attach(side, this); }
  private tid = 40000;
  private transfers = new Map<number, { name: string; block: number; to: { mac: Mac; ip: number; port: number } }>();
  receive(frame: Uint8Array): void {
    const eth = decodeEthernet(frame);
    if (eth?.etherType === ETHERTYPE_ARP) {
      const a = decodeArp(eth.payload);
      if (a && a.op === ARP_REQUEST && a.targetIp === this.ip) {
        const r = encodeArp({ op: ARP_REPLY, senderMac: this.mac, senderIp: this.ip, targetMac: a.senderMac, targetIp: a.senderIp });
        this.port?.send(encodeEthernet({ dst: a.senderMac, src: this.mac, etherType: ETHERTYPE_ARP, payload: r }, true));
      }
      return;
    }
    const u = parseUdpFrame(frame);
    if (!u || u.ip.dst !== this.ip) return;
    const p = u.udp.payload;
    const op = (p[0] << 8) | p[1];
    const to = { mac: eth!.src, ip: u.ip.src, port: u.udp.srcPort };
    if (u.udp.dstPort === 69 && op === 1) {
      const name = new TextDecoder().decode(p.subarray(2, p.indexOf(0, 2)));
      if (!(name in this.files) && !this.forever.has(name)) { this.send(69, to, Uint8Array.of(0, 5, 0, 1, ...new TextEncoder().encode("not found"), 0)); return; }
      const tid = this.tid++;
      this.transfers.set(tid, { name, block: 1, to });
      this.data(tid);
      // Retransmit the current block every second, forever (while the test runs).
      const again = () => { if (this.timers++ < 100_000) { this.data(tid); this.net.scheduler.after(1_000_000, again); } };
      this.net.scheduler.after(1_000_000, again);
      return;
    }
    const t = this.transfers.get(u.udp.dstPort);
    if (!t) return;
    if (op === 5) return; // errors ignored
    if (op === 4 && ((p[2] << 8) | p[3]) === (t.block & 0xffff)) { t.block++; this.data(u.udp.dstPort); }
  }
  private data(tid: number): void {
    const t = this.transfers.get(tid)!;
    const file = this.files[t.name];
    let chunk: Uint8Array;
    if (this.forever.has(t.name)) chunk = new Uint8Array(512).fill(0x41 + (t.block % 26));
    else chunk = file.subarray((t.block - 1) * 512, t.block * 512);
    this.send(tid, t.to, Uint8Array.of(0, 3, (t.block >> 8) & 0xff, t.block & 0xff, ...chunk));
  }
  private send(srcPort: number, to: { mac: Mac; ip: number; port: number }, payload: Uint8Array): void {
    this.sent++;
    this.port?.send(buildUdpFrame({ srcMac: this.mac, dstMac: to.mac, srcIp: this.ip, dstIp: to.ip, srcPort, dstPort: to.port, payload }));
  }
}

function tftpNetwork(seed: number, files: Record<string, Uint8Array>, forever: string[]): { net: Network; server: EndlessTftp } {
  const net = buildNetwork({ seed, tftp: { silent: true } });
  const server = new EndlessTftp(net, files, new Set(forever));
  net.plug(FREE_PORT, server);
  return { net, server };
}

const config = (load = "P0030801SR01") => new TextEncoder().encode(cnfXml({ callManagers: CALLMANAGERS.map((host, i) => ({ host, priority: i })), load }));

test("a TFTP server that never stops sending a configuration that is not XML: stopped at its first byte as the file streams in, named, retried at a bounded rate", () => {
  const { net, server } = tftpNetwork(45, {}, [SEP, "XMLDefault.cnf.xml"]);
  const r = bootPhone(net, 120_000);
  healthy(net);
  assert.equal(r.registered, false);
  assert.equal(net.phone.lcd, "Configuration error", "the server answered: the file is what failed");
  assert.ok(events(net, "abort").every((d) => d === "sent ERROR 0 (the file's content refused) after 0 bytes"), events(net, "abort").join("; "));
  assert.ok(events(net, "abort").length >= 2);
  assert.ok(events(net, "config failed").includes("configuration file rejected: malformed"), "named in the timeline");
  const before = server.sent;
  const tx = txRate(net, 60_000);
  assert.ok(tx <= 200, `${tx} frames a minute while the server keeps sending ${server.sent - before}`);
});

test("an image that never ends: the download stops at the slot's size, the upgrade fails by name, the phone registers on its load", () => {
  const { net } = tftpNetwork(46, { [SEP]: config("P0030801SR02") }, ["P0030801SR02.bin"]);
  const r = bootPhone(net, 1_800_000);
  healthy(net);
  assert.equal(r.registered, true, net.phone.lcd);
  assert.equal(events(net, "upgrade failed").length, 1, JSON.stringify(events(net, "upgrade failed")));
  assert.equal(net.phone.image?.load, "P0030801SR01");
});

test("a 10 MB configuration file: refused from its size (tsize) or cut off at the 256 KiB bound without options; named; no trap", () => {
  const big = new Uint8Array(10 * 1024 * 1024).fill(0x20);
  big.set(config(), 0);
  for (const options of ["rfc2347", "ignore"] as const) {
    const net = buildNetwork({ seed: 47, tftpFiles: { [SEP]: big }, tftp: { options } });
    const r = bootPhone(net, 120_000);
    healthy(net);
    assert.equal(r.registered, false, options);
    assert.equal(net.phone.lcd, "Configuration error", `${options}: the server answered; the file is too large`);
    assert.ok(events(net, "config failed").includes("configuration file rejected: too large"), options);
    const aborts = events(net, "abort");
    assert.ok(aborts.length >= 1 && aborts.every((d) => d === `sent ERROR 3 (too large for its destination) after ${options === "rfc2347" ? 0 : 262144} bytes`), `${options}: ${aborts.join("; ")}`);
    assert.ok(net.tftp.stats.dataSent * 512 < 2 * 1024 * 1024, `${options}: the phone took ${net.tftp.stats.dataSent} blocks, not 10 MB`);
  }
});

// ---------------------------------------------------------------- hostile CallManagers

/** A TCP host at a CallManager's address that accepts SCCP connections and answers with `answer` (or not at all). */
function hostileCm(net: Network, index: number, answer: ((data: Uint8Array, rng: Random) => Uint8Array | null) | null): TcpHost {
  net.callManagers[index].stop("silent");
  const host = new TcpHost(net.scheduler, { mac: `02:00:5e:00:03:${(0x11 + index).toString(16)}`, ip: CALLMANAGERS[index], seed: 99 + index });
  const rng = new Random(7 + index);
  host.listen(2000, (c) => {
    c.onData = (data) => {
      const out = answer?.(data, rng);
      if (out) c.send(out);
    };
  });
  net.plug(FREE_PORT + index, host);
  return host;
}

test("a CallManager that accepts TCP and never answers: the phone gives up on it by name and registers with the next", () => {
  const net = buildNetwork({ seed: 48 });
  hostileCm(net, 0, null);
  const r = bootPhone(net, 300_000);
  healthy(net);
  assert.equal(r.registered, true, net.phone.lcd);
  assert.equal(net.phone.report().callmanager, "CM2");
  assert.ok(net.phone.timeline.some((e) => /no answer/i.test(e.detail)), "named");
});

const garbage: ((data: Uint8Array, rng: Random) => Uint8Array)[] = [
  (_, rng) => Uint8Array.from({ length: 1 + rng.int(200) }, () => rng.int(256)),       // random bytes
  () => Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0x81, 0, 0, 0),             // a length of 4 GB
  () => Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0x81, 0, 0, 0),                         // a length of 0
  () => Uint8Array.of(8, 0, 0, 0, 0, 0, 0, 0, 0x81, 0, 0, 0, 1, 2, 3, 4),             // RegisterAck too short
  () => new Uint8Array(70_000).fill(0x7f),                                          // a 70 KB "message"
];

test("CallManagers that answer garbage: counted as malformed SCCP, the phone moves on by name and registers with the sane one", () => {
  for (let g = 0; g < garbage.length; g++) {
    const net = buildNetwork({ seed: 49 + g });
    hostileCm(net, 0, garbage[g]);
    hostileCm(net, 1, garbage[(g + 1) % garbage.length]);
    const r = bootPhone(net, 600_000);
    healthy(net);
    assert.equal(r.registered, true, `garbage ${g}: ${net.phone.lcd}`);
    assert.equal(net.phone.report().callmanager, "CM3", `garbage ${g}`);
  }
});

test("three CallManagers that answer garbage: never registered, the display names it, a bounded number of frames a minute", () => {
  const net = buildNetwork({ seed: 55 });
  for (let i = 0; i < 3; i++) hostileCm(net, i, garbage[i]);
  const r = bootPhone(net, 300_000);
  healthy(net);
  assert.equal(r.registered, false);
  assert.ok(["CallManager down", "Registering"].includes(net.phone.lcd), net.phone.lcd);
  const tx = txRate(net, 60_000);
  assert.ok(tx <= 200, `${tx} frames a minute`);
  assert.ok(counters(net).sccp_malformed > 0);
});
