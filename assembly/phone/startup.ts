// The startup state machine: from the bootloader's hand-over through the
// voice VLAN (stage 3) to an address (stage 4). Later stages (TFTP,
// registration) hook in here.
import { event } from "../hal";
import { Ev, Stage } from "../events";
import { factoryLoad, factoryMac } from "../flash/factory";
import { setMac, setVoiceVlan, voiceVlan } from "../net/netif";
import { dhcpLinkDown, dhcpLinkUp, dhcpPoll, dhcpStart, DhcpState, dhcpState } from "../net/dhcp";
import { arpFlush, arpPoll } from "../net/arp";
import { discoveryAnnounce, discoveryPoll, discoveryStart } from "./discovery";
import { setDeviceName } from "./identity";
import { slotConfirm } from "../flash/slots";

const NEVER = i64.MAX_VALUE;
/** How long the phone waits for CDP or LLDP-MED to name a voice VLAN before going on untagged. */
export const VLAN_WAIT: i64 = 10_000;

let started = false;
let dead = false;
let healthy = false;
let stage = Stage.Power;
let vlanDeadline: i64 = NEVER;

function start(now: i64): void {
  started = true;
  const err = factoryLoad();
  if (err != 0) {
    // Without factory data the phone has no MAC: it must stay off the network.
    event(Ev.FactoryBad, err, 0);
    dead = true;
    return;
  }
  const mac = factoryMac();
  setMac(mac);
  setDeviceName(mac);
  enter(Stage.Vlan);
  vlanDeadline = now + VLAN_WAIT;
  discoveryStart(now);
}

function enter(s: Stage): void {
  stage = s;
  event(Ev.Stage, s, 0);
}

function startDhcp(now: i64): void {
  vlanDeadline = NEVER;
  enter(Stage.Dhcp);
  dhcpStart(now);
}

export function startupPoll(now: i64): i64 {
  if (!started) start(now);
  if (dead) return NEVER;
  if (now >= vlanDeadline) {
    event(Ev.VlanNone, <i32>VLAN_WAIT, 0);
    startDhcp(now);
  }
  let next = min(discoveryPoll(now), vlanDeadline);
  if (stage >= Stage.Dhcp) next = min(next, min(dhcpPoll(now), arpPoll(now)));
  // The healthy point: confirm an image running on trial, else the next boot
  // reverts it. For now an address is healthy enough; once registration with
  // a CallManager exists, this moves to "registered".
  if (!healthy && dhcpState == DhcpState.Bound) {
    healthy = true;
    slotConfirm();
  }
  return next;
}

/** The switch named voice VLAN `vid` (from net discovery): tag from now on, and get an address on it. */
export function startupVoiceVlan(vid: u32, source: i32, now: i64): void {
  if (vid == voiceVlan || !started || dead) return;
  const old = voiceVlan;
  setVoiceVlan(vid);
  discoveryAnnounce(now);
  if (stage == Stage.Vlan) {
    event(Ev.VlanLearned, <i32>vid, source);
    startDhcp(now);
    return;
  }
  // A new VLAN later: the old lease belongs to another subnet.
  event(Ev.VlanChanged, <i32>vid, <i32>old);
  event(Ev.VlanLearned, <i32>vid, source);
  dhcpLinkDown();
  arpFlush();
  dhcpStart(now);
}

export function startupLink(up: bool, now: i64): void {
  if (dead || !started) return;
  event(up ? Ev.LinkUp : Ev.LinkDown, 0, 0);
  if (up) dhcpLinkUp(now);
  else dhcpLinkDown();
}

export function startupRunning(): bool { return started && !dead; }
