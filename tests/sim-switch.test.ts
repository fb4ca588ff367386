import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Scheduler } from '../host/sim/scheduler.js';
import { Wire } from '../host/sim/wire.js';
import { EthernetSwitch } from '../host/sim/switch.js';
import { ETHERTYPE_IPV4, encodeEthernet } from '../host/wire/ethernet.js';
import { parseMac } from '../host/wire/address.js';
import type { Nic } from '../host/sim/wire.js';

class Host implements Nic {
  readonly got: Uint8Array[] = [];
  send: (f: Uint8Array) => void = () => {};
  receive(frame: Uint8Array): void {
    this.got.push(frame);
  }
}

const mac = (n: number): Uint8Array => parseMac(`02:00:00:00:00:${n.toString(16).padStart(2, '0')}`);
const BCAST = parseMac('ff:ff:ff:ff:ff:ff');

function eth(dst: Uint8Array, src: Uint8Array): Uint8Array {
  return encodeEthernet({ dst, src, etherType: ETHERTYPE_IPV4, payload: new Uint8Array(46) });
}

function lan(ports: number, ageingUs?: number): { s: Scheduler; sw: EthernetSwitch; hosts: Host[] } {
  const s = new Scheduler();
  const sw = new EthernetSwitch(s, ports, { ageingUs });
  const hosts: Host[] = [];
  for (let p = 0; p < ports; p++) {
    const w = new Wire(s, { latencyUs: 1 });
    const h = new Host();
    const port = w.attach(0, h);
    h.send = (f) => port.send(f);
    sw.connect(p, w, 1);
    hosts.push(h);
  }
  return { s, sw, hosts };
}

const counts = (hosts: Host[]): number[] => hosts.map((h) => h.got.length);

test('unknown unicast and broadcast flood to every port but the ingress one', () => {
  const { s, sw, hosts } = lan(4);
  hosts[0].send(eth(mac(9), mac(1)));
  s.run({});
  assert.deepEqual(counts(hosts), [0, 1, 1, 1]);
  hosts[2].send(eth(BCAST, mac(3)));
  s.run({});
  assert.deepEqual(counts(hosts), [1, 2, 1, 2]);
  assert.equal(sw.stats.flooded, 2);
});

test('learned addresses get unicast to one port only', () => {
  const { s, sw, hosts } = lan(4);
  hosts[1].send(eth(BCAST, mac(2)));
  s.run({});
  assert.equal(sw.lookup(mac(2)), 1);
  hosts[3].send(eth(mac(2), mac(4)));
  s.run({});
  assert.deepEqual(counts(hosts), [1, 1, 1, 1]); // the broadcast, then host 1 only
  assert.deepEqual(hosts[1].got[0].subarray(0, 12), eth(mac(2), mac(4)).subarray(0, 12));
  assert.equal(sw.stats.forwarded, 1);
});

test('a frame for a host on the ingress port is filtered, never reflected', () => {
  const { s, sw, hosts } = lan(3);
  hosts[0].send(eth(BCAST, mac(1)));
  s.run({});
  hosts[0].send(eth(mac(1), mac(7))); // mac(7) shares port 0 with mac(1), e.g. a hub or phone PC port
  s.run({});
  assert.deepEqual(counts(hosts), [0, 1, 1]);
  assert.equal(sw.stats.filtered, 1);
});

test('a station that moves is relearned on its new port', () => {
  const { s, sw, hosts } = lan(3);
  hosts[0].send(eth(BCAST, mac(5)));
  s.run({});
  hosts[2].send(eth(BCAST, mac(5)));
  s.run({});
  assert.equal(sw.lookup(mac(5)), 2);
});

test('entries age out after the ageing time and frames flood again', () => {
  const { s, sw, hosts } = lan(3, 300_000_000);
  hosts[1].send(eth(BCAST, mac(2)));
  s.run({});
  s.runUntil(299_000_000);
  assert.equal(sw.lookup(mac(2)), 1);
  s.runUntil(301_000_000);
  assert.equal(sw.lookup(mac(2)), null);
  assert.deepEqual(counts(hosts), [1, 0, 1]);
  hosts[0].send(eth(mac(2), mac(1)));
  s.run({});
  assert.deepEqual(counts(hosts), [1, 1, 2], 'flooded again');
});

test('multicast source addresses are never learned; bad port numbers throw', () => {
  const { s, sw, hosts } = lan(2);
  hosts[0].send(eth(BCAST, parseMac('01:00:5e:00:00:01')));
  s.run({});
  assert.equal(sw.tableSize, 0);
  assert.throws(() => sw.connect(2, new Wire(s), 0), /port must be/);
  assert.throws(() => new EthernetSwitch(s, 0), /portCount/);
});
