// Host-side wire formats: Ethernet II (+802.1Q tag), ARP, IPv4, UDP, DHCP/BOOTP.
// Decoders take untrusted bytes: they return null on anything malformed and
// never throw. Encoders take our own values: they throw on impossible ones.
// Decoded payloads are subarrays of the input (no copies).

export type Mac = Uint8Array;

export const ETH_HEADER_LEN = 14;
export const ETH_VLAN_HEADER_LEN = 18;
/** Minimum Ethernet frame without FCS; shorter frames are padded on the wire. */
export const ETH_MIN_FRAME = 60;
export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_VLAN = 0x8100;
export const IPPROTO_UDP = 17;

// ---------------------------------------------------------------- addresses

export function broadcastMac(): Mac {
  return new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
}

export function macToString(mac: Uint8Array): string {
  if (mac.length !== 6) throw new RangeError(`macToString: a MAC has 6 bytes, got ${mac.length}`);
  return Array.from(mac, (b) => b.toString(16).padStart(2, '0')).join(':');
}

/** Accepts "00:1b:54:aa:bb:cc", "00-1B-54-AA-BB-CC" and "001b54aabbcc". */
export function parseMac(text: string): Mac {
  const hex = /^[0-9a-f]{2}([:-][0-9a-f]{2}){5}$/i.test(text) ? text.replace(/[:-]/g, '') : text;
  if (!/^[0-9a-f]{12}$/i.test(hex)) throw new Error(`parseMac: not a MAC address: "${text}"`);
  const mac = new Uint8Array(6);
  for (let i = 0; i < 6; i++) mac[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return mac;
}

export function macEquals(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The group bit: broadcast and multicast. */
export function isMulticastMac(mac: Uint8Array): boolean {
  return (mac[0] & 1) === 1;
}

export function isBroadcastMac(mac: Uint8Array): boolean {
  return mac.length === 6 && mac.every((b) => b === 0xff);
}

/** 48-bit MAC as a number, for use as a Map key (exact: < 2^53). */
export function macToNumber(mac: Uint8Array, offset = 0): number {
  let n = 0;
  for (let i = 0; i < 6; i++) n = n * 256 + mac[offset + i];
  return n;
}

export function ipToString(ip: number): string {
  return [ip >>> 24, (ip >>> 16) & 0xff, (ip >>> 8) & 0xff, ip & 0xff].join('.');
}

export function parseIp(text: string): number {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  const parts = m === null ? [] : m.slice(1).map(Number);
  if (parts.length !== 4 || parts.some((p) => p > 255)) throw new Error(`parseIp: not an IPv4 address: "${text}"`);
  return ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
}

function checkU(name: string, value: number, bits: number): void {
  if (!Number.isInteger(value) || value < 0 || value >= 2 ** bits) {
    throw new RangeError(`${name} must be a ${bits}-bit unsigned integer, got ${value}`);
  }
}

function checkMac(name: string, mac: Uint8Array): void {
  if (mac.length !== 6) throw new RangeError(`${name} must be a 6-byte MAC, got ${mac.length} bytes`);
}

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

// ---------------------------------------------------------------- checksum

/** Unfolded sum of big-endian 16-bit words, odd byte padded with zero. */
export function sum16(data: Uint8Array, initial = 0): number {
  let sum = initial;
  const n = data.length;
  for (let i = 0; i + 1 < n; i += 2) sum += (data[i] << 8) | data[i + 1];
  if ((n & 1) === 1) sum += data[n - 1] << 8;
  return sum;
}

export function foldSum(sum: number): number {
  let s = sum;
  for (let i = 0; i < 4 && s > 0xffff; i++) s = (s % 0x10000) + Math.floor(s / 0x10000);
  return s;
}

/** RFC 1071: one's complement of the one's complement sum. */
export function internetChecksum(data: Uint8Array, initial = 0): number {
  return ~foldSum(sum16(data, initial)) & 0xffff;
}

function pseudoHeaderSum(src: number, dst: number, protocol: number, length: number): number {
  return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + protocol + length;
}

// ---------------------------------------------------------------- Ethernet

export interface VlanTag {
  pcp: number;
  dei: boolean;
  vid: number;
}

export interface EthernetFrame {
  dst: Mac;
  src: Mac;
  /** 802.1Q tag, or null when untagged. */
  vlan: VlanTag | null;
  /** EtherType (or an 802.3 length when < 0x0600). */
  etherType: number;
  payload: Uint8Array;
}

export interface EthernetFields {
  dst: Mac;
  src: Mac;
  etherType: number;
  payload: Uint8Array;
  vlan?: VlanTag | null;
}

export function decodeEthernet(frame: Uint8Array): EthernetFrame | null {
  if (frame.length < ETH_HEADER_LEN) return null;
  const v = view(frame);
  const dst = frame.subarray(0, 6);
  const src = frame.subarray(6, 12);
  const type = v.getUint16(12);
  if (type !== ETHERTYPE_VLAN) return { dst, src, vlan: null, etherType: type, payload: frame.subarray(14) };
  if (frame.length < ETH_VLAN_HEADER_LEN) return null;
  const tci = v.getUint16(14);
  const vlan = { pcp: tci >>> 13, dei: (tci & 0x1000) !== 0, vid: tci & 0x0fff };
  return { dst, src, vlan, etherType: v.getUint16(16), payload: frame.subarray(18) };
}

export function encodeEthernet(f: EthernetFields, padToMin = false): Uint8Array {
  checkMac('Ethernet dst', f.dst);
  checkMac('Ethernet src', f.src);
  checkU('EtherType', f.etherType, 16);
  const header = f.vlan ? ETH_VLAN_HEADER_LEN : ETH_HEADER_LEN;
  const len = header + f.payload.length;
  const out = new Uint8Array(padToMin ? Math.max(len, ETH_MIN_FRAME) : len);
  const v = view(out);
  out.set(f.dst, 0);
  out.set(f.src, 6);
  if (f.vlan) {
    checkU('VLAN pcp', f.vlan.pcp, 3);
    checkU('VLAN vid', f.vlan.vid, 12);
    v.setUint16(12, ETHERTYPE_VLAN);
    v.setUint16(14, (f.vlan.pcp << 13) | (f.vlan.dei ? 0x1000 : 0) | f.vlan.vid);
  }
  v.setUint16(header - 2, f.etherType);
  out.set(f.payload, header);
  return out;
}

// ---------------------------------------------------------------- ARP (RFC 826)

export const ARP_REQUEST = 1;
export const ARP_REPLY = 2;
export const ARP_LEN = 28;

export interface ArpPacket {
  op: number;
  senderMac: Mac;
  senderIp: number;
  targetMac: Mac;
  targetIp: number;
}

/** Ethernet/IPv4 ARP only; anything else is null. */
export function decodeArp(b: Uint8Array): ArpPacket | null {
  if (b.length < ARP_LEN) return null;
  const v = view(b);
  if (v.getUint16(0) !== 1 || v.getUint16(2) !== ETHERTYPE_IPV4 || b[4] !== 6 || b[5] !== 4) return null;
  const op = v.getUint16(6);
  if (op !== ARP_REQUEST && op !== ARP_REPLY) return null;
  return {
    op,
    senderMac: b.subarray(8, 14),
    senderIp: v.getUint32(14),
    targetMac: b.subarray(18, 24),
    targetIp: v.getUint32(24),
  };
}

export function encodeArp(p: ArpPacket): Uint8Array {
  checkU('ARP op', p.op, 16);
  checkMac('ARP sender MAC', p.senderMac);
  checkMac('ARP target MAC', p.targetMac);
  checkU('ARP sender IP', p.senderIp, 32);
  checkU('ARP target IP', p.targetIp, 32);
  const out = new Uint8Array(ARP_LEN);
  const v = view(out);
  v.setUint16(0, 1);
  v.setUint16(2, ETHERTYPE_IPV4);
  out[4] = 6;
  out[5] = 4;
  v.setUint16(6, p.op);
  out.set(p.senderMac, 8);
  v.setUint32(14, p.senderIp);
  out.set(p.targetMac, 18);
  v.setUint32(24, p.targetIp);
  return out;
}

// ---------------------------------------------------------------- IPv4 (RFC 791)

export interface Ipv4Fields {
  src: number;
  dst: number;
  protocol: number;
  payload: Uint8Array;
  ttl?: number;
  id?: number;
  tos?: number;
  dontFragment?: boolean;
  moreFragments?: boolean;
  /** In 8-byte units, as on the wire. */
  fragmentOffset?: number;
  /** Raw option bytes, a multiple of 4, at most 40. */
  options?: Uint8Array;
}

export interface Ipv4Packet {
  src: number;
  dst: number;
  protocol: number;
  ttl: number;
  id: number;
  tos: number;
  dontFragment: boolean;
  moreFragments: boolean;
  fragmentOffset: number;
  options: Uint8Array;
  headerLength: number;
  checksumOk: boolean;
  /** Bounded by the total length field: Ethernet padding is excluded. */
  payload: Uint8Array;
}

export function decodeIpv4(b: Uint8Array): Ipv4Packet | null {
  if (b.length < 20 || b[0] >> 4 !== 4) return null;
  const headerLength = (b[0] & 0x0f) * 4;
  const v = view(b);
  const total = v.getUint16(2);
  if (headerLength < 20 || total < headerLength || total > b.length) return null;
  const frag = v.getUint16(6);
  return {
    src: v.getUint32(12),
    dst: v.getUint32(16),
    protocol: b[9],
    ttl: b[8],
    id: v.getUint16(4),
    tos: b[1],
    dontFragment: (frag & 0x4000) !== 0,
    moreFragments: (frag & 0x2000) !== 0,
    fragmentOffset: frag & 0x1fff,
    options: b.subarray(20, headerLength),
    headerLength,
    checksumOk: foldSum(sum16(b.subarray(0, headerLength))) === 0xffff,
    payload: b.subarray(headerLength, total),
  };
}

export function encodeIpv4(f: Ipv4Fields): Uint8Array {
  const options = f.options ?? new Uint8Array(0);
  if (options.length % 4 !== 0 || options.length > 40) {
    throw new RangeError(`IPv4 options must be a multiple of 4 bytes, at most 40; got ${options.length}`);
  }
  const headerLength = 20 + options.length;
  const total = headerLength + f.payload.length;
  if (total > 0xffff) throw new RangeError(`IPv4 packet too long: ${total} bytes`);
  const fields: Array<[string, number, number]> = [
    ['IPv4 src', f.src, 32], ['IPv4 dst', f.dst, 32], ['IPv4 protocol', f.protocol, 8],
    ['IPv4 ttl', f.ttl ?? 64, 8], ['IPv4 id', f.id ?? 0, 16], ['IPv4 tos', f.tos ?? 0, 8],
    ['IPv4 fragment offset', f.fragmentOffset ?? 0, 13],
  ];
  for (const [name, value, bits] of fields) checkU(name, value, bits);
  const out = new Uint8Array(total);
  const v = view(out);
  out[0] = 0x40 | (headerLength / 4);
  out[1] = f.tos ?? 0;
  v.setUint16(2, total);
  v.setUint16(4, f.id ?? 0);
  v.setUint16(6, (f.dontFragment ? 0x4000 : 0) | (f.moreFragments ? 0x2000 : 0) | (f.fragmentOffset ?? 0));
  out[8] = f.ttl ?? 64;
  out[9] = f.protocol;
  v.setUint32(12, f.src);
  v.setUint32(16, f.dst);
  out.set(options, 20);
  v.setUint16(10, internetChecksum(out.subarray(0, headerLength)));
  out.set(f.payload, headerLength);
  return out;
}

// ---------------------------------------------------------------- UDP (RFC 768)

export interface UdpFields {
  srcIp: number;
  dstIp: number;
  srcPort: number;
  dstPort: number;
  payload: Uint8Array;
}

export interface UdpDatagram {
  srcPort: number;
  dstPort: number;
  checksum: number;
  /** null when the sender sent no checksum (zero). */
  checksumOk: boolean | null;
  payload: Uint8Array;
}

export function decodeUdp(b: Uint8Array, srcIp: number, dstIp: number): UdpDatagram | null {
  if (b.length < 8) return null;
  const v = view(b);
  const length = v.getUint16(4);
  if (length < 8 || length > b.length) return null;
  const segment = b.subarray(0, length);
  const checksum = v.getUint16(6);
  const checksumOk = checksum === 0
    ? null
    : foldSum(sum16(segment, pseudoHeaderSum(srcIp, dstIp, IPPROTO_UDP, length))) === 0xffff;
  return { srcPort: v.getUint16(0), dstPort: v.getUint16(2), checksum, checksumOk, payload: b.subarray(8, length) };
}

export function encodeUdp(f: UdpFields): Uint8Array {
  checkU('UDP source port', f.srcPort, 16);
  checkU('UDP destination port', f.dstPort, 16);
  const length = 8 + f.payload.length;
  if (length > 0xffff) throw new RangeError(`UDP datagram too long: ${length} bytes`);
  const out = new Uint8Array(length);
  const v = view(out);
  v.setUint16(0, f.srcPort);
  v.setUint16(2, f.dstPort);
  v.setUint16(4, length);
  out.set(f.payload, 8);
  const sum = internetChecksum(out, pseudoHeaderSum(f.srcIp, f.dstIp, IPPROTO_UDP, length));
  v.setUint16(6, sum === 0 ? 0xffff : sum);
  return out;
}

// ------------------------------------------------- Ethernet + IPv4 + UDP in one

export interface UdpFrameFields extends UdpFields {
  srcMac: Mac;
  dstMac: Mac;
  ttl?: number;
  id?: number;
  vlan?: VlanTag | null;
}

export interface UdpFrame {
  eth: EthernetFrame;
  ip: Ipv4Packet;
  udp: UdpDatagram;
}

export function buildUdpFrame(f: UdpFrameFields): Uint8Array {
  const ip = encodeIpv4({ src: f.srcIp, dst: f.dstIp, protocol: IPPROTO_UDP, ttl: f.ttl, id: f.id, payload: encodeUdp(f) });
  return encodeEthernet({ dst: f.dstMac, src: f.srcMac, etherType: ETHERTYPE_IPV4, vlan: f.vlan, payload: ip }, true);
}

/** An unfragmented IPv4/UDP frame, or null. Checksum verdicts are left to the caller. */
export function parseUdpFrame(frame: Uint8Array): UdpFrame | null {
  const eth = decodeEthernet(frame);
  if (eth === null || eth.etherType !== ETHERTYPE_IPV4) return null;
  const ip = decodeIpv4(eth.payload);
  if (ip === null || ip.protocol !== IPPROTO_UDP || ip.moreFragments || ip.fragmentOffset !== 0) return null;
  const udp = decodeUdp(ip.payload, ip.src, ip.dst);
  return udp === null ? null : { eth, ip, udp };
}

// ---------------------------------------------------------------- DHCP (RFC 2131/2132)

export const DHCP_SERVER_PORT = 67;
export const DHCP_CLIENT_PORT = 68;
export const DHCP_MAGIC_COOKIE = 0x63825363;
export const BOOTREQUEST = 1;
export const BOOTREPLY = 2;
export const DHCP_FLAG_BROADCAST = 0x8000;
/** Fixed BOOTP header (236) + magic cookie (4). */
export const DHCP_FIXED_LEN = 240;
/** RFC 951's 300-byte BOOTP message; many relays drop shorter ones. */
export const BOOTP_MIN_LEN = 300;

export const DhcpType = {
  DISCOVER: 1, OFFER: 2, REQUEST: 3, DECLINE: 4, ACK: 5, NAK: 6, RELEASE: 7, INFORM: 8,
} as const;

export const DhcpOpt = {
  PAD: 0, SUBNET_MASK: 1, ROUTER: 3, DNS_SERVERS: 6, HOST_NAME: 12, DOMAIN_NAME: 15,
  BROADCAST_ADDRESS: 28, REQUESTED_IP: 50, LEASE_TIME: 51, OVERLOAD: 52, MESSAGE_TYPE: 53,
  SERVER_ID: 54, PARAM_REQUEST_LIST: 55, MESSAGE: 56, MAX_MESSAGE_SIZE: 57, RENEWAL_TIME: 58,
  REBINDING_TIME: 59, VENDOR_CLASS_ID: 60, CLIENT_ID: 61, TFTP_SERVER_NAME: 66, BOOTFILE_NAME: 67,
  TFTP_SERVERS: 150, END: 255,
} as const;

export interface DhcpOption {
  code: number;
  data: Uint8Array;
}

export interface DhcpMessage {
  op: number;
  htype: number;
  hlen: number;
  hops: number;
  xid: number;
  secs: number;
  flags: number;
  ciaddr: number;
  yiaddr: number;
  siaddr: number;
  giaddr: number;
  /** 16 bytes; the hardware address is the first hlen. */
  chaddr: Uint8Array;
  /** 64 raw bytes; holds options instead of a name when overload has bit 2. */
  sname: Uint8Array;
  /** 128 raw bytes; holds options instead of a name when overload has bit 1. */
  file: Uint8Array;
  /** In wire order: options field, then file, then sname (RFC 2131 4.1). */
  options: DhcpOption[];
}

export interface DecodedDhcp extends DhcpMessage {
  /** Option 52 value: 0 none, 1 file, 2 sname, 3 both. */
  overload: number;
}

export interface DhcpInit {
  op: number;
  xid: number;
  chaddr: Uint8Array;
  htype?: number;
  hlen?: number;
  hops?: number;
  secs?: number;
  flags?: number;
  ciaddr?: number;
  yiaddr?: number;
  siaddr?: number;
  giaddr?: number;
  sname?: string | Uint8Array;
  file?: string | Uint8Array;
  options?: DhcpOption[];
}

/** Parses one option area into out; false if an option runs past the end. */
function parseOptionArea(b: Uint8Array, out: DhcpOption[]): boolean {
  let i = 0;
  while (i < b.length) {
    const code = b[i];
    if (code === DhcpOpt.PAD) { i++; continue; }
    if (code === DhcpOpt.END) return true;
    if (i + 1 >= b.length) return false;
    const len = b[i + 1];
    if (i + 2 + len > b.length) return false;
    out.push({ code, data: b.subarray(i + 2, i + 2 + len) });
    i += 2 + len;
  }
  return true;
}

export function decodeDhcp(b: Uint8Array): DecodedDhcp | null {
  if (b.length < DHCP_FIXED_LEN) return null;
  const v = view(b);
  const op = b[0];
  const hlen = b[2];
  if ((op !== BOOTREQUEST && op !== BOOTREPLY) || hlen > 16) return null;
  if (v.getUint32(236) !== DHCP_MAGIC_COOKIE) return null;
  const sname = b.subarray(44, 108);
  const file = b.subarray(108, 236);
  const options: DhcpOption[] = [];
  if (!parseOptionArea(b.subarray(DHCP_FIXED_LEN), options)) return null;
  const ov = options.find((o) => o.code === DhcpOpt.OVERLOAD);
  const overload = ov === undefined ? 0 : ov.data.length === 1 ? ov.data[0] : -1;
  if (overload < 0 || overload > 3) return null;
  if ((overload & 1) !== 0 && !parseOptionArea(file, options)) return null;
  if ((overload & 2) !== 0 && !parseOptionArea(sname, options)) return null;
  return {
    op, htype: b[1], hlen, hops: b[3], xid: v.getUint32(4), secs: v.getUint16(8), flags: v.getUint16(10),
    ciaddr: v.getUint32(12), yiaddr: v.getUint32(16), siaddr: v.getUint32(20), giaddr: v.getUint32(24),
    chaddr: b.subarray(28, 44), sname, file, options, overload,
  };
}

function fixedField(name: string, value: string | Uint8Array | undefined, size: number): Uint8Array {
  const bytes = typeof value === 'string' ? asciiBytes(name, value) : value ?? new Uint8Array(0);
  if (bytes.length > size) throw new RangeError(`DHCP ${name} holds at most ${size} bytes, got ${bytes.length}`);
  return bytes;
}

/** Options are written in list order; data over 255 bytes is split (RFC 3396). */
export function encodeDhcp(m: DhcpInit, minLength = BOOTP_MIN_LEN): Uint8Array {
  const chaddr = fixedField('chaddr', m.chaddr, 16);
  const sname = fixedField('sname', m.sname, 64);
  const file = fixedField('file', m.file, 128);
  const options = m.options ?? [];
  let optLen = 1;
  for (const o of options) {
    checkU('DHCP option code', o.code, 8);
    if (o.code === DhcpOpt.PAD || o.code === DhcpOpt.END) throw new RangeError(`DHCP option ${o.code} is reserved`);
    optLen += dhcpOptionSize(o);
  }
  const out = new Uint8Array(Math.max(DHCP_FIXED_LEN + optLen, minLength));
  const v = view(out);
  const words: Array<[string, number, number]> = [
    ['op', m.op, 8], ['htype', m.htype ?? 1, 8], ['hlen', m.hlen ?? Math.min(chaddr.length, 16), 8],
    ['hops', m.hops ?? 0, 8], ['xid', m.xid, 32], ['secs', m.secs ?? 0, 16], ['flags', m.flags ?? 0, 16],
    ['ciaddr', m.ciaddr ?? 0, 32], ['yiaddr', m.yiaddr ?? 0, 32], ['siaddr', m.siaddr ?? 0, 32],
    ['giaddr', m.giaddr ?? 0, 32],
  ];
  for (const [name, value, bits] of words) checkU(`DHCP ${name}`, value, bits);
  out[0] = m.op;
  out[1] = m.htype ?? 1;
  out[2] = m.hlen ?? Math.min(chaddr.length, 16);
  out[3] = m.hops ?? 0;
  v.setUint32(4, m.xid);
  v.setUint16(8, m.secs ?? 0);
  v.setUint16(10, m.flags ?? 0);
  v.setUint32(12, m.ciaddr ?? 0);
  v.setUint32(16, m.yiaddr ?? 0);
  v.setUint32(20, m.siaddr ?? 0);
  v.setUint32(24, m.giaddr ?? 0);
  out.set(chaddr, 28);
  out.set(sname, 44);
  out.set(file, 108);
  v.setUint32(236, DHCP_MAGIC_COOKIE);
  let p = DHCP_FIXED_LEN;
  for (const o of options) p = writeOption(out, p, o);
  out[p] = DhcpOpt.END;
  return out;
}

function writeOption(out: Uint8Array, at: number, o: DhcpOption): number {
  let p = at;
  let i = 0;
  do {
    const chunk = o.data.subarray(i, i + 255);
    out[p] = o.code;
    out[p + 1] = chunk.length;
    out.set(chunk, p + 2);
    p += 2 + chunk.length;
    i += 255;
  } while (i < o.data.length);
  return p;
}

/** Encoded size of one option, as encodeDhcp writes it. */
export function dhcpOptionSize(o: DhcpOption): number {
  return o.data.length + 2 * Math.max(1, Math.ceil(o.data.length / 255));
}

// ------------------------------------------------------------ option helpers

/** All instances of an option, concatenated (RFC 3396); null if absent. */
export function dhcpOption(m: DhcpMessage, code: number): Uint8Array | null {
  const parts = m.options.filter((o) => o.code === code);
  if (parts.length === 0) return null;
  if (parts.length === 1) return parts[0].data;
  const out = new Uint8Array(parts.reduce((n, o) => n + o.data.length, 0));
  let p = 0;
  for (const o of parts) { out.set(o.data, p); p += o.data.length; }
  return out;
}

export function dhcpMessageType(m: DhcpMessage): number | null {
  const d = dhcpOption(m, DhcpOpt.MESSAGE_TYPE);
  return d !== null && d.length === 1 ? d[0] : null;
}

export function dhcpOptionU32(m: DhcpMessage, code: number): number | null {
  const d = dhcpOption(m, code);
  return d !== null && d.length === 4 ? view(d).getUint32(0) : null;
}

export function dhcpOptionU16(m: DhcpMessage, code: number): number | null {
  const d = dhcpOption(m, code);
  return d !== null && d.length === 2 ? view(d).getUint16(0) : null;
}

export function dhcpOptionIpList(m: DhcpMessage, code: number): number[] | null {
  const d = dhcpOption(m, code);
  if (d === null || d.length === 0 || d.length % 4 !== 0) return null;
  const v = view(d);
  return Array.from({ length: d.length / 4 }, (_, i) => v.getUint32(4 * i));
}

/** Byte-per-char string; trailing NULs (sent by some clients) are dropped. */
export function dhcpOptionString(m: DhcpMessage, code: number): string | null {
  const d = dhcpOption(m, code);
  return d === null ? null : bytesToAscii(d).replace(/\0+$/, '');
}

export function bytesToAscii(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
  return s;
}

export function asciiBytes(name: string, s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7e || c < 0x20) throw new RangeError(`${name}: only printable ASCII allowed, got code ${c} at ${i}`);
    out[i] = c;
  }
  return out;
}

export function optU8(code: number, value: number): DhcpOption {
  checkU(`DHCP option ${code}`, value, 8);
  return { code, data: Uint8Array.of(value) };
}

export function optU16(code: number, value: number): DhcpOption {
  checkU(`DHCP option ${code}`, value, 16);
  return { code, data: Uint8Array.of(value >>> 8, value & 0xff) };
}

export function optU32(code: number, value: number): DhcpOption {
  checkU(`DHCP option ${code}`, value, 32);
  return { code, data: Uint8Array.of(value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff) };
}

export function optIpList(code: number, ips: readonly number[]): DhcpOption {
  const data = new Uint8Array(4 * ips.length);
  ips.forEach((ip, i) => data.set(optU32(code, ip).data, 4 * i));
  return { code, data };
}

export function optString(code: number, s: string): DhcpOption {
  return { code, data: asciiBytes(`DHCP option ${code}`, s) };
}

export function optBytes(code: number, data: Uint8Array): DhcpOption {
  return { code, data };
}
