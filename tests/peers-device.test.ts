// The native phone (wasm2c + gcc, host/device) on a real network: the binary
// speaks VXLAN itself (no Node in the path of its frames), in real time, from
// the lab's harness namespace, and leases an address from dnsmasq. Skipped,
// with the reason, where namespaces, dnsmasq or the native build are missing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { labUnavailable, SERVER_IP, UNDERLAY_SWITCH, withLab, type Lab } from "./peers/lab.js";
import { factoryFlash, NATIVE_DEVICE, nativeUnavailable, writeFlashFile } from "../host/device/native-phone.js";
import { describeEvent, Ev } from "../host/events.js";
import { ipToString } from "../host/wire/address.js";

const MAC = "00:1b:54:c2:a7:31";
const TIMEOUT_S = 45;

interface DeviceLine {
  t_ms: number;
  kind: string;
  code?: number;
  a?: number;
  b?: number;
  text?: string;
}

function dnsmasqArgs(lab: Lab): string[] {
  return ["dnsmasq", "--keep-in-foreground", "--log-facility=-", "--log-dhcp", "--user=root", "--no-resolv", "--no-hosts",
    "--port=0", `--interface=${lab.serverIf}`, "--bind-interfaces", "--dhcp-authoritative",
    "--dhcp-range=192.0.2.50,192.0.2.99,255.255.255.0,2m", "--dhcp-option=3,192.0.2.1", "--dhcp-option=150,192.0.2.10",
    `--dhcp-leasefile=${lab.file("dnsmasq.leases")}`, `--pid-file=${lab.file("dnsmasq.pid")}`];
}

/** Runs the native binary in the harness namespace until it is bound (or gives up); bounded, stopped by PID. */
function runDevice(lab: Lab, flashFile: string): Promise<{ status: number | null; lines: DeviceLine[]; stdout: string; stderr: string }> {
  const args = ["netns", "exec", lab.harness, NATIVE_DEVICE, "--vxlan", "--remote", UNDERLAY_SWITCH, "--vni", "42", "--port", "4789",
    "--flash", flashFile, "--seed", "1", "--timeout", String(TIMEOUT_S), "--until-event", String(Ev.DhcpBound), "--stay", "2"];
  return new Promise((resolve) => {
    const p = spawn("ip", args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d) => (stdout += d));
    p.stderr.on("data", (d) => (stderr += d));
    const killer = setTimeout(() => p.kill("SIGKILL"), (TIMEOUT_S + 15) * 1000);
    p.on("close", (status) => {
      clearTimeout(killer);
      const lines = stdout.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as DeviceLine);
      resolve({ status, lines, stdout, stderr });
    });
  });
}

const skip = labUnavailable("dnsmasq") || nativeUnavailable();

test("the native phone leases an address from dnsmasq over VXLAN, on its own (no Node in the path)", { skip, timeout: 120_000 }, async () => {
  await withLab({ phones: 1 }, async (lab) => {
    await lab.start("dnsmasq", dnsmasqArgs(lab), () => lab.read("dnsmasq.pid") !== "");
    const flashFile = lab.file("native-flash.bin");
    writeFlashFile(factoryFlash(MAC), flashFile);
    const run = await runDevice(lab, flashFile);
    const timeline = run.lines.filter((l) => l.kind === "event")
      .map((l) => describeEvent(l.t_ms, l.code!, l.a!, l.b!, () => l.text ?? ""));
    const why = `status ${run.status}\n${run.stderr}\n${timeline.map((e) => `${e.t_ms} ${e.stage} ${e.event} ${e.detail}`).join("\n")}`;
    assert.equal(run.status, 0, why);
    assert.ok(run.lines.some((l) => l.kind === "run"), "boot.wasm chose slot A and its translation runs");
    const bound = run.lines.find((l) => l.kind === "event" && l.code === Ev.DhcpBound);
    assert.ok(bound, why);
    const ip = ipToString(bound.a! >>> 0);
    assert.match(ip, /^192\.0\.2\.(5\d|[6-9]\d)$/);
    assert.ok(timeline.some((e) => e.event === "DISCOVER") && timeline.some((e) => e.event === "ACK"), why);
    const router = run.lines.find((l) => l.kind === "event" && l.code === Ev.DhcpRouter);
    assert.equal(ipToString(router!.a! >>> 0), SERVER_IP);
    // dnsmasq's own record of the lease: this MAC, this address, the phone's name.
    assert.match(lab.read("dnsmasq.leases"), new RegExp(`${MAC} ${ip.replace(/\./g, "\\.")} SEP001B54C2A731`, "i"));
  });
});
