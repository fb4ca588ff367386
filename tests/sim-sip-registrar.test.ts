// The simulated SIP registrar (host/sim/sip-registrar.ts) driven by
// hand-written SIP messages: digest challenge and verification (RFC 2617's
// own example first), stale and replayed nonces, 403, 423, expiry, the
// strict 400s, 503 under load, retransmissions, OPTIONS pings; then on the
// simulated network beside a CallManager, over UDP and TCP, with the
// subscribers taken from the SEP file the TFTP server serves, and the same
// seed giving the same frames.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Scheduler } from "../host/sim/scheduler.js";
import { simClock, SimCallManager } from "../host/sim/callmanager.js";
import { SipRegistrar, SIP_PORT, type SipPeer, type SipRegistrarConfig } from "../host/sim/sip-registrar.js";
import {
  digestResponse, emitSip, header, headerList, parseDigest, parseNameAddr, parseSip, parseSipUri, parseVia, SipStreamFramer, type SipMessage,
} from "../host/wire/sip.js";
import { Wire } from "../host/sim/wire.js";
import { EthernetSwitch } from "../host/sim/switch.js";
import { IpHost } from "../host/sim/ip-host.js";
import { TcpHost } from "../host/sim/tcp.js";
import { PcapWriter } from "../host/sim/pcap.js";
import { encodeUdp } from "../host/wire/udp.js";
import { IPPROTO_UDP } from "../host/wire/ipv4.js";
import { parseIp } from "../host/wire/address.js";
import { buildNetwork, sepFileName, sipSubscribers } from "../host/sim/network.js";
import { cnfLines, cnfXml } from "../host/sim/cnf.js";
import { TftpServer } from "../host/sim/tftp-server.js";

const DOMAIN = "192.0.2.11";
const PHONE = "192.0.2.50";
const SUBS = new Map([["1001", { user: "1001", authName: "sep1001", password: "s3cret" }], ["1002", { user: "1002", authName: "1002", password: "other" }]]);

test("RFC 2617 3.5's example: the request-digest of Mufasa's GET is 6629fae49393a05397450978507c4ef1", () => {
  const r = digestResponse({
    username: "Mufasa", realm: "testrealm@host.com", password: "Circle Of Life", method: "GET", uri: "/dir/index.html",
    nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093", qop: "auth", nc: "00000001", cnonce: "0a4f113b",
  });
  assert.equal(r, "6629fae49393a05397450978507c4ef1");
  const cred = parseDigest(`Digest username="Mufasa",
                 realm="testrealm@host.com",
                 nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093",
                 uri="/dir/index.html",
                 qop=auth,
                 nc=00000001,
                 cnonce="0a4f113b",
                 response="6629fae49393a05397450978507c4ef1",
                 opaque="5ccc069c403ebaf9f0171e9517f40e41"`.replace(/\n/g, " "));
  assert.equal(cred?.get("username"), "Mufasa");
  assert.equal(cred?.get("qop"), "auth");
  assert.equal(cred?.get("opaque"), "5ccc069c403ebaf9f0171e9517f40e41");
});

test("SIP wire: a REGISTER parses (compact forms, folding, comma lists) and emits back byte for byte", () => {
  const text = "REGISTER sip:192.0.2.11 SIP/2.0\r\nv: SIP/2.0/UDP 192.0.2.50:5060;branch=z9hG4bK1;rport\r\nMax-Forwards: 70\r\n"
    + "f: <sip:1001@192.0.2.11>;tag=a1\r\nt: <sip:1001@192.0.2.11>\r\ni: c1@192.0.2.50\r\nCSeq: 1 REGISTER\r\n"
    + "m: \"Line, one\" <sip:1001@192.0.2.50:5060>;expires=60,\r\n <sip:1001@192.0.2.50:5062>\r\nl: 0\r\n\r\n";
  const bytes = Buffer.from(text, "latin1");
  const p = parseSip(bytes);
  assert.ok(p.ok);
  const msg = p.msg;
  assert.equal(msg.method, "REGISTER");
  assert.equal(header(msg, "Call-ID"), "c1@192.0.2.50");
  assert.deepEqual(headerList(msg, "contact"), ['"Line, one" <sip:1001@192.0.2.50:5060>;expires=60', "<sip:1001@192.0.2.50:5062>"]);
  assert.equal(parseNameAddr(headerList(msg, "contact")[0])?.params.get("expires"), "60");
  const via = parseVia(header(msg, "via")!)!;
  assert.deepEqual([via.transport, via.host, via.port, via.params.get("branch"), via.params.has("rport")], ["UDP", "192.0.2.50", 5060, "z9hG4bK1", true]);
  assert.deepEqual(parseSipUri("sip:1001@192.0.2.50:5060;transport=tcp")?.params.get("transport"), "tcp");
  assert.equal(parseSipUri("tel:+15551234"), null);
  // Folding is undone on parse; the rest emits as it came.
  assert.equal(Buffer.from(emitSip(msg)).toString("latin1"), text.replace(",\r\n <sip", ", <sip"));
  for (const bad of ["REGISTER sip:x SIP/2.0\r\nVia x\r\n\r\n", "HELLO\r\n\r\n", "REGISTER sip:x SIP/2.0\r\nl: 9\r\n\r\nabc", "REGISTER sip:x SIP/2.0\r\n"]) {
    assert.equal(parseSip(Buffer.from(bad)).ok, false, bad);
  }
});

test("SIP stream framer: messages by Content-Length across segments, CRLFCRLF pings, a missing Content-Length ends the stream", () => {
  const f = new SipStreamFramer();
  const one = "OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 3\r\n\r\nabc";
  const all = Buffer.from(`\r\n\r\n${one}${one}`);
  const out = [...f.push(all.subarray(0, 30)), ...f.push(all.subarray(30, 61)), ...f.push(all.subarray(61))];
  assert.deepEqual(out.map((o) => o.kind), ["ping", "message", "message"]);
  assert.equal(Buffer.from((out[1] as { bytes: Uint8Array }).bytes).toString(), one);
  const g = new SipStreamFramer();
  const e = g.push(Buffer.from("REGISTER sip:a SIP/2.0\r\nCSeq: 1 REGISTER\r\n\r\n"));
  assert.equal(e[0].kind, "error");
  assert.deepEqual(g.push(Buffer.from(one)), [], "nothing more from a broken stream");
});

// ---------------------------------------------------------------- the registrar alone

interface Rig {
  s: Scheduler;
  reg: SipRegistrar;
  out: SipMessage[];
  peer: SipPeer;
  closed: number;
}

function rig(extra: Partial<SipRegistrarConfig> = {}, transport: "udp" | "tcp" = "udp"): Rig {
  const s = new Scheduler();
  const reg = new SipRegistrar(simClock(s), { name: "CM1", domain: DOMAIN, seed: 7, subscribers: (u) => SUBS.get(u) ?? null, ...extra });
  const r: Rig = { s, reg, out: [], closed: 0, peer: null as unknown as SipPeer };
  r.peer = {
    transport, ip: parseIp(PHONE), port: 5060, alive: () => true, close: () => r.closed++,
    send: (b) => { const p = parseSip(b); assert.ok(p.ok, "the registrar's own messages parse"); r.out.push(p.msg); },
  };
  return r;
}

interface Reg {
  user?: string;
  callId?: string;
  cseq?: number;
  branch?: string;
  contact?: string;
  expires?: number | null;
  auth?: string;
  omit?: string[];
  cseqMethod?: string;
  fromTag?: boolean;
  transport?: string;
}

function register(o: Reg = {}): Uint8Array {
  const user = o.user ?? "1001";
  const lines: Array<[string, string]> = [
    ["Via", `SIP/2.0/${o.transport ?? "UDP"} ${PHONE}:5060;branch=${o.branch ?? `z9hG4bK${o.cseq ?? 1}x`};rport`],
    ["Max-Forwards", "70"],
    ["From", `"Line 1" <sip:${user}@${DOMAIN}>${o.fromTag === false ? "" : ";tag=f00"}`],
    ["To", `<sip:${user}@${DOMAIN}>`],
    ["Call-ID", o.callId ?? "call-1@192.0.2.50"],
    ["CSeq", `${o.cseq ?? 1} ${o.cseqMethod ?? "REGISTER"}`],
    ["Contact", o.contact ?? `<sip:${user}@${PHONE}:5060>`],
    ...(o.expires === null ? [] : [["Expires", String(o.expires ?? 3600)] as [string, string]]),
    ...(o.auth ? [["Authorization", o.auth] as [string, string]] : []),
    ["User-Agent", "hand-written"],
    ["Content-Length", "0"],
  ];
  return emitSip({ method: "REGISTER", uri: `sip:${DOMAIN}`, headers: lines.filter(([n]) => !(o.omit ?? []).includes(n)), body: new Uint8Array(0) });
}

/** Authorization for the last 401's nonce. */
function authFor(challenge: SipMessage, o: { username?: string; password?: string; nc?: number; user?: string } = {}): string {
  const c = parseDigest(header(challenge, "www-authenticate")!)!;
  const sub = SUBS.get(o.user ?? "1001")!;
  const nc = (o.nc ?? 1).toString(16).padStart(8, "0");
  const username = o.username ?? sub.authName;
  const uri = `sip:${DOMAIN}`;
  const response = digestResponse({ username, realm: c.get("realm")!, password: o.password ?? sub.password, method: "REGISTER", uri, nonce: c.get("nonce")!, qop: "auth", nc, cnonce: "0a4f113b" });
  return `Digest username="${username}", realm="${c.get("realm")}", nonce="${c.get("nonce")}", uri="${uri}", response="${response}", algorithm=MD5, cnonce="0a4f113b", qop=auth, nc=${nc}`;
}

const last = (r: Rig) => r.out[r.out.length - 1];
const status = (r: Rig) => `${last(r).status} ${last(r).reason}`;

test("registrar: 401 with Kamailio's challenge, the digest answered: 200 OK with the binding's Contact;expires= and Expires", () => {
  const r = rig();
  r.reg.receive(register(), r.peer);
  const c = last(r);
  assert.equal(c.status, 401);
  assert.match(header(c, "www-authenticate")!, /^Digest realm="192\.0\.2\.11", nonce="[0-9a-f]{48}", qop="auth", algorithm=MD5$/);
  assert.match(header(c, "to")!, /;tag=[0-9a-f]{10}$/, "the To gets a tag");
  assert.equal(header(c, "via"), `SIP/2.0/UDP ${PHONE}:5060;branch=z9hG4bK1x;rport=5060;received=${PHONE}`, "rport and received filled in, as Kamailio does");
  assert.deepEqual([header(c, "call-id"), header(c, "cseq")], ["call-1@192.0.2.50", "1 REGISTER"]);
  r.reg.receive(register({ cseq: 2, auth: authFor(c) }), r.peer);
  assert.equal(status(r), "200 OK");
  assert.deepEqual(headerList(last(r), "contact"), [`<sip:1001@${PHONE}:5060>;expires=3600`]);
  assert.equal(header(last(r), "expires"), "3600");
  const rep = r.reg.report();
  assert.deepEqual(rep.bindings[`sip:1001@${DOMAIN}`], [{ contact: `sip:1001@${PHONE}:5060`, expiresInS: 3600, transport: "udp", source: `${PHONE}:5060`, callId: "call-1@192.0.2.50", cseq: 2 }]);
  assert.deepEqual([rep.stats.challenges, rep.stats.registrations, rep.stats.registers], [1, 1, 2]);
  assert.deepEqual(r.reg.events.map((e) => e.type), ["challenge", "registered"]);
});

// Kamailio 5.6.3's answers to tests/peers/sip-client.ts in the lab (tests/peers/kamailio.ts's config), as captured.
const KAMAILIO_401 = "SIP/2.0 401 Unauthorized\r\nVia: SIP/2.0/UDP 192.0.2.9:5068;branch=z9hG4bK4f19dd0adacd;rport=5068;received=192.0.2.9\r\n"
  + "From: <sip:1001@192.0.2.1>;tag=46957416\r\nTo: <sip:1001@192.0.2.1>;tag=8632a4c69c13272c4ec2f32e8e1ca80b.642ae459\r\nCall-ID: 52afb02de7c9@192.0.2.9\r\n"
  + "CSeq: 1 REGISTER\r\nWWW-Authenticate: Digest realm=\"192.0.2.1\", nonce=\"axDl12sQ5KtpEtgPiti6RHGeWUhLSNaFJXLrFoA=\", qop=\"auth\", algorithm=MD5\r\n"
  + "Server: kamailio (5.6.3 (x86_64/linux))\r\nContent-Length: 0\r\n\r\n";
const KAMAILIO_200 = "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.9:5068;branch=z9hG4bKd31b2ddb7e50;rport=5068;received=192.0.2.9\r\n"
  + "From: <sip:1001@192.0.2.1>;tag=1f60cfd6\r\nTo: <sip:1001@192.0.2.1>;tag=8632a4c69c13272c4ec2f32e8e1ca80b.5498874d\r\nCall-ID: fd64c88f9e36@192.0.2.9\r\n"
  + "CSeq: 2 REGISTER\r\nContact: <sip:1001@192.0.2.9:5062>;expires=3592, <sip:1001@192.0.2.9:5068>;expires=60\r\n"
  + "Server: kamailio (5.6.3 (x86_64/linux))\r\nContent-Length: 0\r\n\r\n";

test("registrar: its 401 and 200 have Kamailio 5.6's header fields in Kamailio's order; the codec reads Kamailio's and writes them back byte for byte", () => {
  const names = (m: SipMessage) => m.headers.map(([n]) => n);
  const k401 = parseSip(Buffer.from(KAMAILIO_401, "latin1"));
  const k200 = parseSip(Buffer.from(KAMAILIO_200, "latin1"));
  assert.ok(k401.ok && k200.ok);
  assert.equal(Buffer.from(emitSip(k401.msg)).toString("latin1"), KAMAILIO_401);
  assert.equal(Buffer.from(emitSip(k200.msg)).toString("latin1"), KAMAILIO_200);
  assert.deepEqual(headerList(k200.msg, "contact").map((c) => parseNameAddr(c)?.params.get("expires")), ["3592", "60"]);
  const r = rig();
  r.reg.receive(register(), r.peer);
  assert.deepEqual(names(last(r)), names(k401.msg));
  const shape = (v: string) => v.replace(/"[^"]*"/g, '""');
  assert.equal(shape(header(last(r), "www-authenticate")!), shape(header(k401.msg, "www-authenticate")!));
  r.reg.receive(register({ cseq: 2, auth: authFor(last(r)) }), r.peer);
  assert.deepEqual(names(last(r)), [...names(k200.msg).slice(0, 6), "Expires", ...names(k200.msg).slice(6)], "and Expires after the Contact");
});

test("registrar: nonces are seeded (same seed, same nonce; another seed, another) and a foreign nonce is challenged again", () => {
  const nonce = (seed: number) => {
    const r = rig({ seed });
    r.reg.receive(register(), r.peer);
    return parseDigest(header(last(r), "www-authenticate")!)!.get("nonce");
  };
  assert.equal(nonce(7), nonce(7));
  assert.notEqual(nonce(7), nonce(8));
  const a = rig({ seed: 8 });
  a.reg.receive(register(), a.peer);
  const r = rig({ seed: 7 });
  r.reg.receive(register({ cseq: 2, auth: authFor(last(a)) }), r.peer);
  assert.equal(status(r), "401 Unauthorized");
  assert.doesNotMatch(header(last(r), "www-authenticate")!, /stale/);
});

test("registrar: 403 on a wrong password, an unknown line and an auth name that is not the line's; each named in the events", () => {
  const r = rig();
  r.reg.receive(register(), r.peer);
  r.reg.receive(register({ cseq: 2, auth: authFor(last(r), { password: "wrong" }) }), r.peer);
  assert.equal(status(r), "403 Forbidden");
  r.reg.receive(register({ cseq: 3, auth: authFor(r.out[0], { username: "1002", password: "other" }) }), r.peer);
  assert.equal(status(r), "403 Forbidden");
  r.reg.receive(register({ user: "1999", cseq: 4, callId: "c9" }), r.peer);
  assert.equal(last(r).status, 401, "an unknown line is challenged first");
  r.reg.receive(register({ user: "1999", cseq: 5, callId: "c9", auth: authFor(last(r)) }), r.peer);
  assert.equal(status(r), "403 Forbidden");
  const s = r.reg.report().stats;
  assert.deepEqual([s.badPassword, s.wrongAuthName, s.unknownUser, s.registrations], [1, 1, 1, 0]);
  assert.deepEqual(r.reg.events.filter((e) => e.type === "forbidden").map((e) => e.detail), ["wrong password for sep1001", "auth name '1002' is not 1001's", "no subscriber 1999"]);
});

test("registrar: nc must grow (a replay is stale), a nonce older than 300 s is stale, a fresh one then works", () => {
  const r = rig();
  r.reg.receive(register(), r.peer);
  const ch = last(r);
  r.reg.receive(register({ cseq: 2, auth: authFor(ch, { nc: 1 }) }), r.peer);
  assert.equal(last(r).status, 200);
  r.reg.receive(register({ cseq: 3, auth: authFor(ch, { nc: 1 }) }), r.peer);
  assert.equal(last(r).status, 401);
  assert.match(header(last(r), "www-authenticate")!, /, stale=true$/);
  r.reg.receive(register({ cseq: 4, auth: authFor(ch, { nc: 2 }) }), r.peer);
  assert.equal(last(r).status, 200, "the next nc on the same nonce");
  r.s.runUntil(r.s.now + 301_000_000);
  r.reg.receive(register({ cseq: 5, auth: authFor(ch, { nc: 3 }) }), r.peer);
  assert.equal(last(r).status, 401);
  assert.match(header(last(r), "www-authenticate")!, /stale=true/);
  r.reg.receive(register({ cseq: 6, auth: authFor(last(r)) }), r.peer);
  assert.equal(last(r).status, 200);
  const s = r.reg.report().stats;
  assert.deepEqual([s.nonceReplays, s.stale, s.registrations, s.refreshes], [1, 2, 1, 2]);
});

test("registrar: 423 Interval Too Brief with Min-Expires under 60 s; expires capped at 3600; a binding expires; expires=0 and Contact * remove", () => {
  const r = rig();
  r.reg.receive(register({ expires: 30 }), r.peer);
  r.reg.receive(register({ cseq: 2, expires: 30, auth: authFor(last(r)) }), r.peer);
  assert.equal(status(r), "423 Interval Too Brief");
  assert.equal(header(last(r), "min-expires"), "60");
  const ch = r.out[0];
  r.reg.receive(register({ cseq: 3, expires: 7200, auth: authFor(ch, { nc: 2 }) }), r.peer);
  assert.equal(header(last(r), "expires"), "3600");
  r.reg.receive(register({ cseq: 4, expires: null, contact: `<sip:1001@${PHONE}:5062>;expires=60`, auth: authFor(ch, { nc: 3 }) }), r.peer);
  assert.deepEqual(headerList(last(r), "contact"), [`<sip:1001@${PHONE}:5060>;expires=3600`, `<sip:1001@${PHONE}:5062>;expires=60`], "every binding listed");
  assert.equal(header(last(r), "contact"), `<sip:1001@${PHONE}:5060>;expires=3600, <sip:1001@${PHONE}:5062>;expires=60`, "in one header field, as Kamailio writes it");
  r.s.runUntil(r.s.now + 61_000_000);
  assert.equal(r.reg.bindingsOf(`sip:1001@${DOMAIN}`).length, 1, "the 60 s binding expired");
  assert.equal(r.reg.report().stats.expired, 1);
  r.reg.receive(register({ cseq: 5, expires: 0, auth: authFor(ch, { nc: 4 }) }), r.peer);
  assert.equal(status(r), "200 OK");
  assert.deepEqual(headerList(last(r), "contact"), []);
  r.reg.receive(register({ cseq: 6, contact: `<sip:1001@${PHONE}:5062>`, auth: authFor(ch, { nc: 5 }) }), r.peer);
  r.reg.receive(register({ cseq: 7, contact: "*", expires: 0, auth: authFor(ch, { nc: 6 }) }), r.peer);
  assert.equal(status(r), "200 OK");
  assert.deepEqual(r.reg.report().bindings, {});
  r.reg.receive(register({ cseq: 8, contact: "*", expires: 60, auth: authFor(ch, { nc: 7 }) }), r.peer);
  assert.equal(last(r).status, 400);
});

test("registrar: 400 for each missing or wrong mandatory field, a TCP message without Content-Length answered 400 and the stream closed", () => {
  const cases: Array<[Reg, RegExp]> = [
    [{ branch: "1234" }, /Via branch without z9hG4bK/],
    [{ omit: ["Max-Forwards"] }, /Max-Forwards missing/],
    [{ omit: ["CSeq"] }, /CSeq missing/],
    [{ cseqMethod: "INVITE" }, /CSeq method mismatch/],
    [{ omit: ["Call-ID"] }, /Call-ID missing/],
    [{ fromTag: false }, /From tag missing/],
    [{ omit: ["To"] }, /To missing/],
  ];
  for (const [o, why] of cases) {
    const r = rig();
    r.reg.receive(register(o), r.peer);
    assert.equal(last(r).status, 400, JSON.stringify(o));
    assert.match(last(r).reason!, why);
    assert.equal(r.reg.report().stats.badRequests, 1);
  }
  const t = rig({}, "tcp");
  const f = new SipStreamFramer();
  const text = Buffer.from(register({ transport: "TCP", omit: ["Content-Length"] }));
  for (const o of f.push(text)) if (o.kind === "error") t.reg.receive(o.header!, t.peer, o.error);
  assert.equal(status(t), "400 Bad Request - Content-Length missing");
  assert.equal(t.closed, 1);
});

test("registrar: a retransmitted REGISTER gets the same answer without a second processing; a new Call-ID refresh is counted; an old CSeq is 500", () => {
  const r = rig();
  r.reg.receive(register(), r.peer);
  const ch = last(r);
  const auth = authFor(ch);
  r.reg.receive(register({ cseq: 2, auth }), r.peer);
  r.reg.receive(register({ cseq: 2, auth }), r.peer);
  assert.deepEqual(emitSip(r.out[2]), emitSip(r.out[1]));
  assert.equal(r.reg.report().stats.retransmissions, 1);
  assert.equal(r.reg.report().stats.nonceReplays, 0, "not seen as a replay");
  r.reg.receive(register({ cseq: 1, callId: "call-2", branch: "z9hG4bKcall2", auth: authFor(ch, { nc: 2 }) }), r.peer);
  assert.equal(last(r).status, 200);
  assert.equal(r.reg.report().stats.callIdChanges, 1);
  r.reg.receive(register({ cseq: 1, callId: "call-2", branch: "z9hG4bKother", auth: authFor(ch, { nc: 3 }) }), r.peer);
  assert.equal(last(r).status, 500);
});

test("registrar: over registrationsPerSecond, 503 with Retry-After; OPTIONS answered 200; other methods 405", () => {
  const r = rig({ registrationsPerSecond: 2, burst: 2 });
  for (let i = 1; i <= 3; i++) r.reg.receive(register({ cseq: i, callId: `c${i}` }), r.peer);
  assert.deepEqual(r.out.map((m) => m.status), [401, 401, 503]);
  assert.equal(header(last(r), "retry-after"), "1");
  r.s.runUntil(r.s.now + 1_000_000);
  r.reg.receive(register({ cseq: 4, callId: "c4" }), r.peer);
  assert.equal(last(r).status, 401);
  assert.equal(r.reg.report().stats.throttled, 1);
  const opt = emitSip({ method: "OPTIONS", uri: `sip:${DOMAIN}`, body: new Uint8Array(0), headers: [
    ["Via", `SIP/2.0/UDP ${PHONE};branch=z9hG4bKo`], ["Max-Forwards", "70"], ["From", "<sip:1001@x>;tag=1"], ["To", `<sip:${DOMAIN}>`], ["Call-ID", "o1"], ["CSeq", "9 OPTIONS"], ["Content-Length", "0"]] });
  r.reg.receive(opt, r.peer);
  assert.equal(status(r), "200 OK");
  r.reg.receive(Buffer.from(Buffer.from(opt).toString().replace(/OPTIONS/g, "INVITE").replace("z9hG4bKo", "z9hG4bKi")), r.peer);
  assert.equal(status(r), "405 Method Not Allowed");
  assert.equal(header(last(r), "allow"), "REGISTER, OPTIONS, ACK");
});

test("registrar: OPTIONS to each registered contact every optionsIntervalS, answers counted", () => {
  const r = rig({ optionsIntervalS: 30 });
  r.reg.receive(register(), r.peer);
  r.reg.receive(register({ cseq: 2, auth: authFor(last(r)) }), r.peer);
  r.s.runUntil(r.s.now + 30_000_000);
  const ping = last(r);
  assert.equal(ping.method, "OPTIONS");
  assert.equal(ping.uri, `sip:1001@${PHONE}:5060`);
  assert.match(header(ping, "via")!, /^SIP\/2\.0\/UDP 192\.0\.2\.11:5060;branch=z9hG4bK[0-9a-f]{16}$/);
  const answer: SipMessage = { status: 200, reason: "OK", body: new Uint8Array(0), headers: ping.headers.filter(([n]) => n !== "Max-Forwards" && n !== "User-Agent") };
  r.reg.receive(emitSip(answer), r.peer);
  r.s.runUntil(r.s.now + 30_000_000);
  const s = r.reg.report().stats;
  assert.deepEqual([s.optionsSent, s.optionsAnswered], [2, 1]);
});

// ---------------------------------------------------------------- on the simulated network

const CM_MAC = "02:00:5e:00:02:11";
const SEP = "SEP001B54C2A710";

/** A CallManager node, a UDP phone and a TCP phone on a switch; the subscribers from a SEP file in a TFTP server's map. */
function simNet(seed: number) {
  const s = new Scheduler();
  const sw = new EthernetSwitch(s, 4);
  const tftp = new TftpServer(s, { mac: "02:00:5e:00:02:0a", ip: "192.0.2.10", files: {
    [`${SEP}.cnf.xml`]: new TextEncoder().encode(cnfXml({ protocol: "SIP", callManagers: [{ host: DOMAIN }], lines: [
      { dirNumber: "1001", displayName: "One", authName: "sep1001", password: "s3cret" }, { dirNumber: "1002", displayName: "Two", authName: "1002", password: "other" }] })),
  } });
  const cm = new SimCallManager(s, { name: "CM1", mac: CM_MAC, ip: DOMAIN, seed, sip: { subscribers: sipSubscribers(tftp), optionsIntervalS: 30 } });
  const pcap = new PcapWriter();
  const plug = (port: number, n: { plug(w: Wire, side: 0 | 1): void }) => {
    const w = new Wire(s);
    n.plug(w, 0);
    sw.connect(port, w, 1);
    pcap.tapWire(w);
  };
  plug(0, cm);
  const udp = new IpHost(s, "00:1b:54:c2:a7:10", PHONE);
  plug(1, udp);
  const tcp = new TcpHost(s, { mac: "00:1b:54:c2:a7:11", ip: "192.0.2.51", seed });
  plug(2, tcp);
  return { s, cm, udp, tcp, pcap };
}

test("on the simulated network: CM1 answers SIP on UDP and TCP 5060 from the SEP file's <lines>; stop() refuses it; a seed gives the same frames", () => {
  const run = (seed: number) => {
    const n = simNet(seed);
    const got: SipMessage[] = [];
    const sendUdp = (b: Uint8Array) => n.udp.sendIp(parseIp(DOMAIN), IPPROTO_UDP, encodeUdp({ srcIp: n.udp.ip, dstIp: parseIp(DOMAIN), srcPort: 5060, dstPort: SIP_PORT, payload: b }));
    n.udp.bindUdp(5060, (d) => {
      const p = parseSip(d.payload);
      assert.ok(p.ok);
      got.push(p.msg);
      if (p.msg.status === 401) sendUdp(register({ cseq: Number(header(p.msg, "cseq")!.split(" ")[0]) + 1, auth: authFor(p.msg) }));
      if (p.msg.method === "OPTIONS") sendUdp(emitSip({ status: 200, reason: "OK", body: new Uint8Array(0), headers: p.msg.headers.filter(([h]) => h !== "Max-Forwards") }));
    });
    sendUdp(register());
    const conn = n.tcp.connect(DOMAIN, SIP_PORT);
    const framer = new SipStreamFramer();
    const tcpGot: SipMessage[] = [];
    const viaTcp = (o: Reg) => Buffer.from(Buffer.from(register({ ...o, user: "1002", callId: "t1", transport: "TCP" })).toString().replace(`${PHONE}:5060`, "192.0.2.51:5060"));
    conn.onEstablished = () => conn.send(viaTcp({}));
    conn.onData = (b) => {
      for (const f of framer.push(b)) {
        if (f.kind !== "message") continue;
        const p = parseSip(f.bytes);
        assert.ok(p.ok);
        tcpGot.push(p.msg);
        if (p.msg.status === 401) conn.send(viaTcp({ cseq: 2, auth: authFor(p.msg, { user: "1002" }) }));
      }
    };
    n.s.runUntil(n.s.now + 40_000_000);
    return { ...n, got, tcpGot };
  };
  const a = run(5);
  assert.deepEqual(a.got.map((m) => m.status ?? m.method), [401, 200, "OPTIONS"]);
  assert.deepEqual(a.tcpGot.map((m) => m.status ?? m.method), [401, 200, "OPTIONS"]);
  const rep = a.cm.sip.registrar.report();
  assert.deepEqual(Object.keys(rep.bindings), [`sip:1001@${DOMAIN}`, `sip:1002@${DOMAIN}`]);
  assert.equal(rep.bindings[`sip:1002@${DOMAIN}`][0].transport, "tcp");
  assert.deepEqual([rep.stats.optionsSent, rep.stats.optionsAnswered], [2, 1], "the UDP phone answers its OPTIONS, the TCP one does not");
  // Same seed, same bytes; another seed, other nonces.
  const b = run(5);
  assert.deepEqual(b.pcap.toBuffer(), a.pcap.toBuffer());
  assert.notDeepEqual(run(6).pcap.toBuffer(), a.pcap.toBuffer());
  // The service down: UDP 5060 answers ICMP port unreachable, the CallManager's statistics count nothing more.
  a.cm.stop("refuse");
  const before = a.cm.sip.registrar.report().stats.requests;
  a.udp.sendIp(parseIp(DOMAIN), IPPROTO_UDP, encodeUdp({ srcIp: a.udp.ip, dstIp: parseIp(DOMAIN), srcPort: 5060, dstPort: SIP_PORT, payload: register({ cseq: 9 }) }));
  a.s.runUntil(a.s.now + 1_000_000);
  assert.equal(a.cm.sip.registrar.report().stats.requests, before);
  assert.equal(a.cm.tcp.net.stats.portUnreachables, 1);
  a.cm.start();
  a.udp.sendIp(parseIp(DOMAIN), IPPROTO_UDP, encodeUdp({ srcIp: a.udp.ip, dstIp: parseIp(DOMAIN), srcPort: 5060, dstPort: SIP_PORT, payload: register({ cseq: 10, branch: "z9hG4bKback" }) }));
  a.s.runUntil(a.s.now + 1_000_000);
  assert.equal(a.cm.sip.registrar.report().stats.requests, before + 2);
  assert.deepEqual(a.got.slice(-2).map((m) => m.status), [401, 200], "back in service");
});

test("the built-in network: every CallManager's registrar knows the SIP lines of the SEP file the TFTP server serves", () => {
  const mac = "00:1b:54:c2:a7:10";
  const file = new TextEncoder().encode(cnfXml({ protocol: "SIP", callManagers: [{ host: "192.0.2.11" }, { host: "192.0.2.12" }],
    lines: [{ dirNumber: "2001", displayName: "A", authName: "a2001", password: "pw" }] }));
  const net = buildNetwork({ seed: 3, mac, tftpFiles: { [sepFileName(mac)]: file } });
  assert.deepEqual(cnfLines(file), [{ dirNumber: "2001", displayName: "A", authName: "a2001", password: "pw" }]);
  assert.equal(net.callManagers.length, 3);
  assert.deepEqual(net.callManagers.map((cm) => cm.sip.registrar.domain), ["192.0.2.11", "192.0.2.12", "192.0.2.13"], "each node's realm is its address");
  const lookup = sipSubscribers(net.tftp);
  assert.deepEqual(lookup("2001"), { user: "2001", authName: "a2001", password: "pw" });
  assert.equal(lookup("2002"), null);
});
