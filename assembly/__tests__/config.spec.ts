import {
  CNF_CUCM_SEP, CNF_CUCM_SIP, CNF_HOSTNAMES, CNF_MINIMAL, CNF_ODD, CNF_SIM, CNF_SIM_SIP, CNF_XMLDEFAULT,
} from "./config-fixtures";
import {
  CNF_MAX_FILE, CNF_DEFAULT_PORT, CNF_DSCP_DEFAULT, CNF_LOAD_MAX, CNF_HOST_MAX, CNF_MAX_CM, CnfErr, CnfProto, cnf, cnfBegin, cnfEnd, cnfError, cnfFeed, cnfLoad, cnfParse,
  CNF_SIP_EXPIRES, CNF_SIP_LINES, CNF_SIP_NAME_MAX, CNF_SIP_PASS_MAX, CNF_SIP_PORT, CNF_SIP_T1, CNF_SIP_T2, CnfSipLine, CnfSipTransport,
} from "../phone/config";

const buf = memory.data(CNF_MAX_FILE + 1024);
const IP_11: u32 = 0xc000020b; // 192.0.2.11

/** Writes the ASCII `s` at `dst`; returns its length. */
function ascii(s: string, dst: usize = buf): i32 {
  for (let i = 0; i < s.length; i++) store<u8>(dst + <usize>i, <u8>s.charCodeAt(i));
  return s.length;
}
function parse(s: string): i32 { return cnfParse(buf, ascii(s)); }
function str(p: usize, n: i32): string { return String.UTF8.decodeUnsafe(p, n); }
function host(i: i32): string { return str(cnf.cm(i).host(), cnf.cm(i).hostLen); }
function loadName(): string { return str(cnfLoad, cnf.loadLen); }

/** A file with the given members in a SEP-style devicePool. */
function withMembers(members: string): string {
  return "<device><devicePool><callManagerGroup><members>" + members
    + "</members></callManagerGroup></devicePool></device>";
}
function member(priority: string, node: string, port: string = ""): string {
  return "<member priority=\"" + priority + "\"><callManager>"
    + (port.length > 0 ? "<ports><ethernetPhonePort>" + port + "</ethernetPhonePort></ports>" : "")
    + "<processNodeName>" + node + "</processNodeName></callManager></member>";
}
/** `n` elements <x> around `inner`. */
function nest(n: i32, inner: string): string {
  let s = inner;
  for (let i = 0; i < n; i++) s = "<x>" + s + "</x>";
  return s;
}
/** A SEP file with one CallManager and CUCM's DSCP elements, dscpForCm2Dvce `v`. */
function withDscp(v: string): string {
  return "<device><devicePool><callManagerGroup><members>" + member("0", "192.0.2.11") + "</members></callManagerGroup></devicePool>"
    + "<dscpForSCCPPhoneConfig>96</dscpForSCCPPhoneConfig><dscpForCm2Dvce>" + v + "</dscpForCm2Dvce></device>";
}
/** Offset just past the root element's close tag. */
function rootEnd(s: string): i32 { return s.indexOf(">", s.lastIndexOf("</")) + 1; }

function expectCm(i: i32, node: string, addr: u32, port: u32, priority: u32): void {
  expect(host(i)).toBe(node);
  expect(cnf.cm(i).addr).toBe(addr);
  expect(cnf.cm(i).port).toBe(port);
  expect(cnf.cm(i).priority).toBe(priority);
}

describe("cnf scanner on CallManager's files", () => {
  it("reads a CUCM SEP file: three members out of order, sorted by priority", () => {
    const n = ascii(CNF_CUCM_SEP);
    expect(cnfParse(buf, n)).toBe(CnfErr.Ok);
    expect(cnf.cmCount).toBe(3);
    expectCm(0, "192.0.2.11", IP_11, 2000, 0);
    expectCm(1, "192.0.2.12", 0xc000020c, 2443, 1);
    expectCm(2, "198.51.100.13", 0xc633640d, 2000, 2);
    expect(cnf.protocol).toBe(CnfProto.Sccp);
    expect(loadName()).toBe("P0030801SR02"); // not the add-on module's load
    expect(cnf.stop).toBe(n);
  });

  it("ignores TVS members and the CAPF processNodeName outside callManagerGroup", () => {
    expect(parse(CNF_CUCM_SEP)).toBe(CnfErr.Ok);
    for (let i = 0; i < cnf.cmCount; i++) expect(host(i)).not.toBe("cucm1.voice.example");
  });

  it("reads XMLDefault.cnf.xml: the group under <Default>, the 7960's loadInformation7", () => {
    expect(parse(CNF_XMLDEFAULT)).toBe(CnfErr.Ok);
    expect(cnf.cmCount).toBe(1);
    expectCm(0, "203.0.113.5", 0xcb007105, 2000, 0);
    expect(loadName()).toBe("P00308010200");
    expect(cnf.protocol).toBe(CnfProto.None);
  });

  it("reads a hand-written file with priority as an element and a member without ports", () => {
    expect(parse(CNF_MINIMAL)).toBe(CnfErr.Ok);
    expect(cnf.cmCount).toBe(2);
    expectCm(0, "192.0.2.21", 0xc0000215, 2001, 0);
    expectCm(1, "192.0.2.22", 0xc0000216, CNF_DEFAULT_PORT, 1);
    expect(loadName()).toBe("P0030801SR02");
  });

  it("tolerates a BOM, DOCTYPE, PIs, comments, CDATA, entities, single quotes and white space", () => {
    const n = ascii(CNF_ODD, buf + 3);
    store<u8>(buf, 0xef);
    store<u8>(buf + 1, 0xbb);
    store<u8>(buf + 2, 0xbf);
    expect(cnfParse(buf, n + 3)).toBe(CnfErr.Ok);
    expect(cnf.cmCount).toBe(2);
    expectCm(0, "cm-a.lab.example", 0, 2000, 0);
    expectCm(1, "192.0.2.31", 0xc000021f, 2000, 1);
    expect(cnf.protocol).toBe(CnfProto.Sccp);
    expect(loadName()).toBe("P0030801SR02");
    expect(parse(CNF_ODD)).toBe(CnfErr.Ok); // and without the BOM
  });

  it("keeps host names for DNS and drops a member whose name is longer than 64", () => {
    expect(parse(CNF_HOSTNAMES)).toBe(CnfErr.Ok);
    expect(cnf.cmCount).toBe(2);
    expectCm(0, "CUCM-PUB", 0, 2000, 0);
    expectCm(1, "cucm-sub1.voice.example.", 0, 2000, 1);
    expect(loadName()).toBe("SCCP41.9-2-1S");
  });

  it("reads what the simulated TFTP server serves (host/sim/cnf.ts)", () => {
    expect(parse(CNF_SIM)).toBe(CnfErr.Ok);
    expect(cnf.cmCount).toBe(2);
    expectCm(0, "192.0.2.11", IP_11, 2000, 0);
    expectCm(1, "cucm2.voice.example", 0, 2002, 1);
    expect(loadName()).toBe("P0030801SR02");
    expect(cnf.protocol).toBe(CnfProto.Sccp);
  });

  it("names the device protocol: SIP, another one, none", () => {
    expect(parse(CNF_SIM.replace(">SCCP<", ">SIP<"))).toBe(CnfErr.Ok);
    expect(cnf.protocol).toBe(CnfProto.Sip);
    expect(parse(CNF_SIM.replace(">SCCP<", ">MGCP<"))).toBe(CnfErr.Ok);
    expect(cnf.protocol).toBe(CnfProto.Other);
    expect(parse(CNF_SIM.replace(">SCCP<", "><"))).toBe(CnfErr.Ok);
    expect(cnf.protocol).toBe(CnfProto.None);
  });

  it("reads deviceSecurityMode 1-3 under the root (0 when absent); another value is BadValue", () => {
    const group = "<devicePool><callManagerGroup><members>" + member("0", "192.0.2.11") + "</members></callManagerGroup></devicePool>";
    expect(parse("<device>" + group + "<deviceSecurityMode>3</deviceSecurityMode></device>")).toBe(CnfErr.Ok);
    expect(cnf.security).toBe(3);
    expect(parse("<device>" + group + "<deviceSecurityMode> 2 </deviceSecurityMode></device>")).toBe(CnfErr.Ok);
    expect(cnf.security).toBe(2);
    expect(parse(withMembers(member("0", "192.0.2.11")))).toBe(CnfErr.Ok);
    expect(cnf.security).toBe(0);
    expect(parse("<device>" + group + "<deviceSecurityMode>4</deviceSecurityMode></device>")).toBe(CnfErr.BadValue);
    expect(parse("<device>" + group + "<deviceSecurityMode></deviceSecurityMode></device>")).toBe(CnfErr.BadValue);
    expect(cnf.security).toBe(0);
    // Deeper in the tree it is another element's business.
    expect(parse("<device><x><deviceSecurityMode>9</deviceSecurityMode></x>" + group + "</device>")).toBe(CnfErr.Ok);
    expect(cnf.security).toBe(0);
    expect(cnfParse(buf, ascii(CNF_SIM))).toBe(CnfErr.Ok);
    expect(cnf.security).toBe(1);
  });

  it("reads dscpForCm2Dvce, the TOS byte of the signalling (96 in a CUCM file: CS3); CS3 when absent; out of range is BadValue", () => {
    expect(CNF_DSCP_DEFAULT).toBe(24);
    expect(cnfParse(buf, ascii(CNF_CUCM_SEP))).toBe(CnfErr.Ok);
    expect(cnf.dscp).toBe(24);
    expect(cnf.dscpGiven).toBe(true);
    const group = "<devicePool><callManagerGroup><members>" + member("0", "192.0.2.11") + "</members></callManagerGroup></devicePool>";
    expect(parse(withDscp("184"))).toBe(CnfErr.Ok); // EF
    expect(cnf.dscp).toBe(46);
    expect(parse(withDscp(" 104 "))).toBe(CnfErr.Ok); // AF31, white space around it
    expect(cnf.dscp).toBe(26);
    expect(parse(withDscp("0"))).toBe(CnfErr.Ok); // best effort, as configured
    expect(cnf.dscp).toBe(0);
    expect(cnf.dscpGiven).toBe(true);
    expect(parse(withDscp("252"))).toBe(CnfErr.Ok);
    expect(cnf.dscp).toBe(63);
    // Absent (the other DSCP elements are not the signalling's): CS3.
    expect(parse("<device>" + group + "<dscpForSCCPPhoneConfig>0</dscpForSCCPPhoneConfig></device>")).toBe(CnfErr.Ok);
    expect(cnf.dscp).toBe(24);
    expect(cnf.dscpGiven).toBe(false);
    // Past a TOS byte, ECN bits set, not a decimal number, empty, too many digits: the file is refused, the DSCP back to CS3.
    const bad = ["256", "97", "98", "99", "-4", "0x60", "9a", "", "96 96", "4294967296", "000000096"];
    for (let i = 0; i < bad.length; i++) {
      expect(parse(withDscp(bad[i]))).toBe(CnfErr.BadValue);
      expect(cnf.dscp).toBe(24);
      expect(cnf.dscpGiven).toBe(false);
    }
    // Deeper in the tree it is another element's business.
    expect(parse("<device><x><dscpForCm2Dvce>1</dscpForCm2Dvce></x>" + group + "</device>")).toBe(CnfErr.Ok);
    expect(cnf.dscpGiven).toBe(false);
    // XMLDefault.cnf.xml's root takes it too.
    expect(parse("<Default><callManagerGroup><members>" + member("0", "192.0.2.11") + "</members></callManagerGroup><dscpForCm2Dvce>40</dscpForCm2Dvce></Default>")).toBe(CnfErr.Ok);
    expect(cnf.dscp).toBe(10);
  });

  it("accepts a host name of exactly 64 characters and an empty loadInformation", () => {
    const name = "a".repeat(60) + ".com";
    expect(parse(withMembers(member("0", name)).replace("</device>", "<loadInformation/></device>"))).toBe(CnfErr.Ok);
    expect(cnf.cm(0).hostLen).toBe(CNF_HOST_MAX);
    expect(host(0)).toBe(name);
    expect(cnf.loadLen).toBe(0);
  });
});

describe("cnf scanner: priority order", () => {
  it("keeps the three lowest priorities of four", () => {
    expect(parse(withMembers(member("3", "192.0.2.4") + member("1", "192.0.2.2")
      + member("0", "192.0.2.1") + member("2", "192.0.2.3")))).toBe(CnfErr.Ok);
    expect(cnf.cmCount).toBe(CNF_MAX_CM);
    expectCm(0, "192.0.2.1", 0xc0000201, 2000, 0);
    expectCm(1, "192.0.2.2", 0xc0000202, 2000, 1);
    expectCm(2, "192.0.2.3", 0xc0000203, 2000, 2);
  });

  it("keeps file order among equal priorities, and the first three of five", () => {
    let s = "";
    for (let i = 1; i <= 5; i++) s += member("7", "192.0.2." + i.toString());
    expect(parse(withMembers(s))).toBe(CnfErr.Ok);
    expect(cnf.cmCount).toBe(3);
    expect(host(0)).toBe("192.0.2.1");
    expect(host(1)).toBe("192.0.2.2");
    expect(host(2)).toBe("192.0.2.3");
    expect(parse(withMembers(member("1", "b1") + member("0", "a") + member("1", "b2")))).toBe(CnfErr.Ok);
    expect(host(0)).toBe("a");
    expect(host(1)).toBe("b1");
    expect(host(2)).toBe("b2");
  });

  it("takes a member without a priority as priority 0", () => {
    expect(parse(withMembers(member("1", "later") + "<member><callManager><processNodeName>first</processNodeName></callManager></member>"))).toBe(CnfErr.Ok);
    expect(host(0)).toBe("first");
    expect(cnf.cm(0).priority).toBe(0);
  });

  it("skips unusable members and still uses the others", () => {
    expect(parse(withMembers(member("0", "192.0.2") + member("1", "192.0.2.7")))).toBe(CnfErr.Ok);
    expect(cnf.cmCount).toBe(1);
    expect(cnf.cm(0).addr).toBe(0xc0000207);
  });
});

describe("cnf scanner: errors", () => {
  it("rejects a file longer than the bound (CNF_MAX_FILE), and takes one that just reaches it", () => {
    let s = CNF_SIM + "<!--";
    const pad = CNF_MAX_FILE - s.length - 3;
    s += "x".repeat(pad) + "-->";
    expect(s.length).toBe(CNF_MAX_FILE);
    expect(parse(s)).toBe(CnfErr.Ok);
    expect(cnfParse(buf, CNF_MAX_FILE + 1)).toBe(CnfErr.TooLarge);
    expect(cnf.cmCount).toBe(0);
  });

  it("calls every prefix of every file truncated", () => {
    const files: string[] = [CNF_CUCM_SEP, CNF_XMLDEFAULT, CNF_MINIMAL, CNF_ODD, CNF_HOSTNAMES, CNF_SIM, CNF_CUCM_SIP];
    for (let f = 0; f < files.length; f++) {
      const s = files[f];
      const n = ascii(s);
      const last = rootEnd(s);
      expect(last).toBeGreaterThan(n - 20);
      for (let k = 0; k < last; k++) {
        const e = cnfParse(buf, k);
        if (e != CnfErr.Truncated) {
          trace("prefix not truncated", 3, <f64>f, <f64>k, <f64>e);
          expect(e).toBe(CnfErr.Truncated);
        }
      }
      expect(cnfParse(buf, last)).toBe(CnfErr.Ok);
    }
  });

  it("calls empty, negative and root-less input truncated", () => {
    expect(cnfParse(buf, 0)).toBe(CnfErr.Truncated);
    expect(cnfParse(buf, -5)).toBe(CnfErr.Truncated);
    expect(parse("<?xml version=\"1.0\"?>\n<!-- nothing -->\n")).toBe(CnfErr.Truncated);
    expect(parse("  \r\n\t")).toBe(CnfErr.Truncated);
  });

  it("allows 16 levels of elements and rejects 17", () => {
    const inner = "<callManagerGroup><members><member><callManager><processNodeName>192.0.2.11</processNodeName></callManager></member></members></callManagerGroup>";
    expect(parse(nest(11, inner))).toBe(CnfErr.Ok);
    expect(cnf.cm(0).addr).toBe(IP_11);
    expect(parse(nest(12, inner))).toBe(CnfErr.TooDeep);
    expect(parse(nest(2000, ""))).toBe(CnfErr.TooDeep);
  });

  it("rejects files that are not well-formed", () => {
    const bad: string[] = [
      "<device><devicePool></device></devicePool>",                     // mismatched close
      "<device></devic>",
      "<device></>",
      "<device><member priority=0></member></device>",                  // unquoted
      "<device><loadInformation124 model\"Addon 7914\"/></device>",     // no '=' (seen in a real XMLDefault)
      "<device><a b=\"1\"c=\"2\"/></device>",                           // no space between attributes
      "<device><a b='1'/></device>x",                                   // text after the root
      "<device><a b=\"<\"/></device>",                                  // '<' in a value
      "<device><a =\"1\"/></device>",
      "x<device></device>",                                             // text before the root
      "<device></device><device></device>",                             // two roots
      "<device></device><![CDATA[x]]>",
      "< device></device>",
      "<device><name>AT&T</name></device>",                             // bare '&'
      "<device><name>&nbsp;</name></device>",                           // unknown entity
      "<device><name>&#0;</name></device>",
      "<device><name>&#x110000;</name></device>",
      "<device><name>&#xZZ;</name></device>",
      "<device><name>&#;</name></device>",
      "<device><name>&;</name></device>",
      "<device><name>&averyveryverylongname;</name></device>",
      "<device/ >",
    ];
    for (let i = 0; i < bad.length; i++) {
      const e = parse(bad[i]);
      if (e != CnfErr.Malformed) trace("not malformed: " + bad[i]);
      expect(e).toBe(CnfErr.Malformed);
      expect(cnf.cmCount).toBe(0);
    }
  });

  it("says where it stopped", () => {
    expect(parse("<device><a></b></device>")).toBe(CnfErr.Malformed);
    expect(cnf.stop).toBe(15);
  });

  it("rejects ports, priorities and load names it cannot use", () => {
    const bad: string[] = [
      withMembers(member("0", "192.0.2.1", "abc")),
      withMembers(member("0", "192.0.2.1", "0")),
      withMembers(member("0", "192.0.2.1", "65536")),
      withMembers(member("0", "192.0.2.1", " \n")),
      withMembers(member("-1", "192.0.2.1")),
      withMembers(member("", "192.0.2.1")),
      withMembers(member("70000", "192.0.2.1")),
      withMembers(member("123456789", "192.0.2.1")),
      withMembers(member("0", "192.0.2.1")).replace("</device>", "<loadInformation>" + "P".repeat(CNF_LOAD_MAX + 1) + "</loadInformation></device>"),
      withMembers(member("0", "192.0.2.1")).replace("</device>", "<loadInformation>P003 0801</loadInformation></device>"),
      withMembers(member("0", "192.0.2.1")).replace("</device>", "<loadInformation>../../etc/x</loadInformation></device>"),
    ];
    for (let i = 0; i < bad.length; i++) {
      const e = parse(bad[i]);
      if (e != CnfErr.BadValue) trace("not a bad value: " + bad[i]);
      expect(e).toBe(CnfErr.BadValue);
    }
    // A load name of exactly 32 characters is fine.
    expect(parse(withMembers(member("0", "192.0.2.1")).replace("</device>", "<loadInformation>" + "P".repeat(CNF_LOAD_MAX) + "</loadInformation></device>"))).toBe(CnfErr.Ok);
    expect(cnf.loadLen).toBe(CNF_LOAD_MAX);
  });

  it("names a well-formed file without a usable CallManager", () => {
    const none: string[] = [
      "<device><devicePool><callManagerGroup><members></members></callManagerGroup></devicePool></device>",
      "<device/>",
      CNF_CUCM_SEP.replace("<callManagerGroup>", "<callManagerGroupX>").replace("</callManagerGroup>", "</callManagerGroupX>"),
      withMembers("<member priority=\"0\"><callManager><ports><ethernetPhonePort>2000</ethernetPhonePort></ports></callManager></member>"),
      withMembers(member("0", "")),
      withMembers(member("0", "256.1.1.1")),
      withMembers(member("0", "0.0.0.0")),
      withMembers(member("0", "255.255.255.255")),
      withMembers(member("0", "1.2.3.4.5")),
      withMembers(member("0", "1..2.3")),
      withMembers(member("0", ".example")),
      withMembers(member("0", "cm one")),
      withMembers(member("0", "cm/1")),
      withMembers(member("0", "a".repeat(65))),
      withMembers("<member><processNodeName>192.0.2.1</processNodeName></member>"), // not inside callManager
    ];
    for (let i = 0; i < none.length; i++) {
      const e = parse(none[i]);
      if (e != CnfErr.NoCallManager) trace("has a call manager: " + none[i]);
      expect(e).toBe(CnfErr.NoCallManager);
      expect(cnf.cmCount).toBe(0);
    }
  });
});

// A linear congruential generator (Numerical Recipes constants): the same
// mutations every run.
let seed: u32 = 20240607;
function rnd(n: i32): i32 {
  seed = seed * 1664525 + 1013904223;
  return <i32>((<u64>(seed >> 8) * <u64>n) >> 24);
}
const SPECIAL = "<>/?!-[]&;#x=\"' \nCDATA0123456789.priority";
// Edits that keep the markup: values become other numbers, names, junk.
const GENTLE = "0123456789.-_aZ :/\n";

/** Whether the byte at `i` is character data: '>' comes before '<' looking back. */
function inText(i: i32): bool {
  if (load<u8>(buf + <usize>i) == 0x3c) return false;
  for (let j = i - 1; j >= 0; j--) {
    const c = load<u8>(buf + <usize>j);
    if (c == 0x3e) return true;
    if (c == 0x3c) return false;
  }
  return false;
}

/** Applies one random edit to the `len` bytes at buf; returns the new length. */
function mutate(len: i32, gentle: bool): i32 {
  const op = rnd(6);
  const at = len > 0 ? rnd(len) : 0;
  if (gentle) {
    if (len > 0 && inText(at)) store<u8>(buf + <usize>at, <u8>GENTLE.charCodeAt(rnd(GENTLE.length)));
  } else if (op == 0 && len > 0) store<u8>(buf + <usize>at, <u8>SPECIAL.charCodeAt(rnd(SPECIAL.length)));
  else if (op == 1 && len > 0) store<u8>(buf + <usize>at, <u8>rnd(256));
  else if (op == 2) {
    const n = min(rnd(24) + 1, len - at);
    memory.copy(buf + <usize>at, buf + <usize>(at + n), <usize>(len - at - n));
    return len - n;
  } else if (op == 3) {
    const n = min(rnd(64) + 1, len - at);
    if (len + n > CNF_MAX_FILE + 1) return len;
    const to = rnd(len + 1);
    memory.copy(buf + <usize>(to + n), buf + <usize>to, <usize>(len - to));
    memory.copy(buf + <usize>to, buf + <usize>(at < to ? at : at + n), <usize>n);
    return len + n;
  } else if (op == 4) return rnd(len + 1);
  else if (len > 0) store<u8>(buf + <usize>at, load<u8>(buf + <usize>rnd(len)));
  return len;
}

/** What must hold after any input: a known result, bounded lengths, sorted CallManagers, nothing kept on error. */
function sane(e: i32, len: i32): bool {
  if (e < CnfErr.Ok || e > CnfErr.NoCallManager) return false;
  if (cnf.cmCount < 0 || cnf.cmCount > CNF_MAX_CM || cnf.loadLen < 0 || cnf.loadLen > CNF_LOAD_MAX) return false;
  if (e != CnfErr.TooLarge && (cnf.stop < 0 || cnf.stop > max(len, 0))) return false;
  if (cnf.sipLineCount < 0 || cnf.sipLineCount > CNF_SIP_LINES || cnf.sipLinesSkipped < 0) return false;
  if (e != CnfErr.Ok) return cnf.cmCount == 0 && cnf.loadLen == 0 && cnf.sipLineCount == 0 && cnf.sipLinesSkipped == 0 && sipDefaults();
  if (cnf.cmCount == 0) return false;
  if (cnf.sipTransport != CnfSipTransport.Udp && cnf.sipTransport != CnfSipTransport.Tcp) return false;
  if (cnf.sipExpires < 60 || cnf.sipExpires > 86400 || cnf.sipT1 < 100 || cnf.sipT2 < cnf.sipT1 || cnf.sipT2 > 60000) return false;
  for (let i = 0; i < cnf.sipLineCount; i++) {
    const l = cnf.sipLine(i);
    if (l.nameLen <= 0 || l.nameLen > CNF_SIP_NAME_MAX || l.authNameLen < 0 || l.authNameLen > CNF_SIP_NAME_MAX) return false;
    if (l.displayLen < 0 || l.displayLen > CNF_SIP_NAME_MAX || l.passwordLen < 0 || l.passwordLen > CNF_SIP_PASS_MAX) return false;
    if (l.proxyPort == 0 || l.proxyPort > 65535 || l.button > 65535) return false;
  }
  for (let i = 0; i < cnf.cmCount; i++) {
    const m = cnf.cm(i);
    if (m.hostLen <= 0 || m.hostLen > CNF_HOST_MAX || m.port == 0 || m.port > 65535 || m.sipPort == 0 || m.sipPort > 65535) return false;
    if (i > 0 && m.priority < cnf.cm(i - 1).priority) return false;
  }
  return true;
}

describe("cnf scanner: robustness", () => {
  it("returns on 12,000 seeded random mutations and truncations of the fixtures", () => {
    const files: string[] = [CNF_CUCM_SEP, CNF_XMLDEFAULT, CNF_MINIMAL, CNF_ODD, CNF_HOSTNAMES, CNF_SIM, CNF_CUCM_SIP];
    const seen = new StaticArray<i32>(8);
    for (let round = 0; round < 12000; round++) {
      let len = ascii(files[round % files.length]);
      const edits = 1 + rnd(round % 3 == 0 ? 40 : 4);
      const gentle = round % 3 == 1;
      for (let k = 0; k < edits; k++) len = mutate(len, gentle);
      const e = cnfParse(buf, len);
      if (!sane(e, len)) {
        trace("insane result", 2, <f64>round, <f64>e);
        expect(false).toBe(true);
      }
      seen[e]++;
    }
    // The mutations reach every outcome but the depth and size limits.
    for (let e = CnfErr.Ok; e <= CnfErr.NoCallManager; e++) {
      if (e != CnfErr.TooLarge && e != CnfErr.TooDeep) expect(seen[e]).toBeGreaterThan(0);
    }
  });

  it("returns on every markup byte at every place of a small file", () => {
    const s = CNF_MINIMAL;
    for (let i = 0; i < s.length; i++) {
      for (let c = 0; c < 12; c++) {
        const len = ascii(s);
        store<u8>(buf + <usize>i, <u8>SPECIAL.charCodeAt(c));
        expect(sane(cnfParse(buf, len), len)).toBe(true);
      }
    }
  });

  it("returns on random bytes, and on a full buffer of '<'", () => {
    for (let round = 0; round < 300; round++) {
      const len = rnd(4096);
      for (let i = 0; i < len; i++) store<u8>(buf + <usize>i, <u8>rnd(256));
      expect(sane(cnfParse(buf, len), len)).toBe(true);
    }
    memory.fill(buf, 0x3c, CNF_MAX_FILE);
    expect(cnfParse(buf, CNF_MAX_FILE)).toBe(CnfErr.Malformed);
    memory.fill(buf, 0x26, CNF_MAX_FILE); // '&' everywhere
    expect(cnfParse(buf, CNF_MAX_FILE)).toBe(CnfErr.Malformed);
  });
});

// ---- read as it streams (issue 18) ----------------------------------------

const VENDOR: string[] = ["disableSpeaker", "pcPort", "settingsAccess", "garp", "voiceVlanAccess", "webAccess", "spanToPCPort", "loggingDisplay", "sshAccess", "displayIdleTimeout"];

/**
 * A CUCM-style SEP file of at least `size` bytes: <devicePool> with a
 * <callManagerGroup> of three members (out of priority order, one on port
 * 2443, one by host name), <loadInformation>, a <vendorConfig> of many
 * elements, <phoneServices> with attributes and URLs, several <lines>,
 * comments, a CDATA section, a DOCTYPE and a PI, entities, and names and text
 * longer than the scanner keeps (skipped: the phone does not need them).
 */
function cucmFile(size: i32): string {
  let s = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE device>\n<device xsi:type=\"axl:XIPPhone\" ctiid=\"94\">\n"
    + "<fullConfig>true</fullConfig>\n<deviceProtocol>SCCP</deviceProtocol>\n<sshUserId>admin</sshUserId>\n"
    + "<devicePool uuid=\"{1b1b9eb6-7803-11d3-bdf0-00108302ead1}\">\n<revertPriority>0</revertPriority>\n<name>Default</name>\n"
    + "<dateTimeSetting uuid=\"{9ec4850a-7748-11d3-bdf0-00108302ead1}\"><name>CMLocal</name><dateTemplate>M/D/Y</dateTemplate><timeZone>Greenwich Standard Time</timeZone></dateTimeSetting>\n"
    + "<callManagerGroup>\n<name>Default</name>\n<tftpDefault>true</tftpDefault>\n<members>\n"
    + "<member priority=\"2\"><callManager><name>CM_cucm3</name><description>" + "a description longer than anything the phone keeps, ".repeat(4) + "</description>"
    + "<ports><ethernetPhonePort>2000</ethernetPhonePort><sipPort>5060</sipPort><securedSipPort>5061</securedSipPort></ports><processNodeName>cucm3.voice.example</processNodeName></callManager></member>\n"
    + "<member priority=\"0\"><callManager><name>CM_cucm1</name><ports><ethernetPhonePort>2000</ethernetPhonePort></ports><processNodeName>192.0.2.11</processNodeName></callManager></member>\n"
    + "<!-- the subscriber listens on another port -->\n"
    + "<member priority=\"1\"><callManager><name>CM_cucm2</name><ports><ethernetPhonePort>2443</ethernetPhonePort><mgcpPorts><listen>2427</listen><keepAlive>2428</keepAlive></mgcpPorts></ports><processNodeName>192.0.2.12</processNodeName></callManager></member>\n"
    + "</members>\n</callManagerGroup>\n<srstInfo uuid=\"{cd241e11-4a58-4d3d-9661-f06c912a18a3}\"><name>Disable</name><srstOption>Disable</srstOption></srstInfo>\n"
    + "<connectionMonitorDuration>120</connectionMonitorDuration>\n</devicePool>\n"
    + "<TVS><members><member priority=\"0\"><port>2445</port><address>cucm1.voice.example</address></member></members></TVS>\n"
    + "<loadInformation>P0030801SR02</loadInformation>\n"
    + "<addOnModules><addOnModule idx=\"1\"><loadInformation>SCCP7914.5-2-1</loadInformation></addOnModule></addOnModules>\n"
    + "<lines>\n";
  for (let i = 1; i <= 6; i++) {
    s += "<line button=\"" + i.toString() + "\" lineIndex=\"" + i.toString() + "\"><featureID>9</featureID><featureLabel>Line &amp; " + i.toString()
      + "</featureLabel><name>200" + i.toString() + "</name><displayName>Desk &lt;" + i.toString() + "&gt;</displayName><contact>200" + i.toString() + "</contact></line>\n";
  }
  s += "</lines>\n<vendorConfig>\n";
  let i = 0;
  while (s.length < size / 2) {
    const name = VENDOR[i % VENDOR.length] + (i < VENDOR.length ? "" : i.toString());
    s += "<" + name + ">" + (i % 3 == 0 ? "true" : i % 3 == 1 ? "0" : "Disabled") + "</" + name + ">\n";
    i++;
  }
  s += "<" + "aVendorSettingWithANameLongerThanTheThirtyTwoBytesKept".repeat(3) + " a='1'>" + "x".repeat(300) + "</" + "aVendorSettingWithANameLongerThanTheThirtyTwoBytesKept".repeat(3) + ">\n";
  s += "</vendorConfig>\n<!-- services: <url> & \"quotes\" are fine in a comment; -- - - -> -->\n"
    + "<informationURL><![CDATA[http://cucm1.voice.example:8080/help?a=1&b=<2>]] ]]]]></informationURL>\n"
    + "<?cisco services follow?>\n<phoneServices useHTTPS=\"false\">\n<provisioning>2</provisioning>\n";
  i = 0;
  while (s.length < size) {
    s += "<phoneService type=\"1\" category=\"0\"><name>Service " + i.toString() + " &amp; more</name><url>http://apps.voice.example/svc/"
      + i.toString() + "?x=" + i.toString() + "&amp;y=z&#38;w=&#x41;</url><vendor></vendor><version/></phoneService>\n";
    i++;
  }
  s += "</phoneServices>\n<deviceSecurityMode>1</deviceSecurityMode>\n<dscpForSCCPPhoneConfig>96</dscpForSCCPPhoneConfig>\n<dscpForCm2Dvce>104</dscpForCm2Dvce>\n</device>\n";
  return s;
}

/** Everything cnf holds after a read, as text: result, CallManagers, load, protocol, security, DSCP. */
function result(e: i32): string {
  let s = e.toString() + " cm=" + cnf.cmCount.toString();
  for (let i = 0; i < cnf.cmCount; i++) {
    const m = cnf.cm(i);
    s += " [" + host(i) + " " + m.addr.toString() + ":" + m.port.toString() + "/" + m.sipPort.toString() + " p" + m.priority.toString() + "]";
  }
  s += " load=" + loadName() + " proto=" + cnf.protocol.toString() + " sec=" + cnf.security.toString()
    + " dscp=" + cnf.dscp.toString() + (cnf.dscpGiven ? "!" : "") + " sip=" + cnf.sipTransport.toString() + "/" + cnf.sipExpires.toString()
    + "/" + cnf.sipT1.toString() + "/" + cnf.sipT2.toString() + " skipped=" + cnf.sipLinesSkipped.toString();
  for (let i = 0; i < cnf.sipLineCount; i++) s += " " + sipLineText(cnf.sipLine(i));
  return s;
}

/** Reads the `len` bytes at buf in blocks of `block` bytes. */
function streamed(len: i32, block: i32): i32 {
  cnfBegin();
  for (let at = 0; at < len; at += block) cnfFeed(buf + <usize>at, min(block, len - at));
  return cnfEnd();
}

describe("cnf scanner: read as it streams", () => {
  it("reads a 64 KiB CUCM-style file whole and in blocks of 1428, 1, 7 and more bytes, with the same result", () => {
    const s = cucmFile(65536);
    const n = ascii(s);
    expect(n).toBeGreaterThanOrEqual(65536);
    expect(n).toBeLessThan(65536 + 1024);
    const whole = cnfParse(buf, n);
    expect(whole).toBe(CnfErr.Ok);
    expect(cnf.cmCount).toBe(3);
    expectCm(0, "192.0.2.11", IP_11, 2000, 0);
    expectCm(1, "192.0.2.12", 0xc000020c, 2443, 1);
    expectCm(2, "cucm3.voice.example", 0, 2000, 2);
    expect(loadName()).toBe("P0030801SR02");
    expect(cnf.protocol).toBe(CnfProto.Sccp);
    expect(cnf.security).toBe(1);
    expect(cnf.dscp).toBe(26);
    expect(cnf.stop).toBe(n);
    const want = result(whole);
    const blocks: i32[] = [1428, 1, 7, 2, 3, 13, 512, 4096, n];
    for (let b = 0; b < blocks.length; b++) {
      const got = result(streamed(n, blocks[b]));
      if (got != want) trace("block size " + blocks[b].toString() + ": " + got);
      expect(got).toBe(want);
      expect(cnf.stop).toBe(n);
    }
  });

  it("reads every fixture and every error case the same in blocks of 1 and 7 bytes as whole", () => {
    const files: string[] = [CNF_CUCM_SEP, CNF_XMLDEFAULT, CNF_MINIMAL, CNF_ODD, CNF_HOSTNAMES, CNF_SIM, CNF_CUCM_SIP, CNF_SIM_SIP,
      sipFile(sipLine("1", "USECALLMANAGER", "1001", "1001", "x".repeat(CNF_SIP_PASS_MAX + 1))),
      sipFile(sipLine("1", "192.0.2.5", "1001", "", "&amp;&lt;&gt;")) + " ",
      "<device><devicePool></device></devicePool>", "<device><name>&averyveryverylongname;</name></device>",
      withDscp("97"), withMembers(member("0", "a".repeat(65))), nest(12, "<x/>"), "<device><a></b></device>"];
    for (let f = 0; f < files.length; f++) {
      const n = ascii(files[f]);
      const want = result(cnfParse(buf, n));
      const stop = cnf.stop;
      expect(result(streamed(n, 1))).toBe(want);
      expect(cnf.stop).toBe(stop);
      expect(result(streamed(n, 7))).toBe(want);
    }
  });

  it("reads seeded mutations of the 64 KiB file the same in random blocks as whole", () => {
    const s = cucmFile(65536);
    for (let round = 0; round < 60; round++) {
      let len = ascii(s);
      const edits = 1 + rnd(8);
      for (let k = 0; k < edits; k++) len = mutate(len, round % 2 == 0);
      const want = result(cnfParse(buf, len));
      cnfBegin();
      for (let at = 0; at < len;) {
        const b = min(1 + rnd(rnd(2) == 0 ? 8 : 2000), len - at);
        cnfFeed(buf + <usize>at, b);
        at += b;
      }
      const got = result(cnfEnd());
      if (got != want) trace("round " + round.toString() + ": " + got + " / " + want);
      expect(got).toBe(want);
    }
  });

  it("stops at the bound: a file one byte over is TooLarge however it arrives; an error found stays", () => {
    cnfBegin();
    let e = cnfFeed(buf, ascii("<device>"));
    memory.fill(buf, 0x20, 4096);
    for (let at = 8; at < CNF_MAX_FILE; at += 4096) e = cnfFeed(buf, min(4096, CNF_MAX_FILE - at));
    expect(e).toBe(CnfErr.Ok);
    expect(cnfFeed(buf, 1)).toBe(CnfErr.TooLarge);
    expect(cnfError()).toBe(CnfErr.TooLarge);
    expect(cnfEnd()).toBe(CnfErr.TooLarge);
    cnfBegin();
    expect(cnfFeed(buf, ascii("<device><a></b>"))).toBe(CnfErr.Malformed);
    expect(cnfFeed(buf, ascii("</device>"))).toBe(CnfErr.Malformed);
    expect(cnfEnd()).toBe(CnfErr.Malformed);
    expect(cnf.cmCount).toBe(0);
  });
});

// ---- a SIP phone's configuration (issue 23) -------------------------------

function lineName(l: CnfSipLine): string { return str(l.name(), l.nameLen); }
function lineAuth(l: CnfSipLine): string { return str(l.authName(), l.authNameLen); }
function linePassword(l: CnfSipLine): string { return str(l.password(), l.passwordLen); }
function lineDisplay(l: CnfSipLine): string { return str(l.display(), l.displayLen); }
/** A line as text: button, name, auth name, password, display name, proxy. */
function sipLineText(l: CnfSipLine): string {
  return "{" + l.button.toString() + " " + lineName(l) + "/" + lineAuth(l) + "/" + linePassword(l) + "/" + lineDisplay(l)
    + " @" + l.proxyAddr.toString() + ":" + l.proxyPort.toString() + "}";
}
/** What a file without SIP settings leaves: TCP, CUCM's timers, no line. */
function sipDefaults(): bool {
  return cnf.sipTransport == CnfSipTransport.Tcp && cnf.sipExpires == CNF_SIP_EXPIRES && cnf.sipT1 == CNF_SIP_T1
    && cnf.sipT2 == CNF_SIP_T2 && cnf.sipLineCount == 0 && cnf.sipLinesSkipped == 0;
}
/** A <sipLines> line (featureID 9); an empty argument leaves its element out. */
function sipLine(button: string, proxy: string, name: string, auth: string, password: string, display: string = "", port: string = ""): string {
  return "<line button=\"" + button + "\"><featureID>9</featureID>"
    + (proxy.length > 0 ? "<proxy>" + proxy + "</proxy>" : "") + (port.length > 0 ? "<port>" + port + "</port>" : "")
    + (name.length > 0 ? "<name>" + name + "</name>" : "") + (display.length > 0 ? "<displayName>" + display + "</displayName>" : "")
    + (auth.length > 0 ? "<authName>" + auth + "</authName>" : "") + (password.length > 0 ? "<authPassword>" + password + "</authPassword>" : "")
    + "</line>";
}
/** A SIP SEP file: one CallManager, a sipProfile with `stack` in its sipStack and `lines` in its sipLines, `tail` under the root. */
function sipFile(lines: string, stack: string = "", tail: string = ""): string {
  return "<device><deviceProtocol>SIP</deviceProtocol><devicePool><callManagerGroup><members>" + member("0", "192.0.2.11")
    + "</members></callManagerGroup></devicePool><sipProfile><sipStack>" + stack + "</sipStack><sipLines>" + lines
    + "</sipLines></sipProfile>" + tail + "</device>";
}
function expectLine(i: i32, button: u32, name: string, auth: string, password: string, display: string, proxy: u32, port: u32): void {
  const l = cnf.sipLine(i);
  expect(l.button).toBe(button);
  expect(lineName(l)).toBe(name);
  expect(lineAuth(l)).toBe(auth);
  expect(linePassword(l)).toBe(password);
  expect(lineDisplay(l)).toBe(display);
  expect(l.proxyAddr).toBe(proxy);
  expect(l.proxyPort).toBe(port);
}

describe("cnf scanner: a SIP phone's file", () => {
  it("reads a CUCM SIP SEP file: sipPorts, transport, sipStack timers, the first four named line buttons", () => {
    const n = ascii(CNF_CUCM_SIP);
    expect(cnfParse(buf, n)).toBe(CnfErr.Ok);
    expect(cnf.protocol).toBe(CnfProto.Sip);
    expect(cnf.cmCount).toBe(2);
    expectCm(0, "192.0.2.11", IP_11, 2000, 0);
    expect(cnf.cm(0).sipPort).toBe(5060);
    expectCm(1, "192.0.2.12", 0xc000020c, 2000, 1);
    expect(cnf.cm(1).sipPort).toBe(5070);
    expect(cnf.sipTransport).toBe(CnfSipTransport.Udp);
    expect(cnf.sipExpires).toBe(1800);
    expect(cnf.sipT1).toBe(400);
    expect(cnf.sipT2).toBe(3000);
    expect(loadName()).toBe("SIP45.9-4-2SR3-1S");
    // The intercom (featureID 23) and BLF (21) buttons are not lines; 1006 is the fifth.
    expect(cnf.sipLineCount).toBe(CNF_SIP_LINES);
    expect(cnf.sipLinesSkipped).toBe(1);
    expectLine(0, 1, "1001", "1001", "s3cr&t<1>", "Alice", 0, 5060);
    expectLine(1, 2, "1002", "bob.auth", "B0b's pass", "Bob \"the builder\"", 0xc6336414, 5080); // 198.51.100.20
    expectLine(2, 5, "1004", "", " two  spaces ", "Shared line", 0, 5060); // a password is kept as written
    expectLine(3, 6, "1005", "1005", "five", "Lab <5>", 0, CNF_SIP_PORT);
    expect(cnf.stop).toBe(n);
  });

  it("reads what the simulated TFTP server serves a SIP phone (host/sim/cnf.ts)", () => {
    expect(parse(CNF_SIM_SIP)).toBe(CnfErr.Ok);
    expect(cnf.protocol).toBe(CnfProto.Sip);
    expect(cnf.cmCount).toBe(2);
    expectCm(0, "192.0.2.11", IP_11, 2000, 0);
    expectCm(1, "192.0.2.12", 0xc000020c, 2000, 1);
    expect(cnf.cm(0).sipPort).toBe(5060);
    expect(cnf.cm(1).sipPort).toBe(5070);
    expect(cnf.sipTransport).toBe(CnfSipTransport.Udp);
    expect(cnf.sipExpires).toBe(600);
    expect(cnf.sipT1).toBe(500);
    expect(cnf.sipT2).toBe(4000);
    expect(cnf.sipLineCount).toBe(2);
    expect(cnf.sipLinesSkipped).toBe(0);
    expectLine(0, 1, "1001", "1001", "s3cr&t<1>", "Alice & Co", 0, 5060);
    expectLine(1, 2, "1002", "bob.auth", "\"quoted\" 'pw'", "Bob", 0, 5060);
    expect(loadName()).toBe("SIP45.9-4-2SR3-1S");
  });

  it("reads the SIP file the same in blocks of 1, 2, 7 and 1428 bytes as whole", () => {
    const n = ascii(CNF_CUCM_SIP);
    const want = result(cnfParse(buf, n));
    expect(want.includes("{2 1002/bob.auth/B0b's pass/Bob \"the builder\" @3325256724:5080}")).toBe(true);
    const blocks: i32[] = [1, 2, 7, 1428];
    for (let b = 0; b < blocks.length; b++) expect(result(streamed(n, blocks[b]))).toBe(want);
  });

  it("gives an SCCP file no SIP line and the SIP defaults; its <lines> are not <sipLines>", () => {
    const files: string[] = [CNF_CUCM_SEP, CNF_SIM, CNF_MINIMAL, CNF_ODD, CNF_XMLDEFAULT, cucmFile(4096)];
    for (let f = 0; f < files.length; f++) {
      expect(parse(files[f])).toBe(CnfErr.Ok);
      expect(sipDefaults()).toBe(true); // CNF_CUCM_SEP's transportLayerProtocol is 1: TCP
      for (let i = 0; i < cnf.cmCount; i++) expect(cnf.cm(i).sipPort).toBe(CNF_SIP_PORT); // CNF_ODD's <sipPort/> too
    }
    expect(files[5].includes("<lines>\n<line button=\"1\"")).toBe(true);
  });

  it("maps transportLayerProtocol 2 to UDP; 1, 3, 4, empty and absent to TCP; anything else is BadValue", () => {
    const tcp: string[] = ["1", "3", "4", " 1 ", ""];
    for (let i = 0; i < tcp.length; i++) {
      expect(parse(sipFile("", "", "<transportLayerProtocol>" + tcp[i] + "</transportLayerProtocol>"))).toBe(CnfErr.Ok);
      expect(cnf.sipTransport).toBe(CnfSipTransport.Tcp);
    }
    expect(parse(sipFile("", "", "<transportLayerProtocol>2</transportLayerProtocol>"))).toBe(CnfErr.Ok);
    expect(cnf.sipTransport).toBe(CnfSipTransport.Udp);
    const bad: string[] = ["0", "5", "TCP", "-1", "2 2", "4294967298"];
    for (let i = 0; i < bad.length; i++) {
      expect(parse(sipFile("", "", "<transportLayerProtocol>" + bad[i] + "</transportLayerProtocol>"))).toBe(CnfErr.BadValue);
      expect(sipDefaults()).toBe(true);
    }
    // Only the root's child is the device's.
    expect(parse(sipFile("", "", "<x><transportLayerProtocol>2</transportLayerProtocol></x>"))).toBe(CnfErr.Ok);
    expect(cnf.sipTransport).toBe(CnfSipTransport.Tcp);
  });

  it("takes sipStack's timers in range, only under sipProfile; out of range, empty or T2 below T1 is BadValue", () => {
    expect(parse(sipFile("", "<timerRegisterExpires>60</timerRegisterExpires><timerT1>100</timerT1><timerT2>200</timerT2>"))).toBe(CnfErr.Ok);
    expect(cnf.sipExpires).toBe(60);
    expect(cnf.sipT1).toBe(100);
    expect(cnf.sipT2).toBe(200);
    expect(parse(sipFile("", "<timerRegisterExpires>86400</timerRegisterExpires><timerT1>10000</timerT1><timerT2>60000</timerT2>"))).toBe(CnfErr.Ok);
    expect(cnf.sipExpires).toBe(86400);
    expect(cnf.sipT1).toBe(10000);
    expect(cnf.sipT2).toBe(60000);
    const bad: string[] = [
      "<timerRegisterExpires>59</timerRegisterExpires>", "<timerRegisterExpires>86401</timerRegisterExpires>", "<timerRegisterExpires></timerRegisterExpires>",
      "<timerT1>99</timerT1>", "<timerT1>10001</timerT1>", "<timerT1>5x</timerT1>", "<timerT2>199</timerT2>", "<timerT2>60001</timerT2>",
      "<timerT1>4001</timerT1>", // above the default T2
      "<timerT1>1000</timerT1><timerT2>999</timerT2>",
    ];
    for (let i = 0; i < bad.length; i++) {
      const e = parse(sipFile("", bad[i]));
      if (e != CnfErr.BadValue) trace("not a bad value: " + bad[i]);
      expect(e).toBe(CnfErr.BadValue);
      expect(sipDefaults()).toBe(true);
    }
    // Timers elsewhere are not the SIP stack's.
    expect(parse(sipFile("", "", "<timerT1>1</timerT1><sipStack><timerT1>2</timerT1></sipStack><x><sipProfile><sipStack><timerT1>3</timerT1></sipStack></sipProfile></x>"))).toBe(CnfErr.Ok);
    expect(sipDefaults()).toBe(true);
  });

  it("keeps names, auth names and display names up to 32 bytes, passwords up to 64, entities decoded; longer is BadValue, never cut", () => {
    const n32 = "n".repeat(CNF_SIP_NAME_MAX);
    const p64 = "p".repeat(CNF_SIP_PASS_MAX - 6) + "&amp;&lt;&gt;&quot;&apos;&#x21;"; // 64 bytes once decoded
    expect(parse(sipFile(sipLine("1", "", n32, n32, p64, n32)))).toBe(CnfErr.Ok);
    expectLine(0, 1, n32, n32, "p".repeat(CNF_SIP_PASS_MAX - 6) + "&<>\"'!", n32, 0, CNF_SIP_PORT);
    const bad: string[] = [
      sipLine("1", "", n32 + "1", "", "x"), sipLine("1", "", "1", n32 + "a", "x"), sipLine("1", "", "1", "", "x", n32 + "d"),
      sipLine("1", "", "1", "", "p".repeat(CNF_SIP_PASS_MAX + 1)), sipLine("1", "", "1", "", p64 + "&amp;"),
      sipLine("1", "", "1", "", "caf&#233;"), sipLine("1", "", "b&#xe9;b", "", "x"), sipLine("1", "", "1", "&#1234;", "x"), // no '?' for what the registrar checks
      sipLine("x", "", "1", "", "x"), sipLine("65536", "", "1", "", "x"),
    ];
    for (let i = 0; i < bad.length; i++) {
      const e = parse(sipFile(sipLine("1", "", "1000", "", "ok") + bad[i]));
      if (e != CnfErr.BadValue) trace("not a bad value: " + bad[i]);
      expect(e).toBe(CnfErr.BadValue);
      expect(sipDefaults()).toBe(true);
    }
    // A display name may lose a character: it is only shown.
    expect(parse(sipFile(sipLine("1", "", "1", "", "x", "Caf&#233;")))).toBe(CnfErr.Ok);
    expect(lineDisplay(cnf.sipLine(0))).toBe("Caf?");
  });

  it("takes USECALLMANAGER or nothing as the CallManagers, an IPv4 proxy with its port; anything else is BadValue", () => {
    expect(parse(sipFile(sipLine("1", "USECALLMANAGER", "1", "", "x", "", "5062") + sipLine("2", "192.0.2.99", "2", "", "y")
      + sipLine("3", " 198.51.100.7 ", "3", "", "z", "", "65535")))).toBe(CnfErr.Ok);
    expect(cnf.sipLineCount).toBe(3);
    expectLine(0, 1, "1", "", "x", "", 0, 5062);
    expectLine(1, 2, "2", "", "y", "", 0xc0000263, CNF_SIP_PORT);
    expectLine(2, 3, "3", "", "z", "", 0xc6336407, 65535);
    const bad: string[] = [
      sipLine("1", "cucm1.voice.example", "1", "", "x"), sipLine("1", "usecallmanager", "1", "", "x"), sipLine("1", "192.0.2.300", "1", "", "x"),
      sipLine("1", "192.0.2", "1", "", "x"), sipLine("1", "192.0.2.1.1", "1", "", "x"), sipLine("1", "0.0.0.0", "1", "", "x"),
      sipLine("1", "255.255.255.255", "1", "", "x"), sipLine("1", "192.0.2.1:5060", "1", "", "x"), sipLine("1", "1.2.3.4" + "0".repeat(70), "1", "", "x"),
      sipLine("1", "", "1", "", "x", "", "0"), sipLine("1", "", "1", "", "x", "", "65536"), sipLine("1", "", "1", "", "x", "", "sip"),
    ];
    for (let i = 0; i < bad.length; i++) {
      const e = parse(sipFile(bad[i]));
      if (e != CnfErr.BadValue) trace("not a bad value: " + bad[i]);
      expect(e).toBe(CnfErr.BadValue);
      expect(cnf.sipLineCount).toBe(0);
    }
  });

  it("skips line buttons without a name or of another feature, keeps four and counts the rest", () => {
    let s = sipLine("1", "", "", "", "nameless") + "<line button=\"2\"><featureID>2</featureID><name>speed</name></line>";
    for (let i = 1; i <= 7; i++) s += sipLine((i + 2).toString(), "", "10" + i.toString(), "", "pw" + i.toString());
    expect(parse(sipFile(s))).toBe(CnfErr.Ok);
    expect(cnf.sipLineCount).toBe(CNF_SIP_LINES);
    expect(cnf.sipLinesSkipped).toBe(3);
    for (let i = 0; i < CNF_SIP_LINES; i++) expectLine(i, <u32>i + 3, "10" + (i + 1).toString(), "", "pw" + (i + 1).toString(), "", 0, CNF_SIP_PORT);
    // A line without featureID is a line; the last <name> wins; lines elsewhere are not the profile's.
    expect(parse(sipFile("<line><name>a</name><name>b</name></line>", "", "<sipLines><line><name>c</name></line></sipLines><x><sipProfile><sipLines><line><name>d</name></line></sipLines></sipProfile></x>"))).toBe(CnfErr.Ok);
    expect(cnf.sipLineCount).toBe(1);
    expectLine(0, 0, "b", "", "", "", 0, CNF_SIP_PORT);
  });

  it("leaves no SIP line, no password and the defaults after an error, and after the next file", () => {
    expect(parse(CNF_CUCM_SIP)).toBe(CnfErr.Ok);
    expect(parse(CNF_CUCM_SIP.replace("<timerT2>3000</timerT2>", "<timerT2>300</timerT2>"))).toBe(CnfErr.BadValue);
    expect(sipDefaults()).toBe(true);
    expect(cnf.cmCount).toBe(0);
    for (let i = 0; i <= CNF_SIP_LINES; i++) {
      // The slots are wiped: a refused file leaves no secret in memory.
      const l = changetype<usize>(cnf.sipLine(i));
      for (let k = 0; k < CNF_SIP_PASS_MAX; k++) expect(load<u8>(cnf.sipLine(i).password() + <usize>k)).toBe(0);
      expect(load<u32>(l)).toBe(0);
    }
    expect(parse(CNF_CUCM_SIP.slice(0, CNF_CUCM_SIP.indexOf("</sipLines>")))).toBe(CnfErr.Truncated);
    expect(sipDefaults()).toBe(true);
    expect(parse(CNF_SIM)).toBe(CnfErr.Ok);
    expect(sipDefaults()).toBe(true);
  });
});
