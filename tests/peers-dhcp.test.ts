// Real DHCP servers in network namespaces, the phone over VXLAN in real
// time: dnsmasq and isc-dhcp-server with options 150 and 66. Skipped, with
// the reason, where namespaces or the servers are not available.
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { explain, labUnavailable, leftoverNamespaces, SERVER_IP, withLab, type Lab, type PhoneRun } from "./peers/lab.js";

const MAC1 = "00:1b:54:c2:a7:21";
const MAC2 = "00:1b:54:c2:a7:22";

function dnsmasqArgs(lab: Lab, extra: string[] = []): string[] {
  return ["dnsmasq", "--keep-in-foreground", "--log-facility=-", "--log-dhcp", "--user=root", "--no-resolv", "--no-hosts",
    "--port=0", `--interface=${lab.serverIf}`, "--bind-interfaces", "--dhcp-authoritative",
    "--dhcp-range=192.0.2.50,192.0.2.99,255.255.255.0,2m", "--dhcp-option=3,192.0.2.1", "--dhcp-option=150,192.0.2.10,192.0.2.11",
    `--dhcp-leasefile=${lab.file("dnsmasq.leases")}`, `--pid-file=${lab.file("dnsmasq.pid")}`, ...extra];
}

function field<T>(run: PhoneRun, key: string): T {
  assert.ok(run.report, `no JSON report; status ${run.status}\n${run.stderr}\n${run.stdout.slice(0, 2000)}`);
  return run.report[key] as T;
}

const dnsmasqSkip = labUnavailable("dnsmasq");

test("dnsmasq: two phones lease different addresses with option 150, and renew at T1", { skip: dnsmasqSkip, timeout: 180_000 }, async () => {
  await withLab({ phones: 2 }, async (lab) => {
    // T1 of 10 s so that the renewal shows within the test (dnsmasq's shortest lease is 2 minutes).
    await lab.start("dnsmasq", dnsmasqArgs(lab, ["--dhcp-option=58,10", "--dhcp-option=59,100"]), () => lab.read("dnsmasq.pid") !== "");
    const [a, b] = await Promise.all([lab.phone(0, "--mac", MAC1, "--stay", "14"), lab.phone(1, "--mac", MAC2, "--seed", "2")]);
    assert.equal(a.status, 0, explain(a));
    assert.equal(b.status, 0, explain(b));
    const ipA = field<string>(a, "ip");
    const ipB = field<string>(b, "ip");
    assert.match(ipA, /^192\.0\.2\.(5\d|[6-9]\d)$/);
    assert.match(ipB, /^192\.0\.2\.(5\d|[6-9]\d)$/);
    assert.notEqual(ipA, ipB);
    assert.deepEqual(field<string[]>(a, "tftp_servers"), ["192.0.2.10", "192.0.2.11"]);
    assert.equal(field<string>(a, "router"), SERVER_IP);
    const timeline = field<{ event: string; detail: string }[]>(a, "timeline");
    assert.ok(timeline.some((e) => e.event === "renew"), "renewed at T1");
    assert.ok(timeline.filter((e) => e.event === "ACK").length >= 2, "the renewal was ACKed");
    const leases = lab.read("dnsmasq.leases");
    assert.match(leases, new RegExp(`${MAC1} ${ipA.replace(/\./g, "\\.")} SEP001B54C2A721`, "i"));
    assert.match(leases, new RegExp(`${MAC2} ${ipB.replace(/\./g, "\\.")} SEP001B54C2A722`, "i"));
  });
});

test("a lab whose test body fails still stops its processes and deletes its namespaces", { skip: labUnavailable() }, async () => {
  let pids: number[] = [];
  let namespaces: string[] = [];
  const rootLinks = () => spawnSync("ip", ["-o", "link", "show"], { encoding: "utf8" }).stdout.replace(/ {2,}.*$/gm, "");
  const before = rootLinks();
  await assert.rejects(withLab({}, async (lab) => {
    // Nothing of the lab lives in the machine's own namespace: no interface, so no route out.
    assert.equal(rootLinks(), before);
    await lab.start("sleeper", ["sleep", "30"], () => true);
    pids = lab.alive();
    namespaces = [lab.sw, lab.harness];
    throw new Error("a failing test");
  }), /a failing test/);
  assert.equal(pids.length, 1);
  assert.deepEqual(leftoverNamespaces().filter((n) => namespaces.includes(n)), []);
  for (const pid of pids) assert.throws(() => process.kill(pid, 0), "the server was stopped");
});

function dhcpdConf(): string {
  return `# isc-dhcp-server for the lab: option 150 is Cisco's TFTP server list.
option tftp-servers code 150 = array of ip-address;
authoritative;
default-lease-time 120;
max-lease-time 120;
subnet 192.0.2.0 netmask 255.255.255.0 {
  range 192.0.2.100 192.0.2.149;
  option routers 192.0.2.1;
  option tftp-servers 192.0.2.10;
  option tftp-server-name "tftp.voice.example";
  option dhcp-renewal-time 10;
  option dhcp-rebinding-time 100;
}
`;
}

test("isc-dhcp-server: two phones lease different addresses with options 150 and 66, and renew at T1", { skip: labUnavailable("dhcpd"), timeout: 180_000 }, async () => {
  await withLab({ phones: 2 }, async (lab) => {
    writeFileSync(lab.file("dhcpd.conf"), dhcpdConf());
    writeFileSync(lab.file("dhcpd.leases"), "");
    await lab.start("dhcpd", ["dhcpd", "-f", "-4", "-cf", lab.file("dhcpd.conf"), "-lf", lab.file("dhcpd.leases"),
      "-pf", lab.file("dhcpd.pid"), lab.serverIf], () => lab.read("dhcpd.pid") !== "");
    const [a, b] = await Promise.all([lab.phone(0, "--mac", MAC1, "--stay", "14"), lab.phone(1, "--mac", MAC2, "--seed", "2")]);
    assert.equal(a.status, 0, explain(a));
    assert.equal(b.status, 0, explain(b));
    const ipA = field<string>(a, "ip");
    const ipB = field<string>(b, "ip");
    assert.match(ipA, /^192\.0\.2\.1[0-4]\d$/);
    assert.notEqual(ipA, ipB);
    assert.deepEqual(field<string[]>(a, "tftp_servers"), ["192.0.2.10"]);
    assert.equal(field<string>(a, "tftp_server_name"), "tftp.voice.example");
    const timeline = field<{ event: string }[]>(a, "timeline");
    assert.ok(timeline.some((e) => e.event === "renew"), "renewed at T1");
    assert.ok(timeline.filter((e) => e.event === "ACK").length >= 2, "the renewal was ACKed");
    const leases = lab.read("dhcpd.leases");
    for (const [mac, ip] of [[MAC1, ipA], [MAC2, ipB]]) {
      assert.match(leases, new RegExp(`lease ${ip.replace(/\./g, "\\.")} \\{[^}]*hardware ethernet ${mac};`, "i"));
    }
    assert.match(leases, /client-hostname "SEP001B54C2A721";/);
  });
});
