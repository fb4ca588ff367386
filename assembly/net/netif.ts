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
/** The voice VLAN the phone tags its IP traffic with; 0 = untagged on the native VLAN. */
export let voiceVlan: u32 = 0;

export function setVoiceVlan(vid: u32): void {
  voiceVlan = vid;
  l2Len = vid != 0 ? ETH_HEADER + VLAN_TAG : ETH_HEADER;
}

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
  e.etherType = voiceVlan != 0 ? EtherType.Vlan : etherType;
  e.emit(txBuf);
  if (voiceVlan != 0) {
    const v = vlanOut;
    v.pcp = pcp;
    v.dei = false;
    v.vid = voiceVlan;
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
