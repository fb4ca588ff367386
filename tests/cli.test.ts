// The command line's contract (README "The `ipphone` command", issue 19):
// every command has its own --help; bad usage is one line, a pointer to the
// command's help and exit 2, before any work; boot's verdict says which load
// runs, what the configuration asked for and what became of the upgrade,
// and a failure names the most specific cause; the test runner refuses a
// filter that matches nothing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ipphone, ROOT, run } from "./helpers/tools.js";
import { buildNetwork, bootPhone, sepFileName, DEFAULT_PHONE_MAC } from "../host/sim/network.js";
import { cnfXml } from "../host/sim/cnf.js";
import { buildImage, devKey, signImage } from "../host/image.js";
import { PHONE_WASM } from "../host/firmware.js";
import { readFileSync } from "node:fs";
import { Ev } from "../host/events.js";
import { VerdictTracker } from "../host/verdict.js";

const tmp = mkdtempSync(join(tmpdir(), "ipphone-cli-"));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

function scenarioFile(name: string, body: unknown): string {
  const path = join(tmp, `${name}.json`);
  writeFileSync(path, typeof body === "string" ? body : JSON.stringify(body));
  return path;
}

interface BootJson {
  registered: boolean;
  exit_code: number;
  failure: { stage: string; reason: string; last_event: string; lcd: string } | null;
  firmware: { load: string | null; slot: string | null; image: string | null; config_load: string | null; load_reached: boolean | null; upgrade: { outcome: string; load: string | null; reason: string | null } };
  timeline: { t_ms: number; stage: string; event: string; detail: string }[];
}

function bootJson(...args: string[]): { status: number | null; r: BootJson } {
  const out = ipphone("boot", "--json", ...args);
  assert.ok(out.stdout.startsWith("{"), out.stderr);
  const r = JSON.parse(out.stdout) as BootJson;
  assert.equal(out.status, r.exit_code, "the exit status is the report's exit_code");
  return { status: out.status, r };
}

/** A usage error: exit 2, nothing on stdout, exactly two lines on stderr: the reason and the pointer to the help. */
function usageError(args: string[], command: string, reason: RegExp): void {
  const r = ipphone(...args);
  const what = `ipphone ${args.join(" ")}`;
  assert.equal(r.status, 2, `${what}: exit ${r.status}\n${r.stderr}`);
  assert.equal(r.stdout, "", `${what} did work before refusing: ${r.stdout.slice(0, 300)}`);
  const lines = r.stderr.split("\n");
  assert.equal(lines.length, 3, `${what}: one line and the pointer, got:\n${r.stderr}`);
  assert.equal(lines[2], "");
  const prefix = command ? `ipphone ${command}: ` : "ipphone: ";
  assert.ok(lines[0].startsWith(prefix), `${what}: ${lines[0]}`);
  assert.match(lines[0].slice(prefix.length), reason, what);
  assert.equal(lines[1], `run '${command ? `ipphone ${command} --help` : "ipphone help"}' for usage`);
  assert.doesNotMatch(r.stderr, /\n\s+at |ambiguous|ERR_/, `${what}: no stack trace, no Node jargon`);
}

// ---------------------------------------------------------------- help

const HELPS: [string[], string][] = [
  [["boot"], "usage: ipphone boot "],
  [["image"], "usage: ipphone image "],
  [["image", "keygen"], "usage: ipphone image keygen "],
  [["image", "build"], "usage: ipphone image build "],
  [["image", "sign"], "usage: ipphone image sign "],
  [["image", "inspect"], "usage: ipphone image inspect "],
  [["image", "verify"], "usage: ipphone image verify "],
  [["callmanager"], "usage: ipphone callmanager "],
  [["soak"], "usage: ipphone soak "],
  [["fuzz"], "usage: ipphone fuzz "],
  [["storm"], "usage: ipphone storm "],
  [["device"], "usage: ipphone device "],
  [["help"], "usage: ipphone <command>"],
];

test("every command and image subcommand has its own --help: exit 0, its own text only", () => {
  const texts = new Map<string, string>();
  for (const [cmd, start] of HELPS) {
    const r = ipphone(...cmd, "--help");
    assert.equal(r.status, 0, `${cmd.join(" ")} --help: ${r.stderr}`);
    assert.equal(r.stderr, "");
    assert.ok(r.stdout.startsWith(start), `${cmd.join(" ")} --help starts with "${start}": ${r.stdout.slice(0, 100)}`);
    assert.match(r.stdout, /exit status/, `${cmd.join(" ")} --help documents its exit status`);
    texts.set(cmd.join(" "), r.stdout);
    // `ipphone help CMD` prints the same.
    if (cmd[0] !== "help") assert.equal(ipphone("help", ...cmd).stdout, r.stdout);
  }
  // Its own text only: no other command's usage line in it.
  for (const [name, text] of texts) {
    for (const other of ["boot", "storm", "soak", "fuzz", "callmanager"]) {
      if (other !== name) assert.doesNotMatch(text, new RegExp(`usage: ipphone ${other}`), `${name}'s help holds ${other}'s`);
    }
  }
  assert.doesNotMatch(texts.get("image build")!, /image verify/, "a subcommand's help is its own");
  assert.match(texts.get("boot")!, /16 +registered, but not on the load the configuration names/);
  assert.match(texts.get("image build")!, /downgrade/, "image build --help warns about counter 0");
  // -h too, and --help anywhere among the options.
  assert.equal(ipphone("soak", "-h").status, 0);
  assert.ok(ipphone("boot", "--seed", "3", "--help").stdout.startsWith("usage: ipphone boot "));
});

// ---------------------------------------------------------------- usage errors

test("a usage error is one line naming the command, a pointer to its --help, exit 2", () => {
  usageError(["boot", "--seed", "-1"], "boot", /^--seed must be a non-negative integer .*, got '-1'$/);
  usageError(["boot", "--seed", "99999999999"], "boot", /^--seed must be a non-negative integer .*, got '99999999999'$/);
  usageError(["boot", "--seed"], "boot", /^--seed needs a value$/);
  usageError(["boot", "--pcap", "--json"], "boot", /^--pcap needs a value$/);
  usageError(["boot", "--json=yes"], "boot", /^--json takes no value$/);
  usageError(["boot", "--nope"], "boot", /^unknown option '--nope'$/);
  usageError(["boot", "stray"], "boot", /^unexpected argument 'stray'$/);
  usageError(["boot", "--mac", "zz"], "boot", /^--mac must look like/);
  usageError(["boot", "--link", "wifi"], "boot", /^--link must be 'vxlan'/);
  usageError(["fly"], "", /^unknown command 'fly'/);
  usageError(["storm", "--phones", "-5"], "storm", /^--phones must be an integer 1\.\.\d+, got '-5'$/);
  usageError(["storm", "--phones", "10", "--loss", "2"], "storm", /^--loss must be a probability/);
  usageError(["soak", "--seeds", "0"], "soak", /^--seeds must be an integer/);
  usageError(["soak", "--seed", "3", "--seeds", "5"], "soak", /^--seeds goes with a run of many seeds/);
  usageError(["soak", "--pcap", join(tmp, "x.pcap")], "soak", /^--pcap goes with --seed N$/);
  usageError(["fuzz", "--engine", "afl"], "fuzz", /^--engine must be 'js' or 'libfuzzer', got 'afl'$/);
  usageError(["fuzz", "--jobs", "2"], "fuzz", /^--jobs goes with --engine libfuzzer$/);
  usageError(["fuzz", "--runs", "-3"], "fuzz", /^--runs must be an integer/);
  usageError(["callmanager", "--listen", "nowhere"], "callmanager", /^--listen must look like/);
  usageError(["image"], "image", /needs a subcommand/);
  usageError(["image", "frob"], "image", /^unknown image subcommand 'frob'/);
  usageError(["image", "build", "--wasm", `${ROOT}build/phone.wasm`, "--load", "X"], "image build", /^--out is required$/);
  usageError(["image", "verify"], "image verify", /takes one image file/);
  usageError(["help", "nosuch"], "", /^no help for "nosuch"/);
});

test("options of the other mode are refused, not ignored", () => {
  usageError(["boot", "--remote", "198.51.100.2"], "boot", /^--remote goes with --link vxlan/);
  usageError(["boot", "--until", "bound"], "boot", /^--until goes with --link vxlan/);
  usageError(["boot", "--timeout", "5", "--scenario", `${ROOT}scenarios/full-boot.json`], "boot", /^--timeout goes with --link vxlan/);
  usageError(["boot", "--link", "vxlan", "--remote", "198.51.100.2", "--scenario", `${ROOT}scenarios/full-boot.json`], "boot", /^--scenario describes the simulated network/);
});

test("missing input files and output paths in missing directories are refused before any work", () => {
  const missingDir = join(tmp, "no-such-dir");
  usageError(["boot", "--pcap", join(missingDir, "boot.pcap")], "boot", /^--pcap .*: directory .*no-such-dir does not exist$/);
  usageError(["boot", "--pcap", tmp], "boot", /is a directory, not a file$/);
  usageError(["storm", "--phones", "20", "--report", join(missingDir, "r.html")], "storm", /^--report .*: directory .*no-such-dir does not exist$/);
  usageError(["image", "build", "--wasm", `${ROOT}build/phone.wasm`, "--load", "X", "--out", join(missingDir, "x.bin")], "image build", /^--out .*does not exist$/);
  usageError(["image", "build", "--wasm", join(tmp, "missing.wasm"), "--load", "X", "--out", join(tmp, "x.bin")], "image build", /^--wasm .*missing\.wasm: no such file$/);
  usageError(["image", "keygen", "--out", join(missingDir, "k")], "image keygen", /^--out .*does not exist$/);
  usageError(["image", "verify", join(tmp, "missing.bin")], "image verify", /missing\.bin: no such file$/);
  usageError(["image", "inspect", join(tmp, "missing.bin")], "image inspect", /missing\.bin: no such file$/);
  usageError(["image", "sign", "--key", join(tmp, "missing.pem"), `${ROOT}build/phone.wasm`], "image sign", /^--key .*missing\.pem: no such file$/);
  usageError(["soak", "--seed", "1", "--pcap", join(missingDir, "s.pcap")], "soak", /^--pcap .*does not exist$/);
  usageError(["boot", "--scenario", join(tmp, "missing.json")], "boot", /^cannot read scenario .*missing\.json: no such file$/);
  usageError(["boot", "--scenario", tmp], "boot", /^cannot read scenario .*: it is a directory$/);
  assert.ok(!existsSync(missingDir), "nothing was created");
});

// ---------------------------------------------------------------- boot scenarios

test("a boot scenario with a bad value, an unknown key or a wrong type is one line, exit 2", () => {
  const cases: [unknown, RegExp][] = [
    [{ phone: { mac: "bad" } }, /phone\.mac must look like 00:1b:54:c2:a7:10, got "bad"$/],
    [{ phone: { mac: 7 } }, /phone\.mac must be a string, got 7$/],
    [{ switch: { voice_vlan: "110" } }, /switch\.voice_vlan must be an integer 0\.\.4095, got "110"$/],
    [{ switch: { voice_vlan: 110.5 } }, /switch\.voice_vlan must be an integer/],
    [{ switch: { latency_us: -1 } }, /switch\.latency_us must be an integer 0\.\.\d+, got -1$/],
    [{ switch: { poe: { budget_W: 10 } } }, /switch\.poe: unknown field "budget_W"/],
    [{ dhcp: { silent: "yes" } }, /dhcp\.silent must be true or false, got "yes"$/],
    [{ dhcp: { option150: ["192.0.2.300"] } }, /dhcp\.option150 must be a list of IPv4 addresses/],
    [{ dhcp: { option66: "bad name!" } }, /dhcp\.option66 must be a host name/],
    [{ callmanagers: [{ reject: "yes" }] }, /callmanagers\[0\]\.reject must be true or false/],
    [{ tftp: { files: { "a.txt": { text: 5 } } } }, /tftp\.files\["a\.txt"\]\.text must be a string, got 5$/],
    [{ tftp: { files: { "a.txt": { text: "x", config: {} } } } }, /needs exactly one of "text", "config" or "image", got text and config$/],
    [{ tftp: { files: { "x.bin": { image: { corrupt: 1 } } } } }, /\.image\.corrupt must be true or false, got 1$/],
    [{ tftp: { dir: join(tmp, "no-such-dir") } }, /tftp\.dir .*no-such-dir does not exist$/],
    [{ seed: 1.5 }, /seed must be an integer/],
    [{ phones: 96 }, /unknown field "phones"/],
    [[1, 2], /must be a JSON object, got \[1,2\]$/],
    ["{", /not JSON: /],
  ];
  cases.forEach(([body, reason], i) => usageError(["boot", "--scenario", scenarioFile(`bad${i}`, body)], "boot", reason));
});

test("tftp.dir is served first (no generated SEP file beside it), relative to the scenario file", () => {
  const dir = join(tmp, "tftproot");
  mkdirSync(dir);
  // A SEP file that names only 192.0.2.12: the phone must register there, not with the built-in file's CM1 192.0.2.11.
  writeFileSync(join(dir, sepFileName(DEFAULT_PHONE_MAC)), cnfXml({ callManagers: [{ host: "192.0.2.12", priority: 0 }], load: "P0030801SR01" }));
  const { status, r } = bootJson("--scenario", scenarioFile("dir", { tftp: { dir: "tftproot" } }));
  assert.equal(status, 0);
  assert.deepEqual(r.timeline.filter((e) => e.event === "call manager").map((e) => e.detail), ["priority 0: 192.0.2.12 port 2000"]);
  assert.ok(r.timeline.some((e) => e.event === "connected" && e.detail.includes("192.0.2.12")));
  // A name in both places is ambiguous: refused.
  usageError(["boot", "--scenario", scenarioFile("both", { tftp: { dir: "tftproot", files: { "SEP<MAC>.cnf.xml": { config: {} } } } })], "boot", /tftp\.files\["SEP<MAC>\.cnf\.xml"\] is also in tftp\.dir/);
});

test("switch.latency_us takes effect: each link's one-way latency", () => {
  const at = (r: BootJson, event: string) => r.timeline.find((e) => e.event === event)!.t_ms;
  const base = bootJson().r;
  const slow = bootJson("--scenario", scenarioFile("latency", { switch: { latency_us: 5000 } })).r;
  // Phone to CallManager crosses two links: 10 ms one way, so the TCP handshake alone takes 20 ms more.
  assert.ok(at(slow, "connected") - at(slow, "connecting") >= 20, `handshake ${at(slow, "connected") - at(slow, "connecting")} ms`);
  assert.ok(at(base, "connected") - at(base, "connecting") < 5);
  assert.match(slow.timeline.find((e) => e.event === "done")!.detail, /bytes in 0\.0[2-9]\ds$/, "the config transfer takes round trips");
});

// ---------------------------------------------------------------- verdicts

test("newer-load and bad-image differ: upgraded and confirmed (0) against refused with the bootloader's reason (16)", () => {
  const ok = ipphone("boot", "--scenario", `${ROOT}scenarios/newer-load.json`);
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /^firmware P0030801SR02 from slot B \(confirmed\); the configuration names P0030801SR02: upgraded to P0030801SR02 and confirmed$/m);
  // The breakdown sums to the total, and the second DHCP after the upgrade's reset counts as dhcp, not tftp.
  const m = /registered with CM1 in ([\d.]+)s of virtual time: (.*)$/m.exec(ok.stdout)!;
  const parts = Object.fromEntries(m[2].split(", ").map((p) => p.split(" ")).map(([k, v]) => [k, Number(v.slice(0, -1))]));
  assert.ok(Math.abs(Object.values(parts).reduce((a, b) => a + b, 0) - Number(m[1])) < 0.002, m[0]);
  assert.ok(parts.tftp < 0.1 && parts.dhcp > 12, m[0]);
  const bad = ipphone("boot", "--scenario", `${ROOT}scenarios/bad-image.json`);
  assert.equal(bad.status, 16, bad.stderr);
  assert.match(bad.stdout, /^firmware P0030801SR01 from slot A \(confirmed\); the configuration names P0030801SR02 \(NOT reached\): upgrade to P0030801SR02 refused by the bootloader: slot B: SHA-256 .*\(corrupt image\)$/m);
  assert.match(bad.stdout, /^exit status 16: the phone does not run the load its configuration names$/m);
});

test("a load missing on the TFTP server: download failed, exit 16", () => {
  const { status, r } = bootJson("--scenario", scenarioFile("noload", { limit_s: 60, tftp: { files: { "SEP<MAC>.cnf.xml": { config: { load: "P0030801SR09" } } } } }));
  assert.equal(status, 16);
  assert.equal(r.registered, true);
  assert.equal(r.firmware.load, "P0030801SR01");
  assert.equal(r.firmware.config_load, "P0030801SR09");
  assert.equal(r.firmware.load_reached, false);
  assert.equal(r.firmware.upgrade.outcome, "download_failed");
  assert.match(r.firmware.upgrade.reason ?? "", /^download failed \(TFTP: not found\)/);
});

test("an image with security counter 0 is refused as a downgrade, and the report says so", () => {
  const mac = DEFAULT_PHONE_MAC;
  const image = signImage(buildImage(new Uint8Array(readFileSync(PHONE_WASM)), { loadName: "P0030801SR03", securityCounter: 0 }), devKey());
  const net = buildNetwork({ seed: 1, mac, tftpFiles: {
    [sepFileName(mac)]: new TextEncoder().encode(cnfXml({ callManagers: [{ host: "192.0.2.11", priority: 0 }], load: "P0030801SR03" })),
    "P0030801SR03.bin": image,
  } });
  const result = bootPhone(net, 60_000);
  assert.equal(result.registered, true);
  const v = net.phone.report().firmware;
  assert.equal(v.load, "P0030801SR01");
  assert.equal(v.load_reached, false);
  assert.equal(v.upgrade.outcome, "refused");
  assert.match(v.upgrade.reason ?? "", /^slot B: .*(downgrade|counter)/i);
});

// ---------------------------------------------------------------- failure causes

test("a failure names the most specific cause seen in its stage, not the last event", () => {
  const reject = bootJson("--scenario", scenarioFile("reject", { limit_s: 90, callmanagers: [{ reject: true }, { state: "refuse" }, { state: "silent" }] }));
  assert.equal(reject.status, 15);
  assert.match(reject.r.failure!.reason, /^RegisterReject "[^"]+" from CM1 192\.0\.2\.11:2000 \(and CM2 192\.0\.2\.12:2000 refused; CM3 192\.0\.2\.13:2000 connect timeout\)$/);
  assert.match(reject.r.failure!.last_event, /^all down/);

  const silent = bootJson("--scenario", scenarioFile("dhcp-silent", { limit_s: 60, dhcp: { silent: true } }));
  assert.equal(silent.status, 13);
  assert.match(silent.r.failure!.reason, /^no DHCP server answered \d+ DISCOVERs on voice VLAN 110$/);

  const nx = bootJson("--scenario", scenarioFile("nxdomain", { limit_s: 60, dhcp: { option150: [], option66: "nosuch.voice.example" } }));
  assert.equal(nx.status, 14);
  assert.match(nx.r.failure!.reason, /^option 66 name nosuch\.voice\.example: NXDOMAIN from DNS server 192\.0\.2\.53$/);
  assert.match(nx.r.failure!.last_event, /no TFTP server answered/);

  const text = ipphone("boot", "--scenario", scenarioFile("nxdomain", { limit_s: 60, dhcp: { option150: [], option66: "nosuch.voice.example" } }));
  assert.match(text.stdout, /^phone \S+ not registered: failed in stage tftp: option 66 name nosuch\.voice\.example: NXDOMAIN .*; display "No TFTP server"$/m);
  assert.match(text.stdout, /^ {2}last event in tftp: config failed: no TFTP server answered/m);
});

test("the cause tracker keeps a TFTP error's code and meaning over the later generic failure", () => {
  const t = new VerdictTracker();
  const names = ["SEP001B54C2A710.cnf.xml"];
  const read = (p: number) => names[p];
  t.starting();
  t.event(Ev.TftpFile, 0, names[0].length, read);
  t.event(Ev.TftpError, 2, 0xc000020a, read);
  t.event(Ev.TftpTimeout, 0xc000020b, 0, read);
  t.event(Ev.ConfigFailed, 2, 6, read);
  assert.equal(t.causeOf("tftp"), "SEP001B54C2A710.cnf.xml: TFTP ERROR 2 (access violation) from 192.0.2.10");
  // After the configuration, a DNS failure is about a CallManager's host name, not option 66's.
  t.event(Ev.ConfigLoaded, 1, 1, read);
  t.event(Ev.DnsNotFound, 3, 0xc0000235, read);
  assert.equal(t.causeOf("tftp"), "a CallManager host name in the configuration: NXDOMAIN from DNS server 192.0.2.53");
  // A new start of the firmware forgets the old run's causes.
  t.starting();
  assert.equal(t.causeOf("tftp"), null);
});

// ---------------------------------------------------------------- the test runner

test("tests/run.js with a filter that matches no test file fails and says so", () => {
  const r = run(process.execPath, [`${ROOT}tests/run.js`, "nosuchtest-zz"]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /no test file matches "nosuchtest-zz"/);
  assert.match(r.stdout, /^0 passed, 1 failed, 0 skipped$/m);
});

test("tests/run.js NAME.spec runs one as-pect spec alone; an unknown spec fails", () => {
  const r = run(process.execPath, [`${ROOT}tests/run.js`, "bytes.spec"]);
  assert.equal(r.status, 0, r.stdout.slice(-2000));
  assert.match(r.stdout, /firmware: bytes/);
  assert.doesNotMatch(r.stdout, /firmware: DHCP/, "only the named spec ran");
  assert.match(r.stdout, /^[1-9]\d* passed, 0 failed, 0 skipped$/m);
  const bad = run(process.execPath, [`${ROOT}tests/run.js`, "nosuch.spec"]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /no as-pect spec assembly\/__tests__\/nosuch\.spec\.ts/);
});

test("the README's sample outputs are what the build prints (tests/readme-samples.js)", () => {
  const r = run(process.execPath, [`${ROOT}tests/readme-samples.js`]);
  assert.equal(r.status, 0, `${r.stderr}${r.stdout}`);
  assert.match(r.stdout, /readme-samples: [2-9]\d* samples up to date/);
});
