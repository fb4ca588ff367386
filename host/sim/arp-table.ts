// The neighbour table of a simulated host or router: IPv4 -> MAC, learned by
// RFC 826's merge rule, and the few frames waiting for an address to
// resolve (as in Linux's unresolved queue: the oldest gives way, and the
// request is repeated at most once a second).

import type { Mac } from '../wire/address.js';
import type { ArpPacket } from '../wire/arp.js';

const QUEUE = 3;
const RETRY_US = 1_000_000;

interface Pending<T> {
  items: T[];
  askedUs: number;
}

/** What hold() did: whether an item gave way, whether to send an ARP request now. */
export interface Held {
  dropped: boolean;
  ask: boolean;
}

export class ArpTable<T> {
  private readonly macs = new Map<number, Mac>();
  private readonly pending = new Map<number, Pending<T>>();

  get(ip: number): Mac | undefined {
    return this.macs.get(ip);
  }

  /** An entry learned outside ARP (a static or warm one). */
  set(ip: number, mac: Mac): void {
    this.macs.set(ip, mac);
  }

  /**
   * RFC 826's merge: a sender we know is refreshed, and the target of a packet
   * learns its sender. Returns what was waiting for the sender's address.
   */
  merge(arp: ArpPacket, myIp: number): T[] {
    if (arp.senderIp === 0 || (arp.targetIp !== myIp && !this.macs.has(arp.senderIp))) return [];
    return this.learn(arp.senderIp, arp.senderMac);
  }

  /** `ip` is at `mac` (copied); returns what was waiting for it. */
  learn(ip: number, mac: Mac): T[] {
    this.macs.set(ip, mac.slice());
    const p = this.pending.get(ip);
    if (p === undefined) return [];
    this.pending.delete(ip);
    return p.items;
  }

  /** Keeps `item` until `ip` resolves. */
  hold(ip: number, item: T, nowUs: number): Held {
    let p = this.pending.get(ip);
    if (p === undefined) this.pending.set(ip, (p = { items: [], askedUs: -Infinity }));
    const dropped = p.items.length >= QUEUE;
    if (dropped) p.items.shift();
    p.items.push(item);
    const ask = nowUs - p.askedUs >= RETRY_US;
    if (ask) p.askedUs = nowUs;
    return { dropped, ask };
  }
}
