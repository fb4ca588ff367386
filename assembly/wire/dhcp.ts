// DHCP messages (RFC 2131, options RFC 2132, long options RFC 3396): the
// record the client parses and emits.
import { get16, get32, get8, getMac, put16, put32, put8, putMac } from "../lib/bytes";
import { Ctr } from "../counters";

export const DHCP_CLIENT_PORT: u32 = 68;
export const DHCP_SERVER_PORT: u32 = 67;
const COOKIE: u32 = 0x63825363;
const OPTIONS = 240; // offset of the options field
const SNAME = 44;
const FILE = 108;
const BOOTP_MIN = 300; // RFC 1542: relays may drop shorter BOOTP messages
export const DHCP_MAX_MESSAGE: u32 = 1500;

export const enum MsgType { Discover = 1, Offer = 2, Request = 3, Decline = 4, Ack = 5, Nak = 6, Release = 7 }
export const enum Opt {
  Pad = 0, SubnetMask = 1, Router = 3, Dns = 6, HostName = 12, DomainName = 15,
  RequestedIp = 50, LeaseTime = 51, Overload = 52, MsgType = 53, ServerId = 54,
  ParamList = 55, MaxSize = 57, T1 = 58, T2 = 59, VendorClass = 60, ClientId = 61,
  TftpServerName = 66, TftpServers = 150, End = 255,
}

/** The most of each list and text that a message keeps (and the client with it). */
export const DHCP_MAX_DNS = 3;
export const DHCP_MAX_TFTP = 4;
export const DHCP_TEXT_MAX = 64;

// A Cisco phone's option 60: "Cisco Systems, Inc. IP Phone CP-7960"
const VENDOR_CLASS = memory.data<u8>([
  67, 105, 115, 99, 111, 32, 83, 121, 115, 116, 101, 109, 115, 44, 32, 73, 110, 99, 46, 32,
  73, 80, 32, 80, 104, 111, 110, 101, 32, 67, 80, 45, 55, 57, 54, 48,
]);
const VENDOR_CLASS_LEN = 36;
// Parameter request list in the order Cisco 79xx phones send it (their DHCP
// fingerprint, which NAC and profiling systems match): mask, TFTP server
// name, DNS, router, domain name, TFTP servers, ARP cache timeout. Source:
// FingerBank's dhcp_fingerprints.conf (Inverse inc., ODbL), [os 300] "Cisco
// IP Phone", vendor_id "Cisco Systems, Inc. IP Phone CP-7960", first entry.
const PARAM_LIST = memory.data<u8>([1, 66, 6, 3, 15, 150, 35]);
const PARAM_LIST_LEN = 7;

// RFC 3396: an option that appears more than once (split because it is
// long, or again in the overloaded file and sname fields) is its pieces
// concatenated in order. Those the phone keeps are gathered here, each up to
// what the phone keeps of it.
const RX_DNS = memory.data(DHCP_MAX_DNS * 4);
const RX_TFTP = memory.data(DHCP_MAX_TFTP * 4);
const RX_TFTP_NAME = memory.data(DHCP_TEXT_MAX);
const RX_ROUTER = memory.data(4);
const RX_DOMAIN = memory.data(DHCP_TEXT_MAX);

/** An option's length so far (-1: absent) with a piece of `n` more bytes. */
@inline function more(have: i32, n: i32): i32 { return max(have, 0) + n; }

/**
 * Whether an address option of `len` bytes has its RFC 2132 shape: the
 * mask exactly one address, the lists (router, DNS, TFTP servers) one or more.
 */
export function dhcpAddrOptionOk(code: u32, len: i32): bool {
  if (code == Opt.SubnetMask) return len == 4;
  return len >= 4 && (len & 3) == 0;
}

/** Appends the `n` bytes at `v` to the `have` bytes at `dst`, up to `cap`; returns the new length. */
function gather(dst: usize, cap: i32, have: i32, v: usize, n: i32): i32 {
  const k = min(n, cap - have);
  if (k <= 0) return have;
  memory.copy(dst + <usize>have, v, <usize>k);
  return have + k;
}

/**
 * One DHCP message. parse() reads a BOOTP header and the options this phone
 * uses (the lists and texts gathered into buffers of their own); emit() writes a
 * client message with the options whose fields are set.
 */
@unmanaged export class DhcpRepr {
  op: u32;
  xid: u32;
  secs: u32;
  flags: u32;
  ciaddr: u32;
  yiaddr: u32;
  siaddr: u32;
  chaddr: u64;
  msgType: u32;
  serverId: u32;
  requestedIp: u32;
  maxSize: u32;
  mask: u32;
  router: u32;
  lease: u32;
  t1: u32;
  t2: u32;
  dnsCount: i32;
  tftpCount: i32;
  tftpPtr: usize;
  tftpNamePtr: usize;
  tftpNameLen: i32;
  domainPtr: usize;
  domainLen: i32;
  dnsPtr: usize;
  dnsBytes: i32;
  tftpBytes: i32;
  /** Each address option's whole length (its RFC 3396 pieces together), -1 when absent: checked against its shape by the client. */
  maskLen: i32;
  routerLen: i32;
  dnsLen: i32;
  tftpLen: i32;
  /** emit(): add options 12 (this host name), 55, 60 and 57 (DISCOVER and REQUEST). */
  full: bool;
  hostNamePtr: usize;
  hostNameLen: i32;

  /** Returns 0, or the Ctr drop reason. */
  parse(p: usize, len: i32): i32 {
    if (len < OPTIONS + 1 || get32(p + 236) != COOKIE) return Ctr.DropDhcpMalformed;
    if (get8(p + 1) != 1 || get8(p + 2) != 6) return Ctr.DropDhcpMalformed;
    this.op = get8(p);
    this.xid = get32(p + 4);
    this.secs = get16(p + 8);
    this.flags = get16(p + 10);
    this.ciaddr = get32(p + 12);
    this.yiaddr = get32(p + 16);
    this.siaddr = get32(p + 20);
    this.chaddr = getMac(p + 28);
    this.msgType = 0;
    this.serverId = this.requestedIp = this.maxSize = this.mask = this.router = 0;
    this.lease = this.t1 = this.t2 = 0;
    this.dnsCount = this.tftpCount = this.tftpNameLen = this.domainLen = this.dnsBytes = this.tftpBytes = 0;
    this.maskLen = this.routerLen = this.dnsLen = this.tftpLen = -1;
    this.dnsPtr = RX_DNS;
    this.tftpPtr = RX_TFTP;
    this.tftpNamePtr = RX_TFTP_NAME;
    this.domainPtr = RX_DOMAIN;
    const overload = this.options(p + OPTIONS, len - OPTIONS);
    if (overload < 0) return Ctr.DropDhcpMalformed;
    // Option 52: the file and then the sname fields carry more options.
    if ((overload & 1) != 0 && this.options(p + FILE, 128) < 0) return Ctr.DropDhcpMalformed;
    if ((overload & 2) != 0 && this.options(p + SNAME, 64) < 0) return Ctr.DropDhcpMalformed;
    if (this.msgType == 0) return Ctr.DropDhcpMalformed;
    return 0;
  }

  /** Walks one options area; returns the overload value (0..3), or -1 if malformed. */
  private options(p: usize, len: i32): i32 {
    let overload = 0;
    let i = 0;
    while (i < len) {
      const code = get8(p + <usize>i);
      if (code == Opt.End) return overload;
      if (code == Opt.Pad) { i++; continue; }
      if (i + 2 > len) return -1;
      const n = <i32>get8(p + <usize>i + 1);
      const v = p + <usize>i + 2;
      i += 2 + n;
      if (i > len) return -1;
      if (code == Opt.Overload && n == 1) overload = <i32>get8(v) & 3;
      else this.option(code, v, n);
    }
    return -1; // no End option
  }

  private option(code: u32, v: usize, n: i32): void {
    const a = n >= 4 ? get32(v) : 0;
    switch (code) {
      case Opt.MsgType: if (n == 1) this.msgType = get8(v); break;
      case Opt.ServerId: this.serverId = a; break;
      case Opt.RequestedIp: this.requestedIp = a; break;
      case Opt.SubnetMask: this.mask = a; this.maskLen = more(this.maskLen, n); break;
      case Opt.Router: {
        // The first router of the list, whichever pieces carry its four bytes.
        const had = max(this.routerLen, 0);
        gather(RX_ROUTER, 4, min(had, 4), v, n);
        this.routerLen = had + n;
        if (this.routerLen >= 4) this.router = get32(RX_ROUTER);
        break;
      }
      case Opt.LeaseTime: this.lease = a; break;
      case Opt.T1: this.t1 = a; break;
      case Opt.T2: this.t2 = a; break;
      case Opt.MaxSize: if (n == 2) this.maxSize = get16(v); break;
      case Opt.Dns:
        this.dnsBytes = gather(RX_DNS, DHCP_MAX_DNS * 4, this.dnsBytes, v, n);
        this.dnsCount = this.dnsBytes >> 2;
        this.dnsLen = more(this.dnsLen, n);
        break;
      case Opt.TftpServers:
        this.tftpBytes = gather(RX_TFTP, DHCP_MAX_TFTP * 4, this.tftpBytes, v, n);
        this.tftpCount = this.tftpBytes >> 2;
        this.tftpLen = more(this.tftpLen, n);
        break;
      case Opt.TftpServerName: this.tftpNameLen = gather(RX_TFTP_NAME, DHCP_TEXT_MAX, this.tftpNameLen, v, n); break;
      case Opt.DomainName: this.domainLen = gather(RX_DOMAIN, DHCP_TEXT_MAX, this.domainLen, v, n); break;
    }
  }

  /** Writes a client message at `p`; returns its length. */
  emit(p: usize): i32 {
    memory.fill(p, 0, OPTIONS);
    put8(p, 1); // BOOTREQUEST
    put8(p + 1, 1);
    put8(p + 2, 6);
    put32(p + 4, this.xid);
    put16(p + 8, this.secs);
    put16(p + 10, this.flags);
    put32(p + 12, this.ciaddr);
    putMac(p + 28, this.chaddr);
    put32(p + 236, COOKIE);
    let o = p + OPTIONS;
    put8(o, Opt.MsgType); put8(o + 1, 1); put8(o + 2, this.msgType); o += 3;
    // Client identifier: hardware type 1 and the MAC (RFC 2132 9.14).
    put8(o, Opt.ClientId); put8(o + 1, 7); put8(o + 2, 1); putMac(o + 3, this.chaddr); o += 9;
    if (this.requestedIp != 0) o = optAddr(o, Opt.RequestedIp, this.requestedIp);
    if (this.serverId != 0) o = optAddr(o, Opt.ServerId, this.serverId);
    if (this.full) {
      put8(o, Opt.MaxSize); put8(o + 1, 2); put16(o + 2, this.maxSize); o += 4;
      o = optBytes(o, Opt.HostName, this.hostNamePtr, this.hostNameLen);
      o = optBytes(o, Opt.VendorClass, VENDOR_CLASS, VENDOR_CLASS_LEN);
      o = optBytes(o, Opt.ParamList, PARAM_LIST, PARAM_LIST_LEN);
    }
    put8(o++, Opt.End);
    let len = <i32>(o - p);
    if (len < BOOTP_MIN) {
      memory.fill(o, 0, BOOTP_MIN - len);
      len = BOOTP_MIN;
    }
    return len;
  }
}

function optAddr(o: usize, code: u32, a: u32): usize {
  put8(o, code); put8(o + 1, 4); put32(o + 2, a);
  return o + 6;
}
function optBytes(o: usize, code: u32, src: usize, n: i32): usize {
  put8(o, code); put8(o + 1, <u32>n);
  memory.copy(o + 2, src, <usize>n);
  return o + 2 + <usize>n;
}
