// The phone's SIP registration stage (assembly/phone/sip.ts) end to end on a
// simulated switch, through the firmware's own stack (the test-only
// assembly/testing/sip-harness.ts), against small RFC 3261 registrars
// (tests/helpers/sip-registrar.ts): digest over TCP and UDP, refresh with
// the same Call-ID and the next CSeq, a wrong password and 403 named, 423,
// failover on silence, 503 with Retry-After, ICMP and a garbled stream,
// Timer E over UDP, OPTIONS answered. With tshark, the REGISTERs of the
// capture dissect as SIP with no malformed field, Authorization after the 401.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { needs, run } from "./helpers/tools.js";
import { RegState, SipLineState } from "./helpers/firmware-enums.js";
import { sipNet, runMs, runUntil, PHONE_IP } from "./helpers/sip-net.js";
import { options, parseSip, header, TcpRegistrar, UdpRegistrar } from "./helpers/sip-registrar.js";
import { Ev } from "../host/events.js";
import { readPcap } from "../host/sim/pcap.js";

const USERS = { "1001": "secret1001", "1002": "pw-1002" };
const LINES = [{ name: "1001", password: "secret1001", display: "Desk \"A\"" }, { name: "1002", password: "pw-1002" }];
const registered = (n: ReturnType<typeof sipNet>) => () => n.phone.state === RegState.Registered;

test("TCP: both lines registered with digest; tshark reads every REGISTER, Authorization after the 401", { timeout: 60_000 }, () => {
  const n = sipNet([{ users: USERS }]);
  n.phone.start([n.regs[0].ip], LINES);
  assert.ok(runUntil(n, registered(n), 2000), n.phone.timeline());
  const log = n.regs[0].core.log;
  assert.deepEqual(log.map((e) => [e.user, e.cseq, e.auth, e.status]), [["1001", 1, false, 401], ["1001", 2, true, 200], ["1002", 1, false, 401], ["1002", 2, true, 200]]);
  assert.equal(log[0].callId, log[1].callId);
  assert.notEqual(log[0].callId, log[2].callId);
  assert.ok(log.every((e) => /^z9hG4bK[0-9a-f]{16}$/.test(e.branch)) && new Set(log.map((e) => e.branch)).size === 4);
  assert.equal(n.phone.lineExpires(0), 3600);
  assert.equal(n.regs[0].core.bindings.get("1001")?.contact, `sip:1001@${PHONE_IP}:${/:(\d+);transport=tcp/.exec(n.regs[0].core.bindings.get("1001")!.contact)?.[1]};transport=tcp`);
  assert.deepEqual(n.phone.of(Ev.RegRegistered).map((e) => [e.a, e.b]), [[0, 0]]);
  assert.deepEqual(n.phone.of(Ev.SipLineRegistered).map((e) => [e.a, e.b]), [[0, 3600], [1, 3600]]);
  assert.deepEqual(n.phone.of(Ev.SipChallenge).map((e) => [e.a, e.b]), [[0, 401], [1, 401]]);
  assert.equal(n.phone.screens.at(-1), "Registered | 1001 ok | 1002 ok");
  assert.equal(n.phone.counter("drop_sip_malformed") + n.phone.counter("drop_sip_unexpected"), 0);
  if (needs("tshark") !== false) return;
  const work = mkdtempSync(join(tmpdir(), "sip-pcap-"));
  after(() => rmSync(work, { recursive: true, force: true }));
  const file = join(work, "register.pcap");
  writeFileSync(file, n.pcap.toBuffer());
  const r = run("tshark", ["-r", file, "-Y", "sip.Method == \"REGISTER\"", "-T", "fields", "-E", "separator=|",
    "-e", "sip.CSeq.seq", "-e", "sip.from.user", "-e", "sip.auth.username", "-e", "sip.auth.realm", "-e", "sip.auth.qop", "-e", "sip.auth.nc", "-e", "sip.Expires", "-e", "sip.contact.uri"]);
  assert.equal(r.status, 0, r.stderr);
  const rows = r.stdout.trim().split("\n").map((l) => l.split("|"));
  assert.equal(rows.length, 4, r.stdout);
  assert.deepEqual(rows[0].slice(0, 7), ["1", "1001", "", "", "", "", "3600"]);
  assert.deepEqual(rows[1].slice(0, 7), ["2", "1001", "\"1001\"", "\"sim.example\"", "auth", "00000001", "3600"]);
  // Signalling marked as SCCP's is (dscpForCm2Dvce, CS3 here), the handshake too.
  const dscp = run("tshark", ["-r", file, "-Y", `ip.src == ${PHONE_IP} && tcp`, "-T", "fields", "-e", "ip.dsfield.dscp"]);
  assert.deepEqual([...new Set(dscp.stdout.trim().split("\n"))], ["24"]);
  const bad = run("tshark", ["-r", file, "-Y", "_ws.malformed || _ws.expert.severity >= 6291456 || (tcp.analysis.flags && !tcp.analysis.window_update)"]);
  assert.equal(bad.stdout.trim(), "", bad.stdout);
  const verbose = run("tshark", ["-r", file, "-V", "-Y", "sip"]);
  assert.ok(!/malformed/i.test(verbose.stdout), "tshark -V finds a malformed field");
});

test("refresh before expiry: the same Call-ID, the next CSeq, credentials from the nonce held", { timeout: 60_000 }, () => {
  const n = sipNet([{ users: USERS, maxExpires: 60 }]);
  n.phone.start([n.regs[0].ip], LINES.slice(0, 1));
  assert.ok(runUntil(n, registered(n), 2000), n.phone.timeline());
  assert.equal(n.phone.lineExpires(0), 60);
  const t0 = n.regs[0].core.log[1].tMs;
  runMs(n, 130_000);
  const log = n.regs[0].core.log;
  assert.deepEqual(log.map((e) => [e.cseq, e.auth, e.status]), [[1, false, 401], [2, true, 200], [3, true, 200], [4, true, 200]]);
  assert.ok(new Set(log.map((e) => e.callId)).size === 1);
  // 60 s granted: refreshed REGISTER_DELTA (5 s) early.
  assert.ok(Math.abs(log[2].tMs - t0 - 55_000) < 50, `${log[2].tMs - t0} ms`);
  assert.equal(n.phone.state, RegState.Registered);
  assert.equal(n.phone.of(Ev.RegRegistered).length, 1, "registered once, refreshes keep it");
});

test("a wrong password ends in a named auth failure, not a loop; 403 too", { timeout: 60_000 }, () => {
  const n = sipNet([{ users: { "1001": "other", "1002": "pw-1002" } }]);
  n.phone.start([n.regs[0].ip], LINES);
  runMs(n, 30_000);
  assert.deepEqual(n.phone.of(Ev.SipAuthFailed).map((e) => [e.a, e.b]), [[0, 401]]);
  assert.equal(n.phone.lineState(0), SipLineState.Failed);
  assert.equal(n.phone.lineState(1), SipLineState.Registered);
  assert.notEqual(n.phone.state, RegState.Registered, "registered means every line");
  assert.equal(n.regs[0].core.log.filter((e) => e.user === "1001").length, 2, "one answer to the challenge, then it stops");
  assert.match(n.phone.screens.at(-1)!, /1001 failed \| 1002 ok$/);
  // Tried again after LINE_RETRY (60 s), once more named.
  runMs(n, 40_000);
  assert.equal(n.phone.of(Ev.SipAuthFailed).length, 2);
  const f = sipNet([{ users: USERS, status: 403 }]);
  f.phone.start([f.regs[0].ip], LINES.slice(0, 1));
  runMs(f, 5_000);
  assert.deepEqual(f.phone.of(Ev.SipAuthFailed).map((e) => [e.a, e.b]), [[0, 403]]);
  assert.equal(f.phone.of(Ev.RegFailover).length, 0, "403 is the line's, not the proxy's");
});

test("423 Interval Too Brief: asked again at Min-Expires", { timeout: 60_000 }, () => {
  const n = sipNet([{ users: USERS, minExpires: 1800 }]);
  n.phone.start([n.regs[0].ip], LINES.slice(0, 1), { expires: 600 });
  assert.ok(runUntil(n, registered(n), 2000), n.phone.timeline());
  assert.deepEqual(n.phone.of(Ev.SipIntervalTooBrief).map((e) => [e.a, e.b]), [[0, 1800]]);
  assert.equal(n.phone.lineExpires(0), 1800);
});

test("a silent proxy: Timer F, then the next one; all lines move", { timeout: 60_000 }, () => {
  const n = sipNet([{ users: USERS, silent: true }, { users: USERS }]);
  n.phone.start([n.regs[0].ip, n.regs[1].ip], LINES);
  assert.ok(runUntil(n, registered(n), 40_000), n.phone.timeline());
  assert.equal(n.phone.proxy, 1);
  const failed = n.phone.of(Ev.RegFailed);
  assert.deepEqual(failed.map((e) => [e.a, e.b]), [[0, 6]]);
  // 64 * T1 after the REGISTER.
  const sent = n.phone.of(Ev.SipRegister)[0].tMs;
  assert.ok(Math.abs(failed[0].tMs - sent - 32_000) < 10, `${failed[0].tMs - sent}`);
  assert.deepEqual(n.phone.of(Ev.RegFailover).map((e) => [e.a, e.b]), [[0, 1]]);
  assert.equal(n.regs[1].core.bindings.size, 2);
});

test("503 with Retry-After: the next proxy, and the first left alone that long", { timeout: 60_000 }, () => {
  const n = sipNet([{ users: USERS, status: 503, retryAfter: 120 }, { users: USERS, silent: true }]);
  n.phone.start([n.regs[0].ip, n.regs[1].ip], LINES.slice(0, 1));
  runMs(n, 100_000);
  assert.deepEqual(n.phone.of(Ev.SipRetryAfter).map((e) => [e.a, e.b]), [[0, 120]]);
  assert.deepEqual(n.phone.of(Ev.RegFailed).slice(0, 2).map((e) => [e.a, e.b]), [[0, 12], [1, 6]]);
  const down = n.phone.of(Ev.RegAllDown);
  assert.ok(down.length >= 1);
  // The first proxy is not asked again before its Retry-After ran out.
  const again = n.regs[0].core.log.slice(1).map((e) => e.tMs);
  assert.ok(again.every((t) => t >= n.regs[0].core.log[0].tMs + 120_000), `${again}`);
  assert.notEqual(n.phone.state, RegState.Registered);
  assert.ok(n.phone.screens.some((s) => s.startsWith("CallManager down | 1001 ...")), n.phone.screens.join("\n"));
});

test("UDP: Timer E retransmits the same request; OPTIONS answered 200; rport in the Via", { timeout: 60_000 }, () => {
  const n = sipNet([{ users: USERS, udp: true, ignore: 2 }]);
  n.phone.start([n.regs[0].ip], LINES.slice(0, 1), { tcp: false });
  assert.ok(runUntil(n, registered(n), 10_000), n.phone.timeline());
  const log = n.regs[0].core.log;
  // Ignored twice: sent at 0, T1, then 3 T1 (the interval doubles), the same branch and CSeq.
  assert.deepEqual(log.slice(0, 3).map((e) => e.cseq), [1, 1, 1]);
  assert.equal(new Set(log.slice(0, 3).map((e) => e.branch)).size, 1);
  assert.deepEqual([log[1].tMs - log[0].tMs, log[2].tMs - log[1].tMs].map((d) => Math.round(d / 10) * 10), [500, 1000]);
  const reg = n.regs[0] as UdpRegistrar;
  reg.send(options(`sip:1001@${PHONE_IP}:5060`, "SIP/2.0/UDP 198.51.100.10:5060", 7));
  runMs(n, 100);
  const answer = reg.received.map(parseSip).find((m) => m.start.startsWith("SIP/2.0"));
  assert.ok(answer, reg.received.join("\n"));
  assert.equal(answer!.start, "SIP/2.0 200 OK");
  assert.equal(header(answer!, "cseq"), "7 OPTIONS");
  assert.match(header(answer!, "to")!, /;tag=/);
  assert.deepEqual(n.phone.of(Ev.SipAnswered).map((e) => [e.a, e.b]), [[2, 200]]);
  // Every datagram the phone sent from 5060 carries the signalling DSCP (CS3: TOS 0x60).
  const sent = readPcap(n.pcap.toBuffer())!.records.map((r) => r.data)
    .filter((f) => f[6] === 0x00 && f[7] === 0x1b && f[12] === 8 && f[13] === 0 && f[23] === 17 && ((f[34] << 8) | f[35]) === 5060);
  assert.ok(sent.length >= 4 && sent.every((f) => f[15] === 0x60), sent.map((f) => f[15]).join(","));
  assert.equal(n.phone.state, RegState.Registered);
});

test("UDP: ICMP port unreachable fails over at once", { timeout: 60_000 }, () => {
  const n = sipNet([{ users: USERS, udp: true, closed: true }, { users: USERS, udp: true }]);
  n.phone.start([n.regs[0].ip, n.regs[1].ip], LINES, { tcp: false });
  assert.ok(runUntil(n, registered(n), 3_000), n.phone.timeline());
  assert.deepEqual(n.phone.of(Ev.RegFailed).map((e) => [e.a, e.b]), [[0, 10]]);
  assert.ok(n.phone.of(Ev.RegFailed)[0].tMs < 100);
});

test("TCP: OPTIONS answered on the connection; a garbled stream is counted and fails over", { timeout: 60_000 }, () => {
  const n = sipNet([{ users: USERS }, { users: USERS }]);
  n.phone.start([n.regs[0].ip, n.regs[1].ip], LINES.slice(0, 1));
  assert.ok(runUntil(n, registered(n), 2000), n.phone.timeline());
  const reg = n.regs[0] as TcpRegistrar;
  reg.send("\r\n\r\n" + options(`sip:1001@${PHONE_IP}`, "SIP/2.0/TCP 198.51.100.10:5060", 3));
  runMs(n, 100);
  assert.equal(reg.received.map(parseSip).find((m) => m.start.startsWith("SIP/2.0"))?.start, "SIP/2.0 200 OK");
  // A response nobody asked for: counted, nothing else happens.
  reg.send(["SIP/2.0 200 OK", "Via: SIP/2.0/TCP x;branch=z9hG4bKzz", "From: <sip:a@b>;tag=1", "To: <sip:a@b>", "Call-ID: nobody", "CSeq: 9 REGISTER", "Content-Length: 0", "", ""].join("\r\n"));
  runMs(n, 100);
  assert.equal(n.phone.counter("drop_sip_unexpected"), 1);
  assert.equal(n.phone.state, RegState.Registered);
  reg.send("\u0000\u0001garbage\r\n\r\n");
  assert.ok(runUntil(n, () => n.phone.proxy === 1 && n.phone.state === RegState.Registered, 3000), n.phone.timeline());
  assert.equal(n.phone.counter("drop_sip_malformed"), 1);
  assert.deepEqual(n.phone.of(Ev.RegFailed).map((e) => [e.a, e.b]), [[0, 8]]);
});

test("going back: on the backup the phone tries the first proxy every fallback interval; once it answers, every line registers there, then each binding at the backup is removed (Expires: 0)", { timeout: 60_000 }, () => {
  const n = sipNet([{ users: USERS, maxExpires: 60 }, { users: USERS, maxExpires: 60 }]);
  n.phone.start([n.regs[0].ip, n.regs[1].ip], LINES, { fallbackMs: 5_000 });
  assert.ok(runUntil(n, registered(n), 2000), n.phone.timeline());
  const [first, second] = n.regs.map((r) => r.core);
  // The first proxy goes quiet: the refresh meets Timer F, the lines move to the second.
  first.config.silent = true;
  assert.ok(runUntil(n, () => n.phone.proxy === 1 && n.phone.state === RegState.Registered, 120_000), n.phone.timeline());
  assert.equal(second.bindings.size, 2);
  // Still quiet: probed every 5 s (a REGISTER there, unanswered), the phone stays on the second.
  const quietFrom = n.s.now / 1000;
  runMs(n, 60_000);
  const probes = n.phone.of(Ev.RegProbe).filter((e) => e.tMs >= quietFrom);
  assert.ok(probes.length >= 1 && probes.every((e) => (e.b & 0xff) === 0), n.phone.timeline());
  assert.equal(n.phone.proxy, 1);
  assert.equal(n.phone.state, RegState.Registered);
  // Back: at the next probe the first line registers there, then the second, then both leave the backup.
  first.config.silent = false;
  const backAt = n.s.now / 1000;
  assert.ok(runUntil(n, () => n.phone.of(Ev.SipBindingRemoved).length === 2, 60_000), n.phone.timeline());
  assert.equal(n.phone.proxy, 0);
  assert.equal(n.phone.state, RegState.Registered);
  assert.deepEqual(n.phone.of(Ev.RegFallback).map((e) => [e.a, e.b]), [[0, 1]]);
  const fellBack = n.phone.of(Ev.RegFallback)[0].tMs;
  // At worst a probe sent while it was quiet runs to Timer F (32 s), then the interval (5 s), then a refresh due within 32 s goes first.
  assert.ok(fellBack - backAt <= 32_000 + 5_000 + 32_000 + 100, `back ${fellBack - backAt} ms after the first proxy answered again`);
  assert.deepEqual(n.phone.of(Ev.SipBindingRemoved).map((e) => [e.a, e.b]), [[0, 200 | (1 << 16)], [1, 200 | (1 << 16)]]);
  assert.deepEqual([...first.bindings.keys()].sort(), ["1001", "1002"]);
  assert.equal(second.bindings.size, 0, "no binding left at the backup");
  // The removals come after both lines registered with the first, each answered to the challenge of the backup.
  const removals = second.log.filter((e) => e.expires === 0);
  assert.deepEqual(removals.map((e) => [e.user, e.auth, e.status]), [["1001", false, 401], ["1001", true, 200], ["1002", false, 401], ["1002", true, 200]]);
  const lastAtFirst = first.log.filter((e) => e.status === 200).at(-1)!.tMs;
  assert.ok(removals[0].tMs >= lastAtFirst);
  assert.match(n.phone.timeline(), /fallback +to CM1 from CM2/);
  // And stays: refreshes go to the first proxy, with its own nonce (one new challenge), the backup hears nothing more.
  const heard = second.log.length;
  runMs(n, 130_000);
  assert.equal(second.log.length, heard);
  assert.equal(n.phone.state, RegState.Registered);
  assert.equal(n.phone.of(Ev.SipAuthFailed).length, 0);
  assert.ok(first.log.filter((e) => e.tMs > lastAtFirst).every((e) => e.status === 200 || e.status === 401));
});

test("going back over UDP: the probe REGISTER to a silent first proxy ends at Timer F and the phone stays; once it answers, the phone returns", { timeout: 60_000 }, () => {
  const n = sipNet([{ users: USERS, udp: true, silent: true }, { users: USERS, udp: true }]);
  n.phone.start([n.regs[0].ip, n.regs[1].ip], LINES.slice(0, 1), { tcp: false, fallbackMs: 10_000 });
  assert.ok(runUntil(n, () => n.phone.proxy === 1 && n.phone.state === RegState.Registered, 60_000), n.phone.timeline());
  runMs(n, 25_000);
  assert.equal(n.phone.proxy, 1);
  const probes = n.phone.of(Ev.RegProbe).length;
  assert.ok(probes >= 1, n.phone.timeline());
  n.regs[0].core.config.silent = false;
  assert.ok(runUntil(n, () => n.phone.of(Ev.SipBindingRemoved).length === 1, 60_000), n.phone.timeline());
  assert.equal(n.phone.proxy, 0);
  assert.equal(n.regs[1].core.bindings.size, 0);
  assert.equal(n.regs[0].core.bindings.get("1001")?.contact, `sip:1001@${PHONE_IP}:5060`);
});

test("a line's own <proxy>: it registers there, the others with the list; its proxy down moves no other line", { timeout: 60_000 }, () => {
  const n = sipNet([{ users: USERS }, { users: USERS, maxExpires: 60 }]);
  const [list, own] = n.regs;
  n.phone.start([list.ip], [LINES[0], { ...LINES[1], proxy: own.ip }]);
  assert.ok(runUntil(n, registered(n), 3000), n.phone.timeline());
  assert.deepEqual([...list.core.bindings.keys()], ["1001"]);
  assert.deepEqual([...own.core.bindings.keys()], ["1002"]);
  assert.deepEqual(n.phone.of(Ev.RegConnecting).map((e) => e.b & 0xff), [0, 4], "CM1, then line 2's proxy");
  own.core.config.silent = true;
  assert.ok(runUntil(n, () => n.phone.lineState(1) !== SipLineState.Registered, 120_000), n.phone.timeline());
  assert.deepEqual(n.phone.of(Ev.RegFailed).map((e) => [e.a, e.b]), [[4, 6]]);
  assert.equal(n.phone.lineState(0), SipLineState.Registered);
  assert.equal(n.phone.proxy, 0);
  assert.equal(n.phone.of(Ev.RegFailover).length, 0);
  assert.match(n.phone.timeline(), /failed +line 2's proxy: /);
  own.core.config.silent = false;
  assert.ok(runUntil(n, registered(n), 120_000), n.phone.timeline());
  assert.equal(list.core.log.filter((e) => e.user === "1002").length, 0, "line 2 never goes to the list");
});

test("TCP: a 200 OK of 2-3 KB (a dozen other bindings of the AOR in one Contact header) is read whole; the phone's own binding found after them", { timeout: 60_000 }, () => {
  const n = sipNet([{ users: USERS, otherContacts: 14, maxExpires: 1800 }]);
  n.phone.start([n.regs[0].ip], LINES.slice(0, 1), { expires: 1800 });
  assert.ok(runUntil(n, registered(n), 2000), n.phone.timeline());
  const sizes = n.regs[0].core.answerSizes;
  assert.ok(sizes.at(-1)! > 2048 && sizes.at(-1)! < 3072, `${sizes}`);
  // The others carry expires=3000..3013: the phone takes its own binding's.
  assert.equal(n.phone.lineExpires(0), 1800);
  assert.equal(n.phone.counter("drop_sip_too_long") + n.phone.counter("drop_sip_malformed"), 0);
});
