// Test-only entry (build/testing/register-harness.wasm, see
// tests/callmanager-failover.test.ts): the firmware's ARP, TCP and SCCP
// registration as a host on a simulated switch, before registration is wired
// into phone.wasm.
import { rxBuf, setMac, configure } from "../net/netif";
import { arpParse, arpRx } from "../net/arp";
import { acdPoll } from "../net/acd";
import { Ipv4Repr } from "../wire/ipv4";
import { tcpRx, tcpPoll } from "../net/tcp";
import { countersPtr } from "../counters";
import { setDeviceName } from "../phone/identity";
import {
  registerClear, registerSetCallManager, registerSetStandby, registerStandbyCm, registerStart, registerStop, registerPoll, registerState, registeredCm,
} from "../phone/register";

const ipv4 = changetype<Ipv4Repr>(memory.data(offsetof<Ipv4Repr>()));

export function rx_buffer(): usize { return rxBuf; }
export function counters(): usize { return countersPtr(); }
export function setup(macHi: u32, macLo: u32, ip: u32, mask: u32, router: u32): void {
  const mac = (<u64>macHi << 32) | <u64>macLo;
  setMac(mac);
  setDeviceName(mac);
  configure(ip, mask, router);
  registerClear();
}
export function set_cm(i: i32, ip: u32, port: u32): void { registerSetCallManager(i, ip, port); }
export function start(now: i64): void { registerStart(now); }
export function stop(now: i64, graceful: bool): void { registerStop(now, graceful); }
// What stack.ts will do for ARP and for IPv4 protocol 6.
// Returns 1 when TCP accepted the segment, 0 when it dropped it (one drop counter), -1 for anything else.
export function on_frame(len: i32, now: i64): i32 {
  if (len < 14) return -1;
  if (load<u8>(rxBuf + 12) == 8 && load<u8>(rxBuf + 13) == 6) { if (arpParse(rxBuf + 14, len - 14) == 0) arpRx(now); return -1; }
  if (ipv4.parse(rxBuf + 14, len - 14) != 0 || ipv4.proto != 6) return -1;
  return tcpRx(rxBuf + 14 + <usize>ipv4.headerLen, ipv4.payloadLen, ipv4.src, ipv4.dst, now) ? 1 : 0;
}
// The order the startup should use: TCP's timers, registration, then TCP's deadlines again.
export function poll(now: i64): i64 {
  tcpPoll(now);
  const r = registerPoll(now);
  return min(min(r, tcpPoll(now)), acdPoll(now));
}
export function state(): i32 { return registerState; }
export function cm(): i32 { return registeredCm; }
/** The CallManager of the standby connection once it answered a KeepAlive, or -1. */
export function standby_cm(): i32 { return registerStandbyCm(); }
/** 0: no standby connection (the cold failover, for comparison). */
export function set_standby(on: i32): void { registerSetStandby(on != 0); }
