// The startup state machine: from the bootloader's hand-over to an address.
// Later stages (voice VLAN, TFTP, registration) hook in here.
import { event } from "../hal";
import { Ev, Stage } from "../events";
import { factoryLoad, factoryMac } from "../flash/factory";
import { setMac } from "../net/netif";
import { dhcpLinkDown, dhcpLinkUp, dhcpPoll, dhcpStart } from "../net/dhcp";
import { arpPoll } from "../net/arp";
import { setDeviceName } from "./identity";

const NEVER = i64.MAX_VALUE;
let started = false;
let dead = false;

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
  event(Ev.Stage, Stage.Dhcp, 0);
  dhcpStart(now);
}

export function startupPoll(now: i64): i64 {
  if (!started) start(now);
  if (dead) return NEVER;
  return min(dhcpPoll(now), arpPoll(now));
}

export function startupLink(up: bool, now: i64): void {
  if (dead || !started) return;
  event(up ? Ev.LinkUp : Ev.LinkDown, 0, 0);
  if (up) dhcpLinkUp(now);
  else dhcpLinkDown();
}

export function startupRunning(): bool { return started && !dead; }
