// `ipphone lab up|status|down` (issue 21): the lab a user builds with one
// command serves a phone booted with the very command `up` prints (dnsmasq,
// tftpd-hpa, two ipphone callmanager instances); `status` tells what runs;
// `down` leaves no namespace, no process, no file, also after a crash (the
// state file gone, or servers killed). Root only. Each lab gets its own
// name and state directory, and is taken down also when a test fails.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CLI, have } from "./helpers/tools.js";
import { labUnavailable, leftoverNamespaces } from "./peers/lab.js";

const runDir = mkdtempSync(join(tmpdir(), "ipphone-labrun-"));
test.after(() => rmSync(runDir, { recursive: true, force: true }));
let serial = 0;

interface Out {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** `ipphone lab ...` with the test's state directory; bounded. */
function lab(...args: string[]): Out {
  const r = spawnSync(process.execPath, [CLI, "lab", ...args], { encoding: "utf8", timeout: 60_000, env: { ...process.env, IPPHONE_LAB_RUN_DIR: runDir } });
  return { status: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

interface State {
  namespaces: string[];
  dir: string;
  processes: { name: string; pid: number }[];
}

function state(name: string): State {
  return JSON.parse(readFileSync(join(runDir, `${name}.json`), "utf8")) as State;
}

/** Is `pid` a running process? A zombie is dead, only not yet reaped by init (which adopted the lab's servers). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

/** What is left of lab `name`: namespaces, live PIDs of `pids`, its directories, its state file. */
function leftovers(name: string, pids: number[]): string[] {
  return [
    ...leftoverNamespaces(`ipplab-${name}-`).map((n) => `namespace ${n}`),
    ...pids.filter(running).map((p) => `pid ${p}`),
    ...spawnSync("ls", [tmpdir()], { encoding: "utf8" }).stdout.split("\n").filter((d) => d.startsWith(`ipphone-lab-${name}-`)),
    ...(existsSync(join(runDir, `${name}.json`)) ? ["state file"] : []),
  ];
}

/** A lab of its own for `body`, taken down afterwards whatever happens. */
async function withCommandLab(upArgs: string[], body: (name: string, up: Out) => Promise<void>): Promise<void> {
  const name = `t${process.pid % 100000}x${serial++}`;
  try {
    const up = lab("up", "--name", name, ...upArgs);
    assert.equal(up.status, 0, `lab up: ${up.stderr}${up.stdout}`);
    await body(name, up);
  } finally {
    lab("down", "--name", name);
  }
}

const unavailable = labUnavailable("dnsmasq", "in.tftpd");

test("lab up: the boot command it prints registers a phone with its dnsmasq, tftpd-hpa and callmanager; status reports it; down leaves nothing", { skip: unavailable, timeout: 150_000 }, async () => {
  await withCommandLab(["--servers", "dnsmasq", "--tftp", "tftpd-hpa", "--callmanagers", "2"], async (name, up) => {
    const boot = /^ {2}(ip netns exec \S+ ipphone boot --link vxlan .*)$/m.exec(up.stdout)?.[1];
    assert.ok(boot, `up prints the boot command:\n${up.stdout}`);
    assert.match(up.stdout, /^ {2}ip netns exec \S+ ipphone storm --link vxlan --remote 198\.51\.100\.2 --vni 42 --phones \d+$/m);
    const s = state(name);
    assert.deepEqual(s.processes.map((p) => p.name), ["dnsmasq", "tftpd-hpa", "callmanager CM1", "callmanager CM2"]);
    assert.deepEqual(s.namespaces, [`ipplab-${name}-sw`, `ipplab-${name}-h`]);
    const again = lab("up", "--name", name);
    assert.equal(again.status, 1, "a second up of the same lab is refused");
    assert.match(again.stderr, /already up/);

    const [ip, netns, exec, ns, , ...bootArgs] = boot.split(" ");
    const phone = spawnSync(ip, [netns, exec, ns, process.execPath, CLI, ...bootArgs, "--until", "registered", "--timeout", "60", "--json"], { encoding: "utf8", timeout: 90_000 });
    assert.equal(phone.status, 0, `${phone.stderr}${phone.stdout.slice(0, 3000)}`);
    const report = JSON.parse(phone.stdout) as { registered: boolean; ip: string; tftp_servers: string[]; timeline: { event: string; detail: string }[] };
    assert.equal(report.registered, true);
    assert.match(report.ip, /^192\.0\.2\.(5[4-9]|[6-9]\d|1\d\d|2[0-4]\d|25[0-4])$/, "an address of the lab's pool");
    assert.deepEqual(report.tftp_servers, ["192.0.2.10"]);
    assert.ok(report.timeline.some((e) => e.event === "registered" && /CM1/.test(e.detail)), "registered with the lab's first CallManager");
    assert.match(readFileSync(join(s.dir, "dnsmasq.leases"), "utf8"), new RegExp(`00:1b:54:c2:a7:10 ${report.ip.replace(/\./g, "\\.")} `), "dnsmasq's lease file has the phone");

    const status = lab("status", "--name", name, "--json");
    assert.equal(status.status, 0, status.stdout + status.stderr);
    const st = JSON.parse(status.stdout) as { up: boolean; processes: { name: string; pid: number; alive: boolean }[]; namespaces: { present: boolean }[] };
    assert.equal(st.up, true);
    assert.deepEqual(st.processes.map((p) => [p.pid, p.alive]), s.processes.map((p) => [p.pid, true]));
    assert.ok(st.namespaces.every((n) => n.present));
    assert.match(lab("status", "--name", name).stdout, new RegExp(`^lab ${name}: up `));

    const down = lab("down", "--name", name);
    assert.equal(down.status, 0, down.stdout + down.stderr);
    assert.deepEqual(leftovers(name, s.processes.map((p) => p.pid)), []);
    assert.ok(!existsSync(s.dir));
    const after = lab("status", "--name", name);
    assert.equal(after.status, 1);
    assert.match(after.stdout, /not up/);
  });
});

test("lab up --servers isc --tftp dnsmasq --load: another phone reads XMLDefault.cnf.xml, upgrades to the load from dnsmasq's TFTP, leases from isc-dhcp-server", { skip: labUnavailable("dnsmasq", "dhcpd"), timeout: 150_000 }, async () => {
  const load = "P0030801SR07";
  await withCommandLab(["--servers", "isc", "--tftp", "dnsmasq", "--load", load], async (name, up) => {
    assert.match(up.stdout, new RegExp(`TFTP root \\S+: ${load}\\.bin SEP001B54C2A710\\.cnf\\.xml XMLDefault\\.cnf\\.xml$`, "m"));
    const s = state(name);
    assert.deepEqual(s.processes.map((p) => p.name), ["dnsmasq", "dhcpd", "callmanager CM1"]);
    const boot = /^ {2}(ip netns exec \S+ ipphone boot --link vxlan .*)$/m.exec(up.stdout)![1].replace(/--mac \S+/, "--mac 00:1b:54:c2:a7:44");
    const [ip, netns, exec, ns, , ...bootArgs] = boot.split(" ");
    const phone = spawnSync(ip, [netns, exec, ns, process.execPath, CLI, ...bootArgs, "--until", "registered", "--timeout", "90", "--json"], { encoding: "utf8", timeout: 120_000 });
    assert.equal(phone.status, 0, `${phone.stderr}${phone.stdout.slice(0, 3000)}`);
    const report = JSON.parse(phone.stdout) as { registered: boolean; ip: string; firmware: { load: string; upgrade: { outcome: string } }; timeline: { event: string; detail: string }[] };
    assert.equal(report.registered, true);
    assert.equal(report.firmware.load, load, "running the load XMLDefault names");
    assert.ok(report.timeline.some((e) => /XMLDefault\.cnf\.xml/.test(e.detail)), "its configuration from XMLDefault.cnf.xml");
    assert.match(readFileSync(join(s.dir, "dhcpd.leases"), "utf8"), new RegExp(`lease ${report.ip.replace(/\./g, "\\.")} \\{[^}]*hardware ethernet 00:1b:54:c2:a7:44;`));
  });
});

test("lab down after a crash that lost the state file: the servers found by the lab's names, stopped, namespaces and files removed", { skip: unavailable, timeout: 120_000 }, async () => {
  await withCommandLab(["--callmanagers", "1"], async (name) => {
    const s = state(name);
    const pids = s.processes.map((p) => p.pid);
    assert.ok(pids.every(running));
    rmSync(join(runDir, `${name}.json`));
    const status = lab("status", "--name", name);
    assert.equal(status.status, 1);
    assert.match(status.stdout, new RegExp(`leftovers without a state file: .*ipplab-${name}-`));
    const down = lab("down", "--name", name);
    assert.equal(down.status, 0, down.stdout + down.stderr);
    assert.match(down.stdout, /stopped .*dnsmasq/);
    assert.deepEqual(leftovers(name, pids), []);
  });
});

test("lab down after its servers were killed: status says which are dead, down removes the rest", { skip: unavailable, timeout: 120_000 }, async () => {
  await withCommandLab(["--tftp", "dnsmasq", "--callmanagers", "2"], async (name) => {
    const s = state(name);
    assert.deepEqual(s.processes.map((p) => p.name), ["dnsmasq", "callmanager CM1", "callmanager CM2"]);
    const [dnsmasq, cm1] = s.processes;
    for (const p of [dnsmasq, cm1]) process.kill(p.pid, "SIGKILL");
    const deadline = Date.now() + 5000;
    while ((running(dnsmasq.pid) || running(cm1.pid)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const status = lab("status", "--name", name);
    assert.equal(status.status, 1, status.stdout);
    assert.match(status.stdout, new RegExp(`DEGRADED: dnsmasq \\(pid ${dnsmasq.pid}\\) dead, callmanager CM1 \\(pid ${cm1.pid}\\) dead`));
    assert.match(status.stdout, /callmanager CM2 +pid \d+ +alive/);
    const down = lab("down", "--name", name);
    assert.equal(down.status, 0, down.stdout + down.stderr);
    assert.deepEqual(leftovers(name, s.processes.map((p) => p.pid)), []);
  });
});

test("lab refuses a user other than root, with the reason, and makes nothing", { skip: process.getuid?.() !== 0 ? "needs root to switch to another user" : !have("setpriv") ? "needs setpriv (util-linux)" : false, timeout: 60_000 }, () => {
  const name = `n${process.pid % 100000}`;
  for (const sub of ["up", "status", "down"]) {
    const r = spawnSync("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, CLI, "lab", sub, "--name", name],
      { encoding: "utf8", timeout: 30_000, env: { ...process.env, IPPHONE_LAB_RUN_DIR: runDir } });
    assert.equal(r.status, 3, `${sub}: ${r.stderr}`);
    assert.equal(r.stderr.trim(), `ipphone lab ${sub}: must run as root: it creates network namespaces and starts servers in them (try: sudo ipphone lab ...)`);
    assert.equal(r.stdout, "");
  }
  assert.deepEqual(leftovers(name, []), []);
});

test("lab: bad usage is one line and exit 2, before anything is made", () => {
  const cases: [string[], RegExp][] = [
    [[], /needs up, status or down/],
    [["sideways"], /unknown subcommand 'sideways'/],
    [["up", "--servers", "bind"], /--servers must be dnsmasq, isc or kea, got 'bind'/],
    [["up", "--tftp", "atftpd"], /--tftp must be tftpd-hpa or dnsmasq, got 'atftpd'/],
    [["up", "--callmanagers", "4"], /--callmanagers must be an integer 1\.\.3, got '4'/],
    [["up", "--phones", "202"], /--phones must be an integer 1\.\.201, got '202'/],
    [["up", "--name", "Lab-1"], /--name must be 1\.\.8 of a-z and 0-9/],
    [["status", "--servers", "isc"], /--servers goes with 'lab up', not 'lab status'/],
    [["down", "--json"], /--json goes with 'lab status', not 'lab down'/],
    [["up", "extra"], /unexpected argument 'extra'/],
  ];
  for (const [args, message] of cases) {
    const r = lab(...args);
    assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
    const lines = r.stderr.trim().split("\n");
    assert.match(lines[0], new RegExp(`^ipphone lab: ${message.source}`));
    assert.equal(lines[1], "run 'ipphone lab --help' for usage");
  }
});
