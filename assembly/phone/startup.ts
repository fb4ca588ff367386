// The startup state machine: from the bootloader's hand-over through the
// voice VLAN (stage 3), an address (stage 4) and the configuration with its
// firmware upgrade (stage 5). Registration (stage 6) hooks in here.
import { event } from "../hal";
import { Ev, Stage } from "../events";
import { factoryLoad, factoryMac } from "../flash/factory";
import { myIp, setMac, setVoiceVlan, voiceVlan } from "../net/netif";
import { arpFlush } from "../net/arp";
import { acdDeadline, acdPoll } from "../net/acd";
import { tcpInit, tcpPoll } from "../net/tcp";
import { dhcpBoot, dhcpInit, dhcpLinkDown, dhcpLinkUp, dhcpPoll, dhcpStart } from "../client/dhcp";
import { tftpInit, tftpPoll } from "../client/tftp";
import { dnsInit, dnsPoll } from "../client/dns";
import { discoveryAnnounce, discoveryInit, discoveryPoll, discoveryStart, discoveryVlan, discoveryVlanSource } from "./discovery";
import { identityLoad, setDeviceName } from "./identity";
import { Lcd, lcdShow } from "./lcd";
import { Provision, provisionPoll, provisionStart, provisionState, provisionStop } from "./provision";
import { cnf, CnfProto, CnfSipTransport } from "./config";
import { sipInit, sipPoll, sipSetLine, sipSetLineProxy, sipSetProxy, sipSetTransport, sipStart, sipState, sipStop, sipClear } from "./sip";
import { registerClear, registerPoll, registerSetCallManager, registerSetDscp, registerStart, registerState, registerStop, RegState } from "./register";
import { slotConfirm } from "../flash/slots";

const NEVER = i64.MAX_VALUE;
/** How long the phone waits for CDP or LLDP-MED to name a voice VLAN before going on untagged. */
export const VLAN_WAIT: i64 = 10_000;

let started = false;
let dead = false;
let healthy = false;
let stage = Stage.Power;
let vlanDeadline: i64 = NEVER;
/** Stage 6 is SIP's (the configuration's deviceProtocol), not SCCP's. */
let sip = false;

function start(now: i64): void {
  started = true;
  const err = factoryLoad();
  if (err != 0) {
    // Without factory data the phone has no MAC: it must stay off the network.
    event(Ev.FactoryBad, err, 0);
    lcdShow(Lcd.NoFactoryData);
    dead = true;
    return;
  }
  attach();
  const mac = factoryMac();
  setMac(mac);
  setDeviceName(mac);
  identityLoad();
  enter(Stage.Vlan);
  lcdShow(Lcd.ConfiguringVlan);
  vlanDeadline = now + VLAN_WAIT;
  discoveryStart(now);
}

/** What runs above the stack registers with it: the one line a new protocol adds. */
function attach(): void {
  dhcpInit();
  tftpInit();
  dnsInit();
  tcpInit();
  discoveryInit();
  sipInit();
}

function enter(s: Stage): void {
  stage = s;
  event(Ev.Stage, s, 0);
}

function startDhcp(now: i64): void {
  vlanDeadline = NEVER;
  enter(Stage.Dhcp);
  lcdShow(Lcd.ConfiguringIp);
  dhcpBoot(now);
}

let shownReg = RegState.Off;

function showRegistration(): void {
  const state = registerState;
  if (state == shownReg) return;
  shownReg = state;
  // Registered: register.ts shows the status line, line keys and time itself.
  if (state != RegState.Registered) lcdShow(state == RegState.AllDown ? Lcd.CallManagerDown : Lcd.Registering);
}

function startRegistration(now: i64): void {
  sip = cnf.protocol == CnfProto.Sip;
  if (sip) {
    startSip(now);
    return;
  }
  registerClear();
  let n = 0;
  for (let i = 0; i < cnf.cmCount; i++) {
    const cm = cnf.cm(i);
    if (cm.addr != 0) registerSetCallManager(n++, cm.addr, cm.port);
  }
  registerSetDscp(cnf.dscp);
  enter(Stage.Register);
  lcdShow(Lcd.Registering);
  registerStart(now);
}

/**
 * SIP: the proxies are the CallManagers at their SIP port, in priority
 * order; a line whose <proxy> names an address registers there instead.
 */
function startSip(now: i64): void {
  sipClear();
  let n = 0;
  for (let i = 0; i < cnf.cmCount; i++) {
    const cm = cnf.cm(i);
    if (cm.addr != 0) sipSetProxy(n++, cm.addr, cm.sipPort);
  }
  sipSetTransport(cnf.sipTransport == CnfSipTransport.Tcp, cnf.sipT1, cnf.sipT2, cnf.sipExpires, cnf.dscp);
  for (let i = 0; i < cnf.sipLineCount; i++) {
    const l = cnf.sipLine(i);
    sipSetLine(i, l.name(), l.nameLen, l.authName(), l.authNameLen, l.password(), l.passwordLen, l.display(), l.displayLen);
    sipSetLineProxy(i, l.proxyAddr, l.proxyPort);
  }
  enter(Stage.Register);
  lcdShow(Lcd.Registering);
  sipStart(now);
}

/** Stages 5 and 6 need an address: start them when DHCP binds, stop them when it is lost. */
function followAddress(now: i64): void {
  if (stage == Stage.Dhcp && myIp != 0) {
    enter(Stage.Tftp);
    provisionStart(now);
  } else if (stage > Stage.Dhcp && myIp == 0) {
    if (sip) sipStop(now);
    else registerStop(now, false);
    provisionStop();
    enter(Stage.Dhcp);
    lcdShow(Lcd.ConfiguringIp);
  }
}

export function startupPoll(now: i64): i64 {
  if (!started) start(now);
  if (dead) return NEVER;
  if (discoveryVlan != 0) followVlan(discoveryVlan, discoveryVlanSource, now);
  if (now >= vlanDeadline) {
    event(Ev.VlanNone, <i32>VLAN_WAIT, 0);
    startDhcp(now);
  }
  let next = min(discoveryPoll(now), vlanDeadline);
  if (stage >= Stage.Dhcp) {
    // ACD first: DHCP takes its verdict in the same poll, and may start it again.
    next = min(next, acdPoll(now));
    next = min(next, min(dhcpPoll(now), acdDeadline()));
  }
  followAddress(now);
  if (stage >= Stage.Tftp) {
    next = min(next, min(tftpPoll(now), dnsPoll(now)));
    next = min(next, provisionPoll(now));
  }
  // The healthy point: confirm an image running on trial, else the next boot
  // reverts it. For now a configuration is healthy enough; once registration
  // with a CallManager exists, this moves to "registered".
  if (stage == Stage.Tftp && provisionState == Provision.Ready) startRegistration(now);
  if (stage == Stage.Register) {
    // TCP first so registration sees its timeouts, then again for the deadlines registration set.
    tcpPoll(now);
    next = min(next, sip ? sipPoll(now) : registerPoll(now));
    next = min(next, tcpPoll(now));
    // SIP shows each line's state itself.
    if (!sip) showRegistration();
    // The healthy point: a new image on trial confirms itself once registered, else the next boot reverts it.
    if (!healthy && (sip ? sipState : registerState) == RegState.Registered) {
      healthy = true;
      slotConfirm();
    }
  }
  return next;
}

/** The switch named voice VLAN `vid` (discovery heard it): tag from now on, and get an address on it. */
function followVlan(vid: u32, source: i32, now: i64): void {
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
