// A host that silently uses an IPv4 address: it only answers ARP for it.
// Tests put it on an address the DHCP server will hand out, to exercise the
// phone's RFC 5227 probe and DHCPDECLINE path.

import { ipOf, type Mac } from '../wire/address.js';
import { IpHost } from './ip-host.js';
import type { Nic, Side, Wire } from './wire.js';

/** It never sends a packet of its own (only ARP replies), so it never needs the time. */
const NO_CLOCK = { now: 0 };

export class Squatter implements Nic {
  private readonly host: IpHost;

  constructor(mac: Mac | string, ip: number | string | null) {
    this.host = new IpHost(NO_CLOCK, mac, 0);
    this.ip = ip === null ? null : ipOf(ip);
  }

  /** The address it answers for; null answers nothing. Changeable at any time. */
  get ip(): number | null {
    return this.host.silent ? null : this.host.ip;
  }

  set ip(ip: number | null) {
    this.host.silent = ip === null;
    this.host.ip = ip ?? 0;
  }

  get arpReplies(): number {
    return this.host.stats.arpReplies;
  }

  plug(wire: Wire, side: Side): void {
    this.host.plug(wire, side);
  }

  receive(frame: Uint8Array): void {
    this.host.receive(frame);
  }
}
