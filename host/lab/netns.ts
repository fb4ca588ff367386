// The lab's network: two namespaces joined by a veth underlay (MTU 1600, room
// for VXLAN's 50 bytes), a bridge in the switch namespace with the VXLAN
// ends, the servers' addresses on it with transmit checksum offload off,
// and optional reference clients. Everything is made with `ip` and
// `ethtool`, bounded in time; the namespaces hold every link, so deleting
// them removes the lot.
import { spawnSync } from "node:child_process";
import {
  CLIENT_IP, FIRST_PORT, FIRST_VNI, LAB_PREFIX, TUNNEL_CLIENT_IP, TUNNEL_CLIENT_PORT, TUNNEL_CLIENT_VNI,
  UNDERLAY_HARNESS, UNDERLAY_MTU, UNDERLAY_SWITCH, type LabNames,
} from "./plan.js";

/** Runs a command (20 s at most); its stdout, or an Error saying what failed. */
export function sh(args: string[], what: string): string {
  const r = spawnSync(args[0], args.slice(1), { encoding: "utf8", timeout: 20_000 });
  if (r.status !== 0) throw new Error(`${what}: ${args.join(" ")} failed: ${r.stderr || r.error?.message}`);
  return r.stdout;
}

/** Runs `args` inside namespace `ns`. */
export function inNs(ns: string, ...args: string[]): string {
  return sh(["ip", "netns", "exec", ns, ...args], `namespace ${ns}`);
}

/** Is `tool` on PATH? */
export function haveTool(tool: string): boolean {
  return spawnSync("sh", ["-c", `command -v "$1"`, "sh", tool]).status === 0;
}

/** Can this process create network namespaces? */
export function canCreateNamespaces(): boolean {
  const probe = `${LAB_PREFIX}-probe-${process.pid}`;
  const ok = spawnSync("ip", ["netns", "add", probe]).status === 0;
  spawnSync("ip", ["netns", "del", probe]);
  return ok;
}

/** The names of the veth pair's ends and the VXLAN ends, for the state file. */
export function underlayLinks(veth: string, phones: number): string[] {
  return [`${veth}h`, `${veth}s`, "br0", ...Array.from({ length: phones }, (_, i) => `vx${i}`)];
}

/** The two namespaces and the veth underlay, 198.51.100.1 (harness) to 198.51.100.2 (switch). */
export function addUnderlay(n: LabNames, veth: string): void {
  sh(["ip", "netns", "add", n.sw], "namespace");
  sh(["ip", "netns", "add", n.harness], "namespace");
  sh(["ip", "link", "add", `${veth}h`, "netns", n.harness, "type", "veth", "peer", "name", `${veth}s`, "netns", n.sw], "veth");
  for (const [ns, dev, ip] of [[n.harness, `${veth}h`, UNDERLAY_HARNESS], [n.sw, `${veth}s`, UNDERLAY_SWITCH]]) {
    inNs(ns, "ip", "link", "set", "lo", "up");
    // Room for VXLAN's 50 bytes: the phone's side keeps a 1500-byte MTU, as on a real access port.
    inNs(ns, "ip", "link", "set", dev, "mtu", String(UNDERLAY_MTU));
    inNs(ns, "ip", "addr", "add", `${ip}/24`, "dev", dev);
    inNs(ns, "ip", "link", "set", dev, "up");
  }
}

/** br0 in the switch namespace, with `count` VXLAN ends (VNI 42, 43, ... on ports 4789, 4790, ...). */
export function addBridge(n: LabNames, veth: string, count: number): void {
  inNs(n.sw, "ip", "link", "add", "br0", "type", "bridge");
  inNs(n.sw, "ip", "link", "set", "br0", "up");
  for (let i = 0; i < count; i++) {
    const vx = `vx${i}`;
    inNs(n.sw, "ip", "link", "add", vx, "type", "vxlan", "id", String(FIRST_VNI + i), "local", UNDERLAY_SWITCH,
      "remote", UNDERLAY_HARNESS, "dstport", String(FIRST_PORT + i), "dev", `${veth}s`);
    inNs(n.sw, "ip", "link", "set", vx, "mtu", "1500");
    inNs(n.sw, "ip", "link", "set", vx, "master", "br0");
    inNs(n.sw, "ip", "link", "set", vx, "up");
  }
}

/** The servers' addresses on `dev`, and its checksum offload off. */
export function addServerAddresses(n: LabNames, dev: string, ips: string[]): void {
  for (const ip of ips) inNs(n.sw, "ip", "addr", "add", `${ip}/24`, "dev", dev);
}

/**
 * The servers' UDP checksums would otherwise be left for a NIC to fill in
 * ("offload"), and reach the phone unfinished through the VXLAN tunnel.
 */
export function checksumOffloadOff(n: LabNames, devs: string[]): void {
  for (const dev of new Set(devs)) inNs(n.sw, "ethtool", "-K", dev, "tx", "off");
}

/** A kernel VXLAN in the harness namespace into br0, beside the phone's own (another VNI and port). */
export function addTunnelClient(n: LabNames, underlay: string): void {
  const id = String(TUNNEL_CLIENT_VNI);
  const port = String(TUNNEL_CLIENT_PORT);
  inNs(n.sw, "ip", "link", "add", "vxc", "type", "vxlan", "id", id, "local", UNDERLAY_SWITCH, "remote", UNDERLAY_HARNESS, "dstport", port, "dev", underlay);
  inNs(n.sw, "ip", "link", "set", "vxc", "mtu", "1500");
  inNs(n.sw, "ip", "link", "set", "vxc", "master", "br0");
  inNs(n.sw, "ip", "link", "set", "vxc", "up");
  inNs(n.harness, "ip", "link", "add", "vxc", "type", "vxlan", "id", id, "local", UNDERLAY_HARNESS, "remote", UNDERLAY_SWITCH, "dstport", port);
  inNs(n.harness, "ip", "link", "set", "vxc", "mtu", "1500");
  inNs(n.harness, "ip", "addr", "add", `${TUNNEL_CLIENT_IP}/24`, "dev", "vxc");
  inNs(n.harness, "ip", "link", "set", "vxc", "up");
}

/** A host on br0 beside the VXLAN end: what a wired PC on the phone's LAN would see of the servers. */
export function addClient(n: LabNames, veth: string): void {
  sh(["ip", "netns", "add", n.client], "namespace");
  sh(["ip", "link", "add", `${veth}x`, "netns", n.client, "type", "veth", "peer", "name", `${veth}b`, "netns", n.sw], "veth");
  inNs(n.sw, "ip", "link", "set", `${veth}b`, "master", "br0");
  inNs(n.sw, "ip", "link", "set", `${veth}b`, "up");
  inNs(n.client, "ip", "link", "set", "lo", "up");
  inNs(n.client, "ip", "addr", "add", `${CLIENT_IP}/24`, "dev", `${veth}x`);
  inNs(n.client, "ip", "link", "set", `${veth}x`, "up");
}

/** Every namespace whose name starts with `prefix` (default: any lab's). */
export function leftoverNamespaces(prefix = LAB_PREFIX): string[] {
  const out = spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout ?? "";
  return out.split("\n").map((l) => l.split(" ")[0]).filter((n) => n.startsWith(prefix));
}

export function namespaceExists(ns: string): boolean {
  return leftoverNamespaces(ns).includes(ns);
}

/** The PIDs of the processes in namespace `ns` (`ip netns pids`). */
export function namespacePids(ns: string): number[] {
  const out = spawnSync("ip", ["netns", "pids", ns], { encoding: "utf8" }).stdout ?? "";
  return out.split("\n").filter(Boolean).map(Number).filter((p) => Number.isInteger(p) && p > 0);
}

/** Deletes namespaces (and with them their links); a namespace already gone is no error. */
export function deleteNamespaces(names: string[]): void {
  for (const ns of names) spawnSync("ip", ["netns", "del", ns], { stdio: "ignore" });
}
