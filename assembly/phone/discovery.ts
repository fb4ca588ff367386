// Stage 3, the voice VLAN: the phone announces itself with CDP (asking for
// the voice VLAN) and LLDP-MED, and learns the VLAN from the switch's CDP
// VoIP VLAN Reply or LLDP-MED voice network policy. CDP wins when both
// speak, as on Cisco phones.
import { Ctr, drop } from "../counters";
import { VlanSource } from "../events";
import { putMac, put16 } from "../lib/bytes";
import { cdp } from "../net/cdp";
import { ETHERTYPE_LLDP, LLDP_MULTICAST, lldp } from "../net/lldp";
import { ETH_HEADER } from "../net/ethernet";
import { myMac, rxBuf, txBuf, txRaw, voiceVlan } from "../net/netif";
import { loadName, loadNameLength } from "./identity";
import { startupVoiceVlan } from "./startup";

const CDP_INTERVAL: i64 = 60_000;
const LLDP_INTERVAL: i64 = 30_000;
/** Frames sent a second apart at start-up (LLDP-MED fast start, and CDP alongside). */
const FAST_START = 3;
const FAST_INTERVAL: i64 = 1000;
/** What a 7960 draws; sent in CDP Power Requested and LLDP-MED extended power. */
const POWER_MW: u32 = 6300;
const NEVER = i64.MAX_VALUE;

let cdpDue: i64 = NEVER;
let lldpDue: i64 = NEVER;
let fastLeft = 0;
let cdpGaveVlan = false;

export function discoveryStart(now: i64): void {
  fastLeft = FAST_START;
  cdpDue = now;
  lldpDue = now;
  cdpGaveVlan = false;
}

/** Sends CDP and LLDP now (a VLAN was learned) and restarts their periods. */
export function discoveryAnnounce(now: i64): void {
  cdpDue = now;
  lldpDue = now;
}

export function discoveryPoll(now: i64): i64 {
  const fast = fastLeft > 1;
  if (now >= cdpDue) {
    sendCdp();
    cdpDue = now + (fast ? FAST_INTERVAL : CDP_INTERVAL);
  }
  if (now >= lldpDue) {
    sendLldp();
    lldpDue = now + (fast ? FAST_INTERVAL : LLDP_INTERVAL);
    if (fastLeft > 0) fastLeft--;
  }
  return min(cdpDue, lldpDue);
}

function sendCdp(): void {
  cdp.setPhone(myMac, loadName, loadNameLength);
  cdp.vlanQuery = true;
  cdp.powerRequestMw = POWER_MW;
  txRaw(cdp.emit(txBuf));
}

function sendLldp(): void {
  lldp.setPhone(myMac, loadName, loadNameLength);
  lldp.setVoiceVlan(voiceVlan != 0 ? <i32>voiceVlan : -1);
  lldp.powerValue = POWER_MW / 100;
  putMac(txBuf, LLDP_MULTICAST);
  putMac(txBuf + 6, myMac);
  put16(txBuf + 12, ETHERTYPE_LLDP);
  txRaw(ETH_HEADER + lldp.emit(txBuf + ETH_HEADER));
}

/** A CDP frame (802.3 + SNAP) is in rxBuf. */
export function cdpRx(len: i32, now: i64): bool {
  const err = cdp.parse(rxBuf, len);
  if (err != 0) return drop(err);
  const vid = cdp.voiceVlan;
  if (vid >= 1 && vid <= 4094) {
    cdpGaveVlan = true;
    startupVoiceVlan(<u32>vid, VlanSource.Cdp, now);
  }
  return true;
}

/** An LLDPDU of `len` bytes is at `p`. */
export function lldpRx(p: usize, len: i32, now: i64): bool {
  const err = lldp.parse(p, len);
  if (err != 0) return drop(err);
  const vid = lldp.voiceVlan;
  if (!cdpGaveVlan && lldp.voicePolicy && !lldp.voiceUnknown && lldp.voiceTagged && vid >= 1 && vid <= 4094) {
    startupVoiceVlan(vid, VlanSource.Lldp, now);
  }
  return true;
}
