// No time lost to bad answers (issue 24), judged by real servers in a lab:
// isc-dhcp-server with option 150 declared as text (the common
// misconfiguration) and option 66, tftpd-hpa and ipphone callmanager; and a
// stopped TFTP server, whose host's Linux kernel answers the phone's RRQ
// with ICMP port unreachable, before a running tftpd-hpa. The simulated
// versions are in bad-answers.test.ts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CLI, run } from "./helpers/tools.js";
import { explain, labUnavailable, SERVER_IP, stopGently, withLab, type Lab, type PhoneRun } from "./peers/lab.js";
import { cnfXml } from "../host/sim/cnf.js";
import { DEFAULT_LOAD } from "../host/sim/network.js";

interface Entry {
  t_ms: number;
  stage: string;
  event: string;
  detail: string;
}

const TFTP_IP = "192.0.2.10";
/** An address of the lab's server host where nothing listens on UDP 69: a TFTP server that is stopped. */
const STOPPED_IP = "192.0.2.20";

function timeline(run: PhoneRun): Entry[] {
  assert.ok(run.report, `no JSON report; status ${run.status}\n${run.stderr}\n${run.stdout.slice(0, 2000)}`);
  return (run.report.timeline ?? []) as Entry[];
}

/** tftpd-hpa serving the phone's SEP file (naming the lab's CallManager) on `ip`, an address added to the server interface. */
async function tftpd(lab: Lab, ip: string, device: string): Promise<void> {
  const root = lab.file("tftp");
  mkdirSync(root);
  writeFileSync(join(root, `${device}.cnf.xml`), cnfXml({ callManagers: [{ host: SERVER_IP, port: 2000, priority: 0 }], load: DEFAULT_LOAD }));
  await lab.start("tftpd-hpa", ["in.tftpd", "--foreground", "--address", `${ip}:69`, "--secure", "--verbose", root],
    () => lab.inSwitch("ss", "-uln").includes(`${ip}:69`));
}

async function callManager(lab: Lab): Promise<void> {
  await lab.start("callmanager", [process.execPath, CLI, "callmanager", "--listen", `${SERVER_IP}:2000`, "--name", "CM1"], (log) => /listen/i.test(log));
}

/** The value of option `code` in a BOOTP/DHCP message (options after the 236-byte header and the magic cookie; no overload here). */
function dhcpOption(msg: Buffer, code: number): Buffer | null {
  for (let o = 240; o < msg.length && msg[o] !== 255;) {
    if (msg[o] === 0) {
      o++;
      continue;
    }
    const len = msg[o + 1];
    if (msg[o] === code) return msg.subarray(o + 2, o + 2 + len);
    o += 2 + len;
  }
  return null;
}

const MAC1 = "00:1b:54:c2:a7:61";
const DEVICE1 = "SEP001B54C2A761";

function dhcpdTextConf(): string {
  return `# isc-dhcp-server misconfigured as often seen: option 150 declared as text, so the
# address goes out as its ten ASCII characters instead of four bytes.
option voip-tftp-server code 150 = text;
authoritative;
default-lease-time 120;
max-lease-time 120;
subnet 192.0.2.0 netmask 255.255.255.0 {
  range 192.0.2.100 192.0.2.149;
  option routers ${SERVER_IP};
  option voip-tftp-server "${TFTP_IP}";
  option tftp-server-name "${TFTP_IP}";
}
`;
}

test("isc-dhcp-server with option 150 as text: refused and named, option 66's tftpd-hpa asked within a second of the lease, registered", { skip: labUnavailable("dhcpd", "in.tftpd", "tshark"), timeout: 180_000 }, async (t) => {
  await withLab({}, async (lab) => {
    lab.inSwitch("ip", "addr", "add", `${TFTP_IP}/24`, "dev", lab.serverIf);
    const pcap = lab.file("dhcp.pcap");
    const tshark = await lab.capture(pcap, "udp port 67 or udp port 68");
    writeFileSync(lab.file("dhcpd.conf"), dhcpdTextConf());
    writeFileSync(lab.file("dhcpd.leases"), "");
    await lab.start("dhcpd", ["dhcpd", "-f", "-4", "-cf", lab.file("dhcpd.conf"), "-lf", lab.file("dhcpd.leases"),
      "-pf", lab.file("dhcpd.pid"), lab.serverIf], () => lab.read("dhcpd.pid") !== "");
    await tftpd(lab, TFTP_IP, DEVICE1);
    await callManager(lab);
    const phone = await lab.phone(0, "--mac", MAC1, "--until", "registered", "--timeout", "90", "--stay", "1");
    await stopGently(tshark);
    assert.equal(phone.status, 0, explain(phone));
    assert.equal(phone.report?.registered, true);
    const tl = timeline(phone);
    const bad = tl.filter((e) => e.event === "option malformed");
    // dhcpd sends the text without a NUL: "192.0.2.10" is 10 bytes, not a multiple of 4. Named once, when the ACK's options are taken.
    assert.deepEqual(bad.map((e) => e.detail), [`option 150 malformed: ${TFTP_IP.length} bytes, refused`], explain(phone));
    assert.ok(!tl.some((e) => e.stage === "dhcp" && e.event === "tftp"), "no address taken from the text");
    assert.deepEqual(phone.report?.tftp_servers, []);
    assert.equal(phone.report?.tftp_server_name, TFTP_IP);
    const bound = tl.find((e) => e.stage === "dhcp" && e.event === "bound");
    assert.ok(bound, explain(phone));
    const servers = tl.filter((e) => e.event === "server");
    assert.equal(servers[0]?.detail, `${TFTP_IP} (option 66)`, explain(phone));
    const rrq = tl.find((e) => e.stage === "tftp" && e.event === "request");
    assert.ok(rrq?.detail.startsWith(`RRQ to ${TFTP_IP}`), explain(phone));
    assert.ok(bad[0].t_ms <= bound!.t_ms, "named when the ACK came, before the lease is used");
    t.diagnostic(`bound at ${bound!.t_ms} ms, refusal named at ${bad[0].t_ms} ms, first RRQ to option 66's server ${(rrq!.t_ms - bound!.t_ms).toFixed(3)} ms after bound`);
    assert.ok(rrq!.t_ms - bound!.t_ms < 1000, `first RRQ ${rrq!.t_ms - bound!.t_ms} ms after the lease`);
    assert.ok(!tl.some((e) => e.stage === "tftp" && (e.event === "timeout" || e.event === "retransmit")), explain(phone));
    assert.equal((phone.report?.counters as { all: Record<string, number> }).all.dhcp_option_malformed, 1);
    // On the wire, as tshark saw it on the server's interface: in dhcpd's ACK, option 150 is the ten ASCII
    // characters (and option 66 the same text, as it should be).
    const acks = run("tshark", ["-r", pcap, "-Y", "dhcp.option.dhcp == 5", "-T", "fields", "-e", "udp.payload"]);
    assert.equal(acks.status, 0, acks.stderr);
    const payloads = acks.stdout.split("\n").filter(Boolean).map((h) => Buffer.from(h.replace(/:/g, ""), "hex"));
    assert.ok(payloads.length >= 1, `dhcpd's ACK captured:\n${acks.stdout}${acks.stderr}`);
    for (const p of payloads) {
      assert.equal(dhcpOption(p, 150)?.toString("latin1"), TFTP_IP);
      assert.equal(dhcpOption(p, 66)?.toString("latin1"), TFTP_IP);
    }
  });
});

const MAC2 = "00:1b:54:c2:a7:62";
const DEVICE2 = "SEP001B54C2A762";

test("a stopped TFTP server: Linux answers ICMP port unreachable, the phone asks option 150's second server (tftpd-hpa) within a second, registered", { skip: labUnavailable("dnsmasq", "in.tftpd", "tshark"), timeout: 180_000 }, async (t) => {
  await withLab({}, async (lab) => {
    // The stopped server's host is up (it answers ARP) but has nothing on port 69; no ICMP rate limit
    // in the lab's namespace, so that the kernel's answer is never the one withheld.
    for (const ip of [TFTP_IP, STOPPED_IP]) lab.inSwitch("ip", "addr", "add", `${ip}/24`, "dev", lab.serverIf);
    lab.inSwitch("sysctl", "-q", "-w", "net.ipv4.icmp_ratelimit=0");
    const pcap = lab.file("icmp.pcap");
    const tshark = await lab.capture(pcap, `icmp or (udp and host ${STOPPED_IP})`);
    await lab.start("dnsmasq", ["dnsmasq", "--keep-in-foreground", "--log-facility=-", "--user=root", "--no-resolv", "--no-hosts", "--port=0",
      `--interface=${lab.serverIf}`, "--bind-interfaces", "--dhcp-range=192.0.2.50,192.0.2.99,255.255.255.0,2m", `--dhcp-option=3,${SERVER_IP}`,
      `--dhcp-option=150,${STOPPED_IP},${TFTP_IP}`, `--dhcp-leasefile=${lab.file("leases")}`, `--pid-file=${lab.file("dnsmasq.pid")}`],
    () => lab.read("dnsmasq.pid") !== "");
    await tftpd(lab, TFTP_IP, DEVICE2);
    assert.ok(!lab.inSwitch("ss", "-uln").includes(`${STOPPED_IP}:69`) && !lab.inSwitch("ss", "-uln").includes("0.0.0.0:69"), "nothing listens on the stopped server's port 69");
    await callManager(lab);
    const phone = await lab.phone(0, "--mac", MAC2, "--until", "registered", "--timeout", "90", "--stay", "1");
    await stopGently(tshark);
    assert.equal(phone.status, 0, explain(phone));
    assert.equal(phone.report?.registered, true);
    assert.deepEqual(phone.report?.tftp_servers, [STOPPED_IP, TFTP_IP]);
    const tl = timeline(phone);
    const servers = tl.filter((e) => e.event === "server");
    assert.deepEqual(servers.map((e) => e.detail), [`${STOPPED_IP} (option 150)`, `${TFTP_IP} (option 150)`], explain(phone));
    const first = tl.find((e) => e.stage === "tftp" && e.event === "request");
    assert.ok(first?.detail.startsWith(`RRQ to ${STOPPED_IP}`), explain(phone));
    const unreachable = tl.filter((e) => e.event === "unreachable");
    assert.equal(unreachable.length, 1, explain(phone));
    assert.equal(unreachable[0].detail, `ICMP port unreachable from ${STOPPED_IP}: the transfer ends`);
    const moved = servers[1].t_ms - first!.t_ms;
    t.diagnostic(`RRQ to ${STOPPED_IP} at ${first!.t_ms} ms, ICMP ${(unreachable[0].t_ms - first!.t_ms).toFixed(3)} ms later, next server ${moved.toFixed(3)} ms after the RRQ`);
    assert.ok(moved < 1000, `next server ${moved} ms after the first RRQ`);
    assert.ok(!tl.some((e) => e.stage === "tftp" && (e.event === "timeout" || e.event === "retransmit")), "no waiting on the stopped server");
    const requests = tl.filter((e) => e.stage === "tftp" && e.event === "request");
    assert.equal(requests.filter((e) => e.detail.startsWith(`RRQ to ${STOPPED_IP}`)).length, 1, "one RRQ to the stopped server");
    assert.equal((phone.report?.counters as { all: Record<string, number> }).all.icmp_errors, 1);
    // On the wire, as tshark saw it on the server's interface: the kernel's type 3 code 3 from the stopped
    // server's address, quoting the phone's RRQ to port 69.
    // (dnsmasq's own ICMP echo, its check that an address is free before offering it, is left out.)
    const icmp = run("tshark", ["-r", pcap, "-Y", "icmp.type != 8", "-T", "fields", "-E", "separator=|", "-E", "occurrence=f", "-e", "ip.src", "-e", "icmp.type", "-e", "icmp.code", "-e", "udp.dstport"]);
    assert.equal(icmp.status, 0, icmp.stderr);
    assert.deepEqual(icmp.stdout.trim().split("\n"), [`${STOPPED_IP}|3|3|69`], icmp.stdout);
  });
});
