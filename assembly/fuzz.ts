// Fuzz entry points (issue 11): one per parser the phone has, for
// build/fuzz.wasm only (never part of phone.wasm or boot.wasm). Each takes
// `len` bytes at `p` and returns what the parser returned: 0, or a Ctr drop
// reason (ImageErr for the image). No input may trap.
//
// The host puts the input so that it ends exactly at the end of linear
// memory: a parser that reads one byte past what it was given traps, as
// AddressSanitizer would report it.
//
// Checksummed formats (IPv4, ICMP, UDP, TCP, CDP): when bit 0 of the first
// byte is set, the entry computes the right checksum into the input before
// parsing it, so that mutations get past the checksum to what follows. The
// parsed bytes start after that byte (after 9 for UDP and TCP, whose next 8
// bytes are the pseudo-header's source and destination addresses).
import { Ctr } from "./counters";
import { fold, get32, pseudoSum, put16, sum16, checksum } from "./lib/bytes";
import { EthernetRepr } from "./wire/ethernet";
import { VlanRepr } from "./wire/vlan";
import { ArpRepr } from "./wire/arp";
import { IpProto, Ipv4Repr } from "./wire/ipv4";
import { IcmpQuote, IcmpRepr, IcmpType } from "./wire/icmp";
import { UdpRepr } from "./wire/udp";
import { TcpRepr } from "./wire/tcp";
import { CdpRepr, cdpChecksum } from "./wire/cdp";
import { LldpRepr } from "./wire/lldp";
import { DhcpRepr } from "./wire/dhcp";
import { DnsRepr } from "./wire/dns";
import { TftpRepr } from "./wire/tftp";
import { SccpRepr, sccpFrameLength } from "./wire/sccp";
import { SipRepr, sipAnswerStatus, sipEmitResponse, sipFrameLength, sipKeepAlive } from "./wire/sip";
import { cnfBegin, cnfEnd, cnfFeed, cnfParse } from "./phone/config";
import { discoveryInit } from "./phone/discovery";
import { HEADER_SIZE, headerCheck, ImageErr, loadNameLen, payloadSize, Tlv, TLV_INFO_SIZE, tlvAreaLen, tlvFind, tlvMalformed } from "./boot/image";
import { configure, rxBuf, RX_CAPACITY, setMac, setVoiceVlan } from "./net/netif";
import { onFrame } from "./net/stack";

const eth = changetype<EthernetRepr>(memory.data(offsetof<EthernetRepr>()));
const vlan = changetype<VlanRepr>(memory.data(offsetof<VlanRepr>()));
const arp = changetype<ArpRepr>(memory.data(offsetof<ArpRepr>()));
const ipv4 = changetype<Ipv4Repr>(memory.data(offsetof<Ipv4Repr>()));
const icmp = changetype<IcmpRepr>(memory.data(offsetof<IcmpRepr>()));
const quote = changetype<IcmpQuote>(memory.data(offsetof<IcmpQuote>()));
const udp = changetype<UdpRepr>(memory.data(offsetof<UdpRepr>()));
const tcp = changetype<TcpRepr>(memory.data(offsetof<TcpRepr>()));
const cdp = changetype<CdpRepr>(memory.data(offsetof<CdpRepr>()));
const lldp = changetype<LldpRepr>(memory.data(offsetof<LldpRepr>()));
const dhcp = changetype<DhcpRepr>(memory.data(offsetof<DhcpRepr>()));
const dns = changetype<DnsRepr>(memory.data(offsetof<DnsRepr>()));
const tftp = changetype<TftpRepr>(memory.data(offsetof<TftpRepr>()));
const sccp = changetype<SccpRepr>(memory.data(offsetof<SccpRepr>()));
const sip = changetype<SipRepr>(memory.data(offsetof<SipRepr>()));
const sipOut = memory.data(2048);

@inline function fixing(p: usize, len: i32): bool { return len > 0 && (load<u8>(p) & 1) != 0; }

export function fuzz_ethernet(p: usize, len: i32): i32 { return eth.parse(p, len); }

/** The tag starts where an untagged frame's EtherType would be. */
export function fuzz_vlan(p: usize, len: i32): i32 { return vlan.parse(p, len); }

export function fuzz_arp(p: usize, len: i32): i32 { return arp.parse(p, len); }

export function fuzz_ipv4(p: usize, len: i32): i32 {
  if (len < 1) return Ctr.DropIpTruncated;
  const fix = fixing(p, len);
  p += 1; len -= 1;
  if (fix && len >= 20) {
    const hl = <i32>(load<u8>(p) & 0x0f) << 2;
    if (hl >= 20 && hl <= len) {
      put16(p + 10, 0);
      put16(p + 10, checksum(p, hl));
    }
  }
  return ipv4.parse(p, len);
}

export function fuzz_icmp(p: usize, len: i32): i32 {
  if (len < 1) return Ctr.DropIcmpMalformed;
  const fix = fixing(p, len);
  p += 1; len -= 1;
  if (fix && len >= 8) {
    put16(p + 2, 0);
    put16(p + 2, checksum(p, len));
  }
  const err = icmp.parse(p, len);
  // A destination unreachable: the datagram it quotes, too.
  if (err == 0 && icmp.type == IcmpType.Unreachable) return quote.parse(p + 8, icmp.payloadLen);
  return err;
}

export function fuzz_udp(p: usize, len: i32): i32 {
  if (len < 9) return Ctr.DropUdpMalformed;
  const fix = fixing(p, len);
  const src = get32(p + 1);
  const dst = get32(p + 5);
  p += 9; len -= 9;
  if (fix && len >= 8) {
    const ulen = <i32>((<u32>load<u8>(p + 4) << 8) | load<u8>(p + 5));
    if (ulen >= 8 && ulen <= len) {
      put16(p + 6, 0);
      const c = fold(sum16(p, ulen, pseudoSum(src, dst, IpProto.Udp, ulen)));
      put16(p + 6, c == 0 ? 0xffff : c);
    }
  }
  return udp.parse(p, len, src, dst);
}

export function fuzz_tcp(p: usize, len: i32): i32 {
  if (len < 9) return Ctr.DropTcpMalformed;
  const fix = fixing(p, len);
  const src = get32(p + 1);
  const dst = get32(p + 5);
  p += 9; len -= 9;
  if (fix && len >= 20) {
    put16(p + 16, 0);
    put16(p + 16, fold(sum16(p, len, pseudoSum(src, dst, IpProto.Tcp, len))));
  }
  return tcp.parse(p, len, src, dst);
}

/** A whole frame (Ethernet header, 802.3 length, LLC/SNAP, PDU). */
export function fuzz_cdp(p: usize, len: i32): i32 {
  if (len < 1) return Ctr.DropCdpMalformed;
  const fix = fixing(p, len);
  p += 1; len -= 1;
  // The PDU: after the 14-byte header and 8 bytes of LLC/SNAP, as long as the 802.3 length says.
  if (fix && len >= 26) {
    const n = <i32>((<u32>load<u8>(p + 12) << 8) | load<u8>(p + 13)) - 8;
    if (n >= 4 && n <= len - 22) {
      put16(p + 24, 0);
      put16(p + 24, cdpChecksum(p + 22, n));
    }
  }
  return cdp.parse(p, len);
}

/** The LLDPDU (after the Ethernet header). */
export function fuzz_lldp(p: usize, len: i32): i32 { return lldp.parse(p, len); }

/** The BOOTP/DHCP message (UDP payload). */
export function fuzz_dhcp(p: usize, len: i32): i32 { return dhcp.parse(p, len); }

// The question the phone asked (as dnsStart sets it): the TFTP server's name of option 66.
const QNAME = memory.data<u8>([4, 116, 102, 116, 112, 5, 118, 111, 105, 99, 101, 7, 101, 120, 97, 109, 112, 108, 101, 0]);

/** A response to the phone's question for tftp.voice.example (A). */
export function fuzz_dns(p: usize, len: i32): i32 {
  dns.qnamePtr = QNAME;
  dns.qnameLen = 20;
  return dns.parse(p, len);
}

export function fuzz_tftp(p: usize, len: i32): i32 { return tftp.parse(p, len); }

/**
 * A .cnf.xml file; returns its CnfErr. Read whole, then again as it streams
 * in chunks whose sizes come from the input (1 to 64 bytes, cycling through
 * its first bytes), splitting tokens everywhere: both readings must agree.
 */
export function fuzz_cnf(p: usize, len: i32): i32 {
  const whole = cnfParse(p, len);
  cnfBegin();
  let at = 0;
  let i = 0;
  while (at < len) {
    const n = min(len - at, <i32>(load<u8>(p + <usize>(i++ % min(len, 16))) & 63) + 1);
    cnfFeed(p + <usize>at, n);
    at += n;
  }
  const streamed = cnfEnd();
  if (streamed != whole) unreachable(); // a disagreement is a finding, as a trap is
  return streamed;
}

/** One SCCP message as framed from a TCP stream. */
export function fuzz_sccp(p: usize, len: i32): i32 {
  const framed = sccpFrameLength(p, len);
  if (framed <= 0) return framed == 0 ? 0 : Ctr.SccpMalformed;
  return sccp.parse(p, framed);
}

/**
 * A SIP message as the phone's TCP receive buffer frames it (keep-alive CRLFs
 * skipped); when the stream wants more, the bytes parsed as one UDP datagram.
 * A request parsed is answered, as the phone would (into a scratch buffer).
 */
export function fuzz_sip(p: usize, len: i32): i32 {
  const skip = sipKeepAlive(p, len);
  const framed = sipFrameLength(p + <usize>skip, len - skip, 1024);
  if (framed < 0) return -framed;
  const r = sip.parse(p + <usize>skip, framed > 0 ? framed : len - skip);
  if (r == 0 && sip.isRequest) sipEmitResponse(sip, max(sipAnswerStatus(sip.method), 200), p, min(len, 8), sipOut, 2048);
  return r;
}

/**
 * An image: the 64-byte header, then the TLV area after the payload when the
 * input holds it, else right after the header (the payload's bytes are not
 * parsed: the bootloader hashes them). Returns an ImageErr.
 */
export function fuzz_image(p: usize, len: i32): i32 {
  if (len < <i32>HEADER_SIZE) return ImageErr.Magic;
  const header = headerCheck(p);
  loadNameLen(p);
  let at = <u64>HEADER_SIZE + <u64>payloadSize(p);
  if (at + <u64>TLV_INFO_SIZE > <u64>len) at = <u64>HEADER_SIZE;
  const room = <u32>(<u64>len - at);
  if (room < TLV_INFO_SIZE) return header != 0 ? header : ImageErr.Truncated;
  const tlvs = p + <usize>at;
  const total = tlvAreaLen(tlvs, room);
  if (total == 0) return header != 0 ? header : ImageErr.Truncated;
  const hash = tlvFind(tlvs, total, Tlv.Sha256, 32);
  if (tlvMalformed) return ImageErr.Truncated;
  const key = tlvFind(tlvs, total, Tlv.PubKey, 32);
  const sig = tlvFind(tlvs, total, Tlv.Ed25519, 64);
  if (tlvMalformed) return ImageErr.Truncated;
  if (header != 0) return header;
  if (hash == 0) return ImageErr.NoHash;
  return key == 0 || sig == 0 ? ImageErr.Unsigned : ImageErr.Ok;
}

/**
 * The whole receive path (Ethernet, VLAN, ARP, IPv4, ICMP, UDP, TCP, CDP,
 * LLDP and the clients behind them) of a configured phone: the frame goes
 * through on_frame as the host would deliver it. Bit 0 of the first byte
 * puts the phone on voice VLAN 110. Returns 0 when accepted, else 1.
 */
export function fuzz_stack(p: usize, len: i32): i32 {
  if (len < 1) return 1;
  attach();
  setMac(0x001b54c2a710);
  configure(0xc0000232, 0xffffff00, 0xc0000201); // 192.0.2.50/24, router 192.0.2.1
  setVoiceVlan((load<u8>(p) & 1) != 0 ? 110 : 0);
  p += 1; len -= 1;
  const n = min(len, RX_CAPACITY);
  memory.copy(rxBuf, p, <usize>n);
  const before = load<u32>(countersAccepted());
  onFrame(len, 1000);
  return load<u32>(countersAccepted()) != before ? 0 : 1;
}

import { countersPtr } from "./counters";
import { arpFlush, arpParse, arpRx } from "./net/arp";
import { acdPoll } from "./net/acd";
import { tcpConnect, tcpDropAll, tcpInit, tcpPoll, tcpRecv } from "./net/tcp";
import { dhcpInit, dhcpLinkDown, dhcpPoll, dhcpStart } from "./client/dhcp";
import { dnsInit, dnsPoll, dnsStart, dnsStop } from "./client/dns";
import { Sink, tftpInit, tftpPoll, tftpSetSink, tftpStart, tftpStop } from "./client/tftp";
import { put32, putMac } from "./lib/bytes";

const PHONE_IP: u32 = 0xc0000232; // 192.0.2.50
const MASK: u32 = 0xffffff00;
const ROUTER: u32 = 0xc0000201;
const TFTP_SERVER: u32 = 0xc000020a;
const DNS_SERVER: u32 = 0xc0000235;
const CALLMANAGER: u32 = 0xc000020b;
const SCRATCH = memory.data(2048);
const SERVERS = memory.data(4);
// "SEP001B54C2A710.cnf.xml" and "tftp.voice.example"
const FILE = memory.data<u8>([83, 69, 80, 48, 48, 49, 66, 53, 52, 67, 50, 65, 55, 49, 48, 46, 99, 110, 102, 46, 120, 109, 108]);
const NAME = memory.data<u8>([116, 102, 116, 112, 46, 118, 111, 105, 99, 101, 46, 101, 120, 97, 109, 112, 108, 101]);

function acceptData(offset: u32, p: usize, len: i32): Sink { return offset + <u32>len <= 16384 ? Sink.Taken : Sink.Full; }

/** Puts `ip` (with a MAC derived from it) in the ARP cache, as its reply to us would. */
function learn(ip: u32, now: i64): void {
  const a = SCRATCH;
  put32(a, 0x00010800);
  store<u16>(a + 4, 0x0406); // hlen 6, plen 4
  store<u16>(a + 6, 0x0200); // reply
  putMac(a + 8, 0x02005e000000 | <u64>(ip & 0xff));
  put32(a + 14, ip);
  putMac(a + 18, 0x001b54c2a710);
  put32(a + 24, PHONE_IP);
  arpParse(a, 28);
  arpRx(now);
}

/**
 * The protocol clients in the middle of their exchanges, fed a sequence of
 * frames: byte 0 chooses what runs (bit 0 voice VLAN 110, bit 1 DHCP
 * selecting, bit 2 a DNS lookup, bit 3 a TFTP transfer of the SEP file,
 * bit 4 a TCP connection to CallManager 1); then records of [time step
 * (x16 ms), length (u16), frame], each delivered through on_frame after
 * every client's timers have run. The hal's random numbers restart with each
 * input (the host's stubs), so an input always does the same. Returns 0.
 */
export function fuzz_session(p: usize, len: i32): i32 {
  if (len < 1) return 0;
  const ctl = load<u8>(p);
  let now: i64 = 1000;
  attach();
  tcpDropAll();
  tftpStop();
  dnsStop();
  dhcpLinkDown();
  arpFlush();
  setMac(0x001b54c2a710);
  setVoiceVlan((ctl & 1) != 0 ? 110 : 0);
  configure(PHONE_IP, MASK, ROUTER);
  learn(ROUTER, now);
  learn(TFTP_SERVER, now);
  learn(DNS_SERVER, now);
  learn(CALLMANAGER, now);
  if ((ctl & 4) != 0) {
    put32(SERVERS, DNS_SERVER);
    dnsStart(NAME, 18, SERVERS, 1, now);
  }
  if ((ctl & 8) != 0) {
    tftpSetSink(acceptData);
    tftpStart(TFTP_SERVER, FILE, 23, 16384, now);
  }
  if ((ctl & 16) != 0) tcpConnect(CALLMANAGER, 2000, now);
  if ((ctl & 2) != 0) {
    dhcpStart(now);
    dhcpPoll(now);
  }
  let at: i32 = 1;
  while (at + 3 <= len) {
    now += <i64>load<u8>(p + <usize>at) << 4;
    let n = (<i32>load<u8>(p + <usize>at + 1) << 8) | <i32>load<u8>(p + <usize>at + 2);
    at += 3;
    if (n > len - at) n = len - at;
    acdPoll(now);
    dhcpPoll(now);
    dnsPoll(now);
    tftpPoll(now);
    tcpPoll(now);
    memory.copy(rxBuf, p + <usize>at, <usize>min(n, RX_CAPACITY));
    onFrame(n, now);
    tcpRecv(0, SCRATCH, 2048, now);
    tcpRecv(1, SCRATCH, 2048, now);
    at += n;
  }
  return 0;
}
@inline function countersAccepted(): usize { return countersPtr() + (<usize>Ctr.Accepted << 2); }

export function counters(): usize { return countersPtr(); }
export function counter_count(): i32 { return Ctr.Count; }

let attached = false;

/** The registrations the phone makes at start, once: the stack hands frames to every client. */
function attach(): void {
  if (attached) return;
  attached = true;
  dhcpInit();
  tftpInit();
  dnsInit();
  tcpInit();
  discoveryInit();
}
