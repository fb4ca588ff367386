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
// protocol, deviceSecurityMode and the DSCP for signalling, and what a SIP
// phone needs: each member's sipPort, the transport, sipProfile's sipStack
// timers and the first CNF_SIP_LINES lines of its <sipLines>. Anything else
// that is well-formed XML is skipped, the <lines> the simulated CallManager
// reads for SCCP phones too (host/sim/cnf.ts).
//
// transportLayerProtocol: no Cisco document giving its values was found.
// CUCM writes the phone security profile's Transport Type there; the files
// seen agree on 1 for TCP (CUCM's SCCP files, which are TCP only; a guide
// for SIP 8945s: "défini sur 1 pour utiliser TCP") and 2 for UDP (Wazo's
// SEP template for Asterisk, which listens on UDP:
// wazo-platform/wazo-provd-plugins plugins/wazo-cisco-sip/common/templates/
// base.tpl), 3 being TLS and 4 CUCM's default "TCP+UDP"; one generator
// (a NixOS module) writes 1 for UDP instead. So: 2 is UDP; 1, 3, 4 and
// absent are TCP (TLS only comes with deviceSecurityMode 2 or 3, which the
// phone refuses by name); another value is BadValue.
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
/** SIP's port (RFC 3261), for a member without sipPort and a line without port. */
export const CNF_SIP_PORT: u32 = 5060;
/** Lines kept from <sipLines>: the first four with a name, in file order. */
export const CNF_SIP_LINES = 4;
/** Longest line name, auth name and display name kept; longer is BadValue. */
export const CNF_SIP_NAME_MAX = 32;
/** Longest password kept; longer is BadValue, never cut. */
export const CNF_SIP_PASS_MAX = 64;
/** sipStack's defaults: timerRegisterExpires (s), timerT1 and timerT2 (ms), as CUCM's SIP profile. */
export const CNF_SIP_EXPIRES: u32 = 3600;
export const CNF_SIP_T1: u32 = 500;
export const CNF_SIP_T2: u32 = 4000;
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
  /**
   * A port, priority, deviceSecurityMode, dscpForCm2Dvce, transportLayerProtocol or SIP timer that is
   * not a number in range (timerT2 below timerT1 too), a load name too long or with odd characters, or a
   * SIP line's name, auth name, display name or password too long (or, but for the display name, with a
   * character reference beyond ASCII), or a proxy neither USECALLMANAGER nor an IPv4 address.
   */
  BadValue = 5,
  /** Well-formed, but no member with a usable processNodeName. */
  NoCallManager = 6,
}

export const enum CnfProto { None = 0, Sccp = 1, Sip = 2, Other = 3 }
export const enum CnfSipTransport { Udp = 1, Tcp = 2 }

/** One CallManager: its address or host name is in host(), hostLen bytes. */
@unmanaged export class CnfCallManager {
  /** processNodeName as an IPv4 address; 0 when it is a host name to resolve. */
  addr: u32;
  /** ethernetPhonePort (SCCP). */
  port: u32;
  priority: u32;
  /** sipPort, CNF_SIP_PORT when absent or empty. */
  sipPort: u32;
  hostLen: i32;
  host(): usize { return changetype<usize>(this) + offsetof<CnfCallManager>(); }
}
const CM_SIZE = offsetof<CnfCallManager>() + <usize>CNF_HOST_MAX;
// The sorted CallManagers, then the member being read.
const slots = memory.data(<i32>CM_SIZE * (CNF_MAX_CM + 1));
function slot(i: i32): CnfCallManager { return changetype<CnfCallManager>(slots + <usize>i * CM_SIZE); }

/** One line of <sipLines>; its texts, entities decoded, at name(), authName(), password(), display(). */
@unmanaged export class CnfSipLine {
  /** The button attribute; 0 when absent. */
  button: u32;
  nameLen: i32;
  /** 0: authenticate with the name. */
  authNameLen: i32;
  passwordLen: i32;
  displayLen: i32;
  /** <proxy> as an IPv4 address; 0 for USECALLMANAGER (or empty): register with the CallManagers. */
  proxyAddr: u32;
  /** <port>, CNF_SIP_PORT when absent or empty: the proxy's port when proxyAddr is set. */
  proxyPort: u32;
  name(): usize { return changetype<usize>(this) + offsetof<CnfSipLine>(); }
  authName(): usize { return this.name() + <usize>CNF_SIP_NAME_MAX; }
  password(): usize { return this.name() + <usize>(2 * CNF_SIP_NAME_MAX); }
  display(): usize { return this.password() + <usize>CNF_SIP_PASS_MAX; }
}
const LINE_SIZE = offsetof<CnfSipLine>() + <usize>(3 * CNF_SIP_NAME_MAX + CNF_SIP_PASS_MAX);
// The kept lines, then the line being read.
const lineSlots = memory.data(<i32>LINE_SIZE * (CNF_SIP_LINES + 1));
function lineSlot(i: i32): CnfSipLine { return changetype<CnfSipLine>(lineSlots + <usize>i * LINE_SIZE); }

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
  /** CnfSipTransport from transportLayerProtocol: TCP when absent. */
  sipTransport: u32;
  /** sipStack's timerRegisterExpires, 60..86400 s (below 60 a registrar may answer 423), CNF_SIP_EXPIRES when absent. */
  sipExpires: u32;
  /** timerT1, 100..10000 ms, CNF_SIP_T1 when absent. */
  sipT1: u32;
  /** timerT2, 200..60000 ms and not below T1, CNF_SIP_T2 when absent. */
  sipT2: u32;
  /** SIP lines in sipLine(0..sipLineCount-1), file order: the first CNF_SIP_LINES line buttons (featureID 9 or none) with a name. */
  sipLineCount: i32;
  /** Named line buttons after those, not kept. */
  sipLinesSkipped: i32;
  /** Offset where scanning stopped: the end, or just past the byte where the error was found. */
  stop: i32;
  cm(i: i32): CnfCallManager { return slot(i); }
  sipLine(i: i32): CnfSipLine { return lineSlot(i); }
}
export const cnf = changetype<Cnf>(memory.data(offsetof<Cnf>()));
export const cnfLoad = memory.data(CNF_LOAD_MAX);

// Element names and values the scanner knows, as (length, ASCII) entries;
// an id is the 1-based position: callManagerGroup members member priority
// callManager ports ethernetPhonePort processNodeName deviceProtocol
// loadInformation loadInformation7 deviceSecurityMode dscpForCm2Dvce SCCP SIP
// sipPort sipProfile sipStack timerRegisterExpires timerT1 timerT2 sipLines
// line featureID name authName authPassword displayName proxy port button
// transportLayerProtocol USECALLMANAGER amp lt gt quot apos.
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
  7, 115, 105, 112, 80, 111, 114, 116,
  10, 115, 105, 112, 80, 114, 111, 102, 105, 108, 101,
  8, 115, 105, 112, 83, 116, 97, 99, 107,
  20, 116, 105, 109, 101, 114, 82, 101, 103, 105, 115, 116, 101, 114, 69, 120, 112, 105, 114, 101, 115,
  7, 116, 105, 109, 101, 114, 84, 49,
  7, 116, 105, 109, 101, 114, 84, 50,
  8, 115, 105, 112, 76, 105, 110, 101, 115,
  4, 108, 105, 110, 101,
  9, 102, 101, 97, 116, 117, 114, 101, 73, 68,
  4, 110, 97, 109, 101,
  8, 97, 117, 116, 104, 78, 97, 109, 101,
  12, 97, 117, 116, 104, 80, 97, 115, 115, 119, 111, 114, 100,
  11, 100, 105, 115, 112, 108, 97, 121, 78, 97, 109, 101,
  5, 112, 114, 111, 120, 121,
  4, 112, 111, 114, 116,
  6, 98, 117, 116, 116, 111, 110,
  22, 116, 114, 97, 110, 115, 112, 111, 114, 116, 76, 97, 121, 101, 114, 80, 114, 111, 116, 111, 99, 111, 108,
  14, 85, 83, 69, 67, 65, 76, 76, 77, 65, 78, 65, 71, 69, 82,
  3, 97, 109, 112, 2, 108, 116, 2, 103, 116, 4, 113, 117, 111, 116, 4, 97, 112, 111, 115,
  0,
]);
const enum Id {
  None, Group, Members, Member, Priority, CallManager, Ports, EthPort, Host, Protocol,
  Load, LoadModel, Security, Dscp, Sccp, Sip,
  SipPort, SipProfile, SipStack, Expires, T1, T2, SipLines, Line, FeatureId, Name, AuthName, Password, Display,
  Proxy, LinePort, Button, Transport, UseCm, Amp,
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
let line = 0;     // depth of the <sipLines> line being read; 0 outside one
let lineIsLine = true; // its featureID is 9 (a line, not a speed dial or service) or absent
let raw = false;  // the element being read is a password: its white space is kept
let lossy = false; // a character reference beyond ASCII was kept as '?' in its text
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
  depth = member = line = valLen = 0;
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
    else if (cnf.sipT2 < cnf.sipT1) e = CnfErr.BadValue;
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
  cnf.sipTransport = CnfSipTransport.Tcp;
  cnf.sipExpires = CNF_SIP_EXPIRES;
  cnf.sipT1 = CNF_SIP_T1;
  cnf.sipT2 = CNF_SIP_T2;
  cnf.sipLineCount = cnf.sipLinesSkipped = 0;
  memory.fill(lineSlots, 0, LINE_SIZE * (CNF_SIP_LINES + 1)); // no password left behind
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
        if (line == depth && attrId == Id.Button) return button();
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
  const id = nameId();
  store<u32>(s, nameLen);
  store<u32>(s, nameHash, 4);
  store<u8>(s, <u8>id, 8);
  depth++;
  valLen = 0;
  lossy = false;
  raw = line != 0 && depth == line + 1 && id == Id.Password;
  if (id == Id.Member && idAt(1) == Id.Members && idAt(2) == Id.Group) {
    member = depth;
    const m = slot(CNF_MAX_CM);
    m.addr = 0;
    m.port = CNF_DEFAULT_PORT;
    m.priority = 0;
    m.sipPort = CNF_SIP_PORT;
    m.hostLen = -1;
  } else if (depth == 4 && id == Id.Line && idAt(1) == Id.SipLines && idAt(2) == Id.SipProfile) {
    line = depth;
    lineIsLine = true;
    memory.fill(changetype<usize>(lineSlot(CNF_SIP_LINES)), 0, offsetof<CnfSipLine>()); // proxyPort 0 until commitLine: not given
  }
}

/** Id of the open element `up` levels above the innermost. */
function idAt(up: i32): u32 {
  const d = depth - 1 - up;
  return d < 0 ? Id.None : <u32>load<u8>(stack + <usize>(d * 12), 8);
}

function close(): i32 {
  if (!raw) trim();
  const e = take();
  if (--depth == 0) rootClosed = true;
  valLen = 0;
  raw = false;
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
  if (c > 0x7f) {
    lossy = true;
    c = Ch.Question;
  }
  keep(c);
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
    } else if (id == Id.Transport && valLen > 0) {
      const v = number(val, valLen, 10);
      if (v - 1 > 3) return CnfErr.BadValue;
      cnf.sipTransport = v == 2 ? CnfSipTransport.Udp : CnfSipTransport.Tcp;
    }
    return 0;
  }
  if (line != 0) return takeLine(id);
  if (depth == 4 && idAt(1) == Id.SipStack && idAt(2) == Id.SipProfile) return takeTimer(id);
  if (member == 0) return 0;
  const rel = depth - member;
  if (rel == 0) {
    member = 0;
    commit();
  } else if (rel == 1 && id == Id.Priority) return priority();
  else if (rel == 2 && id == Id.Host && idAt(1) == Id.CallManager) takeHost();
  else if (rel == 3 && idAt(1) == Id.Ports && idAt(2) == Id.CallManager) {
    if (id == Id.EthPort) {
      const v = port();
      if (v == 0) return CnfErr.BadValue;
      slot(CNF_MAX_CM).port = v;
    } else if (id == Id.SipPort && valLen > 0) { // CUCM's SCCP files may have an empty one
      const v = port();
      if (v == 0) return CnfErr.BadValue;
      slot(CNF_MAX_CM).sipPort = v;
    }
  }
  return 0;
}

/** The value as a port number, 0 when it is none. */
function port(): u32 {
  const v = number(val, valLen, 10);
  return v > 0xffff ? 0 : v;
}

// The ranges of timerRegisterExpires (s), timerT1 and timerT2 (ms): low, high.
const TIMER_RANGE = memory.data<u32>([60, 86400, 100, 10000, 200, 60000]);

/** timerRegisterExpires, timerT1 or timerT2 of sipProfile's sipStack, into sipExpires, sipT1, sipT2. */
function takeTimer(id: u32): i32 {
  const k = id - Id.Expires;
  if (k > 2) return 0;
  const v = number(val, valLen, 10); // BAD is out of every range
  const r = TIMER_RANGE + <usize>(k * 8);
  if (v < load<u32>(r) || v > load<u32>(r, 4)) return CnfErr.BadValue;
  store<u32>(changetype<usize>(cnf) + offsetof<Cnf>("sipExpires") + <usize>(k * 4), v);
  return 0;
}

/** A child of the <sipLines> line being read, or the line itself as it closes. */
function takeLine(id: u32): i32 {
  const l = lineSlot(CNF_SIP_LINES);
  const rel = depth - line;
  if (rel == 0) {
    line = 0;
    commitLine();
    return 0;
  }
  if (rel != 1) return 0;
  const k = id - Id.Name; // name, authName, password, display: their lengths and texts in that order
  if (k < 4) {
    const n = valLen;
    if (n > (k == 2 ? CNF_SIP_PASS_MAX : CNF_SIP_NAME_MAX) || (lossy && k < 3)) return CnfErr.BadValue; // only the display name may lose a character
    memory.copy(l.name() + <usize>(k * CNF_SIP_NAME_MAX + (k == 3 ? CNF_SIP_PASS_MAX - CNF_SIP_NAME_MAX : 0)), val, <usize>n);
    store<i32>(changetype<usize>(l) + offsetof<CnfSipLine>("nameLen") + <usize>(k * 4), n);
  } else if (id == Id.FeatureId) lineIsLine = valLen == 0 || number(val, valLen, 10) == 9;
  else if (id == Id.Proxy) {
    let a: u32 = 0;
    if (valLen > 0 && lookup(val, valLen) != Id.UseCm) {
      a = quad(val, valLen);
      if (a == 0 || a == BAD) return CnfErr.BadValue;
    }
    l.proxyAddr = a;
  } else if (id == Id.LinePort && valLen > 0) {
    const v = port();
    if (v == 0) return CnfErr.BadValue;
    l.proxyPort = v;
  }
  return 0;
}

/** The button attribute of a <sipLines> line. */
function button(): i32 {
  trim();
  const v = number(val, valLen, 10);
  if (v > 0xffff) return CnfErr.BadValue;
  lineSlot(CNF_SIP_LINES).button = v;
  return 0;
}

/** Keeps the line just read if it is a named line button and there is room; counts it if not. */
function commitLine(): void {
  const l = lineSlot(CNF_SIP_LINES);
  if (l.nameLen == 0 || !lineIsLine) return;
  const k = cnf.sipLineCount;
  if (k == CNF_SIP_LINES) {
    cnf.sipLinesSkipped++;
    return;
  }
  if (l.proxyPort == 0) l.proxyPort = CNF_SIP_PORT;
  memory.copy(changetype<usize>(lineSlot(k)), changetype<usize>(l), LINE_SIZE);
  cnf.sipLineCount = k + 1;
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
  let label = 0;
  let numeric = true;
  for (let i = 0; i < n; i++) {
    const c = <u32>load<u8>(val + <usize>i);
    if (c == Ch.Dot) {
      if (label == 0) return;
      label = 0;
      continue;
    }
    label++;
    if (c - Ch.Zero > 9) {
      if (!hostChar(c)) return;
      numeric = false;
    }
  }
  if (numeric) {
    const addr = quad(val, n);
    if (addr == 0 || addr == BAD) return;
    m.addr = addr;
  }
  memory.copy(m.host(), val, <usize>n);
  m.hostLen = n;
}

/** The dotted quad (four decimal numbers up to 255) in the `n` bytes at `p`, or BAD. */
function quad(p: usize, n: i32): u32 {
  if (n <= 0 || n > VAL_MAX) return BAD;
  let addr: u32 = 0;
  let oct: u32 = 0;
  let dots = 0;
  let digits = 0;
  for (let i = 0; i < n; i++) {
    const c = <u32>load<u8>(p + <usize>i);
    if (c == Ch.Dot) {
      if (digits == 0 || ++dots > 3) return BAD;
      addr = (addr << 8) | oct;
      oct = digits = 0;
      continue;
    }
    if (c - Ch.Zero > 9) return BAD;
    oct = oct * 10 + c - Ch.Zero;
    if (oct > 255) return BAD;
    digits++;
  }
  return dots == 3 && digits > 0 ? (addr << 8) | oct : BAD;
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
  if (valLen == 0 && isWs(c) && !raw) return;
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
