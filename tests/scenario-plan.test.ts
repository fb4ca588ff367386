// A scenario's addressing plan (network.*): every field moves something the
// phone really sees (its address from the pool, its gateway, the servers it
// talks to), servers on a subnet of their own sit behind a router that
// relays DHCP, and only the RFC 5737 documentation ranges are accepted.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { applyOutages, parseScenario, type Scenario } from "../host/scenario.js";
import { bootPhone, buildNetwork } from "../host/sim/network.js";
import { ipToString } from "../host/wire/address.js";
import { ROOT } from "./helpers/tools.js";

function boot(s: Scenario) {
  const net = buildNetwork({ ...s.network, seed: 1 });
  applyOutages(net, s);
  const result = bootPhone(net, s.limitMs);
  return { net, result, report: net.phone.report() };
}

const details = (r: ReturnType<typeof boot>["report"], event: string) => r.timeline.filter((e) => e.event === event).map((e) => e.detail);

test("servers on their own subnet: the router relays DHCP and routes, the phone uses every address of the plan", () => {
  const s = parseScenario(readFileSync(`${ROOT}scenarios/routed-plan.json`, "utf8"), "routed-plan.json");
  const { net, result, report } = boot(s);
  assert.equal(result.registered, true);
  // The first address of the pool, on the voice subnet; the plan's router is the default gateway and really routes.
  assert.equal(report.ip, "203.0.113.100");
  assert.equal(report.mask, "255.255.255.0");
  assert.equal(report.router, "203.0.113.1");
  assert.ok(net.router !== null && net.router.stats.relayedUp >= 2 && net.router.stats.relayedDown >= 2, JSON.stringify(net.router?.stats));
  assert.ok(net.router!.stats.routed >= 10, `TFTP and SCCP crossed the router: ${net.router!.stats.routed} packets`);
  assert.deepEqual(net.dhcp.leases().map((l) => ipToString(l.ip)), [], "the server's own subnet lends nothing: the scope is the relayed one");
  assert.deepEqual(net.dhcp.core.scopes[0].leases().map((l) => ipToString(l.ip)), ["203.0.113.100"]);
  // The servers at the plan's addresses, as the phone met them.
  assert.deepEqual(details(report, "OFFER"), ["203.0.113.100 from 198.51.100.5"]);
  assert.deepEqual(report.dns, ["198.51.100.53"]);
  assert.deepEqual(report.tftp_servers, ["198.51.100.69"]);
  assert.deepEqual(details(report, "call manager"), ["priority 0: 198.51.100.21 port 2000", "priority 1: 198.51.100.22 port 2000"]);
  assert.deepEqual(details(report, "connected"), ["CM1 198.51.100.21:2000: StationRegister sent"]);
  assert.equal(net.callManagers.length, 2);
});

test("the plan's DNS server resolves option 66 across the router", () => {
  const plan = JSON.parse(readFileSync(`${ROOT}scenarios/routed-plan.json`, "utf8"));
  const { result, report } = boot(parseScenario(JSON.stringify({ ...plan, dhcp: { option150: [], option66: "tftp.voice.example" } })));
  assert.equal(result.registered, true);
  assert.deepEqual(details(report, "dns answer").map((d) => d.split(" ")[0]), ["198.51.100.69"]);
});

test("one subnet of its own: no router, the pool and option 3 as given, CM2 at its address after CM1's outage", () => {
  const s = parseScenario(JSON.stringify({
    network: { voice_subnet: "198.51.100.0/24", pool: "198.51.100.200-198.51.100.201", router: "198.51.100.254", servers: { callmanagers: ["198.51.100.31", "198.51.100.32"] } },
    callmanagers: [{ state: "refuse" }],
  }));
  const { net, result, report } = boot(s);
  assert.equal(result.registered, true);
  assert.equal(net.router, null);
  assert.equal(report.ip, "198.51.100.200");
  assert.equal(report.router, "198.51.100.254");
  // The servers keep their host parts in the new subnet.
  assert.deepEqual(details(report, "OFFER"), ["198.51.100.200 from 198.51.100.1"]);
  assert.deepEqual(report.tftp_servers, ["198.51.100.10"]);
  assert.deepEqual(report.dns, ["198.51.100.53"]);
  assert.equal(report.callmanager, "CM2");
  assert.ok(details(report, "connected").some((d) => d.startsWith("CM2 198.51.100.32:2000")));
});

test("a pool of one address is all the server lends", () => {
  const { net } = boot(parseScenario(JSON.stringify({ network: { pool: "192.0.2.77-192.0.2.77" } })));
  assert.equal(net.phone.report().ip, "192.0.2.77");
  assert.equal(net.dhcp.core.scopes[0].poolEnd - net.dhcp.core.scopes[0].poolStart, 0);
});

test("a bad addressing plan is refused naming the field; only the documentation ranges are accepted", () => {
  const routed = { voice_subnet: "203.0.113.0/24", server_subnet: "198.51.100.0/24" };
  const cases: [unknown, RegExp][] = [
    [{ network: { voice_subnet: "10.0.0.0/24" } }, /network\.voice_subnet 10\.0\.0\.0\/24 is outside the documentation ranges of RFC 5737 \(192\.0\.2\.0\/24, 198\.51\.100\.0\/24, 203\.0\.113\.0\/24\)/],
    [{ network: { voice_subnet: "192.0.2.0/23" } }, /network\.voice_subnet 192\.0\.2\.0\/23 is outside the documentation ranges/],
    [{ network: { server_subnet: "172.16.0.0/24" } }, /network\.server_subnet 172\.16\.0\.0\/24 is outside/],
    [{ network: { voice_subnet: "192.0.2.5/24" } }, /network\.voice_subnet 192\.0\.2\.5\/24 has host bits set: the subnet is 192\.0\.2\.0\/24/],
    [{ network: { voice_subnet: "192.0.2.0/31" } }, /network\.voice_subnet 192\.0\.2\.0\/31 is too small/],
    [{ network: { voice_subnet: 24 } }, /network\.voice_subnet must be a string, got 24$/],
    [{ network: { voice_subnet: "192.0.2.0" } }, /network\.voice_subnet must be a subnet like 198\.51\.100\.0\/24, got "192\.0\.2\.0"$/],
    [{ network: { router: "8.8.8.8" } }, /network\.router 8\.8\.8\.8 is outside the documentation ranges/],
    [{ network: { router: "198.51.100.1" } }, /network\.router 198\.51\.100\.1 is not in network\.voice_subnet 192\.0\.2\.0\/24/],
    [{ network: { router: "192.0.2.255" } }, /network\.router 192\.0\.2\.255 is the network or broadcast address/],
    [{ network: { pool: "192.0.2.50" } }, /network\.pool must be a range like/],
    [{ network: { pool: "192.0.2.90-192.0.2.80" } }, /network\.pool 192\.0\.2\.90-192\.0\.2\.80 ends before it starts/],
    [{ network: { pool: "192.0.2.50-198.51.100.9" } }, /network\.pool's last address 198\.51\.100\.9 is not in network\.voice_subnet/],
    [{ network: { pool: "192.0.2.2-192.0.2.20" } }, /network\.pool 192\.0\.2\.2-192\.0\.2\.20 holds network\.servers\.callmanagers\[0\] 192\.0\.2\.11: the phone could be given it/],
    [{ network: { servers: { tftp: "192.0.2.53" } } }, /network\.servers\.dns 192\.0\.2\.53 is also network\.servers\.tftp/],
    [{ network: { servers: { dhcp: "198.51.100.1" } } }, /network\.servers\.dhcp 198\.51\.100\.1 is not in network\.server_subnet 192\.0\.2\.0\/24/],
    [{ network: { servers: { callmanagers: [] } } }, /network\.servers\.callmanagers must be a list of 1 to 3 addresses, got \[\]$/],
    [{ network: { servers: { callmanagers: ["192.0.2.11", 5] } } }, /network\.servers\.callmanagers\[1\] must be a string, got 5$/],
    [{ network: { servers: { ntp: "192.0.2.9" } } }, /network\.servers: unknown field "ntp"/],
    [{ network: { gateway: "192.0.2.1" } }, /network: unknown field "gateway"/],
    [{ network: { servers: { callmanagers: ["192.0.2.11"] } }, callmanagers: [{}, { state: "refuse" }] }, /callmanagers describes 2 CallManagers, network\.servers\.callmanagers places 1/],
    [{ network: routed }, /network\.server_subnet 198\.51\.100\.0\/24 is not the voice subnet: .* switch\.server_vlan \(not the phone's VLAN 110\)/],
    [{ network: routed, switch: { server_vlan: 110 } }, /switch\.server_vlan \(not the phone's VLAN 110\)/],
    [{ network: { voice_subnet: "192.0.2.0/25", server_subnet: "192.0.2.0/24" }, switch: { server_vlan: 100 } }, /network\.server_subnet 192\.0\.2\.0\/24 overlaps network\.voice_subnet 192\.0\.2\.0\/25/],
    [{ network: { ...routed, servers: { dhcp: "198.51.100.254" } }, switch: { server_vlan: 100 } }, /the router's server-side address 198\.51\.100\.254 is also network\.servers\.dhcp/],
  ];
  for (const [body, reason] of cases) assert.throws(() => parseScenario(JSON.stringify(body), "s.json"), reason, JSON.stringify(body));
});
