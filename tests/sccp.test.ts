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
