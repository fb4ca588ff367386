// The phone's configuration file from TFTP as CallManager writes it:
// SEP<MAC>.cnf.xml (root <device>, the group under <devicePool>) or, for
// auto-registration, XMLDefault.cnf.xml (root <Default>, the group directly
// under it, one <loadInformationN model="..."> per phone type). One pass
// over the file held whole in memory, no allocation: the open elements are
// a fixed stack of (name, id) slots, and only what this phone uses is kept:
// up to three CallManagers in priority order, the load name, the device
// protocol, deviceSecurityMode and the DSCP for signalling. Anything else
// that is well-formed XML is skipped.
//
// The DSCP: CUCM writes three such elements into a phone's file,
// dscpForSCCPPhoneConfig (configuration downloads), dscpForSCCPPhoneServices
// (phone services) and dscpForCm2Dvce (call control, the SCCP signalling:
// Cisco's SIP stack sets it as the socket's IP_TOS, "dscp_for_call_control"
// in its config table). Their values are the IPv4 TOS byte, DSCP << 2 (96 is
// CS3, CUCM's default). The phone takes dscpForCm2Dvce: a multiple of 4 up
// to 252, else the file is refused (BadValue); absent, CS3.
import { bytesEqual } from "../lib/bytes";

/** Longest file the phone accepts (its TFTP config buffer). */
export const CNF_CAPACITY = 16384;
export const CNF_MAX_CM = 3;
export const CNF_HOST_MAX = 64;
export const CNF_LOAD_MAX = 32;
/** SCCP's TCP port, used when a member has no ethernetPhonePort. */
export const CNF_DEFAULT_PORT: u32 = 2000;
/** The DSCP of SCCP signalling when the file gives none: CS3, as Cisco phones mark it. */
export const CNF_DSCP_DEFAULT: u32 = 24;
const MAX_DEPTH = 16;
const VAL_MAX = 64; // longest value kept: a host name
const BAD: u32 = 0xffff_ffff;

export const enum CnfErr {
  Ok = 0,
  /** The file ends inside markup, an entity, or with elements still open (or is empty). */
  Truncated = 1,
  /** Elements nested deeper than 16. */
  TooDeep = 2,
  /** Longer than CNF_CAPACITY. */
  TooLarge = 3,
  /** Not well-formed: mismatched close tag, bad attribute, unknown entity, text or a second element outside the root. */
  Malformed = 4,
  /** A port, priority, deviceSecurityMode or dscpForCm2Dvce that is not a number in range, or a load name too long or with odd characters. */
  BadValue = 5,
  /** Well-formed, but no member with a usable processNodeName. */
  NoCallManager = 6,
}

export const enum CnfProto { None = 0, Sccp = 1, Sip = 2, Other = 3 }

/** One CallManager: its address or host name is in host(), hostLen bytes. */
@unmanaged export class CnfCallManager {
  /** processNodeName as an IPv4 address; 0 when it is a host name to resolve. */
  addr: u32;
  port: u32;
  priority: u32;
  hostLen: i32;
  host(): usize { return changetype<usize>(this) + offsetof<CnfCallManager>(); }
}
const CM_SIZE = offsetof<CnfCallManager>() + <usize>CNF_HOST_MAX;
// The sorted CallManagers, then the member being read.
const slots = memory.data(<i32>CM_SIZE * (CNF_MAX_CM + 1));
function slot(i: i32): CnfCallManager { return changetype<CnfCallManager>(slots + <usize>i * CM_SIZE); }

/** What cnfParse() found; all zero after an error. */
@unmanaged export class Cnf {
  /** CallManagers in cm(0..cmCount-1), ascending priority, file order among equals. */
  cmCount: i32;
  protocol: u32;
  /** Length of the load name at cnfLoad (0: none given). */
  loadLen: i32;
  /** deviceSecurityMode: 1 non-secure, 2 authenticated, 3 encrypted; 0 when absent. */
  security: u32;
  /** The DSCP (0..63) for SCCP signalling: dscpForCm2Dvce's TOS byte >> 2, CNF_DSCP_DEFAULT when absent. */
  dscp: u32;
  /** dscpForCm2Dvce was in the file. */
  dscpGiven: bool;
  /** Offset where scanning stopped: the end, or the place of the error. */
  stop: i32;
  cm(i: i32): CnfCallManager { return slot(i); }
}
export const cnf = changetype<Cnf>(memory.data(offsetof<Cnf>()));
export const cnfLoad = memory.data(CNF_LOAD_MAX);

// Element names and values the scanner knows, as (length, ASCII) entries;
// an id is the 1-based position: callManagerGroup members member priority
// callManager ports ethernetPhonePort processNodeName deviceProtocol
// loadInformation loadInformation7 deviceSecurityMode dscpForCm2Dvce SCCP SIP amp lt gt quot apos.
// loadInformation7 is XMLDefault's entry for device type 7, the CP-7960.
const NAMES = memory.data<u8>([
  16, 99, 97, 108, 108, 77, 97, 110, 97, 103, 101, 114, 71, 114, 111, 117, 112,
  7, 109, 101, 109, 98, 101, 114, 115,
  6, 109, 101, 109, 98, 101, 114,
  8, 112, 114, 105, 111, 114, 105, 116, 121,
  11, 99, 97, 108, 108, 77, 97, 110, 97, 103, 101, 114,
  5, 112, 111, 114, 116, 115,
  17, 101, 116, 104, 101, 114, 110, 101, 116, 80, 104, 111, 110, 101, 80, 111, 114, 116,
  15, 112, 114, 111, 99, 101, 115, 115, 78, 111, 100, 101, 78, 97, 109, 101,
  14, 100, 101, 118, 105, 99, 101, 80, 114, 111, 116, 111, 99, 111, 108,
  15, 108, 111, 97, 100, 73, 110, 102, 111, 114, 109, 97, 116, 105, 111, 110,
  16, 108, 111, 97, 100, 73, 110, 102, 111, 114, 109, 97, 116, 105, 111, 110, 55,
  18, 100, 101, 118, 105, 99, 101, 83, 101, 99, 117, 114, 105, 116, 121, 77, 111, 100, 101,
  14, 100, 115, 99, 112, 70, 111, 114, 67, 109, 50, 68, 118, 99, 101,
  4, 83, 67, 67, 80,
  3, 83, 73, 80,
  3, 97, 109, 112, 2, 108, 116, 2, 103, 116, 4, 113, 117, 111, 116, 4, 97, 112, 111, 115,
  0,
]);
const enum Id {
  None, Group, Members, Member, Priority, CallManager, Ports, Port, Host, Protocol,
  Load, LoadModel, Security, Dscp, Sccp, Sip, Amp,
}
const ENTITY_CHARS = memory.data<u8>([38, 60, 62, 34, 39]); // & < > " '
// "![CDATA[", "]]>", "-->", "?>"
const LIT = memory.data<u8>([33, 91, 67, 68, 65, 84, 65, 91, 93, 93, 62, 45, 45, 62, 63, 62]);
const CDATA_OPEN = 0;
const CDATA_END = 8;
const GT_ONLY = 10;
const COMMENT_END = 11;
const PI_END = 14;

const enum Ch {
  Tab = 0x09, Lf = 0x0a, Cr = 0x0d, Space = 0x20, Bang = 0x21, Quot = 0x22, Hash = 0x23,
  Amp = 0x26, Apos = 0x27, Dash = 0x2d, Dot = 0x2e, Slash = 0x2f, Zero = 0x30, Semi = 0x3b,
  Lt = 0x3c, Eq = 0x3d, Gt = 0x3e, Question = 0x3f, Underscore = 0x5f, X = 0x78,
}

let at: usize = 0;
let end: usize = 0;
let mark: usize = 0; // start of the literal past() found
let depth = 0;
let member = 0; // depth of the member being read; 0 outside one
let rootClosed = false;
// Per open element: name pointer (u32), name length (u16), id (u8).
const stack = memory.data(MAX_DEPTH * 8);
// The text of the element being read, entities decoded, leading white space dropped.
const val = memory.data(VAL_MAX);
let valLen = 0;

/**
 * Scans the `len`-byte .cnf.xml file at `p` into `cnf`. Returns CnfErr.Ok,
 * or the reason the phone cannot use it (no trap on any input).
 */
export function cnfParse(p: usize, len: i32): i32 {
  clear();
  at = p;
  end = p + <usize>max(len, 0);
  let e = len > CNF_CAPACITY ? CnfErr.TooLarge : scan();
  cnf.stop = <i32>(at - p);
  if (e == 0 && cnf.cmCount == 0) e = CnfErr.NoCallManager;
  if (e != 0) clear();
  return e;
}

function clear(): void {
  cnf.cmCount = cnf.loadLen = 0;
  cnf.security = 0;
  cnf.protocol = CnfProto.None;
  cnf.dscp = CNF_DSCP_DEFAULT;
  cnf.dscpGiven = false;
}

function scan(): i32 {
  depth = member = valLen = 0;
  rootClosed = false;
  // A UTF-8 byte order mark, as Windows editors write.
  if (at + 3 <= end && load<u8>(at) == 0xef && load<u8>(at + 1) == 0xbb && load<u8>(at + 2) == 0xbf) at += 3;
  while (at < end) {
    const e = load<u8>(at) == Ch.Lt ? markup() : chars(Ch.Lt);
    if (e != 0) return e;
  }
  return rootClosed ? 0 : CnfErr.Truncated;
}

function markup(): i32 {
  const p = ++at;
  if (p >= end) return CnfErr.Truncated;
  const c = load<u8>(p);
  if (c == Ch.Question) return past(PI_END, 2);
  if (c == Ch.Bang) {
    if (has(p + 1, COMMENT_END, 2)) {
      at = p + 3;
      return past(COMMENT_END, 3);
    }
    if (has(p, CDATA_OPEN, 8)) {
      at = p + 8;
      const e = past(CDATA_END, 3);
      if (e != 0) return e;
      if (depth == 0) return CnfErr.Malformed;
      for (let q = p + 8; q < mark; q++) keep(load<u8>(q));
      return 0;
    }
    return past(GT_ONLY, 1); // <!DOCTYPE ...> without an internal subset
  }
  return c == Ch.Slash ? closeTag() : openTag();
}

function openTag(): i32 {
  const name = at;
  skipName();
  const n = <i32>(at - name);
  if (n == 0 || rootClosed) return CnfErr.Malformed;
  if (depth == MAX_DEPTH) return CnfErr.TooDeep;
  push(name, n);
  while (true) {
    const spaced = skipWs();
    if (at >= end) return CnfErr.Truncated;
    const c = load<u8>(at);
    if (c == Ch.Gt) break;
    if (c == Ch.Slash) {
      if (++at >= end) return CnfErr.Truncated;
      if (load<u8>(at++) != Ch.Gt) return CnfErr.Malformed;
      return close();
    }
    if (!spaced) return CnfErr.Malformed;
    const e = attribute();
    if (e != 0) return e;
  }
  at++;
  valLen = 0;
  return 0;
}

function push(name: usize, n: i32): void {
  const s = stack + <usize>(depth * 8);
  store<u32>(s, <u32>name);
  store<u16>(s, <u16>n, 4);
  store<u8>(s, <u8>lookup(name, n), 6);
  depth++;
  valLen = 0;
  if (idAt(0) == Id.Member && idAt(1) == Id.Members && idAt(2) == Id.Group) {
    member = depth;
    const m = slot(CNF_MAX_CM);
    m.addr = 0;
    m.port = CNF_DEFAULT_PORT;
    m.priority = 0;
    m.hostLen = -1;
  }
}

/** Id of the open element `up` levels above the innermost. */
function idAt(up: i32): u32 {
  const d = depth - 1 - up;
  return d < 0 ? Id.None : <u32>load<u8>(stack + <usize>(d * 8), 6);
}

function attribute(): i32 {
  const name = at;
  skipName();
  const n = <i32>(at - name);
  if (n == 0) return CnfErr.Malformed;
  skipWs();
  if (at >= end) return CnfErr.Truncated;
  if (load<u8>(at++) != Ch.Eq) return CnfErr.Malformed;
  skipWs();
  if (at >= end) return CnfErr.Truncated;
  const q = <u32>load<u8>(at++);
  if (q != Ch.Quot && q != Ch.Apos) return CnfErr.Malformed;
  valLen = 0;
  const e = chars(q);
  if (e != 0) return e;
  if (at >= end) return CnfErr.Truncated;
  at++;
  if (member == depth && lookup(name, n) == Id.Priority) return priority();
  return 0;
}

function closeTag(): i32 {
  const name = ++at;
  skipName();
  const n = <i32>(at - name);
  skipWs();
  if (at >= end) return CnfErr.Truncated;
  if (load<u8>(at++) != Ch.Gt || depth == 0) return CnfErr.Malformed;
  const s = stack + <usize>((depth - 1) * 8);
  if (n != <i32>load<u16>(s, 4) || !bytesEqual(name, <usize>load<u32>(s), n)) return CnfErr.Malformed;
  return close();
}

function close(): i32 {
  trim();
  const e = take();
  if (--depth == 0) rootClosed = true;
  valLen = 0;
  return e;
}

/** Takes the value of the element being closed if the phone needs it. */
function take(): i32 {
  const id = idAt(0);
  if (depth == 2) {
    if (id == Id.Protocol) {
      const v = valLen == 0 ? Id.None : lookup(val, valLen);
      cnf.protocol = valLen == 0 ? CnfProto.None : v == Id.Sccp ? CnfProto.Sccp : v == Id.Sip ? CnfProto.Sip : CnfProto.Other;
    } else if ((id == Id.Load || id == Id.LoadModel) && valLen > 0) return takeLoad();
    else if (id == Id.Security) {
      const v = number(val, valLen, 10);
      if (v < 1 || v > 3) return CnfErr.BadValue;
      cnf.security = v;
    } else if (id == Id.Dscp) {
      const v = number(val, valLen, 10);
      if (v > 252 || (v & 3) != 0) return CnfErr.BadValue;
      cnf.dscp = v >> 2;
      cnf.dscpGiven = true;
    }
    return 0;
  }
  if (member == 0) return 0;
  const rel = depth - member;
  if (rel == 0) {
    member = 0;
    commit();
  } else if (rel == 1 && id == Id.Priority) return priority();
  else if (rel == 2 && id == Id.Host && idAt(1) == Id.CallManager) takeHost();
  else if (rel == 3 && id == Id.Port && idAt(1) == Id.Ports && idAt(2) == Id.CallManager) {
    const v = number(val, valLen, 10);
    if (v == 0 || v > 0xffff) return CnfErr.BadValue;
    slot(CNF_MAX_CM).port = v;
  }
  return 0;
}

function priority(): i32 {
  trim();
  const v = number(val, valLen, 10);
  if (v > 0xffff) return CnfErr.BadValue;
  slot(CNF_MAX_CM).priority = v;
  return 0;
}

/** processNodeName: a dotted quad, or a host name to resolve; anything else leaves the member unusable. */
function takeHost(): void {
  const m = slot(CNF_MAX_CM);
  m.hostLen = -1;
  m.addr = 0;
  const n = valLen;
  if (n == 0 || n > CNF_HOST_MAX) return;
  let addr: u32 = 0;
  let oct: u32 = 0;
  let dots = 0;
  let label = 0;
  let numeric = true;
  let big = false;
  for (let i = 0; i < n; i++) {
    const c = <u32>load<u8>(val + <usize>i);
    if (c == Ch.Dot) {
      if (label == 0) return;
      if (oct > 255) big = true;
      addr = (addr << 8) | oct;
      oct = 0;
      label = 0;
      dots++;
      continue;
    }
    label++;
    if (c - Ch.Zero <= 9) oct = min<u32>(oct * 10 + c - Ch.Zero, 256);
    else if (hostChar(c)) numeric = false;
    else return;
  }
  if (numeric) {
    if (dots != 3 || label == 0 || big || oct > 255) return;
    addr = (addr << 8) | oct;
    if (addr == 0 || addr == BAD) return;
    m.addr = addr;
  }
  memory.copy(m.host(), val, <usize>n);
  m.hostLen = n;
}

/** Files the member just read among the kept ones, in ascending priority (stable). */
function commit(): void {
  const m = slot(CNF_MAX_CM);
  if (m.hostLen < 0) return;
  let k = cnf.cmCount;
  if (k == CNF_MAX_CM) {
    if (slot(k - 1).priority <= m.priority) return;
    k--;
  } else cnf.cmCount = k + 1;
  for (; k > 0 && slot(k - 1).priority > m.priority; k--) memory.copy(changetype<usize>(slot(k)), changetype<usize>(slot(k - 1)), CM_SIZE);
  memory.copy(changetype<usize>(slot(k)), changetype<usize>(m), CM_SIZE);
}

function takeLoad(): i32 {
  const n = valLen;
  if (n > CNF_LOAD_MAX) return CnfErr.BadValue;
  for (let i = 0; i < n; i++) if (!hostChar(load<u8>(val + <usize>i))) return CnfErr.BadValue;
  memory.copy(cnfLoad, val, <usize>n);
  cnf.loadLen = n;
  return 0;
}

/** Keeps character data up to `stop` (left unconsumed) or the end, decoding entities. */
function chars(stop: u32): i32 {
  while (at < end) {
    const c = <u32>load<u8>(at);
    if (c == stop) return 0;
    if (c == Ch.Lt || (depth == 0 && !isWs(c))) return CnfErr.Malformed;
    if (c == Ch.Amp) {
      const e = entity();
      if (e != 0) return e;
    } else {
      keep(c);
      at++;
    }
  }
  return 0;
}

/** &amp; &lt; &gt; &quot; &apos; &#NN; &#xHH;. A character beyond ASCII is kept as '?'. */
function entity(): i32 {
  const s = at + 1;
  let j = s;
  while (j < end && j - s < 9 && load<u8>(j) != Ch.Semi) j++;
  if (j >= end) return CnfErr.Truncated;
  if (load<u8>(j) != Ch.Semi) return CnfErr.Malformed;
  const n = <i32>(j - s);
  let c: u32 = 0;
  if (n > 1 && load<u8>(s) == Ch.Hash) {
    c = load<u8>(s + 1) == Ch.X ? number(s + 2, n - 2, 16) : number(s + 1, n - 1, 10);
    if (c > 0x10ffff) c = 0;
  } else {
    const id = lookup(s, n);
    if (id >= <u32>Id.Amp) c = load<u8>(ENTITY_CHARS + <usize>(id - Id.Amp));
  }
  if (c == 0) return CnfErr.Malformed;
  keep(c > 0x7f ? Ch.Question : c);
  at = j + 1;
  return 0;
}

function trim(): void {
  while (valLen > 0 && valLen <= VAL_MAX && isWs(load<u8>(val + <usize>valLen - 1))) valLen--;
}

function keep(c: u32): void {
  if (valLen == 0 && isWs(c)) return;
  if (valLen < VAL_MAX) store<u8>(val + <usize>valLen, <u8>c);
  valLen++;
}

/** The unsigned number in `n` (1..8) digits of `base` at `p`, or BAD. */
function number(p: usize, n: i32, base: u32): u32 {
  if (n <= 0 || n > 8) return BAD;
  let v: u32 = 0;
  for (let i = 0; i < n; i++) {
    const c = <u32>load<u8>(p + <usize>i);
    let d = c - Ch.Zero;
    if (d > 9) {
      d = (c | 0x20) - 0x57; // a..f -> 10..15
      if (d < 10) return BAD;
    }
    if (d >= base) return BAD;
    v = v * base + d;
  }
  return v;
}

/** The id of the `n`-byte name at `p` in NAMES, or Id.None. */
function lookup(p: usize, n: i32): u32 {
  let t = NAMES;
  let id: u32 = 1;
  for (let k = <i32>load<u8>(t); k != 0; k = <i32>load<u8>(t)) {
    if (k == n && bytesEqual(p, t + 1, n)) return id;
    t += <usize>k + 1;
    id++;
  }
  return Id.None;
}

/** Moves past the next `n`-byte literal at LIT + `lit`, leaving its start in `mark`. */
function past(lit: usize, n: i32): i32 {
  for (let p = at; p + <usize>n <= end; p++) {
    if (bytesEqual(p, LIT + lit, n)) {
      mark = p;
      at = p + <usize>n;
      return 0;
    }
  }
  at = end;
  return CnfErr.Truncated;
}

function has(p: usize, lit: usize, n: i32): bool { return p + <usize>n <= end && bytesEqual(p, LIT + lit, n); }

function skipName(): void {
  while (at < end) {
    const c = <u32>load<u8>(at);
    if (c <= 0x20 || c == Ch.Lt || c == Ch.Gt || c == Ch.Slash || c == Ch.Eq || c == Ch.Quot || c == Ch.Apos) return;
    at++;
  }
}

function skipWs(): bool {
  const s = at;
  while (at < end && isWs(load<u8>(at))) at++;
  return at != s;
}

@inline function isWs(c: u32): bool { return c == Ch.Space || c == Ch.Lf || c == Ch.Cr || c == Ch.Tab; }

/** Letters, digits, '-', '.', '_': host names and load names. */
function hostChar(c: u32): bool {
  return c - Ch.Zero <= 9 || (c | 0x20) - 0x61 <= 25 || c == Ch.Dash || c == Ch.Dot || c == Ch.Underscore;
}
