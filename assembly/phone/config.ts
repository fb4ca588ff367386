// The phone's configuration file from TFTP as CallManager writes it:
// SEP<MAC>.cnf.xml (root <device>, the group under <devicePool>) or, for
// auto-registration, XMLDefault.cnf.xml (root <Default>, the group directly
// under it, one <loadInformationN model="..."> per phone type). Read as it
// streams: cnfBegin(), cnfFeed() each TFTP block as it arrives (any split,
// down to one byte at a time), cnfEnd(). No whole-file buffer and no
// allocation: a byte-at-a-time state machine whose only carry-over between
// blocks is its state, the name being read (NAME_MAX bytes kept for lookup,
// all of it in a hash), an entity's 9 bytes and the value being read
// (VAL_MAX). The open elements are a fixed stack of (name length, name hash,
// id) slots, and only what this phone uses is kept:
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

/**
 * Longest file the phone reads: 256 KiB. Nothing is held whole, so this is
 * not a buffer's size but a bound on a download to refuse (TFTP ERROR 3, and
 * named: TooLarge) rather than read for minutes: CUCM's SEP files run from
 * 4 KiB to a few tens of KiB (64 KiB with many vendorConfig settings,
 * services and lines), four times that leaves room for any real one, and at
 * 1428-byte blocks it is 184 blocks, a second or two on a LAN.
 */
export const CNF_MAX_FILE = 262144;
export const CNF_MAX_CM = 3;
export const CNF_HOST_MAX = 64;
export const CNF_LOAD_MAX = 32;
/** SCCP's TCP port, used when a member has no ethernetPhonePort. */
export const CNF_DEFAULT_PORT: u32 = 2000;
/** The DSCP of SCCP signalling when the file gives none: CS3, as Cisco phones mark it. */
export const CNF_DSCP_DEFAULT: u32 = 24;
const MAX_DEPTH = 16;
const VAL_MAX = 64; // longest value kept: a host name
const NAME_MAX = 32; // longest name kept for lookup: the known ones are up to 18
const ENT_MAX = 9; // longest entity name: &#x10FFFF; and &averylong; are refused past it
const BAD: u32 = 0xffff_ffff;

export const enum CnfErr {
  Ok = 0,
  /** The file ends inside markup, an entity, or with elements still open (or is empty). */
  Truncated = 1,
  /** Elements nested deeper than 16. */
  TooDeep = 2,
  /** Longer than CNF_MAX_FILE. */
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

/** What cnfEnd() (or cnfParse()) found; all zero after an error. */
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
  /** Offset where scanning stopped: the end, or just past the byte where the error was found. */
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
const enum Ch {
  Tab = 0x09, Lf = 0x0a, Cr = 0x0d, Space = 0x20, Bang = 0x21, Quot = 0x22, Hash = 0x23,
  Amp = 0x26, Apos = 0x27, Dash = 0x2d, Dot = 0x2e, Slash = 0x2f, Zero = 0x30, Semi = 0x3b,
  Lt = 0x3c, Eq = 0x3d, Gt = 0x3e, Question = 0x3f, RBracket = 0x5d, Underscore = 0x5f, X = 0x78,
}

// "[CDATA[" after "<!"
const CDATA_OPEN = memory.data<u8>([91, 67, 68, 65, 84, 65, 91]);
const CDATA_OPEN_LEN = 7;

/** Where the scanner is: what the next byte continues. */
const enum St {
  Bom1, Bom2,   // after the first one or two bytes of a UTF-8 byte order mark
  Text,         // character data (or white space outside the root)
  Lt,           // after '<'
  Bang,         // after "<!": "--" (comment), "[CDATA[" or anything else (DOCTYPE)
  Comment, Pi, Doctype, Cdata,
  OpenName,     // an element's name
  Tag,          // in a start tag after its name or an attribute
  Slash,        // after '/' in a start tag: '>' must follow
  AttrName, AttrEq, AttrQuote, AttrValue,
  CloseName, CloseEnd,
  Entity,       // after '&', in text or an attribute value
}

let state = St.Text;
let err = 0;      // the first error, sticky until cnfBegin()
let pos: u32 = 0; // bytes fed so far
let depth = 0;
let member = 0;   // depth of the member being read; 0 outside one
let rootClosed = false;
let spaced = false;  // white space since the start tag's name or last attribute
let k = 0;           // Bang: bytes matched; Comment/Pi/Cdata: bytes of the end literal matched
let quote: u32 = 0;  // the attribute value's quote
let attrId: u32 = 0;
let entBack = St.Text; // where an entity returns
let entLen = 0;
// The name being read: its length (all of it), FNV-1a hash (all of it), first NAME_MAX bytes.
let nameLen: u32 = 0;
let nameHash: u32 = 0;
const name = memory.data(NAME_MAX);
const ent = memory.data(ENT_MAX);
// Per open element: name length (u32), name hash (u32), id (u8). A close tag
// must match the open element's length and FNV-1a hash: exact for every
// known name, and a mismatch of two unknown names of the same length goes
// unnoticed once in 2^32, the price of no name buffer.
const stack = memory.data(MAX_DEPTH * 12);
// The text of the element being read, entities decoded, leading white space dropped.
const val = memory.data(VAL_MAX);
let valLen = 0;

/** Starts reading a file: nothing kept, nothing seen. */
export function cnfBegin(): void {
  clear();
  state = St.Text;
  err = 0;
  pos = 0;
  depth = member = valLen = 0;
  rootClosed = false;
}

/**
 * Reads the next `len` bytes of the file at `p` (any split of the file:
 * blocks as they arrive, down to one byte). Returns CnfErr.Ok while the file
 * may still be good, else the error, which stays until cnfBegin() (no trap
 * on any input).
 */
export function cnfFeed(p: usize, len: i32): i32 {
  if (err != 0 || len <= 0) return err;
  if (<u64>pos + <u64>len > <u64>CNF_MAX_FILE) {
    err = CnfErr.TooLarge;
    return err;
  }
  for (let i = 0; i < len; i++) {
    const e = step(<u32>load<u8>(p + <usize>i));
    pos++;
    if (e != 0) {
      err = e;
      cnf.stop = <i32>pos;
      return e;
    }
  }
  return 0;
}

/** The error found so far (0: none yet). */
export function cnfError(): i32 { return err; }

/** The file has ended: returns CnfErr.Ok with `cnf` filled in, or the reason the phone cannot use it. */
export function cnfEnd(): i32 {
  let e = err;
  if (e == 0) {
    cnf.stop = <i32>pos;
    if (state == St.Bom1 || state == St.Bom2) e = CnfErr.Malformed; // 0xEF is no text outside the root
    else if (state != St.Text || !rootClosed) e = CnfErr.Truncated;
    else if (cnf.cmCount == 0) e = CnfErr.NoCallManager;
    err = e;
  }
  if (e != 0) clear();
  return e;
}

/** Scans the whole `len`-byte file at `p` into `cnf`: cnfBegin, cnfFeed, cnfEnd. */
export function cnfParse(p: usize, len: i32): i32 {
  cnfBegin();
  cnfFeed(p, len);
  return cnfEnd();
}

function clear(): void {
  cnf.cmCount = cnf.loadLen = 0;
  cnf.security = 0;
  cnf.protocol = CnfProto.None;
  cnf.dscp = CNF_DSCP_DEFAULT;
  cnf.dscpGiven = false;
}

/** One byte of the file: its state's family takes it. */
function step(c: u32): i32 {
  switch (state) {
    case St.Bang: case St.Doctype: case St.Comment: case St.Pi: case St.Cdata: return declarationStep(c);
    case St.OpenName: case St.Tag: case St.Slash: case St.AttrName: case St.AttrEq: case St.AttrQuote: case St.AttrValue:
    case St.CloseName: case St.CloseEnd: return tagStep(c);
    default: return textStep(c);
  }
}

/** Character data, the byte order mark, the "<" that opens markup, entities. */
function textStep(c: u32): i32 {
  switch (state) {
    case St.Text: {
      if (pos == 0 && c == 0xef) { // a UTF-8 byte order mark, as Windows editors write
        state = St.Bom1;
        return 0;
      }
      if (c == Ch.Lt) {
        state = St.Lt;
        return 0;
      }
      return text(c);
    }
    case St.Bom1: {
      if (c != 0xbb) return CnfErr.Malformed;
      state = St.Bom2;
      return 0;
    }
    case St.Bom2: {
      if (c != 0xbf) return CnfErr.Malformed;
      state = St.Text;
      return 0;
    }
    case St.Lt: {
      if (c == Ch.Question) {
        state = St.Pi;
        k = 1; // "<?>" is a whole processing instruction
      } else if (c == Ch.Bang) {
        state = St.Bang;
        k = 0;
      } else if (c == Ch.Slash) {
        state = St.CloseName;
        nameStart();
      } else {
        if (nameEnds(c) || rootClosed) return CnfErr.Malformed;
        if (depth == MAX_DEPTH) return CnfErr.TooDeep;
        state = St.OpenName;
        nameStart();
        nameAdd(c);
      }
      return 0;
    }
    case St.Entity: {
      if (c == Ch.Semi) {
        state = entBack;
        return entity();
      }
      if (entLen == ENT_MAX) return CnfErr.Malformed;
      store<u8>(ent + <usize>entLen, <u8>c);
      entLen++;
      return 0;
    }
  }
  return CnfErr.Malformed;
}

/** Inside <!DOCTYPE>, <!-- -->, <?...?> and <![CDATA[...]]>. */
function declarationStep(c: u32): i32 {
  switch (state) {
    case St.Bang: {
      if (k == 0 && c == Ch.Dash) k = -1;
      else if (k == -1 && c == Ch.Dash) {
        state = St.Comment;
        k = 0;
      } else if (k >= 0 && k < CDATA_OPEN_LEN && c == <u32>load<u8>(CDATA_OPEN + <usize>k)) {
        if (++k == CDATA_OPEN_LEN) {
          state = St.Cdata;
          k = 0;
        }
      } else state = c == Ch.Gt ? St.Text : St.Doctype; // <!DOCTYPE ...> without an internal subset
      return 0;
    }
    case St.Doctype: {
      if (c == Ch.Gt) state = St.Text;
      return 0;
    }
    case St.Comment: {
      // "-->": k dashes seen
      if (c == Ch.Dash) k = min(k + 1, 2);
      else if (c == Ch.Gt && k == 2) state = St.Text;
      else k = 0;
      return 0;
    }
    case St.Pi: {
      if (c == Ch.Question) k = 1;
      else if (c == Ch.Gt && k == 1) state = St.Text;
      else k = 0;
      return 0;
    }
    case St.Cdata: {
      // "]]>": k brackets held back, kept when they turn out to be text
      if (c == Ch.RBracket) {
        if (k < 2) k++;
        else keep(c);
        return 0;
      }
      if (c == Ch.Gt && k == 2) {
        if (depth == 0) return CnfErr.Malformed;
        state = St.Text;
        return 0;
      }
      for (; k > 0; k--) keep(Ch.RBracket);
      keep(c);
      return 0;
    }
  }
  return CnfErr.Malformed;
}

/** Inside a start or end tag: its name, attributes and their values. */
function tagStep(c: u32): i32 {
  switch (state) {
    case St.OpenName: {
      if (!nameEnds(c)) {
        nameAdd(c);
        return 0;
      }
      push();
      state = St.Tag;
      spaced = false;
      return step(c);
    }
    case St.Tag: {
      if (isWs(c)) {
        spaced = true;
        return 0;
      }
      if (c == Ch.Gt) {
        state = St.Text;
        valLen = 0;
        return 0;
      }
      if (c == Ch.Slash) {
        state = St.Slash;
        return 0;
      }
      if (!spaced || nameEnds(c)) return CnfErr.Malformed;
      state = St.AttrName;
      nameStart();
      nameAdd(c);
      return 0;
    }
    case St.Slash: {
      if (c != Ch.Gt) return CnfErr.Malformed;
      state = St.Text;
      valLen = 0; // <x a="1"/> has no text
      return close();
    }
    case St.AttrName: {
      if (!nameEnds(c)) {
        nameAdd(c);
        return 0;
      }
      attrId = nameId();
      state = St.AttrEq;
      return step(c);
    }
    case St.AttrEq: {
      if (isWs(c)) return 0;
      if (c != Ch.Eq) return CnfErr.Malformed;
      state = St.AttrQuote;
      return 0;
    }
    case St.AttrQuote: {
      if (isWs(c)) return 0;
      if (c != Ch.Quot && c != Ch.Apos) return CnfErr.Malformed;
      quote = c;
      valLen = 0;
      state = St.AttrValue;
      return 0;
    }
    case St.AttrValue: {
      if (c == quote) {
        state = St.Tag;
        spaced = false;
        if (member == depth && attrId == Id.Priority) return priority();
        return 0;
      }
      return text(c);
    }
    case St.CloseName: {
      if (!nameEnds(c)) {
        nameAdd(c);
        return 0;
      }
      state = St.CloseEnd;
      return step(c);
    }
    case St.CloseEnd: {
      if (isWs(c)) return 0;
      if (c != Ch.Gt || depth == 0) return CnfErr.Malformed;
      const s = stack + <usize>((depth - 1) * 12);
      if (nameLen != load<u32>(s) || nameHash != load<u32>(s, 4)) return CnfErr.Malformed;
      state = St.Text;
      return close();
    }
  }
  return CnfErr.Malformed;
}

/** A byte of character data or of an attribute value. */
function text(c: u32): i32 {
  if (c == Ch.Lt || (depth == 0 && !isWs(c))) return CnfErr.Malformed;
  if (c == Ch.Amp) {
    entBack = state;
    state = St.Entity;
    entLen = 0;
  } else keep(c);
  return 0;
}

function nameStart(): void {
  nameLen = 0;
  nameHash = 0x811c9dc5;
}

function nameAdd(c: u32): void {
  if (nameLen < <u32>NAME_MAX) store<u8>(name + <usize>nameLen, <u8>c);
  if (nameLen < 0xffff_ffff) nameLen++;
  nameHash = (nameHash ^ c) * 0x01000193;
}

/** The id of the name just read (Id.None when longer than any known one). */
function nameId(): u32 { return nameLen <= <u32>NAME_MAX ? lookup(name, <i32>nameLen) : Id.None; }

function push(): void {
  const s = stack + <usize>(depth * 12);
  store<u32>(s, nameLen);
  store<u32>(s, nameHash, 4);
  store<u8>(s, <u8>nameId(), 8);
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
  return d < 0 ? Id.None : <u32>load<u8>(stack + <usize>(d * 12), 8);
}

function close(): i32 {
  trim();
  const e = take();
  if (--depth == 0) rootClosed = true;
  valLen = 0;
  return e;
}

/** &amp; &lt; &gt; &quot; &apos; &#NN; &#xHH; (its name in ent). A character beyond ASCII is kept as '?'. */
function entity(): i32 {
  const n = entLen;
  let c: u32 = 0;
  if (n > 1 && load<u8>(ent) == Ch.Hash) {
    c = load<u8>(ent + 1) == Ch.X ? number(ent + 2, n - 2, 16) : number(ent + 1, n - 1, 10);
    if (c > 0x10ffff) c = 0;
  } else {
    const id = lookup(ent, n);
    if (id >= <u32>Id.Amp) c = load<u8>(ENTITY_CHARS + <usize>(id - Id.Amp));
  }
  if (c == 0) return CnfErr.Malformed;
  keep(c > 0x7f ? Ch.Question : c);
  return 0;
}

/** Bytes that end a name: white space and controls, < > / = and quotes. */
function nameEnds(c: u32): bool {
  return c <= 0x20 || c == Ch.Lt || c == Ch.Gt || c == Ch.Slash || c == Ch.Eq || c == Ch.Quot || c == Ch.Apos;
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

@inline function isWs(c: u32): bool { return c == Ch.Space || c == Ch.Lf || c == Ch.Cr || c == Ch.Tab; }

/** Letters, digits, '-', '.', '_': host names and load names. */
function hostChar(c: u32): bool {
  return c - Ch.Zero <= 9 || (c | 0x20) - 0x61 <= 25 || c == Ch.Dash || c == Ch.Dot || c == Ch.Underscore;
}
