// No time lost to bad answers (issue 24): option 150 sent as text is refused
// and option 66 used at once; a TFTP server whose port is closed answers
// with ICMP port unreachable and the phone takes the next server at once.
import { test } from "node:test";
import assert from "node:assert/strict";
import { buildNetwork, bootPhone } from "../host/sim/network.js";
import { TftpServer } from "../host/sim/tftp-server.js";
import { decodeEthernet, ETHERTYPE_IPV4 } from "../host/wire/ethernet.js";
import { decodeIpv4, IPPROTO_ICMP } from "../host/wire/ipv4.js";
import { decodeIcmp, ICMP_UNREACHABLE, UNREACH_PORT } from "../host/wire/icmp.js";
import { readPcap } from "../host/sim/pcap.js";
import type { Network } from "../host/sim/network.js";

function counters(net: Network): Record<string, number> {
  return net.phone.report().counters.all as Record<string, number>;
}

test("option 150 as text (isc-dhcp-server's `code 150 = text`): refused, named, option 66 used within a second", () => {
  const net = buildNetwork({ seed: 1, dhcp: { tftpServersText: "192.0.2.10" } });
  const r = bootPhone(net);
  assert.equal(r.registered, true);
  const tl = net.phone.timeline;
  const bad = tl.find((e) => e.event === "option malformed");
  assert.equal(bad?.detail, "option 150 malformed: 10 bytes, refused");
  assert.ok(!tl.some((e) => e.event === "tftp"), "no address taken from the text");
  const server = tl.find((e) => e.event === "server");
  assert.equal(server?.detail, "192.0.2.10 (option 66)");
  // The lease is in use (after the ARP probes of the address): option 66's name is resolved and asked at once.
  const bound = tl.find((e) => e.stage === "dhcp" && e.event === "bound")!;
  assert.ok(bad!.t_ms <= bound.t_ms);
  assert.ok(server!.t_ms - bound.t_ms < 1000, `option 66 ${server!.t_ms - bound.t_ms} ms after the lease`);
  assert.equal(counters(net).dhcp_option_malformed, 1);
});

test("a well-formed option 150 is not refused (the default network)", () => {
  const net = buildNetwork({ seed: 1 });
  assert.equal(bootPhone(net).registered, true);
  assert.ok(!net.phone.timeline.some((e) => e.event === "option malformed"));
  assert.equal(counters(net).dhcp_option_malformed, 0);
});

test("a stopped TFTP server (port 69 closed) answers ICMP port unreachable: the next option 150 server within a second", () => {
  const net = buildNetwork({ seed: 1, pcap: true, dhcp: { tftpServers: ["192.0.2.20", "192.0.2.10"] } });
  const down = new TftpServer(net.scheduler, { mac: "02:00:5e:00:02:14", ip: "192.0.2.20", stopped: true });
  net.plug(1, down);
  const r = bootPhone(net);
  assert.equal(r.registered, true);
  const tl = net.phone.timeline;
  const unreachable = tl.find((e) => e.event === "unreachable");
  assert.match(unreachable?.detail ?? "", /^ICMP port unreachable from 192\.0\.2\.20/);
  const servers = tl.filter((e) => e.event === "server");
  assert.deepEqual(servers.map((e) => e.detail), ["192.0.2.20 (option 150)", "192.0.2.10 (option 150)"]);
  assert.ok(servers[1].t_ms - unreachable!.t_ms < 1000, `next server ${servers[1].t_ms - unreachable!.t_ms} ms after the ICMP`);
  assert.ok(!tl.some((e) => e.event === "timeout" || e.event === "retransmit"), "no waiting on the stopped server");
  assert.equal(down.host.stats.portUnreachables, 1);
  assert.equal(counters(net).icmp_errors, 1);
  // On the wire: ICMP type 3 code 3 from 192.0.2.20, quoting the phone's RRQ to port 69.
  const icmps = readPcap(net.pcap!.toBuffer())!.records.map((p) => decodeEthernet(p.data)).filter((e) => e !== null && e.etherType === ETHERTYPE_IPV4)
    .map((e) => decodeIpv4(e!.payload)).filter((ip) => ip !== null && ip.protocol === IPPROTO_ICMP);
  assert.equal(icmps.length, 1);
  const m = decodeIcmp(icmps[0]!.payload)!;
  assert.deepEqual([m.type, m.code, m.checksumOk], [ICMP_UNREACHABLE, UNREACH_PORT, true]);
  const quoted = decodeIpv4(m.body)!;
  assert.equal(quoted.dst, icmps[0]!.src);
  assert.equal((m.body[quoted.headerLength + 2] << 8) | m.body[quoted.headerLength + 3], 69);
});

test("the simulated host's ICMP is rate-limited as Linux's: a burst of 6, then one a second", () => {
  const net = buildNetwork({ seed: 1 });
  const down = new TftpServer(net.scheduler, { mac: "02:00:5e:00:02:14", ip: "192.0.2.20", stopped: true });
  net.plug(1, down);
  const probe = new TftpServer(net.scheduler, { mac: "02:00:5e:00:02:15", ip: "192.0.2.21" });
  net.plug(2, probe);
  // The two hosts learn each other's MAC first (a datagram to the probe's open port 69).
  down.host.sendIp(probe.ip, 17, udp(40000, 69));
  net.scheduler.run({ untilUs: net.scheduler.now + 1000 });
  assert.equal(down.host.stats.portUnreachables, 0);
  // 20 datagrams to the closed port within a millisecond: only 6 answers.
  for (let i = 0; i < 20; i++) {
    probe.host.sendIp(down.ip, 17, udp(40000 + i, 69));
  }
  net.scheduler.run({ untilUs: net.scheduler.now + 1000 });
  assert.equal(down.host.stats.portUnreachables, 6);
  net.scheduler.run({ untilUs: net.scheduler.now + 1_000_000 });
  for (let i = 0; i < 3; i++) probe.host.sendIp(down.ip, 17, udp(41000 + i, 69));
  net.scheduler.run({ untilUs: net.scheduler.now + 1000 });
  assert.equal(down.host.stats.portUnreachables, 7);
});

/** A UDP datagram with no checksum (RFC 768 allows 0) and 4 bytes of payload. */
function udp(src: number, dst: number): Uint8Array {
  const u = new Uint8Array(12);
  const v = new DataView(u.buffer);
  v.setUint16(0, src);
  v.setUint16(2, dst);
  v.setUint16(4, 12);
  return u;
}

test("a CallManager behind a firewall that rejects (ICMP port unreachable): the connect fails at once and the phone fails over", () => {
  const net = buildNetwork({ seed: 1 });
  const cm1 = net.callManagers[0];
  cm1.stop("refuse");
  cm1.tcp.mode = "reject";
  const r = bootPhone(net);
  assert.equal(r.registered, true);
  assert.equal(net.phone.report().callmanager, "CM2");
  const tl = net.phone.timeline;
  const connecting = tl.find((e) => e.event === "connecting" && e.detail.startsWith("CM1"))!;
  const failed = tl.find((e) => e.event === "failed" && e.detail.startsWith("CM1"))!;
  assert.equal(failed.detail, "CM1: unreachable (ICMP)");
  assert.ok(failed.t_ms - connecting.t_ms < 1000, `${failed.t_ms - connecting.t_ms} ms on CM1`);
  assert.ok(tl.some((e) => e.event === "failover"));
  assert.equal(counters(net).icmp_errors, 1);
});
