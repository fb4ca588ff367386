import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ARP_REQUEST, decodeArp, encodeArp } from '../host/wire/arp.js';
import { BOOTREPLY, BOOTREQUEST, DHCP_FLAG_BROADCAST, DhcpOpt, DhcpType, decodeDhcp, dhcpMessageType, dhcpOption, dhcpOptionIpList, dhcpOptionString, dhcpOptionU32, encodeDhcp, optBytes, optIpList, optString, optU32, optU8 } from '../host/wire/dhcp.js';
import { ETHERTYPE_ARP, ETHERTYPE_IPV4, decodeEthernet, encodeEthernet } from '../host/wire/ethernet.js';
import { buildUdpFrame, decodeUdp, encodeUdp, parseUdpFrame } from '../host/wire/udp.js';
import { decodeIpv4, encodeIpv4 } from '../host/wire/ipv4.js';
import { internetChecksum } from '../host/wire/checksum.js';
import { getU16, getU32, setU16, setU32 } from '../host/wire/bytes.js';
import { Random } from '../host/sim/random.js';
import { ipToString, macToString, parseIp, parseMac } from '../host/wire/address.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const PHONE = parseMac('00:1b:54:aa:bb:cc');
const zeros = (n: number): string => '00'.repeat(n);

// Made once with scapy 2.5.0:
// /usr/bin/python3 -c "from scapy.all import *; print(bytes(Ether(dst='ff:ff:ff:ff:ff:ff', src='00:1b:54:aa:bb:cc')/ARP(op=1, hwsrc='00:1b:54:aa:bb:cc', psrc='0.0.0.0', hwdst='00:00:00:00:00:00', pdst='192.0.2.100')).hex())"
const SCAPY_ARP_PROBE = hex('ffffffffffff001b54aabbcc08060001080006040001001b54aabbcc00000000000000000000c0000264');

// Made once with scapy 2.5.0:
// /usr/bin/python3 -c "from scapy.all import *; print(bytes(Ether(src='00:1b:54:aa:bb:cc', dst='ff:ff:ff:ff:ff:ff')/IP(src='0.0.0.0', dst='255.255.255.255', id=0, ttl=64)/UDP(sport=68, dport=67)/BOOTP(chaddr=bytes.fromhex('001b54aabbcc'), xid=0x12345678, flags=0x8000)/DHCP(options=[('message-type','discover'), ('param_req_list',[1,3,6,15,66,150]), ('client_id', b'\x01\x00\x1b\x54\xaa\xbb\xcc'), 'end'])).hex())"
// (the 192 zero bytes of sname+file and the chaddr padding are written as zeros(n) below)
const SCAPY_DISCOVER = hex(
  'ffffffffffff001b54aabbcc08004500012100000000401179cd00000000ffffffff00440043010d4ad5'
  + '0101060012345678000080000000000000000000000000000000000000' + '1b54aabbcc' + zeros(10) + zeros(192)
  + '6382536335010137060103060f42963d0701001b54aabbccff');

// Made once with scapy 2.5.0:
// /usr/bin/python3 -c "from scapy.all import *; print(bytes(Ether(src='02:00:00:00:00:01', dst='ff:ff:ff:ff:ff:ff')/IP(src='192.0.2.1', dst='255.255.255.255', id=1, ttl=64)/UDP(sport=67, dport=68)/BOOTP(op=2, chaddr=bytes.fromhex('001b54aabbcc'), xid=0x12345678, flags=0x8000, yiaddr='192.0.2.100', siaddr='192.0.2.1')/DHCP(options=[('message-type','offer'), ('server_id','192.0.2.1'), ('lease_time',3600), ('subnet_mask','255.255.255.0'), ('router','192.0.2.1'), ('tftp_server_name', b'tftp.example.test'), (150, bytes([192,0,2,10,192,0,2,11])), 'end'])).hex())"
const SCAPY_OFFER = hex(
  'ffffffffffff020000000001080045000145000100004011b7a6c0000201ffffffff0043004401311ca5'
  + '02010600123456780000800000000000c0000264c000020100000000001b54aabbcc' + zeros(10) + zeros(192)
  + '638253633501023604c0000201330400000e100104ffffff000304c00002014211746674702e6578616d706c652e746573749608c000020ac000020bff');

// Made once with scapy 2.5.0:
// /usr/bin/python3 -c "from scapy.all import *; print(bytes(Ether(src='00:1b:54:aa:bb:cc', dst='02:00:00:00:00:01')/Dot1Q(vlan=100, prio=5)/IP(src='192.0.2.100', dst='192.0.2.1', id=7, ttl=64)/UDP(sport=5000, dport=6000)/Raw(b'hello')).hex())"
const SCAPY_TAGGED_UDP = hex('020000000001001b54aabbcc8100a064080045000021000700004011f65fc0000264c000020113881770000d0ca468656c6c6f');

test('MAC and IPv4 text helpers round-trip and reject junk', () => {
  assert.equal(macToString(PHONE), '00:1b:54:aa:bb:cc');
  assert.deepEqual(parseMac('00-1B-54-AA-BB-CC'), PHONE);
  assert.deepEqual(parseMac('001b54aabbcc'), PHONE);
  assert.throws(() => parseMac('00:1b:54:aa:bb'), /not a MAC/);
  assert.throws(() => parseMac('00:1b:54:aa:bb:cg'), /not a MAC/);
  assert.equal(parseIp('192.0.2.255'), 0xc00002ff);
  assert.equal(ipToString(0xc00002ff), '192.0.2.255');
  assert.equal(ipToString(parseIp('255.255.255.255')), '255.255.255.255');
  assert.throws(() => parseIp('192.0.2.256'), /not an IPv4/);
  assert.throws(() => parseIp('192.0.2'), /not an IPv4/);
});

test('internet checksum matches RFC 1071 worked example', () => {
  // RFC 1071 section 3: words 0001 f203 f4f5 f6f7 sum to ddf2; checksum is its complement.
  assert.equal(internetChecksum(hex('0001f203f4f5f6f7')), 0x220d);
  // odd length: the last byte is padded with zero (f6 -> f600): sum 2dcf9 folds to dcfb
  assert.equal(internetChecksum(hex('0001f203f4f5f6')), 0x2304);
});

test('ARP probe: encoder output equals scapy bytes, decoder reads them', () => {
  const arp = { op: ARP_REQUEST, senderMac: PHONE, senderIp: 0, targetMac: new Uint8Array(6), targetIp: parseIp('192.0.2.100') };
  const frame = encodeEthernet({ dst: parseMac('ff:ff:ff:ff:ff:ff'), src: PHONE, etherType: ETHERTYPE_ARP, payload: encodeArp(arp) });
  assert.equal(toHex(frame), toHex(SCAPY_ARP_PROBE));
  const eth = decodeEthernet(SCAPY_ARP_PROBE);
  assert.ok(eth !== null);
  assert.equal(eth.etherType, ETHERTYPE_ARP);
  const parsed = decodeArp(eth.payload);
  assert.ok(parsed !== null);
  assert.equal(ipToString(parsed.targetIp), '192.0.2.100');
  assert.equal(macToString(parsed.senderMac), '00:1b:54:aa:bb:cc');
  assert.equal(encodeEthernet({ dst: PHONE, src: PHONE, etherType: ETHERTYPE_ARP, payload: encodeArp(arp) }, true).length, 60);
});

test('DHCPDISCOVER: Ethernet/IPv4/UDP/DHCP encoders reproduce scapy bytes exactly', () => {
  const dhcp = encodeDhcp({
    op: BOOTREQUEST, xid: 0x12345678, chaddr: PHONE, flags: DHCP_FLAG_BROADCAST,
    options: [optU8(DhcpOpt.MESSAGE_TYPE, DhcpType.DISCOVER), optBytes(DhcpOpt.PARAM_REQUEST_LIST, Uint8Array.of(1, 3, 6, 15, 66, 150)),
      optBytes(DhcpOpt.CLIENT_ID, Uint8Array.of(1, ...PHONE))],
  }, 0);
  const frame = buildUdpFrame({
    srcMac: PHONE, dstMac: parseMac('ff:ff:ff:ff:ff:ff'), srcIp: 0, dstIp: 0xffffffff, srcPort: 68, dstPort: 67, payload: dhcp, id: 0,
  });
  assert.equal(toHex(frame), toHex(SCAPY_DISCOVER));
});

test('scapy DHCPOFFER decodes with checksums verified and options readable', () => {
  const f = parseUdpFrame(SCAPY_OFFER);
  assert.ok(f !== null);
  assert.equal(f.ip.checksumOk, true);
  assert.equal(f.udp.checksumOk, true);
  assert.equal(f.udp.srcPort, 67);
  const m = decodeDhcp(f.udp.payload);
  assert.ok(m !== null);
  assert.equal(m.op, BOOTREPLY);
  assert.equal(m.xid, 0x12345678);
  assert.equal(m.flags, DHCP_FLAG_BROADCAST);
  assert.equal(ipToString(m.yiaddr), '192.0.2.100');
  assert.equal(ipToString(m.siaddr), '192.0.2.1');
  assert.equal(macToString(m.chaddr.subarray(0, m.hlen)), '00:1b:54:aa:bb:cc');
  assert.equal(dhcpMessageType(m), DhcpType.OFFER);
  assert.equal(dhcpOptionU32(m, DhcpOpt.LEASE_TIME), 3600);
  assert.equal(dhcpOptionU32(m, DhcpOpt.SUBNET_MASK), parseIp('255.255.255.0'));
  assert.equal(dhcpOptionString(m, DhcpOpt.TFTP_SERVER_NAME), 'tftp.example.test');
  assert.deepEqual(dhcpOptionIpList(m, DhcpOpt.TFTP_SERVERS)?.map(ipToString), ['192.0.2.10', '192.0.2.11']);
  assert.equal(dhcpOption(m, DhcpOpt.DNS_SERVERS), null);
  // re-encoding the decoded message gives back scapy's DHCP payload
  assert.equal(toHex(encodeDhcp(m, 0)), toHex(f.udp.payload));
});

test('802.1Q tagged UDP frame: scapy bytes decode and re-encode', () => {
  const eth = decodeEthernet(SCAPY_TAGGED_UDP);
  assert.ok(eth !== null);
  assert.deepEqual(eth.vlan, { pcp: 5, dei: false, vid: 100 });
  assert.equal(eth.etherType, ETHERTYPE_IPV4);
  const ip = decodeIpv4(eth.payload);
  assert.ok(ip !== null && ip.checksumOk);
  const udp = decodeUdp(ip.payload, ip.src, ip.dst);
  assert.ok(udp !== null);
  assert.equal(udp.checksumOk, true);
  assert.equal(Buffer.from(udp.payload).toString(), 'hello');
  const again = encodeEthernet({
    dst: eth.dst, src: eth.src, etherType: eth.etherType, vlan: eth.vlan,
    payload: encodeIpv4({ src: ip.src, dst: ip.dst, protocol: 17, id: 7, payload: encodeUdp({ srcIp: ip.src, dstIp: ip.dst, srcPort: 5000, dstPort: 6000, payload: udp.payload }) }),
  });
  assert.equal(toHex(again), toHex(SCAPY_TAGGED_UDP));
});

test('corrupted checksums are reported, not hidden', () => {
  const bad = SCAPY_OFFER.slice();
  bad[14 + 8] ^= 1; // TTL: breaks the IPv4 header checksum
  assert.equal(parseUdpFrame(bad)?.ip.checksumOk, false);
  const bad2 = SCAPY_OFFER.slice();
  bad2[bad2.length - 2] ^= 0x80; // inside option 150: breaks the UDP checksum only
  const f = parseUdpFrame(bad2);
  assert.equal(f?.ip.checksumOk, true);
  assert.equal(f?.udp.checksumOk, false);
});

test('IPv4 decode excludes Ethernet padding and UDP checksum 0 means none', () => {
  const udp = encodeUdp({ srcIp: 1, dstIp: 2, srcPort: 1, dstPort: 2, payload: Uint8Array.of(9) });
  udp[6] = 0; udp[7] = 0;
  const ip = encodeIpv4({ src: 1, dst: 2, protocol: 17, payload: udp });
  const padded = new Uint8Array(ip.length + 10);
  padded.set(ip);
  const d = decodeIpv4(padded);
  assert.equal(d?.payload.length, 9);
  assert.equal(decodeUdp(d!.payload, 1, 2)?.checksumOk, null);
});

test('DHCP option overload (52): options in file then sname are parsed', () => {
  const msg = encodeDhcp({
    op: BOOTREQUEST, xid: 1, chaddr: PHONE,
    options: [optU8(DhcpOpt.MESSAGE_TYPE, DhcpType.REQUEST), optU8(DhcpOpt.OVERLOAD, 3)],
  });
  // file (offset 108): requested IP then END; sname (offset 44): host name then END
  msg.set([50, 4, 192, 0, 2, 100, 255], 108);
  msg.set([12, 5, ...Buffer.from('phone'), 255], 44);
  const m = decodeDhcp(msg);
  assert.ok(m !== null);
  assert.equal(m.overload, 3);
  assert.deepEqual(m.options.map((o) => o.code), [53, 52, 50, 12]);
  assert.equal(dhcpOptionU32(m, DhcpOpt.REQUESTED_IP), parseIp('192.0.2.100'));
  assert.equal(dhcpOptionString(m, DhcpOpt.HOST_NAME), 'phone');
  msg.set([50, 200], 108); // an option running past the end of file (128 bytes)
  assert.equal(decodeDhcp(msg), null);
});

test('long options are split (RFC 3396) and concatenated on decode', () => {
  const servers = Array.from({ length: 100 }, (_, i) => parseIp('198.51.100.0') + i);
  const bytes = encodeDhcp({ op: BOOTREPLY, xid: 2, chaddr: PHONE, options: [optIpList(DhcpOpt.TFTP_SERVERS, servers)] });
  const m = decodeDhcp(bytes);
  assert.ok(m !== null);
  assert.equal(m.options.filter((o) => o.code === DhcpOpt.TFTP_SERVERS).length, 2);
  assert.deepEqual(dhcpOptionIpList(m, DhcpOpt.TFTP_SERVERS), servers);
  assert.equal(bytes.length >= 300, true);
});

test('decoders return null on every truncation and on junk, never throw', () => {
  const rng = [SCAPY_ARP_PROBE, SCAPY_DISCOVER, SCAPY_OFFER, SCAPY_TAGGED_UDP];
  for (const frame of rng) {
    for (let n = 0; n < frame.length; n++) {
      const cut = frame.subarray(0, n);
      assert.doesNotThrow(() => { parseUdpFrame(cut); decodeArp(cut); decodeDhcp(cut); decodeIpv4(cut); decodeEthernet(cut); });
    }
  }
  const offerDhcp = parseUdpFrame(SCAPY_OFFER)!.udp.payload;
  assert.equal(decodeDhcp(offerDhcp.subarray(0, 239)), null);
  assert.equal(parseUdpFrame(SCAPY_OFFER.subarray(0, 100)), null, 'IPv4 total length beyond the frame');
  const noCookie = offerDhcp.slice(); noCookie[236] = 0;
  assert.equal(decodeDhcp(noCookie), null);
  const cutOption = offerDhcp.slice(0, offerDhcp.length - 4); // option 150 loses its tail
  assert.equal(decodeDhcp(cutOption), null);
  assert.equal(decodeArp(new Uint8Array(28)), null, 'htype 0');
  assert.equal(decodeIpv4(Uint8Array.of(0x45, ...new Uint8Array(10))), null);
});

test('encoders reject impossible values with clear errors', () => {
  assert.throws(() => encodeEthernet({ dst: new Uint8Array(5), src: PHONE, etherType: 0x800, payload: new Uint8Array(0) }), /6-byte MAC/);
  assert.throws(() => encodeIpv4({ src: -1, dst: 0, protocol: 17, payload: new Uint8Array(0) }), /IPv4 src/);
  assert.throws(() => encodeUdp({ srcIp: 0, dstIp: 0, srcPort: 70000, dstPort: 1, payload: new Uint8Array(0) }), /source port/);
  assert.throws(() => encodeDhcp({ op: 1, xid: 1, chaddr: new Uint8Array(17) }), /chaddr/);
  assert.throws(() => optString(66, 'tftp\u00e9'), /ASCII/);
  assert.throws(() => optU32(51, 2 ** 32), /32-bit/);
});

test('big-endian field helpers agree with DataView, wrapping what does not fit as it does', () => {
  const r = new Random(7);
  const a = new Uint8Array(12);
  const b = new Uint8Array(12);
  const v = new DataView(b.buffer);
  const samples = [0, 1, 0xff, 0x100, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff, 2 ** 32, -1, -0x8000];
  for (let i = 0; i < 2000; i++) {
    const x = i < samples.length ? samples[i] : Math.floor(r.next() * 2 ** 33) - 2 ** 32;
    const at = r.int(8);
    setU16(a, at, x);
    v.setUint16(at, x);
    setU32(a, at + 1, x);
    v.setUint32(at + 1, x);
    assert.deepEqual(a, b, `value ${x} at ${at}`);
    assert.equal(getU16(a, at), v.getUint16(at));
    assert.equal(getU32(a, at + 1), v.getUint32(at + 1));
  }
});
