// `ipphone callmanager --listen ADDR:PORT` on real TCP: a client made of
// node:net and the host's SCCP encoder registers (StationRegister ->
// RegisterAck), keeps alive (KeepAliveAck), unregisters (UnregisterAck); the
// reject list answers with RegisterReject and closes; a stream with an
// impossible length is reset; SIGTERM stops the server with status 0. With
// tshark installed, the conversation (the bytes both sides really sent) is
// written as a pcap by hand and must dissect as skinny with no malformed packet.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { connect, type Socket } from "node:net";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CLI, needs, run } from "./helpers/tools.js";
import {
  PHONE_CAPABILITIES, SccpFramer, SccpMsg, decodeLineStat, decodeRegisterAck, decodeRegisterReject, encodeCapabilitiesRes, encodeEmpty, encodeKeepAlive, encodeStationRegister,
  encodeU32Message, encodeUnregister, type SccpMessage,
} from "../host/wire/sccp.js";
import { encodeTcp, TcpFlag } from "../host/wire/tcp.js";
import { encodeEthernet, ETHERTYPE_IPV4 } from "../host/wire/ethernet.js";
import { encodeIpv4 } from "../host/wire/ipv4.js";
import { parseIp, parseMac } from "../host/wire/address.js";
import { PcapWriter } from "../host/sim/pcap.js";
import { cnfXml } from "../host/sim/cnf.js";

const PHONE = "SEP001B54C2A710";
const REJECTED = "SEP001B54000BAD";

class Server {
  readonly proc: ChildProcessWithoutNullStreams;
  out = "";
  port = 0;
  exit: Promise<number | null>;

  constructor(args: string[]) {
    this.proc = spawn(process.execPath, [CLI, "callmanager", "--listen", "127.0.0.1:0", ...args]);
    this.proc.stdout.on("data", (b) => { this.out += b; });
    this.proc.stderr.on("data", (b) => { this.out += b; });
    this.exit = new Promise((resolve) => this.proc.on("exit", (code) => resolve(code)));
  }

  async ready(): Promise<void> {
    await until(() => /listening on 127\.0\.0\.1:(\d+)/.test(this.out), () => this.out);
    this.port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(this.out)![1]);
  }
}

async function until(cond: () => boolean, what: () => string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting; so far:\n${what()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A phone's SCCP on a node:net socket; remembers every byte each way, in order, for the pcap. */
class Station {
  readonly socket: Socket;
  readonly got: SccpMessage[] = [];
  readonly framer = new SccpFramer();
  readonly wire: Array<{ fromPhone: boolean; bytes: Uint8Array }> = [];
  ended = false;
  error: string | null = null;

  constructor(port: number) {
    this.socket = connect(port, "127.0.0.1");
    this.socket.on("data", (b) => {
      const bytes = new Uint8Array(b);
      this.wire.push({ fromPhone: false, bytes });
      this.got.push(...this.framer.push(bytes));
    });
    this.socket.on("end", () => { this.ended = true; });
    this.socket.on("error", (e: NodeJS.ErrnoException) => { this.error = e.code ?? e.message; });
  }

  async connected(): Promise<void> {
    await new Promise<void>((resolve, reject) => { this.socket.once("connect", resolve); this.socket.once("error", reject); });
  }

  send(bytes: Uint8Array): void {
    this.wire.push({ fromPhone: true, bytes });
    this.socket.write(bytes);
  }

  register(name = PHONE): void {
    this.send(encodeStationRegister({ deviceName: name, userId: 0, instance: 1, stationIp: parseIp("127.0.0.1"), deviceType: 7, maxStreams: 5, protocolVersion: 11 }));
  }

  async reply(n: number): Promise<SccpMessage> {
    await until(() => this.got.length >= n, () => JSON.stringify(this.got.map((m) => m.id)));
    return this.got[n - 1];
  }
}

let server: Server;

before(async () => {
  server = new Server(["--keepalive", "20", "--reject", `${REJECTED}=Not allowed here`, "--name", "CM1"]);
  await server.ready();
});

after(async () => {
  if (server.proc.exitCode === null) server.proc.kill("SIGKILL");
});

let conversation: Array<{ fromPhone: boolean; bytes: Uint8Array }> = [];

test("StationRegister gets RegisterAck and CapabilitiesReq; registered once the set-up is done; KeepAliveAck; UnregisterAck", async () => {
  const s = new Station(server.port);
  await s.connected();
  s.register();
  const ack = await s.reply(1);
  assert.equal(ack.id, SccpMsg.RegisterAck);
  assert.equal(decodeRegisterAck(ack.data)?.keepAliveS, 20);
  assert.equal((await s.reply(2)).id, SccpMsg.CapabilitiesReq);
  s.send(encodeCapabilitiesRes(PHONE_CAPABILITIES));
  s.send(encodeEmpty(SccpMsg.ButtonTemplateReq));
  assert.equal((await s.reply(3)).id, SccpMsg.ButtonTemplate);
  assert.doesNotMatch(server.out, /register   /, "not registered before the set-up completed");
  s.send(encodeEmpty(SccpMsg.TimeDateReq));
  assert.equal((await s.reply(4)).id, SccpMsg.DefineTimeDate);
  assert.equal((await s.reply(5)).id, SccpMsg.ClearPromptStatus);
  s.send(encodeKeepAlive());
  assert.equal((await s.reply(6)).id, SccpMsg.KeepAliveAck);
  s.send(encodeUnregister());
  assert.equal((await s.reply(7)).id, SccpMsg.UnregisterAck);
  s.socket.end();
  await until(() => /disconnect/.test(server.out), () => server.out);
  assert.match(server.out, new RegExp(`CM1  ack        ${PHONE}  127\\.0\\.0\\.1 from 127\\.0\\.0\\.1:\\d+ \\(device type 7, protocol 11\\): RegisterAck, keepalive 20s`));
  assert.match(server.out, new RegExp(`CM1  register   ${PHONE}  registered \\(127\\.0\\.0\\.1:\\d+\\): set-up complete in \\d+ ms: \\d{4}; G\\.711 mu-law, G\\.711 A-law, G\\.729, G\\.722`));
  assert.match(server.out, new RegExp(`keepalive  ${PHONE}`));
  assert.match(server.out, new RegExp(`unregister ${PHONE}`));
  conversation = s.wire;
});

test("a device on the reject list gets RegisterReject with the reason, and the connection is closed", async () => {
  const s = new Station(server.port);
  await s.connected();
  s.register(REJECTED);
  const rej = await s.reply(1);
  assert.equal(rej.id, SccpMsg.RegisterReject);
  assert.equal(decodeRegisterReject(rej.data), "Not allowed here");
  await until(() => s.ended, () => "no FIN");
  assert.match(server.out, new RegExp(`reject     ${REJECTED}.*RegisterReject "Not allowed here"`));
  conversation = [...conversation, ...s.wire];
});

test("a stream with an impossible length is reset, and counted", async () => {
  const s = new Station(server.port);
  await s.connected();
  const huge = new Uint8Array(12);
  new DataView(huge.buffer).setUint32(0, 0xfffffff0, true);
  s.socket.write(huge);
  await until(() => s.error !== null || s.ended, () => "still open");
  assert.equal(s.error, "ECONNRESET");
  await until(() => /malformed/.test(server.out), () => server.out);
});

test("the conversation dissects as skinny, without malformed packets", { skip: needs("tshark") }, () => {
  const work = mkdtempSync(join(tmpdir(), "cm-real-"));
  try {
    const file = join(work, "real.pcap");
    writeFileSync(file, pcapOf(conversation));
    const r = run("tshark", ["-r", file, "-Y", "skinny", "-T", "fields", "-e", "skinny.messageId", "-e", "skinny.DeviceName", "-e", "skinny.text"]);
    assert.equal(r.status, 0, r.stderr);
    const rows = r.stdout.trim().split("\n").map((l) => l.split("\t"));
    assert.deepEqual(rows.flatMap((c) => c[0].split(",").map(Number)), [0x01, 0x81, 0x9b, 0x10, 0x0e, 0x97, 0x0d, 0x94, 0x113, 0x00, 0x100, 0x27, 0x118, 0x01, 0x9d]);
    assert.equal(rows[0][1], PHONE);
    assert.equal(rows.at(-2)![1], REJECTED);
    assert.equal(rows.at(-1)![2], "Not allowed here");
    const bad = run("tshark", ["-r", file, "-Y", "_ws.malformed || _ws.expert.severity >= 6291456 || tcp.analysis.flags"]);
    assert.equal(bad.stdout.trim(), "", bad.stdout);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test("SIGTERM stops the server with status 0", async () => {
  server.proc.kill("SIGTERM");
  assert.equal(await server.exit, 0);
  assert.match(server.out, /stopping on SIGTERM: 0 registered, 1 registrations, 1 rejects/);
});

test("--lines-from DIR: LineStat from the <lines> of DIR/<device>.cnf.xml; a standby connection's KeepAlive answered; --json lists both", async () => {
  const dir = mkdtempSync(join(tmpdir(), "cm-lines-"));
  try {
    const lines = [{ dirNumber: "4001", displayName: "Reception" }, { dirNumber: "4002", displayName: "Fax" }];
    writeFileSync(join(dir, `${PHONE}.cnf.xml`), cnfXml({ callManagers: [{ host: "127.0.0.1" }], lines }));
    const cm = new Server(["--lines-from", dir, "--json"]);
    await until(() => /"type":"listening"/.test(cm.out), () => cm.out);
    cm.port = Number(/"address":"127\.0\.0\.1:(\d+)"/.exec(cm.out)![1]);
    const standby = new Station(cm.port);
    await standby.connected();
    standby.send(encodeKeepAlive());
    assert.equal((await standby.reply(1)).id, SccpMsg.KeepAliveAck);
    const s = new Station(cm.port);
    await s.connected();
    s.register();
    await s.reply(2);
    s.send(encodeCapabilitiesRes(PHONE_CAPABILITIES));
    s.send(encodeEmpty(SccpMsg.ButtonTemplateReq));
    s.send(encodeU32Message(SccpMsg.LineStatReq, 2));
    s.send(encodeEmpty(SccpMsg.TimeDateReq));
    const stat = await s.reply(4);
    assert.equal(stat.id, SccpMsg.LineStat);
    assert.deepEqual(decodeLineStat(stat.data), { line: 2, dirNumber: "4002", displayName: "Fax", label: "4002" });
    await until(() => /"type":"register"/.test(cm.out), () => cm.out);
    cm.proc.kill("SIGTERM");
    assert.equal(await cm.exit, 0);
    const stop = cm.out.trim().split("\n").map((l) => JSON.parse(l)).find((o) => o.type === "stop");
    assert.deepEqual(stop.devices.map((d: { deviceName: string; lines: unknown }) => [d.deviceName, d.lines]), [[PHONE, lines]]);
    assert.equal(stop.standby.length, 1);
    assert.equal(stop.stats.standby, 1);
    standby.socket.destroy();
    s.socket.destroy();
    const bad = run(process.execPath, [CLI, "callmanager", "--lines-from", join(dir, "nowhere")]);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--lines-from must be a directory/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a port already taken is an error, status 1; a bad --listen is a usage error, status 2", async () => {
  const first = new Server([]);
  await first.ready();
  const r = run(process.execPath, [CLI, "callmanager", "--listen", `127.0.0.1:${first.port}`]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /EADDRINUSE/);
  first.proc.kill("SIGINT");
  assert.equal(await first.exit, 0);
  const u = run(process.execPath, [CLI, "callmanager", "--listen", "localhost"]);
  assert.equal(u.status, 2);
  assert.match(u.stderr, /--listen must look like/);
});

/** Each direction's bytes as TCP segments of one connection per message exchange (ports and sequence numbers consistent). */
function pcapOf(wire: Array<{ fromPhone: boolean; bytes: Uint8Array }>): Uint8Array {
  const pcap = new PcapWriter();
  let t = 0;
  let conn = 0;
  let phone = { mac: parseMac("00:1b:54:c2:a7:10"), ip: parseIp("198.51.100.50"), port: 0, seq: 0 };
  let cm = { mac: parseMac("02:00:5e:00:0a:01"), ip: parseIp("198.51.100.10"), port: 2000, seq: 0 };
  const seg = (from: typeof phone, to: typeof phone, flags: number, payload: Uint8Array = new Uint8Array(0), mss?: number) => {
    const tcp = encodeTcp({ srcIp: from.ip, dstIp: to.ip, srcPort: from.port, dstPort: to.port, seq: from.seq, ack: flags & TcpFlag.ACK ? to.seq : 0, flags, window: 65535, mss, payload });
    from.seq = (from.seq + payload.length + (flags & (TcpFlag.SYN | TcpFlag.FIN) ? 1 : 0)) >>> 0;
    pcap.record(t, encodeEthernet({ dst: to.mac, src: from.mac, etherType: ETHERTYPE_IPV4, payload: encodeIpv4({ src: from.ip, dst: to.ip, protocol: 6, id: t & 0xffff, payload: tcp }) }, true));
    t += 1000;
  };
  const open = () => {
    phone = { ...phone, port: 50000 + conn++, seq: 1000 };
    cm = { ...cm, seq: 9000 };
    seg(phone, cm, TcpFlag.SYN, undefined, 1460);
    seg(cm, phone, TcpFlag.SYN | TcpFlag.ACK, undefined, 1460);
    seg(phone, cm, TcpFlag.ACK);
  };
  open();
  let registers = 0;
  for (const w of wire) {
    // Each StationRegister after the first was on a new connection.
    if (w.fromPhone && new DataView(w.bytes.buffer, w.bytes.byteOffset).getUint32(8, true) === SccpMsg.Register && registers++ > 0) open();
    const [from, to] = w.fromPhone ? [phone, cm] : [cm, phone];
    seg(from, to, TcpFlag.PSH | TcpFlag.ACK, w.bytes);
    seg(to, from, TcpFlag.ACK);
  }
  return pcap.toBuffer();
}
