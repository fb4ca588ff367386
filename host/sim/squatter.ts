// A host that silently uses an IPv4 address: it only answers ARP for it.
// Tests put it on an address the DHCP server will hand out, to exercise the
// phone's RFC 5227 probe and DHCPDECLINE path.

import { answerArp } from './arp.js';
import { parseIp, parseMac } from './packets.js';
import type { Mac } from './packets.js';
import type { Nic, Side, Wire, WirePort } from './wire.js';

export class Squatter implements Nic {
  readonly mac: Mac;
  /** The address it answers for; null answers nothing. Changeable at any time. */
  ip: number | null;
  arpReplies = 0;
  private port: WirePort | null = null;

  constructor(mac: Mac | string, ip: number | string | null) {
    this.mac = typeof mac === 'string' ? parseMac(mac) : mac;
    this.ip = typeof ip === 'string' ? parseIp(ip) : ip;
  }

  plug(wire: Wire, side: Side): void {
    this.port = wire.attach(side, this);
  }

  receive(frame: Uint8Array): void {
    if (this.ip === null || this.port === null) return;
    const reply = answerArp(frame, this.mac, this.ip);
    if (reply === null) return;
    this.arpReplies++;
    this.port.send(reply);
  }
}
