// Stage 5 with real servers: dnsmasq's DHCP gives only option 66, a host
// name its DNS resolves; tftpd-hpa serves the SEP file and a 3 MiB image of
// a newer load, which the phone writes into its other slot, boots on trial
// (asking dnsmasq for its address again by INIT-REBOOT) and confirms once
// registered with ipphone callmanager. atftpd serves the same in windows.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CLI, run as runTool } from "./helpers/tools.js";
import { ATFTPD, explain, labUnavailable, SERVER_IP, sleep, stopGently, withLab } from "./peers/lab.js";
import { cnfXml } from "../host/sim/cnf.js";
import { buildImage, devKey, signImage } from "../host/image.js";
import { paddedPhoneWasm } from "./helpers/padded-wasm.js";

const MAC = "00:1b:54:c2:a7:51";
const DEVICE = "SEP001B54C2A751";
const NEW_LOAD = "P0030801SR02";

/**
 * The upgrade's reset restarts the phone within its lease: as tshark reads
 * the capture, its DHCP after the first ACK is one REQUEST with the kept
 * address in option 50 and no server id (RFC 2131 4.3.2's INIT-REBOOT), no
 * DISCOVER, and dnsmasq ACKs that address.
 */
function assertInitReboot(pcap: string): void {
  const r = runTool("tshark", ["-r", pcap, "-Y", "dhcp", "-T", "fields", "-E", "separator=|", "-e", "dhcp.option.dhcp", "-e", "dhcp.option.requested_ip_address",
    "-e", "dhcp.option.dhcp_server_id", "-e", "dhcp.ip.your"]);
  assert.equal(r.status, 0, r.stderr);
  const msgs = r.stdout.trim().split("\n").map((l) => l.split("|"));
  const firstAck = msgs.findIndex((m) => m[0] === "5");
  assert.ok(firstAck > 0, r.stdout);
  const leased = msgs[firstAck][3];
  const after = msgs.slice(firstAck + 1);
  assert.ok(!after.some((m) => m[0] === "1"), `no DISCOVER after the restart:\n${r.stdout}`);
  const reboot = after.find((m) => m[0] === "3");
  assert.ok(reboot, `a REQUEST after the restart:\n${r.stdout}`);
  assert.deepEqual([reboot[1], reboot[2]], [leased, ""], "option 50 the kept address, no server id");
  assert.ok(after.some((m) => m[0] === "5" && m[3] === leased), `dnsmasq ACKs ${leased}:\n${r.stdout}`);
}

test("dnsmasq resolves option 66, tftpd-hpa serves the config and a 3 MiB image: upgraded, INIT-REBOOT after the reset, registered, confirmed", { skip: labUnavailable("dnsmasq", "in.tftpd", "tshark"), timeout: 180_000 }, async () => {
  await withLab({}, async (lab) => {
    const root = lab.file("tftp");
    mkdirSync(root);
    writeFileSync(join(root, `${DEVICE}.cnf.xml`), cnfXml({ callManagers: [{ host: SERVER_IP, priority: 0 }], load: NEW_LOAD }));
    const image = signImage(buildImage(paddedPhoneWasm(3 << 20), { loadName: NEW_LOAD, securityCounter: 1 }), devKey());
    writeFileSync(join(root, `${NEW_LOAD}.bin`), image);
    await lab.start("dnsmasq", ["dnsmasq", "--keep-in-foreground", "--log-facility=-", "--user=root", "--no-resolv", "--no-hosts",
      `--interface=${lab.serverIf}`, "--bind-interfaces", "--dhcp-range=192.0.2.50,192.0.2.99,255.255.255.0,2m",
      `--dhcp-option=6,${SERVER_IP}`, "--dhcp-option=66,tftp.voice.example", `--address=/tftp.voice.example/${SERVER_IP}`,
      `--dhcp-leasefile=${lab.file("leases")}`, `--pid-file=${lab.file("dnsmasq.pid")}`], () => lab.read("dnsmasq.pid") !== "");
    await lab.start("tftpd-hpa", ["in.tftpd", "--foreground", "--address", `${SERVER_IP}:69`, "--secure", "--verbose", root],
      () => lab.inSwitch("ss", "-uln").includes(`${SERVER_IP}:69`));
    await lab.start("callmanager", [process.execPath, CLI, "callmanager", "--listen", `${SERVER_IP}:2000`], (log) => /listen/i.test(log));
    const pcap = lab.file("dhcp.pcap");
    const tshark = await lab.capture(pcap, "udp port 67 or udp port 68");
    await sleep(100);
    const run = await lab.phone(0, "--mac", MAC, "--until", "registered", "--timeout", "90", "--stay", "1");
    await stopGently(tshark);
    assert.equal(run.status, 0, explain(run));
    assertInitReboot(pcap);
    const timeline = (run.report?.timeline ?? []) as { stage: string; event: string; detail: string }[];
    const details = (event: string) => timeline.filter((e) => e.event === event).map((e) => e.detail);
    assert.ok(details("dns answer").some((d) => d.startsWith(SERVER_IP)), "option 66 resolved by dnsmasq");
    assert.ok(details("server").includes(`${SERVER_IP} (option 66)`));
    assert.ok(details("done").some((d) => d.startsWith(`${image.length} bytes`)), `the whole image:\n${explain(run)}`);
    assert.deepEqual(details("run").slice(-1), [`${NEW_LOAD} from slot B (trial)`]);
    assert.ok(details("confirmed").length === 1, "confirmed once registered");
    assert.equal(run.report?.registered, true);
  });
});

test("atftpd grants windowsize 256: a 3.9 MiB image arrives 256 blocks a window, none lost on the link", { skip: labUnavailable("dnsmasq", ATFTPD), timeout: 180_000 }, async () => {
  await withLab({}, async (lab) => {
    const root = lab.file("tftp");
    mkdirSync(root);
    writeFileSync(join(root, `${DEVICE}.cnf.xml`), cnfXml({ callManagers: [{ host: SERVER_IP, priority: 0 }], load: NEW_LOAD }));
    const image = signImage(buildImage(paddedPhoneWasm((4 << 20) - (128 << 10)), { loadName: NEW_LOAD, securityCounter: 1 }), devKey());
    writeFileSync(join(root, `${NEW_LOAD}.bin`), image);
    await lab.start("dnsmasq", ["dnsmasq", "--keep-in-foreground", "--log-facility=-", "--user=root", "--no-resolv", "--no-hosts", "--port=0",
      `--interface=${lab.serverIf}`, "--bind-interfaces", "--dhcp-range=192.0.2.50,192.0.2.99,255.255.255.0,2m", `--dhcp-option=150,${SERVER_IP}`,
      `--dhcp-leasefile=${lab.file("leases")}`, `--pid-file=${lab.file("dnsmasq.pid")}`], () => lab.read("dnsmasq.pid") !== "");
    await lab.start("atftpd", [ATFTPD, "--daemon", "--no-fork", "--user", "root.root", "--bind-address", SERVER_IP, "--port", "69",
      "--logfile", "/dev/null", "--pidfile", lab.file("atftpd.pid"), root], () => lab.inSwitch("ss", "-uln").includes(`${SERVER_IP}:69`));
    await lab.start("callmanager", [process.execPath, CLI, "callmanager", "--listen", `${SERVER_IP}:2000`], (log) => /listen/i.test(log));
    await sleep(100);
    const run = await lab.phone(0, "--mac", MAC, "--until", "registered", "--timeout", "90", "--stay", "0");
    assert.equal(run.status, 0, explain(run));
    const timeline = (run.report?.timeline ?? []) as { stage: string; event: string; detail: string }[];
    const details = (event: string) => timeline.filter((e) => e.event === event).map((e) => e.detail);
    assert.ok(details("options").some((d) => /windowsize 256/.test(d)), `atftpd's OACK grants the window: ${details("options").join("; ")}`);
    assert.ok(details("done").some((d) => d.startsWith(`${image.length} bytes`)), `the whole image:\n${explain(run)}`);
    const again = timeline.filter((e) => e.stage === "tftp" && (e.event === "retransmit" || e.event === "timeout"));
    assert.deepEqual(again, [], "no block lost, none asked again");
    const link = run.report?.link as { frames_in: number; kernel_drops: number | null; largest_batch: number; recv_buffer_bytes: number };
    assert.equal(link.kernel_drops, 0, `the socket's buffer (${link.recv_buffer_bytes} bytes) held every window`);
    assert.ok(link.largest_batch > 1, "frames of one socket read reach the phone together");
    assert.deepEqual(details("run").slice(-1), [`${NEW_LOAD} from slot B (trial)`]);
  });
});
