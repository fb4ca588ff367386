// The storm's device-timed boots and published server limits: the boot stage
// takes the modelled time at the scenario's clock, switches get their power
// back one after another, the DHCP server's rate is its published one, and a
// seed still gives one result.
import { test } from "node:test";
import assert from "node:assert/strict";
import { makePlan, DHCP_SERVERS } from "../host/storm/plan.js";
import { parseStormScenario } from "../host/storm/scenario.js";
import { runStorm } from "../host/storm/engine.js";
import { summarize } from "../host/storm/summary.js";
import { M, MILESTONES } from "../host/storm/cell.js";
import { ScenarioError } from "../host/scenario.js";
import { AUTONEG_US } from "../host/device-time.js";

async function storm(json: object, phones = 8, switches = 2) {
  const plan = makePlan({ phones, switches, seed: 4, scenario: parseStormScenario(JSON.stringify(json), "t.json") });
  return runStorm(plan);
}

/** Per phone, µs from power to the firmware's first stage after boot (VLAN): the boot stage. */
function bootStage(run: Awaited<ReturnType<typeof storm>>): number[] {
  return run.cells.flatMap((c) => Array.from({ length: c.phones }, (_, p) => c.milestones[p * MILESTONES + M.vlan] - c.milestones[p * MILESTONES + M.powered]));
}

test("the boot stage takes device time at the scenario's clock; device_time false is the old instant boot", async () => {
  const at168 = await storm({});
  const at42 = await storm({ phone: { cpu_mhz: 42 } });
  const at21 = await storm({ phone: { cpu_mhz: 21 } });
  const instant = await storm({ phone: { device_time: false } });
  const b42 = bootStage(at42), b21 = bootStage(at21);
  assert.ok(bootStage(at168).every((t) => t === AUTONEG_US), "at 168 MHz the verify ends within the link's auto-negotiation");
  assert.ok(b42.every((t) => t === b42[0] && t > 300_000), JSON.stringify(b42));
  assert.ok(Math.abs(b21[0] - 2 * b42[0]) <= 2, `${b21[0]} vs ${b42[0]}`);
  assert.ok(bootStage(instant).every((t) => t === 0));
  assert.equal(summarize(at21).registered, 8);
});

test("power comes back switch by switch, power.switch_delay_s apart", async () => {
  const run = await storm({ power: { switch_delay_s: 5 } }, 12, 3);
  const powered = run.cells.map((c) => c.milestones[M.powered]);
  assert.deepEqual(powered.map((t) => t - powered[0]), [0, 5_000_000, 10_000_000]);
  assert.equal(summarize(run).registered, 12);
});

test("the DHCP server's rate is its published lease rate, two answers a lease; a rate given outright names no server", () => {
  const plan = (json: object) => makePlan({ phones: 4, scenario: parseStormScenario(JSON.stringify(json), "t.json") });
  assert.equal(plan({}).dhcp.answersPerSecond, 2 * DHCP_SERVERS["kea-memfile"].leasesPerSecond);
  assert.equal(plan({ dhcp: { server: "isc-dhcpd" } }).dhcp.answersPerSecond, 800);
  assert.deepEqual(plan({ dhcp: { answers_per_s: 50 } }).dhcp, { server: null, answersPerSecond: 50, backlog: 512, leaseS: 86_400 });
  assert.throws(() => plan({ dhcp: { server: "windows" } }), (e: Error) => e instanceof ScenarioError && /dhcp\.server/.test(e.message));
});

test("a TFTP serving limit of one queues the building's requests and the report says so; the same seed gives the same run", async () => {
  // 100 ms each way: a transfer holds its connection for a few hundred ms, so the phones' requests overlap.
  const json = { tftp: { connections: 1 }, uplink: { latency_us: 100_000 } };
  const [a, b] = [summarize(await storm(json)), summarize(await storm(json))];
  assert.deepEqual(a, b);
  assert.equal(a.registered, 8);
  assert.ok(a.servers.tftp.queued > 0 && a.servers.tftp.busy === 0, JSON.stringify(a.servers.tftp));
  const tight = summarize(await storm({ ...json, tftp: { connections: 1, max_serving_count: 1 } }));
  assert.ok(tight.servers.tftp.busy > 0, JSON.stringify(tight.servers.tftp));
});
