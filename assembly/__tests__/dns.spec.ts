// The DNS stub resolver against dnsmasq's answers and hand-made hostile ones.
import { fromHex, scratch, toHex } from "./hex";
import { DNS_HEADER, DNS_PORT, DnsRcode, encodeName, expandName, ipv4FromText, skipName } from "../wire/dns";
import { DnsStatus, dnsAddress, dnsLocalPort, dnsPoll, dnsRx, dnsStart, dnsStatus, dnsStop } from "../client/dns";
import { dns } from "./records";
import { configure, rxBuf, setMac, txBuf } from "../net/netif";
import { onFrame, udpBound } from "../net/stack";
import { arpFlush } from "../net/arp";
import { get16, get32, put16, put32, putMac } from "../lib/bytes";
import { Ctr, counterValue } from "../counters";
import { resetFirmware } from "./reset";
import { learnArp } from "./arp-reply";

// ---- fixtures ----------------------------------------------------------------
// Queries made by scapy 2.5.0: bytes(DNS(id=0x1234, rd=1, qd=DNSQR(qname=NAME, qtype="A"))).hex(),
// sent by a Python socket client (192.0.2.50) in a network namespace of our own to
// dnsmasq 2.90 on 192.0.2.10, run as
//   dnsmasq --no-daemon --conf-file=/dev/null --port=53 --listen-address=192.0.2.10 --bind-interfaces
//     --no-resolv --no-hosts --local=/voice.example/ --host-record=tftp.voice.example,192.0.2.10
//     --cname=cm.voice.example,tftp.voice.example
// and its answers printed as hex.
const QUERY_A = "123401000001000000000000047466747005766f696365076578616d706c650000010001";
// tftp.voice.example A 192.0.2.10, the owner a compression pointer to the question (c00c).
const ANSWER_A = "123485800001000100000000047466747005766f696365076578616d706c650000010001c00c00010001000000000004c000020a";
// cm.voice.example CNAME tftp.voice.example (written out), A 192.0.2.10 with its owner pointing into the CNAME's data (c02e).
const ANSWER_CNAME = "12348580000100020000000002636d05766f696365076578616d706c650000010001c00c00050001000000000014047466747005766f696365076578616d706c6500c02e00010001000000000004c000020a";
// nothere.voice.example: NXDOMAIN.
const ANSWER_NXDOMAIN = "123481830001000000000000076e6f746865726505766f696365076578616d706c650000010001";

// ---- harness -------------------------------------------------------------------

const PHONE_MAC: u64 = 0x001b54c2a710;
const PHONE_IP: u32 = 0xc0000232;
const DNS1: u32 = 0xc0000201; // 192.0.2.1
const DNS2: u32 = 0xc0000202; // 192.0.2.2
const TFTP_IP: u32 = 0xc000020a;
const PAYLOAD = 14 + 20 + 8;
const servers = memory.data(8);
const pkt = memory.data(1024);
const name = memory.data(300);
const qname = memory.data(300);

function setup(now: i64): void {
  setMac(PHONE_MAC);
  configure(PHONE_IP, 0xffffff00, 0);
  arpFlush();
  learnArp(DNS1, 0x02005e000201, now);
  learnArp(DNS2, 0x02005e000202, now);
  put32(servers, DNS1);
  put32(servers + 4, DNS2);
}

/** Writes the ASCII `s` at `name`; returns its length. */
function ascii(s: string): i32 {
  for (let i = 0; i < s.length; i++) store<u8>(name + <usize>i, <u8>s.charCodeAt(i));
  return s.length;
}

function start(s: string, now: i64, count: i32 = 2): void {
  dnsStart(name, ascii(s), servers, count, now);
}

function txCount(): u32 { return counterValue(Ctr.TxFrames); }
@inline function sentDst(): u32 { return get32(txBuf + 14 + 16); }
@inline function sentId(): u32 { return get16(txBuf + PAYLOAD); }

/** The fixture `hex` as the answer to the query last sent (its ID), from ip:53. */
function answer(hex: string, now: i64, ip: u32 = DNS1, port: u32 = DNS_PORT): bool {
  const n = fromHex(hex, pkt);
  put16(pkt, sentId());
  return dnsRx(pkt, n, ip, port, now);
}

/** The wire-format name of dotted `s`, as hex. */
function wireName(s: string): string {
  const n = encodeName(name, ascii(s), 0, 0, qname);
  return n < 0 ? "bad" : toHex(qname, n);
}

// ---- the message -------------------------------------------------------------------

describe("DNS message", () => {
  beforeAll(resetFirmware);
  it("emits the A query byte for byte as scapy builds it", () => {
    const n = encodeName(name, ascii("tftp.voice.example"), 0, 0, qname);
    dns.id = 0x1234;
    dns.qnamePtr = qname;
    dns.qnameLen = n;
    const len = dns.emit(pkt);
    expect(toHex(pkt, len)).toBe(QUERY_A);
  });

  it("reads dnsmasq's answer through its compression pointer", () => {
    dns.qnameLen = encodeName(name, ascii("tftp.voice.example"), 0, 0, qname);
    dns.qnamePtr = qname;
    expect(dns.parse(scratch, fromHex(ANSWER_A))).toBe(0);
    expect(dns.id).toBe(0x1234);
    expect(dns.rcode).toBe(DnsRcode.NoError);
    expect(dns.address).toBe(TFTP_IP);
  });

  it("follows dnsmasq's CNAME to the address", () => {
    dns.qnameLen = encodeName(name, ascii("CM.Voice.Example"), 0, 0, qname);
    expect(dns.parse(scratch, fromHex(ANSWER_CNAME))).toBe(0);
    expect(dns.address).toBe(TFTP_IP);
  });

  it("reads NXDOMAIN", () => {
    dns.qnameLen = encodeName(name, ascii("nothere.voice.example"), 0, 0, qname);
    expect(dns.parse(scratch, fromHex(ANSWER_NXDOMAIN))).toBe(0);
    expect(dns.rcode).toBe(DnsRcode.NxDomain);
    expect(dns.address).toBe(0);
  });

  it("refuses an answer to another question, a query, and another opcode", () => {
    dns.qnameLen = encodeName(name, ascii("cm.voice.example"), 0, 0, qname);
    expect(dns.parse(scratch, fromHex(ANSWER_A))).toBe(Ctr.DropDnsUnexpected);
    dns.qnameLen = encodeName(name, ascii("tftp.voice.example"), 0, 0, qname);
    expect(dns.parse(scratch, fromHex(QUERY_A))).toBe(Ctr.DropDnsUnexpected);
    const n = fromHex(ANSWER_A);
    store<u8>(scratch + 2, 0x80 | 0x10); // opcode 2
    expect(dns.parse(scratch, n)).toBe(Ctr.DropDnsUnexpected);
    fromHex(ANSWER_A);
    store<u8>(scratch + 5, 2); // two questions
    expect(dns.parse(scratch, n)).toBe(Ctr.DropDnsMalformed);
    fromHex(ANSWER_A);
    store<u8>(scratch + 33, 28); // the question asks for AAAA
    expect(dns.parse(scratch, n)).toBe(Ctr.DropDnsUnexpected);
  });

  it("ignores an A record of another name", () => {
    // The answer's owner pointer moved from the question (12) to "voice.example" (17).
    const n = fromHex(ANSWER_A);
    store<u8>(scratch + 37, 17);
    expect(dns.parse(scratch, n)).toBe(0);
    expect(dns.address).toBe(0);
  });

  it("rejects every truncation of the answers", () => {
    const all = [ANSWER_A, ANSWER_CNAME, ANSWER_NXDOMAIN];
    const names = ["tftp.voice.example", "cm.voice.example", "nothere.voice.example"];
    for (let f = 0; f < all.length; f++) {
      dns.qnameLen = encodeName(name, ascii(names[f]), 0, 0, qname);
      const n = fromHex(all[f]);
      expect(dns.parse(scratch, n)).toBe(0);
      for (let len = 0; len < n; len++) {
        expect(dns.parse(scratch, len)).toBe(Ctr.DropDnsMalformed);
      }
    }
  });

  it("never loops on compression pointers: to itself, forward, into its own labels", () => {
    const p = scratch;
    // A pointer to itself.
    store<u8>(p + 40, 0xc0); store<u8>(p + 41, 40);
    expect(expandName(p, 100, 40, qname)).toBe(-1);
    // A pointer forward.
    store<u8>(p + 40, 0xc0); store<u8>(p + 41, 50);
    store<u8>(p + 50, 0);
    expect(expandName(p, 100, 40, qname)).toBe(-1);
    // label "a", then a pointer back to that label: a loop through data already used.
    store<u8>(p + 40, 1); store<u8>(p + 41, 97); store<u8>(p + 42, 0xc0); store<u8>(p + 43, 40);
    expect(expandName(p, 100, 40, qname)).toBe(-1);
    // Two names pointing at each other: 60 -> 40 -> 60.
    store<u8>(p + 40, 1); store<u8>(p + 41, 98); store<u8>(p + 42, 0xc0); store<u8>(p + 43, 60);
    store<u8>(p + 60, 1); store<u8>(p + 61, 99); store<u8>(p + 62, 0xc0); store<u8>(p + 63, 40);
    expect(expandName(p, 100, 60, qname)).toBe(-1);
    // A pointer past the end of the message, and one cut in half.
    store<u8>(p + 40, 0xc3); store<u8>(p + 41, 0xff);
    expect(expandName(p, 100, 40, qname)).toBe(-1);
    store<u8>(p + 40, 0xc0);
    expect(expandName(p, 41, 40, qname)).toBe(-1);
    expect(skipName(p, 41, 40)).toBe(-1);
    // The obsolete label types 0x40 and 0x80.
    store<u8>(p + 40, 0x41);
    expect(expandName(p, 100, 40, qname)).toBe(-1);
    expect(skipName(p, 100, 40)).toBe(-1);
  });

  it("stops a name growing past 255 bytes through a chain of pointers", () => {
    // The root at 12; then runs of one 63-byte label and a pointer to the run before.
    // Expanded, run k is k + 1 labels of 64 bytes and the root: 193 bytes for run 2, 257 for run 3.
    const p = scratch;
    store<u8>(p + 12, 0);
    let prev = 12;
    for (let k = 0; k < 4; k++) {
      const at = 13 + 66 * k;
      store<u8>(p + <usize>at, 63);
      memory.fill(p + <usize>at + 1, 120, 63);
      store<u8>(p + <usize>at + 64, 0xc0);
      store<u8>(p + <usize>at + 65, <u8>prev);
      prev = at;
    }
    expect(expandName(p, 300, 13 + 66 * 2, qname)).toBe(193);
    expect(expandName(p, 300, 13 + 66 * 3, qname)).toBe(-1);
  });

  it("survives random mutations of the answers", () => {
    dns.qnameLen = encodeName(name, ascii("cm.voice.example"), 0, 0, qname);
    let seed: u32 = 99;
    let accepted = 0;
    let refused = 0;
    for (let i = 0; i < 3000; i++) {
      const n = fromHex(ANSWER_CNAME);
      for (let k = 0; k < 4; k++) {
        seed = seed * 1103515245 + 12345;
        const at = <usize>((seed >> 8) % <u32>n);
        seed = seed * 1103515245 + 12345;
        store<u8>(scratch + at, <u8>(seed >> 16));
      }
      const r = dns.parse(scratch, n);
      if (r == 0) accepted++;
      else if (r == Ctr.DropDnsMalformed || r == Ctr.DropDnsUnexpected) refused++;
    }
    // Every verdict is one of the parser's; the mutants reach both.
    expect(accepted + refused).toBe(3000);
    expect(accepted).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
    // The parser keeps no state from them: the unmutated answer still gives its address.
    expect(dns.parse(scratch, fromHex(ANSWER_CNAME))).toBe(0);
    expect(dns.address).toBe(TFTP_IP);
  });

  it("writes host names in wire format, appending a search domain to a single label", () => {
    expect(wireName("tftp.voice.example")).toBe("047466747005766f696365076578616d706c6500");
    expect(wireName("TFTP.voice.example.")).toBe("047466747005766f696365076578616d706c6500");
    const n = encodeName(name, ascii("tftp"), changetype<usize>(String.UTF8.encode("voice.example")), 13, qname);
    expect(toHex(qname, n)).toBe("047466747005766f696365076578616d706c6500");
    expect(wireName("a..b")).toBe("bad");
    expect(wireName(".")).toBe("bad");
    expect(wireName("")).toBe("bad");
    expect(wireName("x".repeat(63) + ".y")).not.toBe("bad");
    expect(wireName("x".repeat(64) + ".y")).toBe("bad");
    // 253 characters is the most a name can have.
    const long = "x".repeat(63) + "." + "x".repeat(63) + "." + "x".repeat(63) + "." + "x".repeat(61);
    expect(wireName(long)).not.toBe("bad");
    expect(wireName(long + "x")).toBe("bad");
  });

  it("tells a dotted quad from a host name", () => {
    expect(ipv4FromText(name, ascii("192.0.2.10"))).toBe(TFTP_IP);
    expect(ipv4FromText(name, ascii("0.0.0.1"))).toBe(1);
    expect(ipv4FromText(name, ascii("192.0.2"))).toBe(0);
    expect(ipv4FromText(name, ascii("1.2.3.4.5"))).toBe(0);
    expect(ipv4FromText(name, ascii("256.1.1.1"))).toBe(0);
    expect(ipv4FromText(name, ascii("1..2.3"))).toBe(0);
    expect(ipv4FromText(name, ascii("1.2.3.4."))).toBe(0);
    expect(ipv4FromText(name, ascii("tftp.voice.example"))).toBe(0);
    expect(ipv4FromText(name, 0)).toBe(0);
  });
});

// ---- the client ---------------------------------------------------------------------

describe("DNS client", () => {
  beforeAll(resetFirmware);
  it("asks the first server from an ephemeral port and takes its answer", () => {
    setup(0);
    const before = txCount();
    start("tftp.voice.example", 0);
    expect(txCount()).toBe(before + 1);
    expect(dnsStatus).toBe(DnsStatus.Running);
    expect(sentDst()).toBe(DNS1);
    expect(get16(txBuf + 14 + 20 + 2)).toBe(DNS_PORT);
    expect(get16(txBuf + 14 + 20)).toBe(dnsLocalPort);
    expect(udpBound(dnsLocalPort)).toBe(true);
    expect(toHex(txBuf + PAYLOAD + 2, 36 - 2)).toBe(QUERY_A.substr(4));
    expect(answer(ANSWER_A, 5)).toBe(true);
    expect(dnsStatus).toBe(DnsStatus.Done);
    expect(dnsAddress).toBe(TFTP_IP);
    expect(udpBound(dnsLocalPort)).toBe(false);
  });

  it("follows a CNAME", () => {
    setup(0);
    start("cm.voice.example", 0);
    expect(answer(ANSWER_CNAME, 1)).toBe(true);
    expect(dnsAddress).toBe(TFTP_IP);
  });

  it("appends the DHCP domain to a bare host name", () => {
    setup(0);
    dnsStart(name, ascii("tftp"), servers, 2, 0, changetype<usize>(String.UTF8.encode("voice.example")), 13);
    expect(answer(ANSWER_A, 1)).toBe(true);
    expect(dnsStatus).toBe(DnsStatus.Done);
  });

  it("NXDOMAIN: not found, no other server asked", () => {
    setup(0);
    start("nothere.voice.example", 0);
    const before = txCount();
    expect(answer(ANSWER_NXDOMAIN, 1)).toBe(true);
    expect(dnsStatus).toBe(DnsStatus.NotFound);
    expect(txCount()).toBe(before);
  });

  it("SERVFAIL: the next server at once", () => {
    setup(0);
    start("tftp.voice.example", 0);
    const n = fromHex(ANSWER_A, pkt);
    put16(pkt, sentId());
    store<u8>(pkt + 3, 0x82); // RA, SERVFAIL
    const before = txCount();
    expect(dnsRx(pkt, n, DNS1, DNS_PORT, 1)).toBe(true);
    expect(txCount()).toBe(before + 1);
    expect(sentDst()).toBe(DNS2);
    expect(answer(ANSWER_A, 2, DNS2)).toBe(true);
    expect(dnsStatus).toBe(DnsStatus.Done);
  });

  it("tries the servers in order, 1 s, then 2 s, then 4 s each, then gives up", () => {
    setup(0);
    const before = txCount();
    start("tftp.voice.example", 0);
    const expected: i64[] = [1000, 2000, 4000, 6000, 10000, 14000];
    const dst: u32[] = [DNS1, DNS2, DNS1, DNS2, DNS1, DNS2];
    let t = dnsPoll(0);
    for (let i = 0; i < 6; i++) {
      expect(sentDst()).toBe(dst[i]);
      expect(t).toBe(expected[i]);
      t = dnsPoll(t);
    }
    expect(t).toBe(i64.MAX_VALUE);
    expect(txCount()).toBe(before + 6);
    expect(dnsStatus).toBe(DnsStatus.Timeout);
  });

  it("a late answer from the first server is taken while the second is asked", () => {
    setup(0);
    start("tftp.voice.example", 0);
    dnsPoll(1000);
    expect(sentDst()).toBe(DNS2);
    expect(answer(ANSWER_A, 1100, DNS1)).toBe(true);
    expect(dnsStatus).toBe(DnsStatus.Done);
  });

  it("drops answers with another ID, from another port, or from a server not asked", () => {
    setup(0);
    start("tftp.voice.example", 0);
    const drops = counterValue(Ctr.DropDnsUnexpected);
    let n = fromHex(ANSWER_A, pkt);
    put16(pkt, sentId() ^ 1);
    expect(dnsRx(pkt, n, DNS1, DNS_PORT, 1)).toBe(false);
    expect(answer(ANSWER_A, 1, DNS1, 5353)).toBe(false);
    expect(answer(ANSWER_A, 1, DNS2)).toBe(false); // not asked yet
    expect(answer(ANSWER_A, 1, 0xc0000263)).toBe(false);
    expect(counterValue(Ctr.DropDnsUnexpected)).toBe(drops + 4);
    expect(dnsStatus).toBe(DnsStatus.Running);
    expect(answer(ANSWER_A, 2)).toBe(true);
  });

  it("no server, or a bad name: ends at once", () => {
    setup(0);
    start("tftp.voice.example", 0, 0);
    expect(dnsStatus).toBe(DnsStatus.Timeout);
    expect(dnsPoll(1)).toBe(i64.MAX_VALUE);
    start("bad..name", 0);
    expect(dnsStatus).toBe(DnsStatus.BadName);
    start("tftp.voice.example", 0);
    dnsStop();
    expect(dnsStatus).toBe(DnsStatus.Idle);
    expect(udpBound(dnsLocalPort)).toBe(false);
  });
});
