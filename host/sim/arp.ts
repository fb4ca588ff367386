// ARP responder shared by the simulated hosts (DHCP server, squatter).

import {
  ARP_REPLY, ARP_REQUEST, ETHERTYPE_ARP, decodeArp, decodeEthernet, encodeArp, encodeEthernet,
} from './packets.js';
import type { Mac } from './packets.js';

/**
 * The reply a host owning (mac, ip) sends to an ARP request for ip, or null when
 * the frame is not such a request. RFC 5227 probes (sender IP 0) are answered too:
 * that is how a probing host learns the address is taken.
 */
export function answerArp(frame: Uint8Array, mac: Mac, ip: number): Uint8Array | null {
  const eth = decodeEthernet(frame);
  if (eth === null || eth.vlan !== null || eth.etherType !== ETHERTYPE_ARP) return null;
  const arp = decodeArp(eth.payload);
  if (arp === null || arp.op !== ARP_REQUEST || arp.targetIp !== ip) return null;
  const reply = encodeArp({
    op: ARP_REPLY, senderMac: mac, senderIp: ip, targetMac: arp.senderMac, targetIp: arp.senderIp,
  });
  return encodeEthernet({ dst: arp.senderMac, src: mac, etherType: ETHERTYPE_ARP, payload: reply }, true);
}
