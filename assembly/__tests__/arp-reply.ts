// Teaches the phone's ARP cache the way the network does: an ARP reply from
// `mac` for `ip`, addressed to the phone (its MAC and IP as configured),
// through the phone's own receive path.
import { put16, put32, putMac } from "../lib/bytes";
import { myIp, myMac, rxBuf } from "../net/netif";
import { onFrame } from "../net/stack";

export function learnArp(ip: u32, mac: u64, now: i64): void {
  putMac(rxBuf, myMac);
  putMac(rxBuf + 6, mac);
  put16(rxBuf + 12, 0x0806);
  const a = rxBuf + 14;
  put16(a, 1); put16(a + 2, 0x0800); store<u8>(a + 4, 6); store<u8>(a + 5, 4); put16(a + 6, 2);
  putMac(a + 8, mac); put32(a + 14, ip); putMac(a + 18, myMac); put32(a + 24, myIp);
  onFrame(42, now);
}
