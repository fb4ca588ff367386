// Test-only entry (build/testing/tftp-harness.wasm, see tests/helpers/tftp-harness.ts):
// the firmware's TFTP and DNS clients as a host on a simulated switch, outside
// phone.wasm. ARP and UDP are dispatched to them as net/stack.ts does; a sink
// hashes what arrives.
import { rxBuf, setMac, configure } from "../net/netif";
import { arpRx, arpPoll } from "../net/arp";
import { ipv4 } from "../net/ipv4";
import { udp, UDP_HEADER } from "../net/udp";
import { countersPtr } from "../counters";
import { tftpStart, tftpPoll, tftpOwns, tftpRx, tftpSetSink, tftpStatus, tftpSize, tftpErrorCode, tftpBlksize, tftpWindow } from "../net/tftp";
import { dnsStart, dnsPoll, dnsOwns, dnsRx, dnsStatus, dnsAddress } from "../net/dns";

const text = memory.data(256);
const servers = memory.data(16);
let hash: u32 = 0x811c9dc5;
let next: u32 = 0;
let ordered = true;
function sink(offset: u32, p: usize, len: i32): bool {
  if (offset != next) ordered = false;
  next = offset + <u32>len;
  for (let i = 0; i < len; i++) hash = (hash ^ <u32>load<u8>(p + <usize>i)) * 16777619;
  return true;
}
export function rx_buffer(): usize { return rxBuf; }
export function text_buffer(): usize { return text; }
export function servers_buffer(): usize { return servers; }
export function counters(): usize { return countersPtr(); }
export function setup(macHi: u32, macLo: u32, ip: u32): void {
  setMac((<u64>macHi << 32) | <u64>macLo);
  configure(ip, 0xffffff00, 0);
  tftpSetSink(sink);
}
export function on_frame(len: i32, now: i64): void {
  if (len < 14) return;
  if (load<u8>(rxBuf + 12) == 8 && load<u8>(rxBuf + 13) == 6) { arpRx(rxBuf + 14, len - 14, now); return; }
  if (ipv4.parse(rxBuf + 14, len - 14) != 0 || ipv4.proto != 17) return;
  const l4 = rxBuf + 14 + <usize>ipv4.headerLen;
  if (udp.parse(l4, ipv4.payloadLen, ipv4.src, ipv4.dst) != 0) return;
  const port = udp.dstPort;
  if (tftpOwns(port)) tftpRx(l4 + UDP_HEADER, udp.payloadLen, ipv4.src, udp.srcPort, now);
  else if (dnsOwns(port)) dnsRx(l4 + UDP_HEADER, udp.payloadLen, ipv4.src, udp.srcPort, now);
}
export function start_tftp(server: u32, nameLen: i32, capacity: u32, now: i64): void {
  hash = 0x811c9dc5; next = 0; ordered = true;
  tftpStart(server, text, nameLen, capacity, now);
}
export function start_dns(nameLen: i32, count: i32, now: i64): void { dnsStart(text, nameLen, servers, count, now); }
export function poll(now: i64): i64 { return min(min(tftpPoll(now), dnsPoll(now)), arpPoll(now)); }
export function tftp_status(): i32 { return tftpStatus; }
export function tftp_size(): u32 { return tftpSize; }
export function tftp_error(): u32 { return tftpErrorCode; }
export function tftp_blksize(): u32 { return tftpBlksize; }
export function tftp_window(): u32 { return tftpWindow; }
export function sink_hash(): u32 { return hash; }
export function sink_ordered(): bool { return ordered; }
export function dns_status(): i32 { return dnsStatus; }
export function dns_address(): u32 { return dnsAddress; }
