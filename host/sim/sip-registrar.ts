// A strict SIP registrar for the simulated network, modelled on Kamailio's
// registrar + auth_db (RFC 3261 section 10, RFC 2617 digest). Each
// simulated CallManager node answers SIP on port 5060, UDP and TCP, beside
// SCCP on 2000, as CUCM does.
//
// - Every REGISTER without valid credentials is challenged: 401 with
//   `WWW-Authenticate: Digest realm, nonce, qop="auth", algorithm=MD5`. The
//   nonce is seeded and carries its issue time, signed with MD5 over a
//   seeded secret, so it is deterministic and checkable without a table.
//   A nonce older than nonceExpiresS, or an nc not above the last one seen
//   for that nonce (a replay), is challenged again with stale=true.
// - The subscribers (AOR user, auth name, password) come from a lookup: in
//   the simulated network, the <lines> of the SEP files the TFTP server
//   serves, as the CallManager answers LineStat from them.
// - A wrong password or an auth name that is not the line's: 403.
// - 200 OK lists every binding of the AOR with ;expires= in one Contact
//   header, comma-separated (as Kamailio 5.6 does), and an Expires header; an expiry under minExpiresS: 423 + Min-Expires.
//   Bindings expire.
// - Strict: 400 for a top Via without a z9hG4bK branch, missing
//   Max-Forwards, CSeq, Call-ID, From tag or To, a CSeq method that is not
//   the request's, a stream message without Content-Length (the connection
//   is then closed). A refresh under a new Call-ID is allowed (RFC 3261
//   10.3 step 7) and counted.
// - A token bucket of REGISTERs per second: over it, 503 + Retry-After.
// - OPTIONS to every registered contact each optionsIntervalS (Kamailio's
//   nathelper keepalives), answers counted.
// - UDP retransmissions of a request get the same response again (the
//   server transaction of RFC 3261 17.2.2), never a second processing.
import { Random } from "./random.js";
import type { CmClock } from "../callmanager/server.js";
import {
  digestResponse, emitSip, header, headerList, md5hex, parseCSeq, parseDigest, parseNameAddr, parseSip, parseSipUri, parseVia,
  SipStreamFramer, type SipMessage,
} from "../wire/sip.js";
import { ipToString } from "../wire/address.js";
import type { TcpConnection, TcpHost } from "./tcp.js";
import type { UdpIn } from "./ip-host.js";

export const SIP_PORT = 5060;
type CmTimer = { cancel(): void };
const SERVER = "ipphone-sim-registrar (kamailio-like)";
/** Timer J / the life of a UDP server transaction's answer: 64*T1. */
const TRANSACTION_MS = 32_000;

export interface SipSubscriber {
  /** The AOR's user part: the line's name (directory number). */
  user: string;
  authName: string;
  password: string;
}

export interface SipRegistrarConfig {
  /** In events and reports (default "registrar"). */
  name?: string;
  /** Realm and domain (the registrar's address in the simulation, as Kamailio's default realm is the From domain). */
  domain: string;
  seed?: number;
  /** The subscriber whose AOR user is `user`, or null. */
  subscribers: (user: string) => SipSubscriber | null;
  minExpiresS?: number;
  maxExpiresS?: number;
  defaultExpiresS?: number;
  /** A nonce's life (Kamailio auth's nonce_expire default 300 s). */
  nonceExpiresS?: number;
  /** REGISTERs answered per second (0: no limit), with a burst (default 1 s worth, at least 1). */
  registrationsPerSecond?: number;
  burst?: number;
  /** OPTIONS to each contact this often (0: never, as Kamailio's natping_interval default). */
  optionsIntervalS?: number;
}

/** Where a message came from, and how to answer it. */
export interface SipPeer {
  transport: "udp" | "tcp";
  ip: number;
  port: number;
  send(bytes: Uint8Array): void;
  /** A stream the registrar must give up (TCP only). */
  close?(): void;
  /** Still able to carry a message (an open connection). */
  alive(): boolean;
}

export type SipEventType =
  | "challenge" | "registered" | "refreshed" | "unregistered" | "expired" | "forbidden" | "bad request" | "too brief"
  | "throttled" | "stale" | "options answered" | "options" | "malformed" | "retransmission" | "call-id changed";

export interface SipEvent {
  tMs: number;
  registrar: string;
  type: SipEventType;
  aor?: string;
  remote: string;
  detail: string;
}

export interface SipBinding {
  aor: string;
  contact: string;
  expiresAtMs: number;
  callId: string;
  cseq: number;
  peer: SipPeer;
  userAgent: string;
}

export interface SipRegistrarStats {
  requests: number;
  registers: number;
  /** 401s sent (stale ones included). */
  challenges: number;
  stale: number;
  nonceReplays: number;
  /** 200 OKs to REGISTERs that added or kept bindings. */
  registrations: number;
  refreshes: number;
  unregistrations: number;
  expired: number;
  queries: number;
  badPassword: number;
  unknownUser: number;
  wrongAuthName: number;
  badRequests: number;
  tooBrief: number;
  throttled: number;
  callIdChanges: number;
  outOfOrder: number;
  retransmissions: number;
  malformed: number;
  optionsReceived: number;
  optionsSent: number;
  optionsAnswered: number;
  otherMethods: number;
  pings: number;
}

export interface SipRegistrarReport {
  name: string;
  domain: string;
  stats: SipRegistrarStats;
  /** AOR -> its bindings, seconds left. */
  bindings: Record<string, Array<{ contact: string; expiresInS: number; transport: string; source: string; callId: string; cseq: number }>>;
}

const newStats = (): SipRegistrarStats => ({
  requests: 0, registers: 0, challenges: 0, stale: 0, nonceReplays: 0, registrations: 0, refreshes: 0, unregistrations: 0, expired: 0, queries: 0,
  badPassword: 0, unknownUser: 0, wrongAuthName: 0, badRequests: 0, tooBrief: 0, throttled: 0, callIdChanges: 0, outOfOrder: 0,
  retransmissions: 0, malformed: 0, optionsReceived: 0, optionsSent: 0, optionsAnswered: 0, otherMethods: 0, pings: 0,
});

class Reject {
  constructor(readonly status: number, readonly reason: string, readonly extra: Array<[string, string]> = []) {}
}

export class SipRegistrar {
  readonly name: string;
  readonly domain: string;
  readonly stats = newStats();
  readonly events: SipEvent[] = [];
  onEvent: ((e: SipEvent) => void) | null = null;
  private readonly cfg: Required<Omit<SipRegistrarConfig, "name" | "domain" | "seed" | "subscribers" | "burst">> & { burst: number };
  private readonly random: Random;
  private readonly secret: string;
  private nonceCount = 0;
  private readonly lastNc = new Map<string, number>();
  /** AOR -> contact URI -> binding, in the order they came. */
  private readonly bindings = new Map<string, Map<string, SipBinding>>();
  private readonly expiryTimers = new Map<SipBinding, CmTimer>();
  /** Answers of recent requests, by branch, method and sent-by: retransmissions get them again. */
  private readonly answered = new Map<string, Uint8Array>();
  private readonly pending = new Map<string, SipBinding>();
  private tokens: number;
  private refilledMs: number;
  private pinger: CmTimer | null = null;
  private callSeq = 0;

  constructor(private readonly clock: CmClock, private readonly config: SipRegistrarConfig) {
    this.name = config.name ?? "registrar";
    this.domain = config.domain;
    const rate = config.registrationsPerSecond ?? 0;
    if (!(rate >= 0) || !Number.isFinite(rate)) throw new RangeError(`SipRegistrar: registrationsPerSecond must be >= 0, got ${rate}`);
    this.cfg = {
      minExpiresS: config.minExpiresS ?? 60,
      maxExpiresS: config.maxExpiresS ?? 3600,
      defaultExpiresS: config.defaultExpiresS ?? 3600,
      nonceExpiresS: config.nonceExpiresS ?? 300,
      registrationsPerSecond: rate,
      burst: config.burst ?? Math.max(1, rate),
      optionsIntervalS: config.optionsIntervalS ?? 0,
    };
    this.random = new Random(config.seed ?? 1);
    this.secret = Array.from({ length: 4 }, () => this.random.nextU32().toString(16).padStart(8, "0")).join("");
    this.tokens = this.cfg.burst;
    this.refilledMs = clock.nowMs();
    this.schedulePing();
  }

  /** Stops the registrar's timers (bindings expire no more, no OPTIONS). */
  dispose(): void {
    this.pinger?.cancel();
    this.pinger = null;
    for (const t of this.expiryTimers.values()) t.cancel();
    this.expiryTimers.clear();
  }

  /** Current bindings of an AOR (`sip:user@domain`), in the order they came. */
  bindingsOf(aor: string): SipBinding[] {
    return [...(this.bindings.get(aor)?.values() ?? [])];
  }

  report(): SipRegistrarReport {
    const now = this.clock.nowMs();
    const bindings: SipRegistrarReport["bindings"] = {};
    for (const [aor, m] of this.bindings) {
      bindings[aor] = [...m.values()].map((b) => ({
        contact: b.contact, expiresInS: Math.max(0, Math.round((b.expiresAtMs - now) / 1000)), transport: b.peer.transport,
        source: `${ipToString(b.peer.ip)}:${b.peer.port}`, callId: b.callId, cseq: b.cseq,
      }));
    }
    return { name: this.name, domain: this.domain, stats: { ...this.stats }, bindings };
  }

  /** A CRLFCRLF keepalive on a stream (RFC 5626 4.4.1): answered with CRLF. */
  ping(peer: SipPeer): void {
    this.stats.pings++;
    peer.send(new Uint8Array([13, 10]));
  }

  /** One message from `peer` (a datagram, or a framed stream message). */
  receive(bytes: Uint8Array, peer: SipPeer, streamError?: string): void {
    const parsed = parseSip(bytes);
    if (!parsed.ok) {
      this.stats.malformed++;
      this.event("malformed", peer, parsed.error);
      return;
    }
    const msg = parsed.msg;
    if (msg.status !== undefined) {
      this.response(msg, peer);
      return;
    }
    this.stats.requests++;
    if (msg.method === "ACK") return;
    const key = this.transactionKey(msg);
    const again = key === null ? undefined : this.answered.get(key);
    if (again !== undefined) {
      this.stats.retransmissions++;
      this.event("retransmission", peer, `${msg.method} ${header(msg, "call-id") ?? ""}`);
      peer.send(again);
      return;
    }
    let answer: Uint8Array;
    try {
      if (streamError !== undefined) throw new Reject(400, "Bad Request - Content-Length missing");
      this.checkRequest(msg);
      answer = this.dispatch(msg, peer);
    } catch (e) {
      if (!(e instanceof Reject)) throw e;
      answer = this.reject(msg, peer, e);
    }
    if (key !== null && peer.transport === "udp") {
      this.answered.set(key, answer);
      this.clock.after(TRANSACTION_MS, () => this.answered.delete(key));
    }
    peer.send(answer);
    if (streamError !== undefined) peer.close?.();
  }

  // ------------------------------------------------------------ checks

  private transactionKey(msg: SipMessage): string | null {
    const top = headerList(msg, "via")[0];
    const via = top === undefined ? null : parseVia(top);
    const branch = via?.params.get("branch");
    if (via == null || branch === undefined || !branch.startsWith("z9hG4bK")) return null;
    return `${branch}|${msg.method}|${via.host}:${via.port ?? SIP_PORT}`;
  }

  /** RFC 3261 8.2 and 16.3's mandatory fields, as Kamailio's sanity and maxfwd see them. */
  private checkRequest(msg: SipMessage): void {
    const vias = headerList(msg, "via");
    if (vias.length === 0) throw new Reject(400, "Bad Request - Via missing");
    const via = parseVia(vias[0]);
    if (via === null) throw new Reject(400, "Bad Request - Via malformed");
    if (!(via.params.get("branch") ?? "").startsWith("z9hG4bK")) throw new Reject(400, "Bad Request - Via branch without z9hG4bK");
    const mf = header(msg, "max-forwards");
    if (mf === undefined) throw new Reject(400, "Bad Request - Max-Forwards missing");
    if (!/^\d{1,3}$/.test(mf) || Number(mf) > 255) throw new Reject(400, "Bad Request - Max-Forwards malformed");
    if (header(msg, "call-id") === undefined || header(msg, "call-id") === "") throw new Reject(400, "Bad Request - Call-ID missing");
    const cseq = parseCSeq(header(msg, "cseq"));
    if (cseq === null) throw new Reject(400, "Bad Request - CSeq missing or malformed");
    if (cseq.method !== msg.method) throw new Reject(400, "Bad Request - CSeq method mismatch");
    const from = parseNameAddr(header(msg, "from") ?? "");
    if (from === null) throw new Reject(400, "Bad Request - From missing");
    if (!from.params.get("tag")) throw new Reject(400, "Bad Request - From tag missing");
    if (parseNameAddr(header(msg, "to") ?? "") === null) throw new Reject(400, "Bad Request - To missing");
    if (parseSipUri(msg.uri ?? "") === null) throw new Reject(416, "Unsupported URI Scheme");
    if (Number(mf) === 0) throw new Reject(483, "Too Many Hops");
  }

  private dispatch(msg: SipMessage, peer: SipPeer): Uint8Array {
    switch (msg.method) {
      case "REGISTER":
        return this.register(msg, peer);
      case "OPTIONS":
        this.stats.optionsReceived++;
        return this.answer(msg, peer, 200, "OK", [["Allow", "REGISTER, OPTIONS, ACK"], ["Accept", "application/sdp"]]);
      default:
        this.stats.otherMethods++;
        throw new Reject(405, "Method Not Allowed", [["Allow", "REGISTER, OPTIONS, ACK"]]);
    }
  }

  // ------------------------------------------------------------ REGISTER

  private register(msg: SipMessage, peer: SipPeer): Uint8Array {
    this.stats.registers++;
    if (!this.takeToken()) {
      this.stats.throttled++;
      const wait = this.retryAfterS();
      this.event("throttled", peer, `503, Retry-After ${wait}`);
      return this.answer(msg, peer, 503, "Service Unavailable", [["Retry-After", String(wait)]]);
    }
    const to = parseNameAddr(header(msg, "to")!)!;
    const toUri = parseSipUri(to.uri);
    if (toUri === null || toUri.user === "") throw new Reject(400, "Bad Request - To is not a SIP AOR");
    const aor = `sip:${toUri.user}@${this.domain}`;
    const sub = this.config.subscribers(toUri.user);
    const auth = header(msg, "authorization");
    if (auth === undefined) return this.challenge(msg, peer, aor, false, "no credentials");
    const cred = parseDigest(auth);
    if (cred === null || (cred.get("algorithm") ?? "MD5").toUpperCase() !== "MD5") return this.challenge(msg, peer, aor, false, "not MD5 digest credentials");
    for (const f of ["username", "realm", "nonce", "uri", "response"]) {
      if (!cred.get(f)) throw new Reject(400, `Bad Request - Authorization ${f} missing`);
    }
    if (cred.get("realm") !== this.domain) return this.challenge(msg, peer, aor, false, `realm '${cred.get("realm")}'`);
    const nonce = cred.get("nonce")!;
    const age = this.nonceAgeS(nonce);
    if (age === null) return this.challenge(msg, peer, aor, false, "a nonce this registrar did not give");
    if (age > this.cfg.nonceExpiresS) {
      this.stats.stale++;
      return this.challenge(msg, peer, aor, true, `nonce ${age} s old`);
    }
    const qop = cred.get("qop");
    if (qop !== undefined && qop !== "auth") throw new Reject(400, "Bad Request - qop not auth");
    if (qop === "auth" && (!/^[0-9a-fA-F]{8}$/.test(cred.get("nc") ?? "") || !cred.get("cnonce"))) throw new Reject(400, "Bad Request - nc or cnonce missing");
    if (sub === null) {
      this.stats.unknownUser++;
      throw this.forbidden(peer, aor, `no subscriber ${toUri.user}`);
    }
    if (cred.get("username") !== sub.authName) {
      this.stats.wrongAuthName++;
      throw this.forbidden(peer, aor, `auth name '${cred.get("username")}' is not ${toUri.user}'s`);
    }
    const expected = digestResponse({
      username: sub.authName, realm: this.domain, password: sub.password, method: msg.method!, uri: cred.get("uri")!, nonce,
      ...(qop === "auth" ? { qop: "auth" as const, nc: cred.get("nc"), cnonce: cred.get("cnonce") } : {}),
    });
    if (expected !== cred.get("response")!.toLowerCase()) {
      this.stats.badPassword++;
      throw this.forbidden(peer, aor, `wrong password for ${sub.authName}`);
    }
    // Valid credentials: a replayed nc is the only thing left (RFC 2617 3.2.2's nonce-count).
    if (qop === "auth") {
      const nc = parseInt(cred.get("nc")!, 16);
      if (nc <= (this.lastNc.get(nonce) ?? 0)) {
        this.stats.nonceReplays++;
        this.stats.stale++;
        return this.challenge(msg, peer, aor, true, `nc ${cred.get("nc")} not above ${this.lastNc.get(nonce)}`);
      }
      // Forgotten once the nonce is stale anyway.
      if (!this.lastNc.has(nonce)) this.clock.after((this.cfg.nonceExpiresS - age + 1) * 1000, () => this.lastNc.delete(nonce));
      this.lastNc.set(nonce, nc);
    }
    return this.bind(msg, peer, aor);
  }

  private forbidden(peer: SipPeer, aor: string, why: string): Reject {
    this.event("forbidden", peer, why, aor);
    return new Reject(403, "Forbidden");
  }

  private challenge(msg: SipMessage, peer: SipPeer, aor: string, stale: boolean, why: string): Uint8Array {
    this.stats.challenges++;
    this.event(stale ? "stale" : "challenge", peer, why, aor);
    const nonce = this.newNonce();
    const value = `Digest realm="${this.domain}", nonce="${nonce}", qop="auth", algorithm=MD5${stale ? ", stale=true" : ""}`;
    return this.answer(msg, peer, 401, "Unauthorized", [["WWW-Authenticate", value]]);
  }

  /** 8 hex digits of issue time (s), 8 of a counter, 32 of MD5 over them and the seeded secret. */
  private newNonce(): string {
    const t = Math.floor(this.clock.nowMs() / 1000).toString(16).padStart(8, "0");
    const n = (this.nonceCount++ >>> 0).toString(16).padStart(8, "0");
    return t + n + md5hex(`${t}:${n}:${this.secret}`);
  }

  /** Seconds since a nonce of ours was issued; null when it is not ours. */
  private nonceAgeS(nonce: string): number | null {
    const m = /^([0-9a-f]{8})([0-9a-f]{8})([0-9a-f]{32})$/.exec(nonce);
    if (m === null || md5hex(`${m[1]}:${m[2]}:${this.secret}`) !== m[3]) return null;
    return Math.floor(this.clock.nowMs() / 1000) - parseInt(m[1], 16);
  }

  /** RFC 3261 10.3 steps 6-8: the Contact list, expiries, Call-ID and CSeq against the bindings. */
  private bind(msg: SipMessage, peer: SipPeer, aor: string): Uint8Array {
    const contacts = headerList(msg, "contact");
    const callId = header(msg, "call-id")!;
    const cseq = parseCSeq(header(msg, "cseq"))!.seq;
    const expiresHeader = header(msg, "expires");
    if (expiresHeader !== undefined && !/^\d{1,10}$/.test(expiresHeader)) throw new Reject(400, "Bad Request - Expires malformed");
    const current = this.bindings.get(aor) ?? new Map<string, SipBinding>();
    if (contacts.length === 0) {
      this.stats.queries++;
      return this.ok(msg, peer, aor, null);
    }
    if (contacts.some((c) => c === "*")) {
      if (contacts.length !== 1 || expiresHeader !== "0") throw new Reject(400, "Bad Request - Contact * needs Expires: 0 alone");
      for (const b of [...current.values()]) this.unbind(b, peer, "unregistered", "Contact *");
      this.stats.unregistrations++;
      return this.ok(msg, peer, aor, 0);
    }
    const wanted: Array<{ uri: string; expires: number }> = [];
    for (const c of contacts) {
      const na = parseNameAddr(c);
      if (na === null || parseSipUri(na.uri) === null) throw new Reject(400, "Bad Request - Contact malformed");
      const p = na.params.get("expires");
      if (p !== undefined && !/^\d{1,10}$/.test(p)) throw new Reject(400, "Bad Request - Contact expires malformed");
      const e = Number(p ?? expiresHeader ?? this.cfg.defaultExpiresS);
      if (e > 0 && e < this.cfg.minExpiresS) {
        this.stats.tooBrief++;
        this.event("too brief", peer, `expires ${e} < ${this.cfg.minExpiresS}`, aor);
        throw new Reject(423, "Interval Too Brief", [["Min-Expires", String(this.cfg.minExpiresS)]]);
      }
      wanted.push({ uri: na.uri, expires: Math.min(e, this.cfg.maxExpiresS) });
    }
    for (const w of wanted) {
      const old = current.get(w.uri);
      if (old !== undefined && old.callId === callId && cseq <= old.cseq) {
        this.stats.outOfOrder++;
        throw new Reject(500, "Server Internal Error - CSeq out of order");
      }
    }
    let granted = 0;
    let added = false;
    for (const w of wanted) {
      const old = current.get(w.uri);
      if (w.expires === 0) {
        if (old !== undefined) this.unbind(old, peer, "unregistered", w.uri);
        continue;
      }
      granted = granted || w.expires;
      if (old !== undefined && old.callId !== callId) {
        this.stats.callIdChanges++;
        this.event("call-id changed", peer, `${old.callId} -> ${callId}`, aor);
      }
      if (old !== undefined) this.expiryTimers.get(old)?.cancel();
      else added = true;
      const b: SipBinding = {
        aor, contact: w.uri, expiresAtMs: this.clock.nowMs() + w.expires * 1000, callId, cseq, peer, userAgent: header(msg, "user-agent") ?? "",
      };
      current.set(w.uri, b);
      this.bindings.set(aor, current);
      this.expiryTimers.set(b, this.clock.after(w.expires * 1000, () => this.unbind(b, null, "expired", "")));
      this.event(old === undefined ? "registered" : "refreshed", peer, `${w.uri} for ${w.expires} s over ${peer.transport.toUpperCase()}`, aor);
    }
    if (granted === 0) this.stats.unregistrations++;
    else if (added) this.stats.registrations++;
    else this.stats.refreshes++;
    return this.ok(msg, peer, aor, granted);
  }

  private unbind(b: SipBinding, peer: SipPeer | null, how: "unregistered" | "expired", detail: string): void {
    const m = this.bindings.get(b.aor);
    if (m?.get(b.contact) !== b) return;
    m.delete(b.contact);
    if (m.size === 0) this.bindings.delete(b.aor);
    this.expiryTimers.get(b)?.cancel();
    this.expiryTimers.delete(b);
    if (how === "expired") this.stats.expired++;
    this.event(how, peer ?? b.peer, detail || b.contact, b.aor);
  }

  /**
   * 200 OK with every binding of the AOR and its time left, in one Contact
   * header field, comma-separated, as Kamailio writes it; Expires: what
   * this request was granted.
   */
  private ok(msg: SipMessage, peer: SipPeer, aor: string, granted: number | null): Uint8Array {
    const now = this.clock.nowMs();
    const contacts = this.bindingsOf(aor).map((b) => `<${b.contact}>;expires=${Math.max(0, Math.round((b.expiresAtMs - now) / 1000))}`);
    const extra: Array<[string, string]> = contacts.length > 0 ? [["Contact", contacts.join(", ")]] : [];
    if (granted !== null) extra.push(["Expires", String(granted)]);
    return this.answer(msg, peer, 200, "OK", extra);
  }

  // ------------------------------------------------------------ answers

  private reject(msg: SipMessage, peer: SipPeer, r: Reject): Uint8Array {
    if (r.status === 400 || r.status === 416 || r.status === 483) {
      this.stats.badRequests++;
      this.event("bad request", peer, `${r.status} ${r.reason}`);
    }
    return this.answer(msg, peer, r.status, r.reason, r.extra);
  }

  /** A response per RFC 3261 8.2.6: Via (received/rport filled in), From, To with a tag, Call-ID, CSeq copied. */
  private answer(msg: SipMessage, peer: SipPeer, status: number, reason: string, extra: Array<[string, string]>): Uint8Array {
    const headers: Array<[string, string]> = [];
    const vias = headerList(msg, "via");
    vias.forEach((v, i) => headers.push(["Via", i === 0 ? stampVia(v, peer) : v]));
    const from = header(msg, "from");
    if (from !== undefined) headers.push(["From", from]);
    const to = header(msg, "to");
    if (to !== undefined) {
      const na = parseNameAddr(to);
      headers.push(["To", na !== null && !na.params.has("tag") ? `${to};tag=${this.toTag(msg)}` : to]);
    }
    const callId = header(msg, "call-id");
    if (callId !== undefined) headers.push(["Call-ID", callId]);
    const cseq = header(msg, "cseq");
    if (cseq !== undefined) headers.push(["CSeq", cseq]);
    headers.push(...extra, ["Server", SERVER], ["Content-Length", "0"]);
    return emitSip({ status, reason, headers, body: new Uint8Array(0) });
  }


  /** A To tag that depends only on the request (the same for a retransmission). */
  private toTag(msg: SipMessage): string {
    return md5hex(`${header(msg, "call-id")}:${header(msg, "cseq")}:${this.secret}`).slice(0, 10);
  }

  // ------------------------------------------------------------ OPTIONS pings

  private schedulePing(): void {
    if (this.cfg.optionsIntervalS <= 0) return;
    this.pinger = this.clock.after(this.cfg.optionsIntervalS * 1000, () => {
      this.pinger = null;
      for (const m of this.bindings.values()) for (const b of m.values()) this.sendOptions(b);
      this.schedulePing();
    });
  }

  private sendOptions(b: SipBinding): void {
    if (!b.peer.alive()) return;
    const n = ++this.callSeq;
    const branch = `z9hG4bK${md5hex(`${this.secret}:opt:${n}`).slice(0, 16)}`;
    const callId = `${md5hex(`${this.secret}:call:${n}`).slice(0, 16)}@${this.domain}`;
    const transport = b.peer.transport.toUpperCase();
    const msg: SipMessage = {
      method: "OPTIONS", uri: b.contact, body: new Uint8Array(0), headers: [
        ["Via", `SIP/2.0/${transport} ${this.domain}:${SIP_PORT};branch=${branch}`],
        ["Max-Forwards", "70"],
        ["From", `<sip:pinger@${this.domain}>;tag=${md5hex(`${this.secret}:tag:${n}`).slice(0, 10)}`],
        ["To", `<${b.contact}>`],
        ["Call-ID", callId],
        ["CSeq", "1 OPTIONS"],
        ["User-Agent", SERVER],
        ["Content-Length", "0"],
      ],
    };
    this.pending.set(callId, b);
    this.clock.after(TRANSACTION_MS, () => this.pending.delete(callId));
    this.stats.optionsSent++;
    this.event("options", b.peer, b.contact, b.aor);
    b.peer.send(emitSip(msg));
  }

  private response(msg: SipMessage, peer: SipPeer): void {
    const cseq = parseCSeq(header(msg, "cseq"));
    const b = this.pending.get(header(msg, "call-id") ?? "");
    if (cseq?.method !== "OPTIONS" || b === undefined || msg.status! < 200) return;
    this.pending.delete(header(msg, "call-id")!);
    this.stats.optionsAnswered++;
    this.event("options answered", peer, `${msg.status} ${msg.reason}`, b.aor);
  }

  // ------------------------------------------------------------ rate

  private takeToken(): boolean {
    if (this.cfg.registrationsPerSecond <= 0) return true;
    const now = this.clock.nowMs();
    this.tokens = Math.min(this.cfg.burst, this.tokens + ((now - this.refilledMs) * this.cfg.registrationsPerSecond) / 1000);
    this.refilledMs = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Whole seconds until a token is back, at least 1. */
  private retryAfterS(): number {
    return Math.max(1, Math.ceil((1 - this.tokens) / this.cfg.registrationsPerSecond));
  }

  private event(type: SipEventType, peer: SipPeer, detail: string, aor?: string): void {
    const e: SipEvent = { tMs: this.clock.nowMs(), registrar: this.name, type, remote: `${ipToString(peer.ip)}:${peer.port}`, detail, ...(aor ? { aor } : {}) };
    this.events.push(e);
    this.onEvent?.(e);
  }
}

// ---------------------------------------------------------------- on the simulated network

/**
 * The registrar on a simulated host: UDP and TCP port 5060 of a TcpHost
 * (the CallManager's). stop() takes the service away (the UDP port then
 * answers ICMP port unreachable, TCP SYNs a RST, open connections are
 * reset), start() brings it back.
 */
export class SimSipService {
  private readonly conns = new Set<TcpConnection>();
  private up = false;

  constructor(private readonly tcp: TcpHost, readonly registrar: SipRegistrar) {
    this.start();
  }

  start(): void {
    if (this.up) return;
    this.up = true;
    this.tcp.net.bindUdp(SIP_PORT, (d) => this.datagram(d));
    this.tcp.listen(SIP_PORT, (c) => this.accept(c));
  }

  stop(): void {
    if (!this.up) return;
    this.up = false;
    this.tcp.net.unbindUdp(SIP_PORT);
    this.tcp.unlisten(SIP_PORT);
    for (const c of [...this.conns]) c.abort();
  }

  /** A host that comes back after "silent" has forgotten its connections. */
  forgetConnections(): void {
    for (const c of [...this.conns]) {
      c.onEnd = null;
      c.finish("aborted");
    }
    this.conns.clear();
  }

  private datagram(d: UdpIn): void {
    const net = this.tcp.net;
    const mac = d.srcMac;
    const peer: SipPeer = {
      transport: "udp", ip: d.srcIp, port: d.srcPort, alive: () => this.up,
      send: (bytes) => net.transmit(net.udpFrame({ dstMac: mac, dstIp: d.srcIp, srcPort: SIP_PORT, dstPort: d.srcPort, payload: bytes })),
    };
    this.registrar.receive(d.payload, peer);
  }

  private accept(c: TcpConnection): void {
    this.conns.add(c);
    const framer = new SipStreamFramer();
    const peer: SipPeer = {
      transport: "tcp", ip: c.remoteIp, port: c.remotePort, send: (bytes) => c.send(bytes), close: () => c.close(),
      alive: () => this.up && c.ended === null && c.state === "established",
    };
    c.onData = (bytes) => {
      for (const f of framer.push(bytes)) {
        if (f.kind === "ping") this.registrar.ping(peer);
        else if (f.kind === "message") this.registrar.receive(f.bytes, peer);
        else if (f.header !== undefined) this.registrar.receive(f.header, peer, f.error);
        else c.abort();
      }
    };
    c.onPeerClose = () => c.close();
    c.onEnd = () => this.conns.delete(c);
  }
}

/**
 * RFC 3261 18.2.1 and RFC 3581: the top Via gets rport=<source port> when
 * asked, and received=<source address> when its host is not the source or
 * rport was asked (as Kamailio writes it: ";rport=5062;received=192.0.2.9").
 */
function stampVia(v: string, peer: SipPeer): string {
  const via = parseVia(v);
  if (via === null) return v;
  const rport = via.params.get("rport") === "";
  let out = rport ? v.replace(/;\s*rport(?=\s*;|\s*$)/i, `;rport=${peer.port}`) : v;
  if (rport || via.host !== ipToString(peer.ip)) out += `;received=${ipToString(peer.ip)}`;
  return out;
}
