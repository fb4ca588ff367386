// Stage 3, the voice VLAN: the phone announces itself with CDP (asking for
// the voice VLAN) and LLDP-MED, and learns the VLAN from the switch's CDP
// VoIP VLAN Reply or LLDP-MED voice network policy. CDP wins when both
// speak, as on Cisco phones. Startup polls what was learned (discoveryVlan).
import { Ctr, drop } from "../counters";
import { VlanSource } from "../events";
import { putMac, put16 } from "../lib/bytes";
import { CdpRepr } from "../wire/cdp";
import { ETHERTYPE_LLDP, LLDP_MULTICAST, LldpRepr } from "../wire/lldp";
import { ETH_HEADER } from "../wire/ethernet";
import { hostName, hostNameLen, myIp, myMac, txBuf, txRaw, VOICE_DOT1P, VOICE_UNTAGGED, voiceVlan } from "../net/netif";
import { LinkLocal, stackOnLinkLocal } from "../net/stack";
import { loadName, loadNameLength } from "./identity";

const cdpIn = changetype<CdpRepr>(memory.data(offsetof<CdpRepr>()));
const cdpOut = changetype<CdpRepr>(memory.data(offsetof<CdpRepr>()));
const lldpIn = changetype<LldpRepr>(memory.data(offsetof<LldpRepr>()));
const lldpOut = changetype<LldpRepr>(memory.data(offsetof<LldpRepr>()));

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
// CDP power negotiation (Catalyst inline power): each Power Requested carries
// a request id (never 0: a switch reads 0 as "no request") and echoes the
// management id of the switch's last Power Available; a new management id
// means the switch changed its allocation, so the phone asks again.
let powerRequestId: u32 = 1;
let powerManagementId: u32 = 0;
/** The address the last CDP frame announced (0: none): a new one goes out at once. */
let cdpAddress: u32 = 0;
/** The voice VLAN the switch named last (0: none yet), and who named it (VlanSource). */
export let discoveryVlan: u32 = 0;
export let discoveryVlanSource: i32 = 0;

export function discoveryStart(now: i64): void {
  fastLeft = FAST_START;
  cdpDue = now;
  lldpDue = now;
  cdpGaveVlan = false;
  discoveryVlan = 0;
  powerRequestId = 1;
  powerManagementId = 0;
  cdpAddress = 0;
}

/** Sends CDP and LLDP now (a VLAN was learned) and restarts their periods. */
export function discoveryAnnounce(now: i64): void {
  cdpDue = now;
  lldpDue = now;
}

export function discoveryPoll(now: i64): i64 {
  const fast = fastLeft > 1;
  // CDP's Addresses TLV and LLDP's chassis ID follow the lease: the switch's neighbour table shows the phone's IP.
  if (myIp != cdpAddress) cdpDue = lldpDue = now;
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
  const c = cdpOut;
  c.setPhone(myMac, hostName, hostNameLen, loadName, loadNameLength);
  c.vlanQuery = true;
  c.address = myIp;
  cdpAddress = myIp;
  c.powerConsumptionMw = POWER_MW;
  c.powerRequestMw = POWER_MW;
  c.powerRequestId = powerRequestId;
  c.powerManagementId = powerManagementId;
  txRaw(c.emit(txBuf));
}

function sendLldp(): void {
  const l = lldpOut;
  l.setPhone(myMac, hostName, hostNameLen, loadName, loadNameLength);
  l.address = myIp;
  const v = voiceVlan;
  l.setVoiceVlan(v == 0 ? -1 : v == VOICE_DOT1P || v == VOICE_UNTAGGED ? 0 : <i32>v);
  if (v == VOICE_UNTAGGED) l.voiceTagged = false;
  l.powerValue = POWER_MW / 100;
  putMac(txBuf, LLDP_MULTICAST);
  putMac(txBuf + 6, myMac);
  put16(txBuf + 12, ETHERTYPE_LLDP);
  txRaw(ETH_HEADER + l.emit(txBuf + ETH_HEADER));
}

function learned(vid: u32, source: i32): void {
  discoveryVlan = vid;
  discoveryVlanSource = source;
}

function discoveryRx(kind: LinkLocal, p: usize, len: i32, now: i64): bool {
  return kind == LinkLocal.Cdp ? cdpRx(p, len, now) : lldpRx(p, len);
}

/** A CDP frame (802.3 + SNAP) of `len` bytes is at `p`. */
function cdpRx(p: usize, len: i32, now: i64): bool {
  const err = cdpIn.parse(p, len);
  if (err != 0) return drop(err);
  if (cdpIn.powerAvailable && cdpIn.powerManagementId != powerManagementId) {
    // The switch's allocation changed (or this is its first answer): request again, echoing it.
    powerManagementId = cdpIn.powerManagementId;
    powerRequestId = powerRequestId == 0xffff ? 1 : powerRequestId + 1;
    cdpDue = now;
  }
  // VID 0 is `switchport voice vlan dot1p`, 4095 `switchport voice vlan untagged`.
  const vid = cdpIn.voiceVlan;
  if (vid >= 0) {
    cdpGaveVlan = true;
    learned(vid == 0 ? VOICE_DOT1P : <u32>vid, VlanSource.Cdp);
  }
  return true;
}

/** An LLDPDU of `len` bytes is at `p`. */
function lldpRx(p: usize, len: i32): bool {
  const l = lldpIn;
  const err = l.parse(p, len);
  if (err != 0) return drop(err);
  const vid = l.voiceVlan;
  // A tagged policy with VID 0 is priority tagging; an untagged one, the native VLAN (ANSI/TIA-1057 10.2.3.3).
  if (!cdpGaveVlan && l.voicePolicy && !l.voiceUnknown && vid <= 4094) {
    learned(!l.voiceTagged ? VOICE_UNTAGGED : vid == 0 ? VOICE_DOT1P : vid, VlanSource.Lldp);
  }
  return true;
}

/** Takes the stack's link-local frames (CDP, LLDP); once, at start. */
export function discoveryInit(): void { stackOnLinkLocal(discoveryRx); }
