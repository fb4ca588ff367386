// Test-only entry (build/testing/sip-harness.wasm, see tests/sip-register.test.ts):
// the firmware's whole receive path (stack.ts: ARP, IPv4, ICMP, UDP, TCP) and
// the SIP registration stage as a host on a simulated switch, its proxies
// and lines set directly as startup.ts sets them from the configuration.
import { rxBuf, setMac, configure } from "../net/netif";
import { onFrame } from "../net/stack";
import { acdPoll } from "../net/acd";
import { tcpInit, tcpPoll } from "../net/tcp";
import { countersPtr } from "../counters";
import { setDeviceName } from "../phone/identity";
import {
  sipClear, sipInit, sipLineCseq, sipLineExpires, sipLineState, sipPoll, sipProxy, sipSetFallback, sipSetLine, sipSetLineProxy, sipSetProxy, sipSetTransport, sipStart, sipState, sipStop,
} from "../phone/sip";

/** Texts the host writes before set_line: name, auth name, password, display name at 64-byte offsets. */
const texts = memory.data(256);

export function rx_buffer(): usize { return rxBuf; }
export function text_buffer(): usize { return texts; }
export function counters(): usize { return countersPtr(); }
export function setup(macHi: u32, macLo: u32, ip: u32, mask: u32, router: u32): void {
  const mac = (<u64>macHi << 32) | <u64>macLo;
  tcpInit();
  sipInit();
  setMac(mac);
  setDeviceName(mac);
  configure(ip, mask, router);
  sipClear();
}
export function set_proxy(i: i32, ip: u32, port: u32): void { sipSetProxy(i, ip, port); }
export function set_transport(tcp: i32, t1: u32, t2: u32, expires: u32, dscp: u32): void { sipSetTransport(tcp != 0, t1, t2, expires, dscp); }
export function set_line(i: i32, nameLen: i32, authLen: i32, passLen: i32, dispLen: i32): void {
  sipSetLine(i, texts, nameLen, texts + 64, authLen, texts + 128, passLen, texts + 192, dispLen);
}
export function set_line_proxy(i: i32, ip: u32, port: u32): void { sipSetLineProxy(i, ip, port); }
export function set_fallback(ms: u32): void { sipSetFallback(ms); }
export function start(now: i64): void { sipStart(now); }
export function stop(now: i64): void { sipStop(now); }
export function on_frame(len: i32, now: i64): void { onFrame(len, now); }
// The order startup.ts uses: TCP's timers, the stage, then TCP's deadlines again.
export function poll(now: i64): i64 {
  tcpPoll(now);
  const r = sipPoll(now);
  return min(min(r, tcpPoll(now)), acdPoll(now));
}
export function state(): i32 { return sipState; }
export function proxy(): i32 { return sipProxy; }
export function line_state(i: i32): i32 { return sipLineState(i); }
export function line_expires(i: i32): u32 { return sipLineExpires(i); }
export function line_cseq(i: i32): u32 { return sipLineCseq(i); }
