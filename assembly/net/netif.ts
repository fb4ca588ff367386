// The network interface: the frame buffers, the interface's addresses, and
// raw transmission. Received frames are written by the host into rxBuf;
// everything sent is built in place in txBuf (no copies, no allocation).
import { mac_tx } from "../hal";
import { Ctr, count } from "../counters";
import { ETH_HEADER, ETH_MIN_FRAME, EtherType, EthernetRepr } from "../wire/ethernet";
import { VLAN_TAG, VOICE_PCP, VlanRepr } from "../wire/vlan";

export const RX_CAPACITY = 1536;
export const TX_CAPACITY = 1536;
@lazy export const rxBuf = memory.data(RX_CAPACITY);
@lazy export const txBuf = memory.data(TX_CAPACITY);

const ethOut = changetype<EthernetRepr>(memory.data(offsetof<EthernetRepr>()));
const vlanOut = changetype<VlanRepr>(memory.data(offsetof<VlanRepr>()));

export let myMac: u64 = 0;
/** The interface's host name (the phone sets its device name, SEP<MAC>): DHCP option 12, CDP, LLDP. */
export const HOST_NAME_MAX = 32;
export const hostName = memory.data(HOST_NAME_MAX);
export let hostNameLen = 0;
/** 0 while unconfigured (before DHCP binds, or after losing the lease). */
export let myIp: u32 = 0;
export let netmask: u32 = 0;
export let router: u32 = 0;
/** Link-layer header length of outgoing frames (grows by 4 with an 802.1Q tag). */
export let l2Len: i32 = ETH_HEADER;
/**
 * The voice VLAN as the switch announced it: 1-4094 tags IP traffic with it;
 * VOICE_DOT1P (announced as VID 0, `switchport voice vlan dot1p`) tags it
 * with VID 0 and priority 5 on the native VLAN (802.1p priority tagging);
 * VOICE_UNTAGGED (4095, `switchport voice vlan untagged`) and 0 (none
 * announced) send it untagged on the native VLAN.
 */
export let voiceVlan: u32 = 0;
export const VOICE_UNTAGGED: u32 = 4095;
export const VOICE_DOT1P: u32 = 0x1_0000;
/** The VID outgoing frames carry when tagged, and the only one accepted in incoming tags. */
export let tagVid: u32 = 0;
let tagged = false;

export function setVoiceVlan(vid: u32): void {
  voiceVlan = vid;
  tagged = vid == VOICE_DOT1P || (vid >= 1 && vid <= 4094);
  tagVid = vid == VOICE_DOT1P ? 0 : vid & 0xfff;
  l2Len = tagged ? ETH_HEADER + VLAN_TAG : ETH_HEADER;
}

/** True on a voice VLAN of its own (1-4094): untagged IP then belongs to the data VLAN. */
@inline export function onVoiceVlan(): bool { return voiceVlan >= 1 && voiceVlan <= 4094; }

export function setMac(mac: u64): void { myMac = mac; }

export function setHostName(p: usize, len: i32): void {
  hostNameLen = min(len, HOST_NAME_MAX);
  memory.copy(hostName, p, <usize>hostNameLen);
}

export function configure(ip: u32, mask: u32, gw: u32): void {
  myIp = ip;
  netmask = mask;
  router = gw;
}

export function unconfigure(): void { configure(0, 0, 0); }

/** Back to the state at power-on: no MAC, name, address or VLAN. */
export function netifReset(): void {
  myMac = 0;
  hostNameLen = 0;
  unconfigure();
  setVoiceVlan(0);
}

/** Where the network-layer packet of the next transmitted frame starts. */
@inline export function txL3(): usize { return txBuf + <usize>l2Len; }

/** Sends the frame whose network-layer part of `l3Len` bytes is already at txL3(), tagged on the voice VLAN. */
export function txFrame(dst: u64, etherType: u32, l3Len: i32, pcp: u32 = VOICE_PCP): void {
  const e = ethOut;
  e.dst = dst;
  e.src = myMac;
  e.etherType = tagged ? EtherType.Vlan : etherType;
  e.emit(txBuf);
  if (tagged) {
    const v = vlanOut;
    v.pcp = pcp;
    v.dei = false;
    v.vid = tagVid;
    v.innerType = etherType;
    v.emit(txBuf + 12);
  }
  txRaw(l2Len + l3Len);
}

/** Sends the `len`-byte frame already complete at txBuf, padded to the Ethernet minimum. */
export function txRaw(len: i32): void {
  if (len < ETH_MIN_FRAME) {
    memory.fill(txBuf + <usize>len, 0, ETH_MIN_FRAME - len);
    len = ETH_MIN_FRAME;
  }
  count(Ctr.TxFrames);
  mac_tx(txBuf, len);
}
