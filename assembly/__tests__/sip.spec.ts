import { fromHex } from "./hex";
import { Ctr } from "../counters";
import { digestResponse } from "../lib/digest";
import {
  SipAlg, SipAuth, SipMethod, SipRegister, SipRepr, sipAnswerStatus, sipDomainUri, sipEmitResponse, sipFrameLength, sipKeepAlive, sipOwnContact, SIP_CONTACTS,
} from "../wire/sip";
import { KAMAILIO_401, KAMAILIO_200, KAMAILIO_OPTIONS } from "./sip-fixtures";

const BUF = memory.data(2048);
const BIG = memory.data(4096);
const OUT = memory.data(2048);
const A = memory.data(256);
const B = memory.data(256);
const C = memory.data(256);
const D = memory.data(256);
const E = memory.data(256);
const F = memory.data(256);
const R = memory.data(64);
const msg = changetype<SipRepr>(memory.data(offsetof<SipRepr>()));
const reg = changetype<SipRegister>(memory.data(offsetof<SipRegister>()));

function ascii(s: string, dst: usize): i32 {
  for (let i = 0; i < s.length; i++) store<u8>(dst + <usize>i, <u8>s.charCodeAt(i));
  return s.length;
}
function str(p: usize, n: i32): string { return String.UTF8.decodeUnsafe(p, <usize>n); }
/** A message with its lines joined by CR LF. */
function sip(lines: string[], dst: usize = BUF): i32 { return ascii(lines.join("\r\n"), dst); }

function fillRegister(tcp: bool): void {
  memory.fill(changetype<usize>(reg), 0, offsetof<SipRegister>());
  reg.tcp = tcp;
  reg.domain = 0xc000020a; // 192.0.2.10
  reg.localIp = 0xc0000232; // 192.0.2.50
  reg.localPort = tcp ? 49172 : 5060;
  reg.userPtr = A; reg.userLen = ascii("1001", A);
  reg.displayPtr = B; reg.displayLen = ascii("Desk \"one\"", B);
  reg.callIdPtr = C; reg.callIdLen = ascii("5c3a9e01@192.0.2.50", C);
  reg.fromTagPtr = D; reg.fromTagLen = ascii("a1b2c3d4", D);
  reg.branchPtr = E; reg.branchLen = ascii("0f1e2d3c", E);
  reg.cseq = 7;
  reg.expires = 3600;
  reg.loadPtr = F; reg.loadLen = ascii("P0S3-08-12-00", F);
}

describe("SIP REGISTER emit -> parse", () => {
  it("round-trips a TCP REGISTER without credentials", () => {
    fillRegister(true);
    const n = reg.emit(BUF, 2048);
    expect(n).toBeGreaterThan(0);
    expect(sipFrameLength(BUF, n, 2048)).toBe(n);
    expect(msg.parse(BUF, n)).toBe(0);
    expect(msg.isRequest).toBe(true);
    expect(msg.method).toBe(SipMethod.Register);
    expect(str(msg.uriPtr, msg.uriLen)).toBe("sip:192.0.2.10");
    expect(str(msg.branchPtr, msg.branchLen)).toBe("z9hG4bK0f1e2d3c");
    expect(str(msg.viaPtr, msg.viaLen)).toBe("SIP/2.0/TCP 192.0.2.50:49172;branch=z9hG4bK0f1e2d3c");
    expect(str(msg.fromTagPtr, msg.fromTagLen)).toBe("a1b2c3d4");
    expect(str(msg.fromPtr, msg.fromLen)).toBe("\"Desk \\\"one\\\"\" <sip:1001@192.0.2.10>;tag=a1b2c3d4");
    expect(msg.toTagLen).toBe(0);
    expect(str(msg.callIdPtr, msg.callIdLen)).toBe("5c3a9e01@192.0.2.50");
    expect(msg.cseq).toBe(7);
    expect(msg.cseqMethod).toBe(SipMethod.Register);
    expect(msg.contactCount).toBe(1);
    expect(str(msg.contactUri(0), msg.contactUriLen(0))).toBe("sip:1001@192.0.2.50:49172;transport=tcp");
    expect(msg.expires).toBe(3600);
    expect(msg.contentLength).toBe(0);
    expect(msg.bodyLen).toBe(0);
  });

  it("adds rport over UDP and no transport parameter", () => {
    fillRegister(false);
    const n = reg.emit(BUF, 2048);
    expect(msg.parse(BUF, n)).toBe(0);
    expect(str(msg.viaPtr, msg.viaLen)).toBe("SIP/2.0/UDP 192.0.2.50:5060;branch=z9hG4bK0f1e2d3c;rport");
    expect(str(msg.contactUri(0), msg.contactUriLen(0))).toBe("sip:1001@192.0.2.50:5060");
  });

  it("carries Authorization with qop=auth, nc, cnonce and the opaque echoed", () => {
    fillRegister(true);
    reg.auth = SipAuth.Www;
    reg.authUserPtr = A; reg.authUserLen = 4;
    const realmBuf = memory.data(32);
    reg.realmPtr = realmBuf; reg.realmLen = ascii("192.0.2.10", realmBuf);
    const nonceBuf = memory.data(32);
    reg.noncePtr = nonceBuf; reg.nonceLen = ascii("Y2hhbGxlbmdl", nonceBuf);
    const opaqueBuf = memory.data(16);
    reg.opaquePtr = opaqueBuf; reg.opaqueLen = ascii("op42", opaqueBuf);
    reg.qopAuth = true;
    const cnonceBuf = memory.data(16);
    reg.cnoncePtr = cnonceBuf; reg.cnonceLen = ascii("0a4f113b", cnonceBuf);
    reg.nc = 1;
    ascii("6629fae49393a05397450978507c4ef1", R);
    reg.responsePtr = R;
    const n = reg.emit(BUF, 2048);
    expect(n).toBeGreaterThan(0);
    expect(msg.parse(BUF, n)).toBe(0);
    const text = str(BUF, n);
    expect(text.includes("\r\nAuthorization: Digest username=\"1001\",realm=\"192.0.2.10\",nonce=\"Y2hhbGxlbmdl\",uri=\"sip:192.0.2.10\",response=\"6629fae49393a05397450978507c4ef1\",algorithm=MD5,cnonce=\"0a4f113b\",qop=auth,nc=00000001,opaque=\"op42\"\r\n")).toBe(true);
    // Proxy-Authorization after a 407.
    reg.auth = SipAuth.Proxy;
    reg.qopAuth = false;
    reg.opaqueLen = 0;
    const m = reg.emit(BUF, 2048);
    const t2 = str(BUF, m);
    expect(t2.includes("\r\nProxy-Authorization: Digest username=\"1001\"")).toBe(true);
    expect(t2.includes("qop")).toBe(false);
    expect(t2.includes("opaque")).toBe(false);
  });

  it("returns -1 for every buffer too small, never writing past it", () => {
    fillRegister(true);
    const full = reg.emit(BUF, 2048);
    for (let cap = 0; cap < full; cap += 7) {
      store<u8>(OUT + <usize>cap, 0xee);
      expect(reg.emit(OUT, cap)).toBe(-1);
      expect(load<u8>(OUT + <usize>cap)).toBe(0xee);
    }
    expect(reg.emit(OUT, full)).toBe(full);
  });

  it("escapes a user part outside the URI's user characters", () => {
    fillRegister(true);
    reg.userLen = ascii("j doe@x", A);
    const n = reg.emit(BUF, 2048);
    expect(str(BUF, n).includes("<sip:j%20doe%40x@192.0.2.10>")).toBe(true);
    expect(msg.parse(BUF, n)).toBe(0);
  });

  it("writes the registrar's URI", () => {
    expect(sipDomainUri(0xc6336401, OUT, 64)).toBe(16);
    expect(str(OUT, 16)).toBe("sip:198.51.100.1");
    expect(sipDomainUri(0xc6336401, OUT, 10)).toBe(-1);
  });
});

describe("SIP digest (RFC 2617 / 8760, MD5)", () => {
  it("gives RFC 2617 section 3.5's response (qop=auth)", () => {
    const user = ascii("Mufasa", A), realm = ascii("testrealm@host.com", B), pass = ascii("Circle Of Life", C);
    const method = ascii("GET", D), uri = ascii("/dir/index.html", E);
    const nonce = ascii("dcd98b7102dd2f0e8b11d0f600bfb0c093", F);
    const nc = memory.data(8); ascii("00000001", nc);
    const cn = memory.data(8); ascii("0a4f113b", cn);
    digestResponse(A, user, B, realm, C, pass, D, method, E, uri, F, nonce, true, nc, cn, 8, R);
    expect(str(R, 32)).toBe("6629fae49393a05397450978507c4ef1");
  });
  it("computes the response without qop (RFC 2069 form)", () => {
    // MD5(MD5("bob:biloxi.com:zanzibar") ":" nonce ":" MD5("REGISTER:sip:biloxi.com")), by Python's hashlib.
    const user = ascii("bob", A), realm = ascii("biloxi.com", B), pass = ascii("zanzibar", C);
    const method = ascii("REGISTER", D), uri = ascii("sip:biloxi.com", E);
    const nonce = ascii("dcd98b7102dd2f0e8b11d0f600bfb0c093", F);
    digestResponse(A, user, B, realm, C, pass, D, method, E, uri, F, nonce, false, 0, 0, 0, R);
    expect(str(R, 32)).toBe("4441045a8075db3ead543693997e2a0e");
  });
});

describe("SIP parse", () => {
  it("reads a 401 with compact headers, two Vias and a Digest challenge", () => {
    const n = sip([
      "SIP/2.0 401 Unauthorized",
      "v: SIP/2.0/UDP 192.0.2.50:5060;branch=z9hG4bKabc;rport=5060;received=192.0.2.50",
      "Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKother",
      "f: <sip:1001@192.0.2.10>;tag=77",
      "t: <sip:1001@192.0.2.10>;tag=srv1",
      "i: call-1",
      "CSeq: 3 REGISTER",
      "WWW-Authenticate: Digest algorithm=SHA-256, realm=\"r\", nonce=\"n256\"",
      "WWW-Authenticate: Digest realm=\"example.org\", nonce=\"abc,def\", opaque=\"xyz\", qop=\"auth-int, auth\", algorithm=MD5, stale=TRUE",
      "l: 0",
      "", ""]);
    expect(msg.parse(BUF, n)).toBe(0);
    expect(msg.isRequest).toBe(false);
    expect(msg.status).toBe(401);
    expect(msg.viaCount).toBe(2);
    expect(str(msg.branchPtr, msg.branchLen)).toBe("z9hG4bKabc");
    expect(str(msg.fromTagPtr, msg.fromTagLen)).toBe("77");
    expect(str(msg.toTagPtr, msg.toTagLen)).toBe("srv1");
    expect(str(msg.callIdPtr, msg.callIdLen)).toBe("call-1");
    expect(msg.auth).toBe(SipAuth.Www);
    expect(msg.algorithm).toBe(SipAlg.Md5);
    expect(str(msg.realmPtr, msg.realmLen)).toBe("example.org");
    expect(str(msg.noncePtr, msg.nonceLen)).toBe("abc,def");
    expect(str(msg.opaquePtr, msg.opaqueLen)).toBe("xyz");
    expect(msg.qop).toBe(true);
    expect(msg.qopAuth).toBe(true);
    expect(msg.stale).toBe(true);
  });

  it("reads a 407, an unsupported algorithm, qop without auth", () => {
    const n = sip([
      "SIP/2.0 407 Proxy Authentication Required",
      "Via: SIP/2.0/TCP 192.0.2.50:49172;branch=z9hG4bK1",
      "From: <sip:1@d>;tag=1", "To: <sip:1@d>", "Call-ID: x", "CSeq: 1 REGISTER",
      "Proxy-Authenticate: Digest realm=\"d\", nonce=\"n\", algorithm=MD5-sess, qop=\"auth-int\"",
      "Content-Length: 0", "", ""]);
    expect(msg.parse(BUF, n)).toBe(0);
    expect(msg.auth).toBe(SipAuth.Proxy);
    expect(msg.algorithm).toBe(SipAlg.Unsupported);
    expect(msg.qop).toBe(true);
    expect(msg.qopAuth).toBe(false);
    expect(msg.stale).toBe(false);
  });

  it("reads a 200 OK's bindings, 423's Min-Expires, 503's Retry-After", () => {
    let n = sip([
      "SIP/2.0 200 OK",
      "Via: SIP/2.0/TCP 192.0.2.50:49172;branch=z9hG4bK1",
      "From: <sip:1001@d>;tag=1", "To: <sip:1001@d>;tag=2", "Call-ID: x", "CSeq: 2 REGISTER",
      "Contact: <sip:1001@192.0.2.99:5060>;expires=12, \"A, B\" <sip:1001@192.0.2.50:49172;transport=tcp>;expires=3599",
      "m: sip:1001@192.0.2.51;expires=60",
      "Content-Length: 0", "", ""]);
    expect(msg.parse(BUF, n)).toBe(0);
    expect(msg.contactCount).toBe(3);
    expect(str(msg.contactUri(1), msg.contactUriLen(1))).toBe("sip:1001@192.0.2.50:49172;transport=tcp");
    expect(msg.contactExpires(0)).toBe(12);
    expect(msg.contactExpires(1)).toBe(3599);
    expect(str(msg.contactUri(2), msg.contactUriLen(2))).toBe("sip:1001@192.0.2.51");
    expect(msg.contactExpires(2)).toBe(60);
    expect(msg.expires).toBe(-1);
    n = sip(["SIP/2.0 423 Interval Too Brief", "Via: SIP/2.0/UDP h;branch=z9hG4bK1", "From: <sip:a@d>;tag=1", "To: <sip:a@d>",
      "Call-ID: x", "CSeq: 2 REGISTER", "Min-Expires: 1800", "Content-Length: 0", "", ""]);
    expect(msg.parse(BUF, n)).toBe(0);
    expect(msg.status).toBe(423);
    expect(msg.minExpires).toBe(1800);
    n = sip(["SIP/2.0 503 Service Unavailable", "Via: SIP/2.0/UDP h;branch=z9hG4bK1", "From: <sip:a@d>;tag=1", "To: <sip:a@d>",
      "Call-ID: x", "CSeq: 2 REGISTER", "Retry-After: 120 (maintenance);duration=60", "Content-Length: 0", "", ""]);
    expect(msg.parse(BUF, n)).toBe(0);
    expect(msg.retryAfter).toBe(120);
  });

  it("finds the phone's own binding among 20 in one Contact line of over 1 KB, the message framed whole in 4 KB", () => {
    let contacts = "";
    for (let k = 0; k < 20; k++) contacts += `<sip:1001@203.0.113.${k + 1}:${5060 + k};transport=tcp>;expires=${3000 + k};+sip.instance="<urn:uuid:0000-${k}>";reg-id=1, `;
    contacts += "<sip:1001@192.0.2.50:49172;transport=tcp>;expires=1800";
    const n = sip(["SIP/2.0 200 OK", "Via: SIP/2.0/TCP 192.0.2.50:49172;branch=z9hG4bK1", "From: <sip:1001@d>;tag=1", "To: <sip:1001@d>;tag=2",
      "Call-ID: x", "CSeq: 2 REGISTER", "Contact: " + contacts, "Content-Length: 0", "", ""], BIG);
    expect(n).toBeGreaterThan(2048);
    expect(sipFrameLength(BIG, n, 4096)).toBe(n);
    expect(sipFrameLength(BIG, n, 2048)).toBe(-<i32>Ctr.DropSipTooLong);
    ascii("@192.0.2.50:49172", A);
    sipOwnContact(A, 17);
    expect(msg.parse(BIG, n)).toBe(0);
    expect(msg.contactCount).toBe(SIP_CONTACTS);
    expect(msg.ownExpires).toBe(1800);
    // A port that is only a prefix of another's is not the phone's.
    ascii("@192.0.2.50:4917", A);
    sipOwnContact(A, 16);
    expect(msg.parse(BIG, n)).toBe(0);
    expect(msg.ownExpires).toBe(-1);
    sipOwnContact(0, 0);
  });

  it("reads a body by Content-Length, and skips folded lines", () => {
    const n = sip(["MESSAGE sip:1001@192.0.2.50 SIP/2.0", "Via: SIP/2.0/UDP h;branch=z9hG4bK1", "From: <sip:a@d>;tag=1",
      "Subject: first", "  folded on", "To: <sip:1001@d>", "Call-ID: x", "CSeq: 9 MESSAGE", "Content-Length: 5", "", "hello"]);
    expect(msg.parse(BUF, n)).toBe(0);
    expect(msg.method).toBe(SipMethod.Known);
    expect(str(msg.bodyPtr, msg.bodyLen)).toBe("hello");
    expect(sipFrameLength(BUF, n, 2048)).toBe(n);
    expect(sipFrameLength(BUF, n - 1, 2048)).toBe(0);
  });
});

describe("SIP answers", () => {
  it("answers OPTIONS 200 with every Via, a To tag added, CSeq copied", () => {
    const n = sip(["OPTIONS sip:1001@192.0.2.50:5060 SIP/2.0", "Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKp1",
      "v: SIP/2.0/UDP 10.1.1.1:5070;branch=z9hG4bKp0", "From: <sip:ping@192.0.2.10>;tag=f1", "To: <sip:1001@192.0.2.50>",
      "Call-ID: opt-1", "CSeq: 42 OPTIONS", "Max-Forwards: 70", "Content-Length: 0", "", ""]);
    expect(msg.parse(BUF, n)).toBe(0);
    expect(sipAnswerStatus(msg.method)).toBe(200);
    const tag = ascii("t0", A);
    const m = sipEmitResponse(msg, 200, A, tag, OUT, 2048);
    expect(str(OUT, m)).toBe([
      "SIP/2.0 200 OK",
      "Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKp1",
      "Via: SIP/2.0/UDP 10.1.1.1:5070;branch=z9hG4bKp0",
      "From: <sip:ping@192.0.2.10>;tag=f1",
      "To: <sip:1001@192.0.2.50>;tag=t0",
      "Call-ID: opt-1",
      "CSeq: 42 OPTIONS",
      "Allow: OPTIONS",
      "Accept: application/sdp",
      "Content-Length: 0", "", ""].join("\r\n"));
    // The answer parses back as the response to it.
    const req = changetype<SipRepr>(memory.data(offsetof<SipRepr>()));
    expect(req.parse(OUT, m)).toBe(0);
    expect(req.status).toBe(200);
    expect(str(req.toTagPtr, req.toTagLen)).toBe("t0");
    expect(sipEmitResponse(msg, 200, A, tag, OUT, m - 1)).toBe(-1);
  });
  it("answers INVITE 405, an unknown method 501, ACK not at all", () => {
    expect(sipAnswerStatus(SipMethod.Invite)).toBe(405);
    expect(sipAnswerStatus(SipMethod.Known)).toBe(405);
    expect(sipAnswerStatus(SipMethod.Other)).toBe(501);
    expect(sipAnswerStatus(SipMethod.Ack)).toBe(0);
    const n = sip(["FOO sip:1001@192.0.2.50 SIP/2.0", "Via: SIP/2.0/TCP 192.0.2.10;branch=z9hG4bKq", "From: <sip:a@d>;tag=1",
      "To: <sip:1001@d>;tag=already", "Call-ID: c", "CSeq: 1 FOO", "Content-Length: 0", "", ""]);
    expect(msg.parse(BUF, n)).toBe(0);
    expect(msg.method).toBe(SipMethod.Other);
    const m = sipEmitResponse(msg, 501, A, 2, OUT, 2048);
    const t = str(OUT, m);
    expect(t.startsWith("SIP/2.0 501 Not Implemented\r\n")).toBe(true);
    expect(t.includes("To: <sip:1001@d>;tag=already\r\n")).toBe(true);
    expect(t.includes("CSeq: 1 FOO\r\n")).toBe(true);
    expect(t.includes("Allow")).toBe(false);
  });
});

const GOOD = ["SIP/2.0 200 OK", "Via: SIP/2.0/TCP h;branch=z9hG4bK1", "From: <sip:a@d>;tag=1", "To: <sip:a@d>", "Call-ID: x",
  "CSeq: 1 REGISTER", "Content-Length: 0", "", ""];

describe("SIP hostile input", () => {
  it("refuses every truncation of a good message", () => {
    const n = sip(GOOD);
    expect(msg.parse(BUF, n)).toBe(0);
    for (let cut = 0; cut < n - 1; cut++) {
      expect(msg.parse(BUF, cut)).toBe(Ctr.DropSipMalformed);
      expect(sipFrameLength(BUF, cut, 2048)).toBe(0);
    }
  });
  it("refuses a Content-Length past the bytes, and a huge one as too long for the stream", () => {
    let n = sip(["SIP/2.0 200 OK", "Via: SIP/2.0/TCP h;branch=z9hG4bK1", "From: <sip:a@d>;tag=1", "To: <sip:a@d>", "Call-ID: x",
      "CSeq: 1 REGISTER", "Content-Length: 4000", "", "abc"]);
    expect(msg.parse(BUF, n)).toBe(Ctr.DropSipMalformed);
    expect(sipFrameLength(BUF, n, 1024)).toBe(-<i32>Ctr.DropSipTooLong);
    n = sip(["SIP/2.0 200 OK", "Content-Length: 99999999999999999999", "", ""]);
    expect(sipFrameLength(BUF, n, 1024)).toBe(-<i32>Ctr.DropSipTooLong);
    expect(msg.parse(BUF, n)).toBe(Ctr.DropSipMalformed);
    n = sip(["SIP/2.0 200 OK", "Content-Length: -1", "", ""]);
    expect(sipFrameLength(BUF, n, 1024)).toBe(-<i32>Ctr.DropSipMalformed);
    n = sip(["SIP/2.0 200 OK", "Content-Length: 1", "l: 2", "", "ab"]);
    expect(sipFrameLength(BUF, n, 1024)).toBe(-<i32>Ctr.DropSipMalformed);
    n = sip(["SIP/2.0 200 OK", "Call-ID: x", "", ""]);
    expect(sipFrameLength(BUF, n, 1024)).toBe(-<i32>Ctr.DropSipMalformed); // no Content-Length on a stream
  });
  it("refuses bytes without CRLF, a header without colon, binary garbage, one byte", () => {
    for (let i = 0; i < 1536; i++) store<u8>(BUF + <usize>i, 0x41);
    expect(msg.parse(BUF, 1500)).toBe(Ctr.DropSipMalformed);
    // A line may be as long as the buffer (Kamailio's one Contact line): more is needed, until the buffer is full.
    expect(sipFrameLength(BUF, 1500, 1536)).toBe(0);
    expect(sipFrameLength(BUF, 1536, 1536)).toBe(-<i32>Ctr.DropSipTooLong);
    expect(sipFrameLength(BUF, 600, 600)).toBe(-<i32>Ctr.DropSipTooLong);
    let n = sip(["SIP/2.0 200 OK", "Via SIP/2.0/TCP h", "Content-Length: 0", "", ""]);
    expect(msg.parse(BUF, n)).toBe(Ctr.DropSipMalformed);
    expect(sipFrameLength(BUF, n, 1024)).toBe(-<i32>Ctr.DropSipMalformed);
    n = fromHex("00ff13370a0d0a0d80", BUF);
    expect(msg.parse(BUF, n)).toBe(Ctr.DropSipMalformed);
    expect(sipFrameLength(BUF, n, 1024)).toBe(-<i32>Ctr.DropSipMalformed);
    store<u8>(BUF, 0x0a);
    expect(msg.parse(BUF, 1)).toBe(Ctr.DropSipMalformed);
    expect(msg.parse(BUF, 0)).toBe(Ctr.DropSipMalformed);
    store<u8>(BUF, 0x53);
    expect(msg.parse(BUF, 1)).toBe(Ctr.DropSipMalformed);
    expect(sipFrameLength(BUF, 1, 1024)).toBe(0);
  });
  it("refuses a bad status, a request line without version, a missing Call-ID or CSeq", () => {
    let n = sip(["SIP/2.0 2x0 OK", "Content-Length: 0", "", ""]);
    expect(msg.parse(BUF, n)).toBe(Ctr.DropSipMalformed);
    n = sip(["OPTIONS sip:a@b", "Content-Length: 0", "", ""]);
    expect(msg.parse(BUF, n)).toBe(Ctr.DropSipMalformed);
    n = sip(["SIP/2.0 200 OK", "Via: SIP/2.0/TCP h;branch=z9hG4bK1", "From: <sip:a@d>;tag=1", "To: <sip:a@d>", "CSeq: 1 REGISTER", "", ""]);
    expect(msg.parse(BUF, n)).toBe(Ctr.DropSipMalformed);
    n = sip(["SIP/2.0 200 OK", "Via: SIP/2.0/TCP h;branch=z9hG4bK1", "From: <sip:a@d>;tag=1", "To: <sip:a@d>", "Call-ID: x", "CSeq: REGISTER", "", ""]);
    expect(msg.parse(BUF, n)).toBe(Ctr.DropSipMalformed);
  });
  it("skips CRLF keep-alives before a message (RFC 5626)", () => {
    const n = ascii("\r\n\r\n\r\n", BUF);
    expect(sipKeepAlive(BUF, n)).toBe(6);
    const m = sip(GOOD, BUF + 6);
    expect(sipKeepAlive(BUF, n + m)).toBe(6);
    expect(sipFrameLength(BUF + 6, m, 1024)).toBe(m);
  });
});

describe("SIP bytes from Kamailio 5.6", () => {
  it("reads its 401 challenge to a REGISTER over TCP", () => {
    const n = fromHex(KAMAILIO_401, BUF);
    expect(sipFrameLength(BUF, n, 1024)).toBe(n);
    expect(msg.parse(BUF, n)).toBe(0);
    expect(msg.status).toBe(401);
    expect(msg.auth).toBe(SipAuth.Www);
    expect(msg.algorithm).toBe(SipAlg.Absent);
    expect(str(msg.realmPtr, msg.realmLen)).toBe("192.0.2.10");
    expect(msg.nonceLen).toBeGreaterThan(8);
    expect(msg.qopAuth).toBe(true);
    expect(msg.cseq).toBe(1);
    expect(msg.cseqMethod).toBe(SipMethod.Register);
  });
  it("reads its 200 OK with the binding and its expires", () => {
    const n = fromHex(KAMAILIO_200, BUF);
    expect(sipFrameLength(BUF, n, 1024)).toBe(n);
    expect(msg.parse(BUF, n)).toBe(0);
    expect(msg.status).toBe(200);
    expect(msg.cseq).toBe(2);
    expect(msg.contactCount).toBe(1);
    expect(str(msg.contactUri(0), msg.contactUriLen(0))).toBe("sip:1001@192.0.2.50:49172;transport=tcp");
    expect(msg.contactExpires(0)).toBe(3600);
  });
  it("reads the OPTIONS it sends as a keepalive and answers it", () => {
    const n = fromHex(KAMAILIO_OPTIONS, BUF);
    expect(msg.parse(BUF, n)).toBe(0);
    expect(msg.method).toBe(SipMethod.Options);
    const m = sipEmitResponse(msg, 200, A, ascii("t1", A), OUT, 2048);
    const back = changetype<SipRepr>(memory.data(offsetof<SipRepr>()));
    expect(back.parse(OUT, m)).toBe(0);
    expect(back.cseq).toBe(msg.cseq);
    expect(str(back.callIdPtr, back.callIdLen)).toBe(str(msg.callIdPtr, msg.callIdLen));
    expect(str(back.branchPtr, back.branchLen)).toBe(str(msg.branchPtr, msg.branchLen));
  });
});
