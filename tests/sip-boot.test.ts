// phone.wasm with a SIP configuration file (deviceProtocol SIP): startup.ts
// starts the SIP stage instead of SCCP, over TCP and over UDP, and the
// phone counts as registered (the host's verdict) once every line has a
// binding at a registrar plugged into the simulated network
// (tests/helpers/sip-registrar.ts; the simulated network's own SIP
// registrar is issue 23's host side).
import { test } from "node:test";
import assert from "node:assert/strict";
import { buildNetwork, bootPhone, sepFileName, DEFAULT_PHONE_MAC, DEFAULT_LOAD } from "../host/sim/network.js";
import { cnfXml } from "../host/sim/cnf.js";
import { TcpRegistrar, UdpRegistrar } from "./helpers/sip-registrar.js";

const REGISTRAR = "192.0.2.21";
const USERS = { "1001": "secret-1001", "alice": "pw 2" };

function sipBoot(transport: "tcp" | "udp", password = "secret-1001") {
  const file = cnfXml({
    callManagers: [{ host: REGISTRAR, sipPort: 5060 }], protocol: "SIP", load: DEFAULT_LOAD, sipTransport: transport, sipExpires: 600,
    lines: [{ dirNumber: "1001", displayName: "Desk 1001", password }, { dirNumber: "1002", displayName: "Alice", authName: "alice", password: "pw 2" }],
  });
  const net = buildNetwork({ seed: 5, tftpFiles: { [sepFileName(DEFAULT_PHONE_MAC)]: new TextEncoder().encode(file) } });
  const reg = transport === "tcp" ? new TcpRegistrar(net.scheduler, "02:00:5e:00:0b:21", REGISTRAR, { users: USERS })
    : new UdpRegistrar(net.scheduler, "02:00:5e:00:0b:21", REGISTRAR, { users: USERS });
  net.plug(1, reg);
  return { net, reg, result: bootPhone(net, 120_000) };
}

for (const transport of ["tcp", "udp"] as const) {
  test(`a SIP configuration: every line registered over ${transport.toUpperCase()}, the phone registered`, { timeout: 60_000 }, () => {
    const { net, reg, result } = sipBoot(transport);
    const events = net.phone.timeline.map((e) => e.event);
    assert.ok(result.registered, net.phone.timeline.map((e) => `${e.t_ms} ${e.event} ${e.detail}`).join("\n"));
    assert.ok(!events.includes("StationRegister") && reg.core.bindings.size === 2);
    assert.equal(reg.core.bindings.get("1001")!.contact.split("@")[1].split(/[:;]/)[0], "192.0.2.50");
    assert.deepEqual(reg.core.log.map((e) => [e.user, e.status]), [["1001", 401], ["1001", 200], ["1002", 401], ["1002", 200]]);
    assert.match(net.phone.lcd, /^Registered \| 1001 ok \| 1002 ok$/);
    assert.equal(net.callManagers.reduce((n, cm) => n + cm.events.length, 0), 0, "no SCCP with a SIP file");
  });
}

test("a SIP configuration with a wrong password: not registered, the failure named", { timeout: 60_000 }, () => {
  const { net, reg, result } = sipBoot("tcp", "wrong");
  assert.equal(result.registered, false);
  const failed = net.phone.timeline.filter((e) => /auth failed/i.test(e.event));
  // Named each time: once at once, again after each LINE_RETRY (60 s), two REGISTERs each.
  assert.ok(failed.length >= 1 && failed.every((e) => e.detail.startsWith("line 1: 401")), failed.map((e) => e.detail).join("\n"));
  assert.equal(reg.core.log.filter((e) => e.user === "1001").length, 2 * failed.length);
  assert.match(net.phone.lcd, /1001 failed \| 1002 ok$/);
});

test("the simulated network: CM1's link down mid-run, the SIP phone moves to CM2; CM1 back, it returns at the next probe and leaves no binding at CM2", { timeout: 60_000 }, () => {
  const [cm1, cm2] = ["192.0.2.11", "192.0.2.12"];
  const file = cnfXml({
    callManagers: [{ host: cm1, sipPort: 5060, priority: 0 }, { host: cm2, sipPort: 5060, priority: 1 }], protocol: "SIP", load: DEFAULT_LOAD, sipTransport: "tcp", sipExpires: 60,
    lines: [{ dirNumber: "1001", displayName: "Desk 1001", authName: "sep1001", password: "s3cret" }, { dirNumber: "1002", displayName: "Alice", password: "pw 2" }],
  });
  // The link to CM1 (its registrar) goes down 30 s into the run for 150 s (the refresh meets Timer F ~90 s in, probes follow): a fault of host/sim/faults.ts.
  const downFrom = 30_000, downMs = 150_000;
  const net = buildNetwork({ seed: 9, tftpFiles: { [sepFileName(DEFAULT_PHONE_MAC)]: new TextEncoder().encode(file) }, faults: { cm1: { flaps: [{ atMs: downFrom, downMs }] } } });
  const boot = bootPhone(net, downFrom - 1000);
  assert.ok(boot.registered, net.phone.timeline.map((e) => `${e.t_ms} ${e.event} ${e.detail}`).join("\n"));
  const line = () => net.phone.timeline.map((e) => `${e.t_ms} ${e.event} ${e.detail}`).join("\n");
  const at = (event: string, detail: RegExp) => net.phone.timeline.find((e) => e.event === event && detail.test(e.detail));
  net.scheduler.run({ untilUs: 400_000_000, until: () => net.phone.timeline.filter((e) => e.event === "sip binding removed").length === 2 });
  const failover = at("failover", /CM1 -> CM2/);
  const back = at("fallback", /to CM1 from CM2/);
  assert.ok(failover && failover.t_ms > downFrom, line());
  assert.ok(back && back.t_ms >= downFrom + downMs, line());
  // Probed every PRIMARY_RETRY (30 s) while on CM2: back within a probe under way when CM1 returned (its SYN retries or
  // Timer F, 32 s), the interval, and a refresh due within Timer F that goes first (32 s).
  assert.ok(back.t_ms <= downFrom + downMs + 32_000 + 30_000 + 32_000, line());
  assert.ok(net.phone.timeline.some((e) => e.event === "probe" && e.t_ms > failover.t_ms && e.t_ms < downFrom + downMs), "probed while CM1 was down");
  const [r1, r2] = [net.callManagers[0].sip.registrar, net.callManagers[1].sip.registrar];
  for (const user of ["1001", "1002"]) {
    assert.equal(r1.bindingsOf(`sip:${user}@${cm1}`).length, 1, `${user} at CM1`);
    assert.deepEqual(r2.bindingsOf(`sip:${user}@${cm2}`), [], `${user} removed from CM2`);
  }
  assert.ok(net.phone.isRegistered);
  assert.match(net.phone.lcd, /^Registered \| 1001 ok \| 1002 ok$/);
});
