// Stage 5 end to end on the simulated network: the configuration file (SEP
// or XMLDefault), and a new load fetched into flash, booted on trial and
// confirmed; a corrupt or wrongly signed image is refused and the phone
// registers on its old load.
import { test } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { buildNetwork, bootPhone, sepFileName, DEFAULT_PHONE_MAC, CALLMANAGERS, type Network } from "../host/sim/network.js";
import { buildImage, devKey, readSlot, signImage } from "../host/image.js";
import { cnfXml } from "../host/sim/cnf.js";
import { testingWasm } from "./helpers/testing-wasm.js";

const NEW_LOAD = "P0030801SR02";
const SEP = sepFileName(DEFAULT_PHONE_MAC);
// The next build: the same firmware plus build_id() = 2 (assembly/testing/phone-next.ts).
const nextWasm = testingWasm("phone-next");

function config(load: string): Uint8Array {
  return new TextEncoder().encode(cnfXml({ callManagers: CALLMANAGERS.map((host, i) => ({ host, priority: i })), load }));
}

function nextImage(): Uint8Array {
  return signImage(buildImage(nextWasm, { loadName: NEW_LOAD, securityCounter: 1 }), devKey());
}

function events(net: Network, name: string): string[] {
  return net.phone.timeline.filter((e) => e.event === name).map((e) => e.detail);
}

test("a config naming a newer load: download into slot B, reset, trial boot of the new code, registered and confirmed", () => {
  const net = buildNetwork({ seed: 31, tftpFiles: { [SEP]: config(NEW_LOAD), [`${NEW_LOAD}.bin`]: nextImage() } });
  const result = bootPhone(net);
  assert.equal(result.registered, true);
  assert.equal(events(net, "upgrade ready").length, 1);
  assert.deepEqual(events(net, "run"), [`P0030801SR01 from slot A (confirmed)`, `${NEW_LOAD} from slot B (trial)`]);
  // The code running now is the new WebAssembly: only it has build_id().
  const buildId = net.phone.firmwareExport("build_id") as () => number;
  assert.equal(typeof buildId, "function");
  assert.equal(buildId(), 2);
  assert.equal(readSlot(net.phone.flash, 1).state, "confirmed");
  assert.ok(net.phone.timeline.some((e) => e.event === "lcd" && /^Upgrading firmware \d+%$/.test(e.detail)));
});

test("a corrupt image on the server is refused by the bootloader; the phone stays on its load and registers", () => {
  const image = nextImage();
  image[200] ^= 0x01; // a bit of the payload
  const net = buildNetwork({ seed: 32, tftpFiles: { [SEP]: config(NEW_LOAD), [`${NEW_LOAD}.bin`]: image } });
  const result = bootPhone(net);
  assert.equal(result.registered, true);
  assert.ok(events(net, "rejected").some((d) => /^slot B: SHA-256/.test(d)), events(net, "rejected").join("; "));
  assert.equal(events(net, "run").at(-1), "P0030801SR01 from slot A (confirmed)");
  assert.equal(events(net, "upgrade skipped").length, 1, "not downloaded again");
  assert.equal(net.phone.firmwareExport("build_id"), undefined);
});

test("an image signed with another key is refused the same way", () => {
  const other = generateKeyPairSync("ed25519").privateKey;
  const image = signImage(buildImage(nextWasm, { loadName: NEW_LOAD, securityCounter: 1 }), other);
  const net = buildNetwork({ seed: 33, tftpFiles: { [SEP]: config(NEW_LOAD), [`${NEW_LOAD}.bin`]: image } });
  assert.equal(bootPhone(net).registered, true);
  assert.equal(events(net, "run").at(-1), "P0030801SR01 from slot A (confirmed)");
  assert.equal(net.phone.firmwareExport("build_id"), undefined);
});

test("a load the server does not have: the upgrade fails, the phone registers on its load", () => {
  const net = buildNetwork({ seed: 34, tftpFiles: { [SEP]: config(NEW_LOAD) } });
  assert.equal(bootPhone(net).registered, true);
  assert.equal(events(net, "upgrade failed").length, 1);
  assert.equal(events(net, "reset").length, 0);
});

test("a load the server gets later: the failed download is retried in the background, backing off, and the phone moves to it", () => {
  const net = buildNetwork({ seed: 35, tftpFiles: { [SEP]: config(NEW_LOAD) } });
  assert.equal(bootPhone(net).registered, true);
  const failedAt = net.phone.timeline.find((e) => e.event === "upgrade failed")!.t_ms;
  const retries = () => net.phone.timeline.filter((e) => e.event === "upgrade retry");
  assert.equal(retries().length, 1);
  const firstWaitS = Number(/in (\d+) s/.exec(retries()[0].detail)![1]);
  assert.ok(firstWaitS >= 60 && firstWaitS <= 75, `first retry in ${firstWaitS} s`);
  // Still missing at the first retry: the next wait doubles; the phone stays registered meanwhile.
  net.scheduler.run({ untilUs: (failedAt + firstWaitS * 1000 + 5_000) * 1000 });
  assert.equal(retries().length, 2);
  const secondWaitS = Number(/in (\d+) s/.exec(retries()[1].detail)![1]);
  assert.ok(secondWaitS >= 120 && secondWaitS <= 150, `second retry in ${secondWaitS} s`);
  assert.equal(net.phone.isRegistered, true);
  assert.match(net.phone.lcd, /^Registered \| /, "a retry in the background leaves the display alone");
  net.tftp.setFile(`${NEW_LOAD}.bin`, nextImage());
  net.scheduler.run({ untilUs: net.scheduler.now + (secondWaitS + 30) * 1_000_000 });
  assert.equal(events(net, "upgrade ready").length, 1);
  assert.deepEqual(events(net, "run"), [`P0030801SR01 from slot A (confirmed)`, `${NEW_LOAD} from slot B (trial)`]);
  assert.equal(net.phone.isRegistered, true);
  assert.equal((net.phone.firmwareExport("build_id") as () => number)(), 2);
  assert.equal(readSlot(net.phone.flash, 1).state, "confirmed");
});

test("no SEP file: auto-registration with XMLDefault.cnf.xml", () => {
  const net = buildNetwork({ seed: 35, tftpFiles: { "XMLDefault.cnf.xml": config("P0030801SR01") } });
  assert.equal(bootPhone(net).registered, true);
  // CTL and ITL first (a non-secure cluster has neither), then the SEP file, then XMLDefault.
  assert.deepEqual(events(net, "file"), ["CTLSEP001B54C2A710.tlv", "ITLSEP001B54C2A710.tlv", SEP, "XMLDefault.cnf.xml"]);
});

test("neither file: a named failure on the display, retried, never registered", () => {
  const net = buildNetwork({ seed: 36, tftpFiles: {} });
  const result = bootPhone(net, 150_000);
  assert.equal(result.registered, false);
  assert.equal(net.phone.lcd, "Configuration not found");
  const failures = events(net, "config failed");
  assert.ok(failures.length >= 2, "tried again after 60 s");
  assert.equal(failures[0], "neither SEP<MAC>.cnf.xml nor XMLDefault.cnf.xml on the server");
});

test("option 66 as a host name is resolved by DNS when there is no option 150", () => {
  const net = buildNetwork({ seed: 37, dhcp: { tftpServers: [] } });
  assert.equal(bootPhone(net).registered, true);
  assert.ok(events(net, "dns answer").length >= 1);
  assert.deepEqual(events(net, "server"), ["192.0.2.10 (option 66)"]);
});

test("no option 150 nor 66: a named failure", () => {
  const net = buildNetwork({ seed: 38, dhcp: { tftpServers: [], tftpServerName: undefined } });
  const result = bootPhone(net, 30_000);
  assert.equal(result.registered, false);
  assert.equal(net.phone.lcd, "No TFTP server");
});
