// A user's own firmware on the built-in network (issue 19): `boot --image
// FILE --key KEY` and the scenario's phone.image, phone.factory_key and
// phone.security_counter put their signed image in slot A, their key's hash
// in factory data and a recorded security counter in the boot record; the
// bootloader decides, and a refusal is its reason with exit 11 (nothing to
// run) or 16 (an upgrade refused). `--verbose` shows the firmware's log lines.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { generateKeyPairSync } from "node:crypto";
import { join } from "node:path";
import binaryen from "binaryen";
import { ipphone, ROOT } from "./helpers/tools.js";
import { COUNTER_NAMES } from "../host/counters.js";
import { cnfXml } from "../host/sim/cnf.js";
import { sepFileName, DEFAULT_PHONE_MAC } from "../host/sim/network.js";
import { Flash } from "../host/flash.js";
import { writeBootRecord } from "../host/phone-setup.js";
import { FlashHarness } from "../host/boot/harness.js";

const tmp = mkdtempSync(join(tmpdir(), "ipphone-image-"));
test.after(() => rmSync(tmp, { recursive: true, force: true }));
const at = (name: string) => join(tmp, name);

interface BootJson {
  registered: boolean;
  exit_code: number;
  failure: { stage: string; reason: string } | null;
  firmware: { load: string | null; slot: string | null; config_load: string | null; load_reached: boolean | null; upgrade: { outcome: string; reason: string | null } };
  timeline: { stage: string; event: string; detail: string }[];
}

function bootJson(...args: string[]): BootJson {
  const out = ipphone("boot", "--json", ...args);
  assert.ok(out.stdout.startsWith("{"), out.stderr);
  const r = JSON.parse(out.stdout) as BootJson;
  assert.equal(out.status, r.exit_code, "the exit status is the report's exit_code");
  return r;
}

function ok(args: string[]): string {
  const r = ipphone(...args);
  assert.equal(r.status, 0, `ipphone ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

// The user's key and image, made with the CLI as the README says.
const keygen = ok(["image", "keygen", "--out", at("me")]);
const KEY_HASH = /key hash \(factory data\): ([0-9a-f]{64})/.exec(keygen)![1];
ok(["image", "build", "--wasm", `${ROOT}build/phone.wasm`, "--load", "P0030801SR07", "--counter", "3", "--key", at("me.pem"), "--out", at("mine.bin")]);

function scenario(name: string, body: unknown): string {
  writeFileSync(at(`${name}.json`), JSON.stringify(body));
  return at(`${name}.json`);
}

test("a user's image signed with their key boots from slot A and registers, by --image/--key and by scenario", () => {
  const r = bootJson("--image", at("mine.bin"), "--key", at("me.pub.pem"));
  assert.equal(r.exit_code, 0);
  assert.equal(r.registered, true);
  assert.deepEqual([r.firmware.load, r.firmware.slot, r.firmware.config_load, r.firmware.load_reached], ["P0030801SR07", "A", "P0030801SR07", true]);
  assert.equal(r.firmware.upgrade.outcome, "none", "the built-in configuration names the user's load");
  // The scenario's paths are relative to the scenario file; the key may be given as its hash.
  for (const factory_key of ["me.pub.pem", KEY_HASH]) {
    const s = bootJson("--scenario", scenario("mine", { phone: { image: "mine.bin", factory_key } }));
    assert.equal(s.exit_code, 0, `factory_key ${factory_key}`);
    assert.equal(s.firmware.load, "P0030801SR07");
  }
});

test("the same image on a phone that trusts only the development key: the bootloader's reason, exit 11", () => {
  const r = bootJson("--image", at("mine.bin"));
  assert.equal(r.exit_code, 11);
  assert.equal(r.failure?.stage, "boot");
  assert.match(r.failure!.reason, /no valid image in either slot: slot A: signed with a key the factory data does not name$/);
  assert.ok(r.timeline.some((e) => e.event === "rejected" && /slot A: signed with a key/.test(e.detail)));
  const text = ipphone("boot", "--image", at("mine.bin"));
  assert.equal(text.status, 11);
  assert.match(text.stdout, /^phone \S+ not registered: failed in stage boot: .*slot A: signed with a key the factory data does not name;/m);
  assert.doesNotMatch(text.stderr, /\n\s+at /, "no stack trace");
});

test("phone.security_counter: the boot record's counter; below the image's it rises, above it the image is a downgrade", () => {
  const lower = bootJson("--scenario", scenario("counter2", { phone: { image: "mine.bin", factory_key: "me.pub.pem", security_counter: 2 } }));
  assert.equal(lower.exit_code, 0);
  assert.ok(lower.timeline.some((e) => e.event === "security counter" && e.detail === "3 recorded (was 2)"), "the bootloader read the recorded 2");
  const higher = bootJson("--scenario", scenario("counter5", { phone: { image: "mine.bin", factory_key: "me.pub.pem", security_counter: 5 } }));
  assert.equal(higher.exit_code, 11, "slot A refused and nothing else to run");
  assert.match(higher.failure!.reason, /slot A: security counter below the one recorded \(downgrade\)$/);
});

test("an upgrade signed with the user's key but below the recorded counter is refused as a downgrade: exit 16", () => {
  mkdirSync(at("tftp"));
  ok(["image", "build", "--wasm", `${ROOT}build/phone.wasm`, "--load", "P0030801SR06", "--counter", "2", "--key", at("me.pem"), "--out", at("tftp/P0030801SR06.bin")]);
  writeFileSync(at(`tftp/${sepFileName(DEFAULT_PHONE_MAC)}`), cnfXml({ callManagers: [{ host: "192.0.2.11", priority: 0 }], load: "P0030801SR06" }));
  const r = bootJson("--scenario", scenario("downgrade", { limit_s: 120, phone: { image: "mine.bin", factory_key: "me.pub.pem", security_counter: 3 }, tftp: { dir: "tftp" } }));
  assert.equal(r.exit_code, 16);
  assert.equal(r.registered, true);
  assert.equal(r.firmware.load, "P0030801SR07");
  assert.equal(r.firmware.upgrade.outcome, "refused");
  assert.match(r.firmware.upgrade.reason ?? "", /^slot B: security counter below the one recorded \(downgrade\)$/);
});

test("the boot record the host writes is the one the firmware's own code reads", () => {
  const flash = new Flash();
  writeBootRecord(flash, 1, 0x01020304);
  const h = new FlashHarness(flash);
  assert.equal(h.x.running_slot(), 1);
  assert.equal(h.x.boot_counter(), 0x01020304);
  // And the firmware appends to it as to its own log.
  assert.equal(h.x.record_boot(0, 9), 0);
  assert.equal(h.x.boot_counter(), 9);
});

/** exit 2, one line and the pointer to the help, nothing on stdout: refused before any work. */
function usageError(args: string[], reason: RegExp): void {
  const r = ipphone(...args);
  assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}${r.stdout.slice(0, 200)}`);
  assert.equal(r.stdout, "");
  const [line, pointer, end] = r.stderr.split("\n");
  assert.match(line, reason);
  assert.equal(pointer, "run 'ipphone boot --help' for usage");
  assert.equal(end, "");
}

test("bad --image and --key files and bad scenario phone fields are one line, exit 2, before any work", () => {
  // PEM, but an RSA key: not one the phone's bootloader can trust.
  writeFileSync(at("rsa.pem"), generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey.export({ type: "spki", format: "pem" }).toString());
  usageError(["boot", "--image", at("missing.bin")], /^ipphone boot: --image .*missing\.bin: no such file$/);
  usageError(["boot", "--image", tmp], /^ipphone boot: --image .*: it is a directory$/);
  usageError(["boot", "--image", at("me.pem")], /^ipphone boot: --image .*me\.pem is not a firmware image \(magic: .*\); build one with ipphone image build$/);
  usageError(["boot", "--image", `${ROOT}build/phone.wasm`], /is not a firmware image/);
  usageError(["boot", "--key", at("missing.pem")], /^ipphone boot: --key .*missing\.pem: no such file$/);
  usageError(["boot", "--key", at("mine.bin")], /^ipphone boot: --key .*mine\.bin is not an Ed25519 key in PEM; make one with ipphone image keygen$/);
  usageError(["boot", "--key", at("rsa.pem")], /is not an Ed25519 key in PEM \(it is rsa\)/);
  usageError(["boot", "--image", at("mine.bin"), "--key", "abc123"], /--key abc123: no such file$/);
  const cases: [unknown, RegExp][] = [
    [{ phone: { image: 7 } }, /phone\.image must be a string, got 7$/],
    [{ phone: { image: "nope.bin" } }, /phone\.image .*nope\.bin: no such file$/],
    [{ phone: { image: "me.pub.pem" } }, /phone\.image .*me\.pub\.pem is not a firmware image/],
    [{ phone: { factory_key: "mine.bin" } }, /phone\.factory_key .*mine\.bin is not an Ed25519 key in PEM/],
    [{ phone: { factory_key: true } }, /phone\.factory_key must be a string, got true$/],
    [{ phone: { security_counter: -1 } }, /phone\.security_counter must be an integer 0\.\.4294967295, got -1$/],
    [{ phone: { security_counter: "5" } }, /phone\.security_counter must be an integer 0\.\.4294967295, got "5"$/],
    [{ phone: { securityCounter: 5 } }, /phone: unknown field "securityCounter" \(known: mac, cpu_mhz, image, factory_key, security_counter\)$/],
  ];
  cases.forEach(([body, reason], i) => usageError(["boot", "--scenario", scenario(`bad${i}`, body)], reason));
});

// A firmware of the user's that does nothing but log one line (hal.log) on its first poll.
const LOGGING_FIRMWARE = `(module
  (import "hal" "log" (func $log (param i32 i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hello from my firmware")
  (global $said (mut i32) (i32.const 0))
  (func (export "poll") (param i64) (result i64)
    (if (i32.eqz (global.get $said))
      (then (global.set $said (i32.const 1)) (call $log (i32.const 2) (i32.const 16) (i32.const 22))))
    (i64.const 0x7fffffffffffffff))
  (func (export "on_frame") (param i32 i64))
  (func (export "link") (param i32 i64))
  (func (export "rx_buffer") (result i32) (i32.const 1024))
  (func (export "rx_capacity") (result i32) (i32.const 1600))
  (func (export "counters") (result i32) (i32.const 4096))
  (func (export "counter_count") (result i32) (i32.const ${COUNTER_NAMES.length})))`;

test("--verbose shows the firmware's log lines in the timeline and the JSON; without it they are not shown", () => {
  const module = binaryen.parseText(LOGGING_FIRMWARE);
  writeFileSync(at("logger.wasm"), module.emitBinary());
  module.dispose();
  ok(["image", "build", "--wasm", at("logger.wasm"), "--load", "LOGGER01", "--counter", "1", "--key", at("me.pem"), "--out", at("logger.bin")]);
  const s = scenario("logger", { limit_s: 5, phone: { image: "logger.bin", factory_key: "me.pub.pem" } });
  const line = /^t=(\d+\.\d{6})s +boot +log {2}\[2\] hello from my firmware$/m;
  const verbose = ipphone("boot", "--scenario", s, "--verbose");
  assert.match(verbose.stdout, line);
  // The firmware logs as it starts: after its boot's device time, at the instant it runs.
  assert.equal(line.exec(verbose.stdout)?.[1], /^t=(\d+\.\d{6})s +boot +run /m.exec(verbose.stdout)?.[1]);
  assert.match(verbose.stdout, /run {2}LOGGER01 from slot A/);
  const quiet = ipphone("boot", "--scenario", s);
  assert.doesNotMatch(quiet.stdout, /hello from my firmware/);
  assert.equal(quiet.status, verbose.status);
  assert.equal(quiet.stdout, verbose.stdout.replace(/^.*hello from my firmware\n/m, ""), "--verbose adds the log lines and nothing else");
  const logs = (r: BootJson) => r.timeline.filter((e) => e.event === "log").map((e) => e.detail);
  assert.deepEqual(logs(bootJson("--scenario", s, "--verbose")), ["[2] hello from my firmware"]);
  assert.deepEqual(logs(bootJson("--scenario", s)), []);
});
