// Bench figure of the phone's TFTP download against real servers (issue
// 24): in a namespace lab, the phone (over `--link vxlan`) fetches a 4 MiB
// image from tftpd-hpa (lockstep, blksize 1428) and from atftpd (RFC 7440
// windowsize), and curl fetches the same file from the same server with
// the same block size through a kernel VXLAN on the phone's underlay and
// from a plain host on the servers' LAN. Medians of RUNS, and the ratio
// phone/curl (target <= 1.2x). The phone's figure is its own: the
// firmware's "done" event times the transfer from RRQ to the last block.
// The kernel's drops on the phone's socket come from the link's report.
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { CLI } from "../helpers/tools.js";
import { ATFTPD, CLIENT_IP, SERVER_IP, TUNNEL_CLIENT_IP, explain, labUnavailable, sleep, withLab, type Lab } from "../peers/lab.js";
import { cnfXml } from "../../host/sim/cnf.js";
import { buildImage, devKey, signImage } from "../../host/image.js";
import { paddedPhoneWasm } from "../helpers/padded-wasm.js";

const RUNS = 5;
const TARGET = 1.2;
const IMAGE_BYTES = 4 << 20;
const BLKSIZE = 1428;
const MAC = "00:1b:54:c2:a7:61";
const DEVICE = "SEP001B54C2A761";
const LOAD = "P0030801SR09";

interface Server {
  name: string;
  /** The server's command line, serving `root`. */
  argv: (root: string, pidFile: string) => string[];
  tool: string;
}

const SERVERS: Server[] = [
  { name: "tftpd-hpa", tool: "in.tftpd", argv: (root) => ["in.tftpd", "--foreground", "--address", `${SERVER_IP}:69`, "--secure", root] },
  {
    name: "atftpd", tool: ATFTPD,
    argv: (root, pid) => [ATFTPD, "--daemon", "--no-fork", "--user", "root.root", "--bind-address", SERVER_IP, "--port", "69",
      "--logfile", "/dev/null", "--pidfile", pid, root],
  },
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** One curl download of `file` from namespace `ns` (the LAN client's or the tunnelled one's); seconds. */
function curlOnce(ns: string, from: string, file: string): number {
  const t0 = performance.now();
  const r = spawnSync("ip", ["netns", "exec", ns, "curl", "-sS", "--max-time", "30", "--interface", from, "--tftp-blksize", String(BLKSIZE),
    "-o", "/dev/null", `tftp://${SERVER_IP}/${file}`], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`curl from ${from} failed: ${r.stderr}`);
  return (performance.now() - t0) / 1000;
}

/** One phone boot that downloads the image: the firmware's own transfer time in seconds, and the kernel's drops on the link. */
async function phoneOnce(lab: Lab, bytes: number): Promise<{ seconds: number; drops: number }> {
  const run = await lab.phone(0, "--mac", MAC, "--until", "registered", "--timeout", "60", "--stay", "0");
  const timeline = (run.report?.timeline ?? []) as { event: string; detail: string }[];
  const done = timeline.find((e) => e.event === "done" && e.detail.startsWith(`${bytes} bytes in `));
  if (!done) throw new Error(`the phone did not download the image:\n${explain(run)}`);
  const drops = (run.report?.link as { kernel_drops?: number | null } | undefined)?.kernel_drops;
  if (typeof drops !== "number") throw new Error("the link's report lacks kernel_drops (/proc/net/udp unreadable?)");
  return { seconds: Number(/in ([\d.]+)s/.exec(done.detail)?.[1]), drops };
}

async function benchServer(server: Server): Promise<string> {
  return withLab({ client: true }, async (lab) => {
    const root = lab.file("tftp");
    mkdirSync(root);
    writeFileSync(join(root, `${DEVICE}.cnf.xml`), cnfXml({ callManagers: [{ host: SERVER_IP, priority: 0 }], load: LOAD }));
    const image = signImage(buildImage(paddedPhoneWasm(IMAGE_BYTES - (128 << 10)), { loadName: LOAD, securityCounter: 1 }), devKey());
    writeFileSync(join(root, `${LOAD}.bin`), image);
    await lab.start(server.name, server.argv(root, lab.file("tftpd.pid")), () => lab.inSwitch("ss", "-uln").includes(`${SERVER_IP}:69`));
    await lab.start("dnsmasq", ["dnsmasq", "--keep-in-foreground", "--log-facility=/dev/null", "--user=root", "--no-resolv", "--no-hosts", "--port=0",
      `--interface=${lab.serverIf}`, "--bind-interfaces", "--dhcp-range=192.0.2.50,192.0.2.99,255.255.255.0,2m",
      `--dhcp-option=150,${SERVER_IP}`, `--dhcp-leasefile=${lab.file("leases")}`, `--pid-file=${lab.file("dnsmasq.pid")}`], () => lab.read("dnsmasq.pid") !== "");
    await lab.start("callmanager", [process.execPath, CLI, "callmanager", "--listen", `${SERVER_IP}:2000`], (log) => /listen/i.test(log));
    await sleep(100);
    const phone: number[] = [];
    const lan: number[] = [];
    const tunnel: number[] = [];
    let drops = 0;
    for (let i = 0; i < RUNS; i++) {
      lan.push(curlOnce(lab.client, CLIENT_IP, `${LOAD}.bin`));
      tunnel.push(curlOnce(lab.harness, TUNNEL_CLIENT_IP, `${LOAD}.bin`));
      const run = await phoneOnce(lab, image.length);
      phone.push(run.seconds);
      drops += run.drops;
    }
    const ratio = median(phone) / median(tunnel);
    const s = (xs: number[]) => `${median(xs).toFixed(3)} s`;
    return `TFTP ${(image.length / 1048576).toFixed(1)} MiB from ${server.name}, median of ${RUNS}: phone over --link vxlan ${s(phone)}, ` +
      `curl --tftp-blksize ${BLKSIZE} through a kernel VXLAN on the same underlay ${s(tunnel)}, on the servers' LAN ${s(lan)}; ` +
      `phone/curl on the same path ${ratio.toFixed(2)}x (target <= ${TARGET}x): ${ratio <= TARGET ? "PASS" : "MISS"}, ` +
      `phone/curl on the LAN ${(median(phone) / median(lan)).toFixed(2)}x; kernel receive-buffer drops ${drops}: ${drops === 0 ? "PASS" : "MISS"}`;
  });
}

export async function tftpRealBench(): Promise<string[]> {
  const lines: string[] = [];
  for (const server of SERVERS) {
    const why = labUnavailable("dnsmasq", "curl", server.tool);
    lines.push(why ? `TFTP from ${server.name} over the real link: skipped (${why})` : await benchServer(server));
  }
  return lines;
}
