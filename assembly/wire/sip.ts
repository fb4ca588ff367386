// SIP messages (RFC 3261) as a registering phone needs them: parse() reads
// a request or a response in place (every text field is a pointer and a
// length into the input, nothing copied), sipFrameLength() frames them on a
// TCP stream (§18.3: Content-Length is mandatory there), and the emitters
// write a REGISTER and the answer to a request into a caller's buffer,
// returning -1 when it does not fit. No allocation: constant texts are
// string literals read as data.
import { Ctr } from "../counters";

export const enum SipMethod { Other, Register, Options, Invite, Ack, Bye, Cancel, Known }
/** Which challenge a response carried, and so which header answers it. */
export const enum SipAuth { None = 0, Www = 401, Proxy = 407 }
/** The challenge's algorithm: absent (MD5, RFC 2617 §3.2.1), MD5, or one the phone cannot compute. */
export const enum SipAlg { Absent, Md5, Unsupported }
export const SIP_CONTACTS = 4;
/**
 * The first line and each header line are at most this long: a message the
 * phone takes (TCP's receive buffer); Kamailio lists every binding of an AOR
 * in one Contact header line.
 */
const LINE_MAX = 4096;
const NUM_MAX: i32 = 0x7fff_ffff;

// Contacts of the last parse (a 200 OK to REGISTER lists every binding of the AOR):
// URI pointer, URI length, expires parameter (-1 absent).
const contacts = memory.data(SIP_CONTACTS * 12);
// The phone's own contact to look for among any number of them ("@a.b.c.d:port", sipOwnContact).
let ownAt: usize = 0;
let ownLen = 0;

/** The `n` bytes at `p` ("@a.b.c.d:port") name the phone's binding: parse() gives its expires in ownExpires. */
export function sipOwnContact(p: usize, n: i32): void {
  ownAt = p;
  ownLen = n;
}

// ---- bytes ---------------------------------------------------------------------------

@inline function at(p: usize, i: i32): u32 { return <u32>load<u8>(p + <usize>i); }
@inline function lower(c: u32): u32 { return c >= 0x41 && c <= 0x5a ? c | 0x20 : c; }
@inline function isWs(c: u32): bool { return c == 0x20 || c == 0x09; }
@inline function isDigit(c: u32): bool { return c - 0x30 < 10; }

/** The `n` bytes at `p` are `s`, ignoring ASCII case. */
export function sipIs(p: usize, n: i32, s: string): bool {
  if (n != s.length) return false;
  for (let i = 0; i < n; i++) if (lower(at(p, i)) != lower(<u32>s.charCodeAt(i))) return false;
  return true;
}

/** A decimal number of 1 to 10 digits and at most 2^31 - 1 at `p`, `n` bytes exactly, or -1. */
export function sipNumber(p: usize, n: i32): i32 {
  if (n < 1 || n > 10) return -1;
  let v: i64 = 0;
  for (let i = 0; i < n; i++) {
    const c = at(p, i);
    if (!isDigit(c)) return -1;
    v = v * 10 + <i64>(c - 0x30);
  }
  return v > <i64>NUM_MAX ? -1 : <i32>v;
}

/** The digits that start the `n` bytes at `p` (Retry-After may carry a comment after them). */
function leadingDigits(p: usize, n: i32): i32 {
  let i = 0;
  while (i < n && isDigit(at(p, i))) i++;
  return i;
}

// The line and header just read (scan state, valid until the next call).
let lineEnd = 0; // content end (before CR LF)
let nameAt = 0;
let nameLen = 0;
let valueAt = 0;
let valueLen = 0;
// A parameter just found.
let paramAt: usize = 0;
let paramLen = 0;

/** Finds the line starting at `i` (< `len`); returns where the next starts, or -1 when no LF ends it or it is too long. */
function nextLine(p: usize, i: i32, len: i32): i32 {
  const stop = min(len, i + LINE_MAX + 2);
  for (let j = i; j < stop; j++) {
    if (at(p, j) == 0x0a) {
      lineEnd = j > i && at(p, j - 1) == 0x0d ? j - 1 : j;
      return j + 1;
    }
  }
  return -1;
}

/** Splits the header line [i, lineEnd) at its colon, both sides trimmed; false without a colon or a name. */
function splitHeader(p: usize, i: i32): bool {
  let colon = i;
  while (colon < lineEnd && at(p, colon) != 0x3a) colon++;
  if (colon == lineEnd) return false;
  let e = colon;
  while (e > i && isWs(at(p, e - 1))) e--;
  if (e == i) return false;
  nameAt = i;
  nameLen = e - i;
  let v = colon + 1, ve = lineEnd;
  while (v < ve && isWs(at(p, v))) v++;
  while (ve > v && isWs(at(p, ve - 1))) ve--;
  valueAt = v;
  valueLen = ve - v;
  return true;
}

@inline function named(p: usize, long: string, compact: string): bool {
  return sipIs(p + <usize>nameAt, nameLen, long) || (compact.length > 0 && sipIs(p + <usize>nameAt, nameLen, compact));
}

/** Where the element starting at `i` ends: the next comma outside quotes and angle brackets, or `end`. */
function elementEnd(p: usize, i: i32, end: i32): i32 {
  let quoted = false, angle = false;
  for (; i < end; i++) {
    const c = at(p, i);
    if (quoted) {
      if (c == 0x5c) i++;
      else if (c == 0x22) quoted = false;
    } else if (c == 0x22) quoted = true;
    else if (c == 0x3c) angle = true;
    else if (c == 0x3e) angle = false;
    else if (c == 0x2c && !angle) return i;
  }
  return end;
}

/** Where a name-addr's header parameters start: after its '>', else at the start (RFC 3261 §20: then every ';' parameter is the header's). */
function paramsStart(p: usize, i: i32, end: i32): i32 {
  for (let j = i; j < end; j++) if (at(p, j) == 0x3e) return j + 1;
  return i;
}

/**
 * Finds parameter `name` among the `sep`-separated parameters in [i, end)
 * (";tag=x" or ", nonce=\"y\""): sets paramAt/paramLen to its value, quotes
 * removed (length 0 for a name without a value). False when absent.
 */
function findParam(p: usize, i: i32, end: i32, name: string, sep: u32): bool {
  while (i < end) {
    while (i < end && (isWs(at(p, i)) || at(p, i) == sep)) i++;
    const n = i;
    while (i < end && at(p, i) != 0x3d && at(p, i) != sep && !isWs(at(p, i))) i++;
    const hit = sipIs(p + <usize>n, i - n, name);
    while (i < end && isWs(at(p, i))) i++;
    let v = i, ve = i;
    if (i < end && at(p, i) == 0x3d) {
      i++;
      while (i < end && isWs(at(p, i))) i++;
      if (i < end && at(p, i) == 0x22) {
        v = ++i;
        while (i < end && at(p, i) != 0x22) { if (at(p, i) == 0x5c) i++; i++; }
        ve = min(i, end);
        i++;
      } else {
        v = i;
        while (i < end && at(p, i) != sep) i++;
        ve = i;
        while (ve > v && isWs(at(p, ve - 1))) ve--;
      }
    }
    if (hit) {
      paramAt = p + <usize>v;
      paramLen = ve - v;
      return true;
    }
    while (i < end && at(p, i) != sep) i++;
  }
  return false;
}

/** The token `tok` is one of the comma-separated tokens of the `n` bytes at `p` (a qop-options list). */
function hasToken(p: usize, n: i32, tok: string): bool {
  let i = 0;
  while (i < n) {
    while (i < n && (isWs(at(p, i)) || at(p, i) == 0x2c)) i++;
    const s = i;
    while (i < n && at(p, i) != 0x2c && !isWs(at(p, i))) i++;
    if (i > s && sipIs(p + <usize>s, i - s, tok)) return true;
  }
  return false;
}

function methodOf(p: usize, n: i32): SipMethod {
  if (sipIs(p, n, "REGISTER")) return SipMethod.Register;
  if (sipIs(p, n, "OPTIONS")) return SipMethod.Options;
  if (sipIs(p, n, "INVITE")) return SipMethod.Invite;
  if (sipIs(p, n, "ACK")) return SipMethod.Ack;
  if (sipIs(p, n, "BYE")) return SipMethod.Bye;
  if (sipIs(p, n, "CANCEL")) return SipMethod.Cancel;
  // Extensions a phone hears (RFC 3265, 3311, 3262, 3515, 3428, 3903, 6086): known, not supported here.
  if (sipIs(p, n, "NOTIFY") || sipIs(p, n, "SUBSCRIBE") || sipIs(p, n, "UPDATE") || sipIs(p, n, "PRACK")
    || sipIs(p, n, "REFER") || sipIs(p, n, "MESSAGE") || sipIs(p, n, "PUBLISH") || sipIs(p, n, "INFO")) return SipMethod.Known;
  return SipMethod.Other;
}

/** A method is a token (RFC 3261 §25.1): letters, digits and -.!%*_+`'~. */
function isToken(p: usize, n: i32): bool {
  if (n < 1) return false;
  for (let i = 0; i < n; i++) {
    const c = at(p, i);
    if (!(isDigit(c) || (lower(c) >= 0x61 && lower(c) <= 0x7a) || c == 0x2d || c == 0x2e || c == 0x21 || c == 0x25
      || c == 0x2a || c == 0x5f || c == 0x2b || c == 0x60 || c == 0x27 || c == 0x7e)) return false;
  }
  return true;
}

// ---- framing -------------------------------------------------------------------------

/** CR and LF bytes before a message on a stream: RFC 5626 §4.4.1 keep-alives, to be consumed. */
export function sipKeepAlive(p: usize, avail: i32): i32 {
  let i = 0;
  while (i < avail && (at(p, i) == 0x0d || at(p, i) == 0x0a)) i++;
  return i;
}

/**
 * The length of the message at the start of `avail` stream bytes (after
 * sipKeepAlive): headers and the body Content-Length gives, when all of it is
 * there; 0 when more bytes are needed; -Ctr.DropSipMalformed for bytes that
 * are not SIP (control bytes, a header line without a colon, no or a bad
 * Content-Length); -Ctr.DropSipTooLong when the message cannot fit `capacity`.
 */
export function sipFrameLength(p: usize, avail: i32, capacity: i32): i32 {
  let i = 0, cl = -1;
  let first = true;
  while (true) {
    const next = nextLine(p, i, avail);
    if (next < 0) {
      for (let j = i; j < avail; j++) if (isControl(at(p, j))) return -<i32>Ctr.DropSipMalformed;
      if (avail - i > LINE_MAX) return -<i32>Ctr.DropSipMalformed;
      return avail >= capacity ? -<i32>Ctr.DropSipTooLong : 0;
    }
    for (let j = i; j < lineEnd; j++) if (isControl(at(p, j))) return -<i32>Ctr.DropSipMalformed;
    if (lineEnd == i) {
      if (first) return -<i32>Ctr.DropSipMalformed;
      if (cl < 0) return -<i32>Ctr.DropSipMalformed;
      if (cl > capacity - next) return -<i32>Ctr.DropSipTooLong;
      return avail < next + cl ? 0 : next + cl;
    }
    if (!first && !isWs(at(p, i))) {
      if (!splitHeader(p, i)) return -<i32>Ctr.DropSipMalformed;
      if (named(p, "Content-Length", "l")) {
        const v = sipNumber(p + <usize>valueAt, valueLen);
        if (v < 0) return valueLen > 10 && allDigits(p + <usize>valueAt, valueLen) ? -<i32>Ctr.DropSipTooLong : -<i32>Ctr.DropSipMalformed;
        if (cl >= 0 && cl != v) return -<i32>Ctr.DropSipMalformed;
        cl = v;
      }
    }
    first = false;
    i = next;
  }
}

@inline function isControl(c: u32): bool { return (c < 0x20 && c != 0x09 && c != 0x0d && c != 0x0a) || c == 0x7f; }

function allDigits(p: usize, n: i32): bool {
  for (let i = 0; i < n; i++) if (!isDigit(at(p, i))) return false;
  return true;
}

// ---- the message record --------------------------------------------------------------

@unmanaged export class SipRepr {
  isRequest: bool;
  method: SipMethod;
  methodPtr: usize;
  methodLen: i32;
  uriPtr: usize;
  uriLen: i32;
  status: i32;
  /** The header lines, from the first to the blank line (for answering a request). */
  headersAt: usize;
  headersLen: i32;
  viaCount: i32;
  /** The top Via's value and its branch parameter. */
  viaPtr: usize;
  viaLen: i32;
  branchPtr: usize;
  branchLen: i32;
  fromPtr: usize;
  fromLen: i32;
  fromTagPtr: usize;
  fromTagLen: i32;
  toPtr: usize;
  toLen: i32;
  toTagPtr: usize;
  toTagLen: i32;
  callIdPtr: usize;
  callIdLen: i32;
  cseq: i32;
  cseqMethod: SipMethod;
  /** Contacts (up to SIP_CONTACTS: contactUri/contactExpires); contactStar for "Contact: *". */
  contactCount: i32;
  contactStar: bool;
  /** The expires parameter of the contact sipOwnContact names, wherever it is in the list (-1: none). */
  ownExpires: i32;
  /** -1 when absent. */
  expires: i32;
  contentLength: i32;
  retryAfter: i32;
  minExpires: i32;
  bodyPtr: usize;
  bodyLen: i32;
  /** The first Digest challenge the phone can answer (else the first Digest one). */
  auth: SipAuth;
  algorithm: SipAlg;
  realmPtr: usize;
  realmLen: i32;
  noncePtr: usize;
  nonceLen: i32;
  opaquePtr: usize;
  opaqueLen: i32;
  /** qop present, and "auth" among its options. */
  qop: bool;
  qopAuth: bool;
  stale: bool;

  contactUri(i: i32): usize { return <usize>load<u32>(contacts + <usize>(i * 12)); }
  contactUriLen(i: i32): i32 { return load<i32>(contacts + <usize>(i * 12), 4); }
  contactExpires(i: i32): i32 { return load<i32>(contacts + <usize>(i * 12), 8); }

  /** Reads the complete message of `len` bytes at `p`: 0, or a Ctr drop reason. */
  parse(p: usize, len: i32): i32 {
    memory.fill(changetype<usize>(this), 0, offsetof<SipRepr>());
    this.expires = this.contentLength = this.retryAfter = this.minExpires = this.cseq = this.ownExpires = -1;
    if (len < 1) return Ctr.DropSipMalformed;
    let i = nextLine(p, 0, len);
    if (i < 0 || !this.startLine(p, lineEnd)) return Ctr.DropSipMalformed;
    this.headersAt = p + <usize>i;
    while (true) {
      const next = nextLine(p, i, len);
      if (next < 0) return Ctr.DropSipMalformed;
      if (lineEnd == i) {
        this.headersLen = i - <i32>(this.headersAt - p);
        i = next;
        break;
      }
      for (let j = i; j < lineEnd; j++) if (isControl(at(p, j))) return Ctr.DropSipMalformed;
      // A folded continuation line (§7.3.1) adds to a header the phone does not read.
      if (!isWs(at(p, i))) {
        if (!splitHeader(p, i)) return Ctr.DropSipMalformed;
        if (!this.header(p)) return Ctr.DropSipMalformed;
      }
      i = next;
    }
    const rest = len - i;
    if (this.contentLength > rest) return Ctr.DropSipMalformed;
    this.bodyPtr = p + <usize>i;
    this.bodyLen = this.contentLength >= 0 ? this.contentLength : rest;
    // §8.1.1: these six are in every request, and a response copies them.
    if (this.viaCount == 0 || this.fromLen == 0 || this.toLen == 0 || this.callIdLen == 0 || this.cseq < 0) return Ctr.DropSipMalformed;
    return 0;
  }

  private startLine(p: usize, end: i32): bool {
    if (end >= 12 && sipIs(p, 8, "SIP/2.0 ")) {
      // Status-Line: SIP/2.0 SP 3DIGIT SP Reason-Phrase
      const s = sipNumber(p + 8, 3);
      if (s < 100 || s > 699 || (end > 11 && at(p, 11) != 0x20)) return false;
      this.status = s;
      return true;
    }
    // Request-Line: Method SP Request-URI SP SIP/2.0
    let sp1 = 0;
    while (sp1 < end && at(p, sp1) != 0x20) sp1++;
    let sp2 = sp1 + 1;
    while (sp2 < end && at(p, sp2) != 0x20) sp2++;
    if (sp2 >= end || sp2 == sp1 + 1 || !isToken(p, sp1) || !sipIs(p + <usize>(sp2 + 1), end - sp2 - 1, "SIP/2.0")) return false;
    this.isRequest = true;
    this.methodPtr = p;
    this.methodLen = sp1;
    this.method = methodOf(p, sp1);
    this.uriPtr = p + <usize>(sp1 + 1);
    this.uriLen = sp2 - sp1 - 1;
    return true;
  }

  /** One header (name and value in the scan state); false when a header the phone reads is malformed. */
  private header(p: usize): bool {
    const v = p + <usize>valueAt;
    const n = valueLen;
    if (named(p, "Via", "v")) {
      if (this.viaCount++ == 0) {
        const e = elementEnd(v, 0, n);
        this.viaPtr = v;
        this.viaLen = e;
        if (findParam(v, 0, e, "branch", 0x3b)) { this.branchPtr = paramAt; this.branchLen = paramLen; }
      }
    } else if (named(p, "From", "f")) {
      this.fromPtr = v; this.fromLen = n;
      if (findParam(v, paramsStart(v, 0, n), n, "tag", 0x3b)) { this.fromTagPtr = paramAt; this.fromTagLen = paramLen; }
    } else if (named(p, "To", "t")) {
      this.toPtr = v; this.toLen = n;
      if (findParam(v, paramsStart(v, 0, n), n, "tag", 0x3b)) { this.toTagPtr = paramAt; this.toTagLen = paramLen; }
    } else if (named(p, "Call-ID", "i")) {
      this.callIdPtr = v; this.callIdLen = n;
    } else if (named(p, "CSeq", "")) {
      let sp = 0;
      while (sp < n && !isWs(at(v, sp))) sp++;
      let m = sp;
      while (m < n && isWs(at(v, m))) m++;
      this.cseq = sipNumber(v, sp);
      if (this.cseq < 0 || m == n) return false;
      this.cseqMethod = methodOf(v + <usize>m, n - m);
    } else if (named(p, "Contact", "m")) {
      this.contactList(v, n);
    } else if (named(p, "Expires", "")) {
      this.expires = sipNumber(v, n);
    } else if (named(p, "Content-Length", "l")) {
      const cl = sipNumber(v, n);
      if (cl < 0 || (this.contentLength >= 0 && this.contentLength != cl)) return false;
      this.contentLength = cl;
    } else if (named(p, "Retry-After", "")) {
      this.retryAfter = sipNumber(v, leadingDigits(v, n));
    } else if (named(p, "Min-Expires", "")) {
      this.minExpires = sipNumber(v, n);
    } else if (named(p, "WWW-Authenticate", "")) {
      this.challenge(v, n, SipAuth.Www);
    } else if (named(p, "Proxy-Authenticate", "")) {
      this.challenge(v, n, SipAuth.Proxy);
    }
    return true;
  }

  private contactList(v: usize, n: i32): void {
    let i = 0;
    while (i < n) {
      while (i < n && (isWs(at(v, i)) || at(v, i) == 0x2c)) i++;
      if (i == n) break;
      const e = elementEnd(v, i, n);
      if (at(v, i) == 0x2a) {
        this.contactStar = true;
        i = e;
        continue;
      }
      let u = i, ue = e;
      const lt = indexOf(v, i, e, 0x3c);
      if (lt >= 0) {
        u = lt + 1;
        ue = indexOf(v, u, e, 0x3e);
        if (ue < 0) ue = e;
      } else {
        ue = indexOf(v, i, e, 0x3b);
        if (ue < 0) ue = e;
        while (ue > u && isWs(at(v, ue - 1))) ue--;
      }
      const ex = findParam(v, paramsStart(v, i, e), e, "expires", 0x3b) ? sipNumber(paramAt, paramLen) : -1;
      if (ownLen > 0 && ex >= 0 && endsWithin(v + <usize>u, ue - u, ownAt, ownLen)) this.ownExpires = ex;
      if (this.contactCount < SIP_CONTACTS) {
        const slot = contacts + <usize>(this.contactCount * 12);
        store<u32>(slot, <u32>(v + <usize>u));
        store<i32>(slot, ue - u, 4);
        store<i32>(slot, ex, 8);
        this.contactCount++;
      }
      i = e;
    }
  }

  /** A Digest challenge; the first MD5 one wins (RFC 8760 §2.4: a server may offer several algorithms). */
  private challenge(v: usize, n: i32, kind: SipAuth): void {
    if (this.auth != SipAuth.None && this.algorithm != SipAlg.Unsupported) return;
    if (n < 7 || !sipIs(v, 6, "Digest") || !isWs(at(v, 6))) return;
    const i = 7;
    let alg = SipAlg.Absent;
    if (findParam(v, i, n, "algorithm", 0x2c)) alg = sipIs(paramAt, paramLen, "MD5") ? SipAlg.Md5 : SipAlg.Unsupported;
    if (!findParam(v, i, n, "nonce", 0x2c)) return;
    this.noncePtr = paramAt; this.nonceLen = paramLen;
    this.auth = kind;
    this.algorithm = alg;
    this.realmPtr = this.opaquePtr = 0;
    this.realmLen = this.opaqueLen = 0;
    if (findParam(v, i, n, "realm", 0x2c)) { this.realmPtr = paramAt; this.realmLen = paramLen; }
    if (findParam(v, i, n, "opaque", 0x2c)) { this.opaquePtr = paramAt; this.opaqueLen = paramLen; }
    this.qop = findParam(v, i, n, "qop", 0x2c);
    this.qopAuth = this.qop && hasToken(paramAt, paramLen, "auth");
    this.stale = findParam(v, i, n, "stale", 0x2c) && sipIs(paramAt, paramLen, "true");
  }
}

/** `s` (n bytes) appears in the URI and ends there or at a parameter. */
function endsWithin(p: usize, len: i32, s: usize, n: i32): bool {
  for (let k = 0; k + n <= len; k++) {
    if (memory.compare(p + <usize>k, s, <usize>n) != 0) continue;
    if (k + n == len || at(p, k + n) == 0x3b) return true;
  }
  return false;
}

function indexOf(p: usize, i: i32, end: i32, c: u32): i32 {
  for (; i < end; i++) if (at(p, i) == c) return i;
  return -1;
}

// ---- writing -------------------------------------------------------------------------

let out: usize = 0;
let outEnd: usize = 0;
let overflow = false;

function begin(p: usize, cap: i32): void { out = p; outEnd = p + <usize>max(cap, 0); overflow = false; }
function finish(p: usize): i32 { return overflow ? -1 : <i32>(out - p); }
function byte(c: u32): void {
  if (out >= outEnd) { overflow = true; return; }
  store<u8>(out++, <u8>c);
}
function text(s: string): void { for (let i = 0; i < s.length; i++) byte(<u32>s.charCodeAt(i)); }
function bytes(p: usize, n: i32): void {
  if (n <= 0) return;
  if (<usize>n > outEnd - out) { overflow = true; return; }
  memory.copy(out, p, <usize>n);
  out += <usize>n;
}
function decimal(v: u32): void {
  let div: u32 = 1_000_000_000;
  while (div > 1 && v < div) div /= 10;
  for (; div > 0; div /= 10) byte(0x30 + (v / div) % 10);
}
function dotted(ip: u32): void {
  for (let s = 24; s >= 0; s -= 8) { decimal((ip >> <u32>s) & 0xff); if (s > 0) byte(0x2e); }
}
/** Inside a quoted string (§25.1): quote and backslash escaped. */
function quoted(p: usize, n: i32): void {
  byte(0x22);
  for (let i = 0; i < n; i++) {
    const c = at(p, i);
    if (c == 0x22 || c == 0x5c) byte(0x5c);
    byte(c);
  }
  byte(0x22);
}
/** A SIP URI's user part (§25.1 user): unreserved and user-unreserved as they are, the rest %HH. */
function userPart(p: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const c = at(p, i);
    const l = lower(c);
    if (isDigit(c) || (l >= 0x61 && l <= 0x7a) || c == 0x2d || c == 0x5f || c == 0x2e || c == 0x21 || c == 0x7e || c == 0x2a
      || c == 0x27 || c == 0x28 || c == 0x29 || c == 0x26 || c == 0x3d || c == 0x2b || c == 0x24 || c == 0x2c || c == 0x3b
      || c == 0x3f || c == 0x2f) {
      byte(c);
    } else {
      byte(0x25);
      byte(hexUpper(c >> 4));
      byte(hexUpper(c & 15));
    }
  }
}
@inline function hexUpper(v: u32): u32 { return v < 10 ? 0x30 + v : 0x37 + v; }
function crlf(): void { byte(0x0d); byte(0x0a); }

/** "sip:a.b.c.d" (the registrar's domain as CUCM names a node by address) at `p`; its length, or -1. */
export function sipDomainUri(ip: u32, p: usize, cap: i32): i32 {
  begin(p, cap);
  text("sip:");
  dotted(ip);
  return finish(p);
}

/** "a.b.c.d", with ":port" unless `port` is 0, at `p`; its length, or -1. */
export function sipHostPort(ip: u32, port: u32, p: usize, cap: i32): i32 {
  begin(p, cap);
  dotted(ip);
  if (port != 0) { byte(0x3a); decimal(port); }
  return finish(p);
}

/** What a REGISTER carries (emit fills nothing in; the phone keeps the transaction's state). */
@unmanaged export class SipRegister {
  tcp: bool;
  /** The registrar's address: Request-URI, From and To domain. */
  domain: u32;
  localIp: u32;
  localPort: u32;
  userPtr: usize;
  userLen: i32;
  displayPtr: usize;
  displayLen: i32;
  callIdPtr: usize;
  callIdLen: i32;
  fromTagPtr: usize;
  fromTagLen: i32;
  /** The branch after the magic cookie z9hG4bK (§8.1.1.7): new per transaction. */
  branchPtr: usize;
  branchLen: i32;
  cseq: u32;
  expires: u32;
  loadPtr: usize;
  loadLen: i32;
  /** SipAuth.None: no credentials; Www: Authorization; Proxy: Proxy-Authorization. */
  auth: SipAuth;
  authUserPtr: usize;
  authUserLen: i32;
  realmPtr: usize;
  realmLen: i32;
  noncePtr: usize;
  nonceLen: i32;
  opaquePtr: usize;
  opaqueLen: i32;
  /** qop=auth with cnonce and nc; else RFC 2069 compatibility (no qop). */
  qopAuth: bool;
  cnoncePtr: usize;
  cnonceLen: i32;
  nc: u32;
  /** 32 lowercase hex digits (sipDigestResponse). */
  responsePtr: usize;

  /** Writes the request at `p`; its length, or -1 when it does not fit `cap` bytes. */
  emit(p: usize, cap: i32): i32 {
    begin(p, cap);
    text("REGISTER sip:"); dotted(this.domain); text(" SIP/2.0\r\n");
    text(this.tcp ? "Via: SIP/2.0/TCP " : "Via: SIP/2.0/UDP ");
    dotted(this.localIp); byte(0x3a); decimal(this.localPort);
    text(";branch=z9hG4bK"); bytes(this.branchPtr, this.branchLen);
    // RFC 3581: over UDP a NAT between phone and proxy is found and kept open.
    if (!this.tcp) text(";rport");
    text("\r\nMax-Forwards: 70\r\nFrom: ");
    if (this.displayLen > 0) { quoted(this.displayPtr, this.displayLen); byte(0x20); }
    this.aor();
    text(";tag="); bytes(this.fromTagPtr, this.fromTagLen);
    text("\r\nTo: "); this.aor();
    text("\r\nCall-ID: "); bytes(this.callIdPtr, this.callIdLen);
    text("\r\nCSeq: "); decimal(this.cseq); text(" REGISTER\r\nContact: <sip:");
    userPart(this.userPtr, this.userLen); byte(0x40); dotted(this.localIp); byte(0x3a); decimal(this.localPort);
    if (this.tcp) text(";transport=tcp");
    text(">\r\n");
    if (this.auth != SipAuth.None) this.authorization();
    text("Expires: "); decimal(this.expires);
    text("\r\nUser-Agent: Cisco-CP7960G/"); bytes(this.loadPtr, this.loadLen);
    text("\r\nAllow: OPTIONS\r\nContent-Length: 0\r\n\r\n");
    return finish(p);
  }

  private aor(): void {
    text("<sip:"); userPart(this.userPtr, this.userLen); byte(0x40); dotted(this.domain); byte(0x3e);
  }

  private authorization(): void {
    text(this.auth == SipAuth.Proxy ? "Proxy-Authorization: Digest username=" : "Authorization: Digest username=");
    quoted(this.authUserPtr, this.authUserLen);
    text(",realm=\""); bytes(this.realmPtr, this.realmLen);
    text("\",nonce=\""); bytes(this.noncePtr, this.nonceLen);
    text("\",uri=\"sip:"); dotted(this.domain);
    text("\",response=\""); bytes(this.responsePtr, 32);
    text("\",algorithm=MD5");
    if (this.qopAuth) {
      text(",cnonce=\""); bytes(this.cnoncePtr, this.cnonceLen);
      text("\",qop=auth,nc="); ncHex(this.nc);
    }
    if (this.opaqueLen > 0) { text(",opaque=\""); bytes(this.opaquePtr, this.opaqueLen); byte(0x22); }
    crlf();
  }
}

/** nc: 8 lowercase hex digits (RFC 2617 §3.2.2). */
function ncHex(v: u32): void {
  for (let s = 28; s >= 0; s -= 4) {
    const d = (v >> <u32>s) & 15;
    byte(d < 10 ? 0x30 + d : 0x57 + d);
  }
}

/** The status a phone that only answers OPTIONS gives a request (§8.2.1); 0 for ACK, which is never answered. */
export function sipAnswerStatus(m: SipMethod): i32 {
  if (m == SipMethod.Ack) return 0;
  if (m == SipMethod.Options) return 200;
  return m == SipMethod.Other ? 501 : 405;
}

/**
 * The response `status` (200, 405 or 501) to the request `req` at `p`
 * (§8.2.6): its Vias, From, Call-ID and CSeq copied, its To with `toTag`
 * added when it has none; Allow (and Accept for 200, §11.2); no body.
 */
export function sipEmitResponse(req: SipRepr, status: i32, toTagPtr: usize, toTagLen: i32, p: usize, cap: i32): i32 {
  begin(p, cap);
  text("SIP/2.0 ");
  decimal(<u32>status);
  text(status == 200 ? " OK\r\n" : status == 405 ? " Method Not Allowed\r\n" : " Not Implemented\r\n");
  // Every Via, in order (§8.2.6.2), from the request's header lines.
  const h = req.headersAt;
  const end = req.headersLen;
  let i = 0;
  while (i < end) {
    const next = nextLine(h, i, end);
    if (next < 0) break;
    if (!isWs(at(h, i)) && splitHeader(h, i) && named(h, "Via", "v")) {
      text("Via: "); bytes(h + <usize>valueAt, valueLen); crlf();
    }
    i = next;
  }
  text("From: "); bytes(req.fromPtr, req.fromLen);
  text("\r\nTo: "); bytes(req.toPtr, req.toLen);
  if (req.toTagLen == 0) { text(";tag="); bytes(toTagPtr, toTagLen); }
  text("\r\nCall-ID: "); bytes(req.callIdPtr, req.callIdLen);
  text("\r\nCSeq: "); decimal(<u32>req.cseq); byte(0x20); bytes(req.methodPtr, req.methodLen);
  if (status != 501) text("\r\nAllow: OPTIONS");
  if (status == 200) text("\r\nAccept: application/sdp");
  text("\r\nContent-Length: 0\r\n\r\n");
  return finish(p);
}
