// Test-only entry (build/testing/tftp-harness.wasm, see tests/helpers/tftp-harness.ts):
// the firmware's TFTP and DNS clients as a host on a simulated switch, outside
// phone.wasm. Frames go through the firmware's own stack (net/stack.ts), which
// hands datagrams to the ports the clients bound; a sink hashes what arrives.
import { rxBuf, setMac, configure } from "../net/netif";
import { onFrame, stackReset } from "../net/stack";
import { acdPoll } from "../net/acd";
import { countersPtr } from "../counters";
import { Sink, tftpInit, tftpStart, tftpPoll, tftpSetSink, tftpStatus, tftpSize, tftpErrorCode, tftpBlksize, tftpWindow } from "../client/tftp";
import { dnsInit, dnsStart, dnsPoll, dnsStatus, dnsAddress } from "../client/dns";

const text = memory.data(256);
const servers = memory.data(16);
let hash: u32 = 0x811c9dc5;
let next: u32 = 0;
let ordered = true;
function sink(offset: u32, p: usize, len: i32): Sink {
  if (offset != next) ordered = false;
  next = offset + <u32>len;
  for (let i = 0; i < len; i++) hash = (hash ^ <u32>load<u8>(p + <usize>i)) * 16777619;
  return Sink.Taken;
}
export function rx_buffer(): usize { return rxBuf; }
export function text_buffer(): usize { return text; }
export function servers_buffer(): usize { return servers; }
export function counters(): usize { return countersPtr(); }
export function setup(macHi: u32, macLo: u32, ip: u32): void {
  setMac((<u64>macHi << 32) | <u64>macLo);
  configure(ip, 0xffffff00, 0);
  stackReset();
  tftpInit();
  dnsInit();
  tftpSetSink(sink);
}
export function on_frame(len: i32, now: i64): void { onFrame(len, now); }
export function start_tftp(server: u32, nameLen: i32, capacity: u32, now: i64): void {
  hash = 0x811c9dc5; next = 0; ordered = true;
  tftpStart(server, text, nameLen, capacity, now);
}
export function start_dns(nameLen: i32, count: i32, now: i64): void { dnsStart(text, nameLen, servers, count, now); }
export function poll(now: i64): i64 { return min(min(tftpPoll(now), dnsPoll(now)), acdPoll(now)); }
export function tftp_status(): i32 { return tftpStatus; }
export function tftp_size(): u32 { return tftpSize; }
export function tftp_error(): u32 { return tftpErrorCode; }
export function tftp_blksize(): u32 { return tftpBlksize; }
export function tftp_window(): u32 { return tftpWindow; }
export function sink_hash(): u32 { return hash; }
export function sink_ordered(): bool { return ordered; }
export function dns_status(): i32 { return dnsStatus; }
export function dns_address(): u32 { return dnsAddress; }
