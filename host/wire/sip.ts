// SIP messages on the host (RFC 3261 section 7): a start line, header
// fields, an empty line, a body of Content-Length bytes. The parser takes
// untrusted bytes and returns a reason instead of throwing; the emitter
// writes the header fields as given, in order. Also the pieces a registrar
// needs: header lookup with the compact forms (7.3.3), comma lists outside
// quotes and angle brackets, name-addr with parameters, Via, CSeq, digest
// credentials (RFC 2617 / RFC 8760, MD5 only) and a framer for streams.
import { createHash } from "node:crypto";

export interface SipMessage {
  /** A request's method and Request-URI; undefined in a response. */
  method?: string;
  uri?: string;
  /** A response's status code and reason phrase; undefined in a request. */
  status?: number;
  reason?: string;
  /** Header fields in order, names as written. */
  headers: Array<[string, string]>;
  body: Uint8Array;
}

export type SipParse = { ok: true; msg: SipMessage } | { ok: false; error: string };

/** Compact forms of RFC 3261 7.3.3 (and RFC 3515, 3841 ones a phone may send). */
const COMPACT: Record<string, string> = {
  i: "call-id", m: "contact", e: "content-encoding", l: "content-length", c: "content-type", f: "from", s: "subject",
  k: "supported", t: "to", v: "via", o: "event", u: "allow-events", r: "refer-to",
};

const canonical = (name: string) => {
  const n = name.toLowerCase();
  return COMPACT[n] ?? n;
};

const MAX_HEADERS = 128;
export const SIP_MAX_MESSAGE = 65_535;

/** One message, header and body (the datagram or a framed stream message). */
export function parseSip(bytes: Uint8Array): SipParse {
  const text = latin1(bytes);
  const end = text.indexOf("\r\n\r\n");
  if (end < 0) return { ok: false, error: "no empty line after the header" };
  const lines = unfold(text.slice(0, end)).split("\r\n");
  const start = lines[0];
  const msg: SipMessage = { headers: [], body: bytes.subarray(end + 4) };
  const req = /^([A-Za-z0-9.!%*_+`'~-]+) (\S+) SIP\/2\.0$/.exec(start);
  const res = /^SIP\/2\.0 ([1-6]\d\d) ([^\r\n]*)$/.exec(start);
  if (req) {
    msg.method = req[1];
    msg.uri = req[2];
  } else if (res) {
    msg.status = Number(res[1]);
    msg.reason = res[2];
  } else {
    return { ok: false, error: `bad start line '${start.slice(0, 60)}'` };
  }
  if (lines.length - 1 > MAX_HEADERS) return { ok: false, error: `more than ${MAX_HEADERS} header fields` };
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon <= 0) return { ok: false, error: `header line without a name: '${line.slice(0, 60)}'` };
    const name = line.slice(0, colon).trim();
    if (!/^[A-Za-z0-9.!%*_+`'~-]+$/.test(name)) return { ok: false, error: `bad header name '${name.slice(0, 40)}'` };
    msg.headers.push([name, line.slice(colon + 1).trim()]);
  }
  const cl = header(msg, "content-length");
  if (cl !== undefined) {
    if (!/^\d{1,6}$/.test(cl)) return { ok: false, error: `bad Content-Length '${cl}'` };
    const n = Number(cl);
    if (n > msg.body.length) return { ok: false, error: `Content-Length ${n} but ${msg.body.length} body bytes` };
    msg.body = msg.body.subarray(0, n);
  }
  return { ok: true, msg };
}

/** The header's line folding (LWS with CRLF) replaced by one space. */
function unfold(s: string): string {
  return s.replace(/\r\n[ \t]+/g, " ");
}

function latin1(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("latin1");
}

/** The message's bytes: start line, the header fields as given, the empty line, the body. */
export function emitSip(msg: SipMessage): Uint8Array {
  const start = msg.method !== undefined ? `${msg.method} ${msg.uri} SIP/2.0` : `SIP/2.0 ${msg.status} ${msg.reason}`;
  const head = [start, ...msg.headers.map(([n, v]) => `${n}: ${v}`)].join("\r\n") + "\r\n\r\n";
  const h = Buffer.from(head, "latin1");
  const out = new Uint8Array(h.length + msg.body.length);
  out.set(h);
  out.set(msg.body, h.length);
  return out;
}

/** The first value of a header (compact forms included), or undefined. */
export function header(msg: SipMessage, name: string): string | undefined {
  const want = canonical(name);
  return msg.headers.find(([n]) => canonical(n) === want)?.[1];
}

/** Every value of a header, comma lists split (for Via, Contact and the like). */
export function headerList(msg: SipMessage, name: string): string[] {
  const want = canonical(name);
  return msg.headers.filter(([n]) => canonical(n) === want).flatMap(([, v]) => splitList(v));
}

/** Splits at commas outside double quotes and angle brackets. */
export function splitList(v: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  let angle = false;
  for (let i = 0; i < v.length; i++) {
    const c = v[i];
    if (quoted) {
      if (c === "\\" && i + 1 < v.length) { cur += c + v[++i]; continue; }
      if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === "<") angle = true;
    else if (c === ">") angle = false;
    else if (c === "," && !angle) { out.push(cur.trim()); cur = ""; continue; }
    cur += c;
  }
  if (cur.trim() !== "") out.push(cur.trim());
  return out;
}

/** ";a=b;c" -> params (names lower-cased, quotes kept off values). */
export function parseParams(s: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const p of splitOutsideQuotes(s, ";")) {
    const t = p.trim();
    if (t === "") continue;
    const eq = t.indexOf("=");
    const name = (eq < 0 ? t : t.slice(0, eq)).trim().toLowerCase();
    const value = eq < 0 ? "" : unquote(t.slice(eq + 1).trim());
    out.set(name, value);
  }
  return out;
}

function splitOutsideQuotes(s: string, sep: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '"') quoted = !quoted;
    if (c === sep && !quoted) { out.push(cur); cur = ""; continue; }
    cur += c;
  }
  out.push(cur);
  return out;
}

function unquote(v: string): string {
  return v.length >= 2 && v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1).replace(/\\(.)/g, "$1") : v;
}

export interface NameAddr {
  display: string;
  uri: string;
  params: Map<string, string>;
}

/** From, To, Contact: `"Name" <uri>;params` or a bare addr-spec whose ;params are the header's. */
export function parseNameAddr(v: string): NameAddr | null {
  const lt = v.indexOf("<");
  if (lt >= 0) {
    const gt = v.indexOf(">", lt);
    if (gt < 0) return null;
    const uri = v.slice(lt + 1, gt).trim();
    if (uri === "") return null;
    return { display: unquote(v.slice(0, lt).trim()), uri, params: parseParams(v.slice(gt + 1)) };
  }
  const semi = v.indexOf(";");
  const uri = (semi < 0 ? v : v.slice(0, semi)).trim();
  if (uri === "" || /\s/.test(uri)) return null;
  return { display: "", uri, params: parseParams(semi < 0 ? "" : v.slice(semi)) };
}

export interface SipUri {
  scheme: "sip" | "sips";
  user: string;
  host: string;
  port: number | null;
  params: Map<string, string>;
}

/** sip:user@host:port;params (headers after ? ignored); null when not a SIP URI. */
export function parseSipUri(uri: string): SipUri | null {
  const m = /^(sips?):(?:([^@;?]*)@)?(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?((?:;[^?]*)?)(?:\?.*)?$/.exec(uri);
  if (m === null) return null;
  const port = m[4] === undefined ? null : Number(m[4]);
  if (port !== null && (port < 1 || port > 65535)) return null;
  return { scheme: m[1] as "sip" | "sips", user: m[2] ?? "", host: m[3].toLowerCase(), port, params: parseParams(m[5]) };
}

export interface Via {
  transport: string;
  host: string;
  port: number | null;
  params: Map<string, string>;
}

/** `SIP/2.0/UDP host:port;branch=...` */
export function parseVia(v: string): Via | null {
  const m = /^SIP\s*\/\s*2\.0\s*\/\s*([A-Za-z]+)\s+(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?:\s*:\s*(\d{1,5}))?\s*((?:;.*)?)$/.exec(v.trim());
  if (m === null) return null;
  return { transport: m[1].toUpperCase(), host: m[2].toLowerCase(), port: m[3] === undefined ? null : Number(m[3]), params: parseParams(m[4]) };
}

/** `CSeq: 1 REGISTER` */
export function parseCSeq(v: string | undefined): { seq: number; method: string } | null {
  const m = v === undefined ? null : /^(\d{1,10})\s+([A-Za-z0-9.!%*_+`'~-]+)$/.exec(v.trim());
  if (m === null || Number(m[1]) > 0xffffffff) return null;
  return { seq: Number(m[1]), method: m[2] };
}

// ---------------------------------------------------------------- digest

/** `Digest username="..", realm=".."` -> its auth-params (names lower-cased); null when not Digest. */
export function parseDigest(v: string): Map<string, string> | null {
  const m = /^Digest\s+(.*)$/is.exec(v.trim());
  if (m === null) return null;
  const out = new Map<string, string>();
  for (const p of splitList(m[1])) {
    const eq = p.indexOf("=");
    if (eq <= 0) return null;
    out.set(p.slice(0, eq).trim().toLowerCase(), unquote(p.slice(eq + 1).trim()));
  }
  return out;
}

export const md5hex = (s: string) => createHash("md5").update(s, "latin1").digest("hex");

export interface DigestInput {
  username: string;
  realm: string;
  password: string;
  method: string;
  uri: string;
  nonce: string;
  /** qop "auth" with nc and cnonce (RFC 2617 3.2.2.1), or none (RFC 2069). */
  qop?: "auth";
  nc?: string;
  cnonce?: string;
}

/** request-digest of RFC 2617 3.2.2.1, algorithm MD5. */
export function digestResponse(d: DigestInput): string {
  const ha1 = md5hex(`${d.username}:${d.realm}:${d.password}`);
  const ha2 = md5hex(`${d.method}:${d.uri}`);
  return d.qop === "auth" ? md5hex(`${ha1}:${d.nonce}:${d.nc}:${d.cnonce}:auth:${ha2}`) : md5hex(`${ha1}:${d.nonce}:${ha2}`);
}

// ---------------------------------------------------------------- streams

export type FramerOut = { kind: "message"; bytes: Uint8Array } | { kind: "ping" } | { kind: "error"; error: string; header?: Uint8Array };

/**
 * Cuts a TCP byte stream into messages by Content-Length (RFC 3261 18.3,
 * where it is mandatory). A CRLFCRLF between messages is RFC 5626's
 * keepalive ping; a lone CRLF is skipped (RFC 3261 7.5).
 */
export class SipStreamFramer {
  private buf = new Uint8Array(0);
  private broken = false;

  push(bytes: Uint8Array): FramerOut[] {
    if (this.broken) return [];
    const joined = new Uint8Array(this.buf.length + bytes.length);
    joined.set(this.buf);
    joined.set(bytes, this.buf.length);
    this.buf = joined;
    const out: FramerOut[] = [];
    for (;;) {
      let i = 0;
      while (i + 1 < this.buf.length && this.buf[i] === 13 && this.buf[i + 1] === 10) i += 2;
      if (i >= 4) out.push({ kind: "ping" });
      this.buf = this.buf.subarray(i);
      if (this.buf.length === 0) break;
      const text = latin1(this.buf.subarray(0, Math.min(this.buf.length, SIP_MAX_MESSAGE)));
      const end = text.indexOf("\r\n\r\n");
      if (end < 0) {
        if (this.buf.length >= SIP_MAX_MESSAGE) return this.fail(out, "header longer than 64 KiB");
        break;
      }
      const m = /\r\n(?:content-length|l)[ \t]*:[ \t]*(\d{1,6})[ \t]*(?=\r\n)/i.exec(text.slice(0, end + 2));
      if (m === null) return this.fail(out, "Content-Length missing on a stream", this.buf.slice(0, end + 4));
      const total = end + 4 + Number(m[1]);
      if (total > SIP_MAX_MESSAGE) return this.fail(out, "message longer than 64 KiB");
      if (this.buf.length < total) break;
      out.push({ kind: "message", bytes: this.buf.slice(0, total) });
      this.buf = this.buf.subarray(total);
    }
    this.buf = this.buf.slice();
    return out;
  }

  /** The stream cannot be framed any more: the header it stopped at comes along, to be answered. */
  private fail(out: FramerOut[], error: string, header?: Uint8Array): FramerOut[] {
    this.broken = true;
    this.buf = new Uint8Array(0);
    out.push({ kind: "error", error, ...(header ? { header } : {}) });
    return out;
  }
}
