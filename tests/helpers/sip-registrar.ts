// A small SIP registrar for the firmware's SIP stage tests (not the
// simulated network's registrar): RFC 3261 §10.3 with an MD5 digest
// challenge (qop=auth, RFC 2617) checked with Node's crypto, over the
// simulated TCP host or a UDP IP host, and the faults the tests need.
import { createHash } from "node:crypto";
import { TcpHost, type TcpConnection } from "../../host/sim/tcp.js";
import { IpHost, type UdpIn } from "../../host/sim/ip-host.js";
import type { Scheduler } from "../../host/sim/scheduler.js";
import type { Side, Wire } from "../../host/sim/wire.js";
import type { Mac } from "../../host/wire/address.js";

const md5 = (s: string) => createHash("md5").update(s).digest("hex");

export interface SipMessage {
  start: string;
  headers: Array<[string, string]>;
  raw: string;
}

const COMPACT: Record<string, string> = { v: "via", f: "from", t: "to", i: "call-id", m: "contact", l: "content-length" };

export function parseSip(text: string): SipMessage {
  const [head] = text.split("\r\n\r\n");
  const lines = head.split("\r\n");
  const headers = lines.slice(1).map((l): [string, string] => {
    const c = l.indexOf(":");
    const name = l.slice(0, c).trim().toLowerCase();
    return [COMPACT[name] ?? name, l.slice(c + 1).trim()];
  });
  return { start: lines[0], headers, raw: text };
}
export const header = (m: SipMessage, name: string) => m.headers.find(([n]) => n === name)?.[1];
export const headers = (m: SipMessage, name: string) => m.headers.filter(([n]) => n === name).map(([, v]) => v);

export interface RegistrarConfig {
  /** user -> password. */
  users: Record<string, string>;
  realm?: string;
  /** The longest binding granted (s). */
  maxExpires?: number;
  /** 423 below this. */
  minExpires?: number;
  /** Answer every REGISTER with this status (503 with Retry-After, 403, ...) instead. */
  status?: number;
  retryAfter?: number;
  /** Ignore this many REGISTERs first (lost datagrams). */
  ignore?: number;
  /** Never answer. */
  silent?: boolean;
  /** A 200 OK lists this many other bindings of the AOR before the phone's (a large answer, as a registrar with many devices sends). */
  otherContacts?: number;
}

export interface Binding { contact: string; expiresAt: number; callId: string; cseq: number }

/** The registrar's logic: a request in, the response out. */
export class RegistrarCore {
  readonly bindings = new Map<string, Binding>();
  /** Every REGISTER: user, CSeq, Call-ID, branch, with credentials, the status answered (0: none). */
  readonly log: Array<{ user: string; cseq: number; callId: string; branch: string; auth: boolean; status: number; tMs: number; expires: number }> = [];
  /** The length of every answer sent. */
  readonly answerSizes: number[] = [];
  private nonce = 0;
  constructor(readonly config: RegistrarConfig, private readonly nowMs: () => number) {}

  handle(text: string): string | null {
    const m = parseSip(text);
    if (m.start.startsWith("SIP/2.0")) return null;
    const to = header(m, "to") ?? "";
    const user = /sip:([^@>;]+)@/.exec(to)?.[1] ?? "";
    const cseq = Number((header(m, "cseq") ?? "").split(/\s+/)[0]);
    const via = header(m, "via") ?? "";
    const entry = { user, cseq, callId: header(m, "call-id") ?? "", branch: /branch=([^;,\s]+)/.exec(via)?.[1] ?? "", auth: header(m, "authorization") !== undefined, status: 0, tMs: this.nowMs(), expires: Number(header(m, "expires") ?? "3600") };
    this.log.push(entry);
    const c = this.config;
    if (c.silent || (c.ignore ?? 0) >= this.log.length) return null;
    const reply = (status: number, reason: string, extra: string[] = []) => {
      entry.status = status;
      const out = response(m, status, reason, extra);
      this.answerSizes.push(out.length);
      return out;
    };
    if (c.status !== undefined) return reply(c.status, "Refused", c.retryAfter ? [`Retry-After: ${c.retryAfter}`] : []);
    const realm = c.realm ?? "sim.example";
    const auth = header(m, "authorization");
    if (!auth || !this.verify(auth, realm)) {
      if (auth && !(digestParam(auth, "username")! in c.users)) return reply(403, "Forbidden");
      return reply(401, "Unauthorized", [`WWW-Authenticate: Digest realm="${realm}", nonce="${this.freshNonce()}", opaque="op-${this.nonce}", qop="auth", algorithm=MD5`]);
    }
    const expires = Number(header(m, "expires") ?? "3600");
    if (c.minExpires !== undefined && expires > 0 && expires < c.minExpires) return reply(423, "Interval Too Brief", [`Min-Expires: ${c.minExpires}`]);
    const contact = /<([^>]+)>/.exec(header(m, "contact") ?? "")?.[1] ?? "";
    const granted = Math.min(expires, c.maxExpires ?? 3600);
    if (granted === 0) {
      this.bindings.delete(user);
      return reply(200, "OK");
    }
    this.bindings.set(user, { contact, expiresAt: this.nowMs() + granted * 1000, callId: entry.callId, cseq });
    // Others first, each with an instance id as Cisco phones register (~150 bytes a binding), all in one Contact header as Kamailio writes it.
    const others = Array.from({ length: c.otherContacts ?? 0 }, (_, k) =>
      `<sip:${user}@203.0.113.${k + 1}:${5060 + k};transport=tcp>;expires=${3000 + k};+sip.instance="<urn:uuid:00000000-0000-0000-0000-00000000${String(k).padStart(4, "0")}>";reg-id=1`);
    return reply(200, "OK", [`Contact: ${[...others, `<${contact}>;expires=${granted}`].join(", ")}`]);
  }

  private freshNonce(): string { return `n${++this.nonce}x${md5(String(this.nonce)).slice(0, 12)}`; }

  /** A current nonce is any this registrar issued; the response must match the auth user's password. */
  private verify(auth: string, realm: string): boolean {
    const p = (k: string) => digestParam(auth, k);
    const user = p("username") ?? "";
    const pass = this.config.users[user];
    if (pass === undefined || p("realm") !== realm) return false;
    const ha1 = md5(`${user}:${realm}:${pass}`);
    const ha2 = md5(`REGISTER:${p("uri")}`);
    const want = p("qop") === "auth" ? md5(`${ha1}:${p("nonce")}:${p("nc")}:${p("cnonce")}:auth:${ha2}`) : md5(`${ha1}:${p("nonce")}:${ha2}`);
    return p("response") === want;
  }
}

/** A parameter of a Digest credentials header, unquoted. */
export function digestParam(auth: string, k: string): string | undefined {
  return new RegExp(`[ ,]${k}="?([^",]*)"?`).exec(" " + auth.replace(/^Digest\s+/, ""))?.[1];
}

/** A response to `m` (§8.2.6): its Vias, From, To with a tag, Call-ID and CSeq. */
export function response(m: SipMessage, status: number, reason: string, extra: string[] = []): string {
  const to = header(m, "to") ?? "";
  return [`SIP/2.0 ${status} ${reason}`, ...headers(m, "via").map((v) => `Via: ${v}`), `From: ${header(m, "from")}`,
    `To: ${to}${to.includes("tag=") ? "" : ";tag=reg1"}`, `Call-ID: ${header(m, "call-id")}`, `CSeq: ${header(m, "cseq")}`,
    ...extra, "Content-Length: 0", "", ""].join("\r\n");
}

/** An OPTIONS keepalive to `target` (sip:user@host:port). */
export function options(target: string, via: string, n: number): string {
  return [`OPTIONS ${target} SIP/2.0`, `Via: ${via};branch=z9hG4bKopt${n}`, "From: <sip:ping@registrar>;tag=p1", `To: <${target}>`,
    `Call-ID: ping-${n}`, `CSeq: ${n} OPTIONS`, "Max-Forwards: 70", "Content-Length: 0", "", ""].join("\r\n");
}

/** Splits a TCP byte stream into SIP messages by Content-Length. */
export class SipStream {
  private buf = "";
  push(bytes: Uint8Array, each: (text: string) => void): void {
    this.buf += Buffer.from(bytes).toString("latin1");
    while (true) {
      this.buf = this.buf.replace(/^(\r\n)+/, "");
      const h = this.buf.indexOf("\r\n\r\n");
      if (h < 0) return;
      const cl = Number(/\r\n(?:content-length|l)\s*:\s*(\d+)/i.exec(this.buf.slice(0, h))?.[1] ?? 0);
      if (this.buf.length < h + 4 + cl) return;
      each(this.buf.slice(0, h + 4 + cl));
      this.buf = this.buf.slice(h + 4 + cl);
    }
  }
}

/** The registrar on the simulated TCP host, port 5060. */
export class TcpRegistrar {
  readonly tcp: TcpHost;
  readonly core: RegistrarCore;
  readonly conns: TcpConnection[] = [];
  /** Requests the phone answered, and other messages that were not REGISTERs. */
  readonly received: string[] = [];
  constructor(s: Scheduler, mac: string, ip: string, config: RegistrarConfig) {
    this.tcp = new TcpHost(s, { mac, ip, seed: 3 });
    this.core = new RegistrarCore(config, () => s.now / 1000);
    this.tcp.listen(5060, (c) => {
      this.conns.push(c);
      const stream = new SipStream();
      c.onData = (bytes) => stream.push(bytes, (text) => {
        const out = this.core.handle(text);
        if (out === null) this.received.push(text);
        else c.send(Buffer.from(out, "latin1"));
      });
      c.onPeerClose = () => c.close();
    });
  }
  get ip(): number { return this.tcp.ip; }
  plug(wire: Wire, side: Side): void { this.tcp.plug(wire, side); }
  receive(frame: Uint8Array): void { this.tcp.receive(frame); }
  send(text: string): void { this.conns.at(-1)!.send(Buffer.from(text, "latin1")); }
}

/** The registrar on a simulated UDP host, port 5060 (none bound with `closed`: ICMP port unreachable). */
export class UdpRegistrar {
  readonly host: IpHost;
  readonly core: RegistrarCore;
  readonly received: string[] = [];
  private peer: { mac: Mac; ip: number; port: number } | null = null;
  constructor(s: Scheduler, mac: string, ip: string, config: RegistrarConfig, closed = false) {
    this.host = new IpHost(s, mac, ip);
    this.core = new RegistrarCore(config, () => s.now / 1000);
    if (!closed) this.host.bindUdp(5060, (d) => this.datagram(d));
  }
  get ip(): number { return this.host.ip; }
  plug(wire: Wire, side: Side): void { this.host.plug(wire, side); }
  receive(frame: Uint8Array): void { this.host.receive(frame); }
  private datagram(d: UdpIn): void {
    this.peer = { mac: d.srcMac, ip: d.srcIp, port: d.srcPort };
    const text = Buffer.from(d.payload).toString("latin1");
    const out = this.core.handle(text);
    if (out === null) this.received.push(text);
    else this.send(out);
  }
  send(text: string): void {
    const p = this.peer!;
    this.host.transmit(this.host.udpFrame({ dstMac: p.mac, dstIp: p.ip, srcPort: 5060, dstPort: p.port, payload: Buffer.from(text, "latin1") }));
  }
}
