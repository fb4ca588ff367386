// The phone registers through the Linux kernel's TCP with `ipphone
// callmanager` in a lab namespace, after dnsmasq's DHCP and TFTP; tshark's
// skinny dissector reads the conversation from the phone's own capture.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CLI, run } from "./helpers/tools.js";
import { explain, labUnavailable, SERVER_IP, withLab } from "./peers/lab.js";
import { cnfXml } from "../host/sim/cnf.js";
import { DEFAULT_LOAD } from "../host/sim/network.js";

const MAC = "00:1b:54:c2:a7:41";
const DEVICE = "SEP001B54C2A741";

test("dnsmasq (DHCP, TFTP) and ipphone callmanager on real TCP: registered; tshark sees StationRegister and RegisterAck", { skip: labUnavailable("dnsmasq", "tshark"), timeout: 180_000 }, async () => {
  await withLab({}, async (lab) => {
    const root = lab.file("tftp");
    mkdirSync(root);
    writeFileSync(join(root, `${DEVICE}.cnf.xml`), cnfXml({ callManagers: [{ host: SERVER_IP, port: 2000, priority: 0 }], load: DEFAULT_LOAD }));
    await lab.start("dnsmasq", ["dnsmasq", "--keep-in-foreground", "--log-facility=-", "--user=root", "--no-resolv", "--no-hosts", "--port=0",
      `--interface=${lab.serverIf}`, "--bind-interfaces", "--dhcp-range=192.0.2.50,192.0.2.99,255.255.255.0,2m", `--dhcp-option=150,${SERVER_IP}`,
      "--enable-tftp", `--tftp-root=${root}`, `--dhcp-leasefile=${lab.file("leases")}`, `--pid-file=${lab.file("dnsmasq.pid")}`], () => lab.read("dnsmasq.pid") !== "");
    await lab.start("callmanager", [process.execPath, CLI, "callmanager", "--listen", `${SERVER_IP}:2000`, "--name", "CM1"], (log) => /listen/i.test(log));
    const pcap = lab.file("phone.pcap");
    const phone = await lab.phone(0, "--mac", MAC, "--until", "registered", "--pcap", pcap, "--stay", "1");
    assert.equal(phone.status, 0, explain(phone));
    assert.equal(phone.report?.registered, true);
    const skinny = run("tshark", ["-r", pcap, "-Y", "skinny", "-T", "fields", "-E", "separator=|", "-e", "skinny.messageId", "-e", "skinny.DeviceName"]);
    assert.equal(skinny.status, 0, skinny.stderr);
    const rows = skinny.stdout.trim().split("\n");
    // Message ids: 0x0001 StationRegister, 0x0081 RegisterAck, then the set-up: 0x0010 CapabilitiesRes, 0x000d TimeDateReq, 0x0094 DefineTimeDate.
    assert.ok(rows.includes(`1|${DEVICE}`), `StationRegister from ${DEVICE}:\n${skinny.stdout}`);
    const ids = rows.flatMap((r) => r.split("|")[0].split(",").map(Number));
    for (const id of [0x81, 0x10, 0x0d, 0x94]) assert.ok(ids.includes(id), `message ${id}:\n${skinny.stdout}`);
    // The phone's window updates (after the set-up's larger answers) are TCP doing its job, not a warning.
    const bad = run("tshark", ["-r", pcap, "-o", "tcp.check_checksum:TRUE", "-Y", "_ws.malformed || (tcp.analysis.flags && !tcp.analysis.window_update) || tcp.checksum.status == 0"]);
    assert.equal(bad.stdout.trim(), "", "no malformed packet, no TCP analysis warning, no bad checksum");
  });
});
