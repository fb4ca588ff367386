// The host's SCCP encoder and decoder (host/callmanager/sccp.ts): the same
// bytes as the firmware's messages (the fixtures of
// assembly/__tests__/sccp.spec.ts), a stream framer that survives hostile
// lengths, and, when tshark is installed, proof that Wireshark's skinny
// dissector reads every message as intended: a pcap is written by hand (24-byte
// header, records, linktype 1) with Ethernet/IPv4/TCP around the SCCP bytes on
// port 2000, and tshark must show the fields, no malformed packet and no
// expert warning.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  PHONE_CAPABILITIES, decodeButtonTemplate, decodeCapabilitiesRes, decodeDefineTimeDate, decodeLineStat, encodeButtonTemplate, encodeCapabilitiesRes,
  encodeClearPromptStatus, encodeConfigStat, encodeDefineTimeDate, encodeDisplayNotify, encodeEmpty, encodeForwardStat, encodeLineStat, encodeSetLamp, encodeSetRinger,
  encodeSoftKeySetRes, encodeSoftKeyTemplateRes, encodeSpeedDialStat, encodeU32Message,
} from "../host/wire/sccp.js";
import { SccpFramer, SccpMsg, decodeMessage, decodeRegisterAck, decodeRegisterReject, decodeStationRegister, decodeU32, encodeIpPort, encodeKeepAlive, encodeKeepAliveAck, encodeMessage, encodeRegisterAck, encodeRegisterReject, encodeReset, encodeStationRegister, encodeUnregister, encodeUnregisterAck } from "../host/wire/sccp.js";
import { encodeTcp, TcpFlag } from "../host/wire/tcp.js";
import { encodeEthernet, ETHERTYPE_IPV4 } from "../host/wire/ethernet.js";
import { encodeIpv4 } from "../host/wire/ipv4.js";
import { parseIp, parseMac } from "../host/wire/address.js";
import { PcapWriter } from "../host/sim/pcap.js";
import { ROOT, needs, run } from "./helpers/tools.js";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/** The firmware's bytes (assembly/__tests__/sccp.spec.ts compares its own output with these). */
function firmwareFixture(name: string): string {
  const src = readFileSync(ROOT + "assembly/__tests__/sccp.spec.ts", "utf8");
  const m = new RegExp(`export const ${name} = "([0-9a-f]+)"`).exec(src);
  assert.ok(m, name);
  return m[1];
}

const PHONE_IP = parseIp("198.51.100.50");
const REGISTER = {
  deviceName: "SEP001B54C2A710", userId: 0, instance: 1, stationIp: PHONE_IP, deviceType: 7, maxStreams: 5, protocolVersion: 11,
};
const ACK = { keepAliveS: 30, secondaryKeepAliveS: 60, dateTemplate: "M/D/YA", maxProtocolVersion: 11 };

test("the host encodes each message byte for byte as the firmware does", () => {
  assert.equal(hex(encodeStationRegister(REGISTER)), firmwareFixture("REGISTER"));
  assert.equal(hex(encodeRegisterAck(ACK)), firmwareFixture("REGISTER_ACK"));
  assert.equal(hex(encodeRegisterReject("Device not configured")), firmwareFixture("REGISTER_REJECT"));
  assert.equal(hex(encodeReset(2)), firmwareFixture("RESET_RESTART"));
  assert.equal(hex(encodeKeepAlive()), firmwareFixture("KEEPALIVE"));
  assert.equal(hex(encodeKeepAliveAck()), firmwareFixture("KEEPALIVE_ACK"));
  assert.equal(hex(encodeIpPort(16384)), firmwareFixture("IP_PORT"));
  assert.equal(hex(encodeUnregister()), firmwareFixture("UNREGISTER"));
});

/** The station set-up's messages, as the firmware's fixtures hold them. */
const SETUP: Array<[string, Uint8Array]> = [
  ["CAPABILITIES_REQ", encodeEmpty(SccpMsg.CapabilitiesReq)],
  ["CAPABILITIES_RES", encodeCapabilitiesRes(PHONE_CAPABILITIES)],
  ["BUTTON_TEMPLATE_REQ", encodeEmpty(SccpMsg.ButtonTemplateReq)],
  ["LINE_STAT_REQ_1", encodeU32Message(SccpMsg.LineStatReq, 1)],
  ["BUTTON_TEMPLATE", encodeButtonTemplate([{ instance: 1, type: 9 }, { instance: 2, type: 9 }, { instance: 1, type: 2 }])],
  ["SOFTKEY_TEMPLATE", encodeSoftKeyTemplateRes([{ label: "Redial", event: 1 }])],
  ["SOFTKEY_SETS", encodeSoftKeySetRes([[1]])],
  ["CONFIG_STAT", encodeConfigStat({ deviceName: "SEP001B54C2A710", instance: 1, userName: "", serverName: "CM1", lines: 2, speedDials: 1 })],
  ["LINE_STAT_1", encodeLineStat({ line: 1, dirNumber: "1001", displayName: "Alice", label: "1001" })],
  ["LINE_STAT_2", encodeLineStat({ line: 2, dirNumber: "1002", displayName: "Alice 2", label: "1002" })],
  ["SPEED_DIAL_STAT", encodeSpeedDialStat(1, "911", "Emergency")],
  ["FORWARD_STAT", encodeForwardStat(1)],
  ["DEFINE_TIME_DATE", encodeDefineTimeDate(Date.UTC(2026, 11, 2, 9, 30, 15, 250))],
  ["DISPLAY_NOTIFY", encodeDisplayNotify(10, "Your current options")],
  ["CLEAR_PROMPT", encodeClearPromptStatus()],
  ["SET_LAMP", encodeSetLamp(9, 1, 2)],
  ["SET_RINGER", encodeSetRinger(1)],
  ["RESET_APPLY", encodeReset(3)],
];

test("the station set-up: the host encodes each message byte for byte as the firmware's fixtures", () => {
  for (const [name, bytes] of SETUP) assert.equal(hex(bytes), firmwareFixture(name), name);
  const data = (b: Uint8Array) => decodeMessage(b)!.data;
  assert.deepEqual(decodeCapabilitiesRes(data(SETUP[1][1])), PHONE_CAPABILITIES);
  assert.deepEqual(decodeButtonTemplate(data(SETUP[4][1]))?.map((b) => b.type), [9, 9, 2]);
  assert.deepEqual(decodeLineStat(data(SETUP[9][1])), { line: 2, dirNumber: "1002", displayName: "Alice 2", label: "1002" });
  assert.equal(decodeDefineTimeDate(data(SETUP[12][1]))?.toISOString(), "2026-12-02T09:30:15.250Z");
  // A count past the data is refused.
  const caps = data(SETUP[1][1]).slice();
  caps[0] = 5;
  assert.equal(decodeCapabilitiesRes(caps), null);
  assert.equal(decodeButtonTemplate(new Uint8Array(11)), null);
  assert.equal(decodeLineStat(new Uint8Array(67)), null);
});

test("decoders read back what the encoders wrote, and refuse short data", () => {
  const reg = decodeMessage(encodeStationRegister(REGISTER));
  assert.ok(reg);
  assert.equal(reg.id, SccpMsg.Register);
  assert.deepEqual(decodeStationRegister(reg.data), REGISTER);
  const ack = decodeMessage(encodeRegisterAck(ACK));
  assert.deepEqual(decodeRegisterAck(ack!.data), ACK);
  assert.equal(decodeRegisterReject(decodeMessage(encodeRegisterReject("Nope"))!.data), "Nope");
  assert.equal(decodeU32(decodeMessage(encodeUnregisterAck(1))!.data), 1);
  assert.equal(decodeStationRegister(new Uint8Array(35)), null);
  assert.equal(decodeRegisterAck(new Uint8Array(15)), null);
  assert.equal(decodeMessage(new Uint8Array(11)), null);
  assert.equal(decodeMessage(encodeKeepAlive().subarray(0, 11)), null);
  assert.throws(() => encodeRegisterReject("x".repeat(32)), RangeError);
  assert.throws(() => encodeStationRegister({ ...REGISTER, deviceName: "SEP\u00e9" }), RangeError);
});

test("the framer cuts a stream anywhere, and gives up on impossible lengths", () => {
  const stream = new Uint8Array(Buffer.concat([encodeKeepAliveAck(), encodeRegisterAck(ACK), encodeReset(1)]));
  for (let cut = 0; cut <= stream.length; cut++) {
    const f = new SccpFramer();
    const got = [...f.push(stream.subarray(0, cut)), ...f.push(stream.subarray(cut))];
    assert.deepEqual(got.map((m) => m.id), [SccpMsg.KeepAliveAck, SccpMsg.RegisterAck, SccpMsg.Reset], `cut at ${cut}`);
    assert.equal(f.pending, 0);
    assert.equal(f.error, null);
  }
  // Byte by byte.
  const f = new SccpFramer();
  let n = 0;
  for (const b of stream) n += f.push(Uint8Array.of(b)).length;
  assert.equal(n, 3);
  for (const bad of [0, 3, 0x10001, 0xffffffff]) {
    const g = new SccpFramer();
    const head = new Uint8Array(12);
    new DataView(head.buffer).setUint32(0, bad, true);
    const got = g.push(new Uint8Array(Buffer.concat([encodeKeepAliveAck(), head, encodeKeepAliveAck()])));
    assert.equal(got.length, 1, `length ${bad}`);
    assert.match(g.error ?? "", /impossible SCCP data length/);
    assert.equal(g.push(encodeKeepAliveAck()).length, 0);
  }
  // A length past the end only waits.
  const h = new SccpFramer();
  assert.equal(h.push(encodeMessage(0x99, new Uint8Array(100)).subarray(0, 50)).length, 0);
  assert.equal(h.error, null);
  assert.equal(h.pending, 50);
});

/** A pcap of one TCP conversation on port 2000 carrying `messages` (phone or CallManager first), sequence numbers right. */
function sccpPcap(messages: Array<{ fromPhone: boolean; bytes: Uint8Array }>): Uint8Array {
  const phone = { mac: parseMac("00:1b:54:c2:a7:10"), ip: PHONE_IP, port: 49200, seq: 1000 };
  const cm = { mac: parseMac("02:00:5e:00:0a:01"), ip: parseIp("198.51.100.10"), port: 2000, seq: 5000 };
  const pcap = new PcapWriter();
  let t = 0;
  const send = (from: typeof phone, to: typeof phone, flags: number, payload: Uint8Array = new Uint8Array(0), mss?: number) => {
    const seg = encodeTcp({ srcIp: from.ip, dstIp: to.ip, srcPort: from.port, dstPort: to.port, seq: from.seq, ack: flags & TcpFlag.ACK ? to.seq : 0, flags, window: 8192, mss, payload });
    from.seq = (from.seq + payload.length + (flags & (TcpFlag.SYN | TcpFlag.FIN) ? 1 : 0)) >>> 0;
    const ip = encodeIpv4({ src: from.ip, dst: to.ip, protocol: 6, id: (t & 0xffff), payload: seg });
    pcap.record(t, encodeEthernet({ dst: to.mac, src: from.mac, etherType: ETHERTYPE_IPV4, payload: ip }, true));
    t += 1000;
  };
  send(phone, cm, TcpFlag.SYN, undefined, 1460);
  send(cm, phone, TcpFlag.SYN | TcpFlag.ACK, undefined, 1460);
  send(phone, cm, TcpFlag.ACK);
  for (const m of messages) {
    const [from, to] = m.fromPhone ? [phone, cm] : [cm, phone];
    send(from, to, TcpFlag.PSH | TcpFlag.ACK, m.bytes);
    send(to, from, TcpFlag.ACK);
  }
  return pcap.toBuffer();
}

test("Wireshark's skinny dissector reads the station set-up: every field as intended, nothing malformed", { skip: needs("tshark") }, () => {
  const work = mkdtempSync(join(tmpdir(), "sccp-setup-pcap-"));
  try {
    const file = join(work, "setup.pcap");
    const fromPhone = new Set(["CAPABILITIES_RES", "BUTTON_TEMPLATE_REQ", "LINE_STAT_REQ_1"]);
    writeFileSync(file, sccpPcap(SETUP.map(([name, bytes]) => ({ fromPhone: fromPhone.has(name), bytes }))));
    const fields = ["skinny.messageId", "skinny.capCount", "skinny.payloadCapability", "skinny.maxFramesPerPacket", "skinny.lineNumber", "skinny.buttonDefinition",
      "skinny.lineDirNumber", "skinny.lineFullyQualifiedDisplayName", "skinny.wYear", "skinny.wHour", "skinny.wMinute", "skinny.numberOfLines", "skinny.timeOutValue", "skinny.lampMode", "skinny.resetType"];
    const r = run("tshark", ["-r", file, "-Y", "skinny", "-T", "fields", "-E", "separator=|", "-E", "aggregator=,", ...fields.flatMap((f) => ["-e", f])]);
    assert.equal(r.status, 0, r.stderr);
    const rows = r.stdout.trim().split("\n").map((l) => l.split("|"));
    assert.deepEqual(rows.map((c) => Number(c[0])), SETUP.map(([, b]) => decodeMessage(b)!.id));
    const row = (name: string) => rows[SETUP.findIndex(([n]) => n === name)];
    const numbers = (cell: string) => cell.split(",").map(Number); // tshark prints some of these in hex
    assert.deepEqual(row("CAPABILITIES_RES").slice(1, 4).map(numbers), [[4], [4, 2, 11, 6], [40, 40, 60, 40]]);
    assert.equal(row("LINE_STAT_REQ_1")[4], "1");
    assert.deepEqual(numbers(row("BUTTON_TEMPLATE")[5]), [9, 9, 2]);
    assert.deepEqual(row("LINE_STAT_2").slice(6, 8), ["1002", "Alice 2"]);
    assert.deepEqual(row("DEFINE_TIME_DATE").slice(8, 11), ["2026", "9", "30"]);
    assert.equal(row("CONFIG_STAT")[11], "2");
    assert.equal(row("DISPLAY_NOTIFY")[12], "10");
    assert.equal(Number(row("SET_LAMP")[13]), 2);
    assert.equal(Number(row("RESET_APPLY")[14]), 3);
    const bad = run("tshark", ["-r", file, "-Y", "_ws.malformed || _ws.expert.severity >= 6291456 || tcp.analysis.flags"]);
    assert.equal(bad.status, 0, bad.stderr);
    assert.equal(bad.stdout.trim(), "", `malformed packets or warnings:\n${bad.stdout}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test("Wireshark's skinny dissector reads every message as intended", { skip: needs("tshark") }, () => {
  const work = mkdtempSync(join(tmpdir(), "sccp-pcap-"));
  try {
    const file = join(work, "sccp.pcap");
    writeFileSync(file, sccpPcap([
      { fromPhone: true, bytes: encodeStationRegister(REGISTER) },
      { fromPhone: false, bytes: encodeRegisterAck(ACK) },
      { fromPhone: true, bytes: encodeIpPort(16384) },
      { fromPhone: true, bytes: encodeKeepAlive() },
      { fromPhone: false, bytes: encodeKeepAliveAck() },
      { fromPhone: true, bytes: encodeUnregister() },
      { fromPhone: false, bytes: encodeUnregisterAck(0) },
      { fromPhone: false, bytes: encodeRegisterReject("Device not configured") },
      { fromPhone: false, bytes: encodeReset(2) },
    ]));
    const fields = ["skinny.messageId", "skinny.DeviceName", "skinny.instance", "skinny.stationIpAddr", "skinny.deviceType",
      "skinny.protocolVer", "skinny.keepAliveInterval", "skinny.secondaryKeepAliveInterval", "skinny.maxProtocolVer",
      "skinny.rtpMediaPort", "skinny.text", "skinny.resetType"];
    const r = run("tshark", ["-r", file, "-Y", "skinny", "-T", "fields", "-E", "separator=|", ...fields.flatMap((f) => ["-e", f])]);
    assert.equal(r.status, 0, r.stderr);
    const rows = r.stdout.trim().split("\n").map((l) => l.split("|"));
    assert.deepEqual(rows.map((c) => Number(c[0])), [0x01, 0x81, 0x02, 0x00, 0x100, 0x27, 0x118, 0x9d, 0x9f]);
    const [reg, ack, ipport, , , , , rej, reset] = rows;
    assert.deepEqual(reg.slice(1, 6), ["SEP001B54C2A710", "1", "198.51.100.50", "0x00000007", "11"]);
    assert.deepEqual(ack.slice(6, 9), ["30", "60", "11"]);
    assert.equal(ipport[9], "16384");
    assert.equal(rej[10], "Device not configured");
    assert.equal(Number(reset[11]), 2);
    const bad = run("tshark", ["-r", file, "-Y", "_ws.malformed || _ws.expert.severity >= 6291456 || tcp.analysis.flags"]);
    assert.equal(bad.status, 0, bad.stderr);
    assert.equal(bad.stdout.trim(), "", `malformed packets or warnings:\n${bad.stdout}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
