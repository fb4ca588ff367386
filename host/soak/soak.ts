// The soak (issue 11): many seeds of the whole boot, the upgrade included,
// on a phone link with seeded loss, duplication, reordering, corruption,
// jitter and the odd link flap, some with a power cut in the middle of the
// upgrade; and the flash power-cut matrix over the whole upgrade flow. Each
// seed is one pure function of its number: `ipphone soak --seed N` replays it
// frame for frame.
import { buildNetwork, bootPhone, CALLMANAGERS, DEFAULT_PHONE_MAC, sepFileName, type Network } from "../sim/network.js";
import { cnfXml } from "../sim/cnf.js";
import { devImage, readSlot } from "../image.js";
import { PHONE_WASM } from "../firmware.js";
import { Flash, PowerCut } from "../flash.js";
import { Random } from "../sim/random.js";
import type { DirectionFaults, FaultSpec, DirectionStats } from "../sim/faults.js";
import { emptyStats } from "../sim/faults.js";
import type { TimelineEntry } from "../events.js";

export const NEW_LOAD = "P0030801SR02";

export interface SoakOptions {
  /** Highest loss per direction, 0..1 (default 0.30): seed N gets (N mod 31) % of it scaled. */
  maxLoss?: number;
  maxDuplicate?: number;
  maxReorder?: number;
  maxCorrupt?: number;
  maxJitterUs?: number;
  /** One seed in `flapEvery` gets a link flap (0: none; default 8). */
  flapEvery?: number;
  /** One seed in `cutEvery` gets a power cut during the upgrade (0: none; default 4). */
  cutEvery?: number;
  /** Virtual time a seed may take to register, ms (default 30 minutes). */
  limitMs?: number;
  /** Record the phone's port (pcap bytes in the result). */
  pcap?: boolean;
  onEvent?: (e: TimelineEntry) => void;
}

export interface PowerCutPlanOf { atOp: number; tear: number }

/** What one seed was given: JSON, a scenario file's "faults" and the power cut. */
export interface SoakPlan {
  seed: number;
  faults: FaultSpec;
  /** The power cut, counted in flash operations from power-on, or null. */
  powerCut: PowerCutPlanOf | null;
  limitMs: number;
}

export interface SoakResult {
  seed: number;
  plan: SoakPlan;
  registered: boolean;
  /** The load running at the end, and whether the upgrade went through (slot B confirmed, running). */
  load: string | null;
  upgraded: boolean;
  /** Virtual ms from the (last) power-on to registration, or null. */
  registeredAtMs: number | null;
  /** Virtual ms to registration counting the run the power cut ended, or null. */
  totalMs: number | null;
  /** The last stage reached when not registered; the display. */
  stage: string;
  lcd: string;
  /** A trap (WebAssembly.RuntimeError) or another exception: its message. */
  trap: string | null;
  error: string | null;
  /** Whether a power cut happened (it may come after the upgrade's last write: then nothing is cut). */
  cut: boolean;
  faults: DirectionStats;
  /** Corrupted frames the firmware accepted: hex of each. */
  acceptedCorrupt: string[];
  /** Frame counters add up: rx_frames == accepted + every drop. */
  countersAddUp: boolean;
  flashViolations: number;
  pcap: Uint8Array | null;
  timeline: TimelineEntry[];
}

const DEFAULTS = { maxLoss: 0.30, maxDuplicate: 0.05, maxReorder: 0.05, maxCorrupt: 0.05, maxJitterUs: 2000, flapEvery: 8, cutEvery: 4, limitMs: 1_800_000 };

/** The configuration that names the new load, and the new load's signed image (build/phone.wasm under NEW_LOAD). */
export function upgradeFiles(mac = DEFAULT_PHONE_MAC): Record<string, Uint8Array> {
  // As a scenario file's {"config": {"load": ...}} writes it, so that the scenario of a seed replays it byte for byte.
  const cnf = cnfXml({ callManagers: CALLMANAGERS.map((host, i) => ({ host, priority: i })), load: NEW_LOAD });
  return { [sepFileName(mac)]: new TextEncoder().encode(cnf), [`${NEW_LOAD}.bin`]: devImage(PHONE_WASM, NEW_LOAD) };
}

/** Flash operations of one clean upgrade, power-on to registered on the new load (for choosing cut points). */
let upgradeOps: number | null = null;
export function cleanUpgradeOps(): number {
  if (upgradeOps === null) {
    const net = buildNetwork({ seed: 1, tftpFiles: upgradeFiles() });
    const before = net.phone.flash.ops;
    bootPhone(net);
    upgradeOps = net.phone.flash.ops - before;
  }
  return upgradeOps;
}

const round = (x: number, digits = 4) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Seed N's faults: loss stepping through 0..maxLoss with N, the rest drawn from the seed, per direction. */
export function soakPlan(seed: number, options: SoakOptions = {}): SoakPlan {
  const o = { ...DEFAULTS, ...options };
  const rng = new Random((seed ^ 0x50a4) >>> 0);
  const loss = round(o.maxLoss * ((seed % 31) / 30));
  const direction = (): DirectionFaults => ({
    loss,
    duplicate: round(rng.next() * o.maxDuplicate),
    reorder: round(rng.next() * o.maxReorder),
    corrupt: round(rng.next() * o.maxCorrupt),
    jitterUs: rng.int(o.maxJitterUs + 1),
  });
  const phone: FaultSpec["phone"] = { up: direction(), down: direction() };
  if (o.flapEvery > 0 && rng.int(o.flapEvery) === 0) phone.flaps = [{ atMs: 1000 + rng.int(30_000), downMs: 200 + rng.int(5000) }];
  let powerCut: PowerCutPlanOf | null = null;
  if (o.cutEvery > 0 && rng.int(o.cutEvery) === 0) {
    powerCut = { atOp: 1 + rng.int(cleanUpgradeOps()), tear: [0, 0.5, 0.99][rng.int(3)] };
  }
  return { seed, faults: { seed, phone }, powerCut, limitMs: o.limitMs };
}

/** How long a phone that registered on its old load may take to finish the upgrade in the background (its retries wait 60, 120, 240, 480 s). */
const UPGRADE_GRACE_MS = 20 * 60_000;

/** Runs seed N's plan (or `plan`): boot with the upgrade on the faulty link, the power cut if any, then boot again on the same flash. */
export function soakSeed(seed: number, options: SoakOptions = {}, plan = soakPlan(seed, options)): SoakResult {
  const files = upgradeFiles();
  const faults = emptyStats();
  const acceptedCorrupt: string[] = [];
  let flash: Flash | undefined;
  let net: Network | null = null;
  let cut = false;
  let totalMs = 0;
  let trap: string | null = null;
  let error: string | null = null;
  let result: ReturnType<typeof bootPhone> | null = null;
  const pcaps: Uint8Array[] = [];
  const timeline: TimelineEntry[] = [];
  const collect = (n: Network) => {
    const t = n.faults?.total();
    if (t) for (const k of Object.keys(faults) as (keyof DirectionStats)[]) faults[k] += t[k];
    for (const lf of n.faults?.links.values() ?? []) acceptedCorrupt.push(...lf.acceptedCorrupt.map((a) => a.hex));
    if (n.pcap) pcaps.push(n.pcap.toBuffer());
    timeline.push(...n.phone.timeline);
  };
  // Up to two runs: the one the power cut ends, and the one after power returns (with the same faults, reseeded).
  for (let run = 0; run < 2; run++) {
    net = buildNetwork({
      seed: seed + run * 0x10000,
      tftpFiles: files,
      faults: run === 0 ? plan.faults : { ...plan.faults, seed: (plan.faults.seed ?? seed) + 0x10000 },
      pcap: options.pcap,
      phone: { ...(flash ? { flash } : {}), ...(options.onEvent ? { onEvent: options.onEvent } : {}) },
    });
    flash = net.phone.flash;
    if (run === 0 && plan.powerCut) flash.armPowerCut(plan.powerCut);
    try {
      result = bootPhone(net, plan.limitMs);
    } catch (e) {
      if (e instanceof PowerCut) {
        cut = true;
        totalMs += net.phone.nowMs;
        collect(net);
        flash.restorePower();
        continue;
      }
      if (e instanceof WebAssembly.RuntimeError) trap = `${e.message}\n${e.stack ?? ""}`;
      else error = e instanceof Error ? `${e.message}\n${e.stack ?? ""}` : String(e);
    }
    flash.armPowerCut(null);
    break;
  }
  const n = net!;
  if (result?.registered && trap === null && error === null && n.phone.image?.load !== NEW_LOAD) {
    // Registered on the old load: the firmware retries the download in the background; give it the time to.
    try {
      n.scheduler.run({ untilUs: n.scheduler.now + UPGRADE_GRACE_MS * 1000, until: () => n.phone.image?.load === NEW_LOAD && n.phone.isRegistered });
    } catch (e) {
      if (e instanceof WebAssembly.RuntimeError) trap = `${e.message}\n${e.stack ?? ""}`;
      else error = e instanceof Error ? `${e.message}\n${e.stack ?? ""}` : String(e);
    }
  }
  collect(n);
  const report = n.phone.report();
  const c = report.counters;
  const dropped = Object.values(c.dropped).reduce((a, b) => a + b, 0);
  const image = n.phone.image;
  const slotB = readSlot(flash!, 1);
  return {
    seed,
    plan,
    registered: result?.registered ?? false,
    load: image?.load ?? null,
    upgraded: image?.load === NEW_LOAD && image.slot === 1 && slotB.state === "confirmed",
    registeredAtMs: result?.registeredAtMs ?? null,
    totalMs: result?.registeredAtMs == null ? null : totalMs + result.registeredAtMs,
    stage: report.stage,
    lcd: report.lcd,
    trap,
    error,
    cut,
    faults,
    acceptedCorrupt,
    countersAddUp: c.frames_in === c.accepted + dropped,
    flashViolations: flash!.violations,
    pcap: options.pcap ? concatPcaps(pcaps) : null,
    timeline,
  };
}

/** One pcap of the runs of a seed (the second run's records follow the first's, its timestamps after them). */
function concatPcaps(pcaps: Uint8Array[]): Uint8Array {
  if (pcaps.length <= 1) return pcaps[0] ?? new Uint8Array(0);
  const body = pcaps.slice(1).map((p) => p.subarray(24));
  const out = new Uint8Array(pcaps[0].length + body.reduce((a, b) => a + b.length, 0));
  out.set(pcaps[0]);
  let at = pcaps[0].length;
  for (const b of body) { out.set(b, at); at += b.length; }
  return out;
}

// ---------------------------------------------------------------- the power-cut matrix

export interface MatrixResult {
  /** Flash operations of the clean upgrade flow. */
  ops: number;
  tears: number[];
  cuts: number;
  /** Cuts after which the phone registered on the next power-on. */
  registered: number;
  /** Of those, on the new load (the upgrade completed, re-downloaded if need be). */
  upgraded: number;
  failures: { atOp: number; tear: number; stage: string; lcd: string; trap: string | null; error: string | null }[];
  violations: number;
}

/** A power cut at every flash operation of a clean upgrade, at each tear: the phone must come up registered every time. */
export function powerCutMatrix(tears = [0, 0.5, 0.99], faults?: FaultSpec): MatrixResult {
  const ops = cleanUpgradeOps();
  const out: MatrixResult = { ops, tears, cuts: 0, registered: 0, upgraded: 0, failures: [], violations: 0 };
  for (let atOp = 1; atOp <= ops; atOp++) {
    for (const tear of tears) {
      const r = soakSeed(atOp, { }, { seed: atOp, faults: faults ?? {}, powerCut: { atOp, tear }, limitMs: DEFAULTS.limitMs });
      out.cuts++;
      out.violations += r.flashViolations;
      if (r.registered && !r.trap && !r.error) out.registered++;
      else out.failures.push({ atOp, tear, stage: r.stage, lcd: r.lcd, trap: r.trap, error: r.error });
      if (r.upgraded) out.upgraded++;
    }
  }
  return out;
}

// ---------------------------------------------------------------- many seeds

export interface SoakSummary {
  seeds: number;
  registered: number;
  upgraded: number;
  traps: number;
  errors: number;
  cuts: number;
  flaps: number;
  corruptedDelivered: number;
  corruptedAccepted: number;
  corruptUnobserved: number;
  fcsErrors: number;
  lost: number;
  duplicated: number;
  reordered: number;
  countersMismatch: number;
  flashViolations: number;
  /** Seeds not registered, by the last stage they reached. */
  failuresByStage: Record<string, number[]>;
  slowest: { seed: number; ms: number; loss: number } | null;
  wallMs: number;
}

export function summarize(results: SoakResult[], wallMs: number): SoakSummary {
  const s: SoakSummary = {
    seeds: results.length, registered: 0, upgraded: 0, traps: 0, errors: 0, cuts: 0, flaps: 0,
    corruptedDelivered: 0, corruptedAccepted: 0, corruptUnobserved: 0, fcsErrors: 0, lost: 0, duplicated: 0, reordered: 0,
    countersMismatch: 0, flashViolations: 0, failuresByStage: {}, slowest: null, wallMs,
  };
  for (const r of results) {
    if (r.registered) s.registered++;
    if (r.upgraded) s.upgraded++;
    if (r.trap) s.traps++;
    if (r.error) s.errors++;
    if (r.cut) s.cuts++;
    if (r.plan.faults.phone?.flaps?.length) s.flaps++;
    s.corruptedDelivered += r.faults.corrupted;
    s.corruptedAccepted += r.faults.corruptAccepted;
    s.corruptUnobserved += r.faults.corruptUnobserved;
    s.fcsErrors += r.faults.fcsErrors;
    s.lost += r.faults.lost + r.faults.flapped;
    s.duplicated += r.faults.duplicated;
    s.reordered += r.faults.reordered;
    if (!r.countersAddUp) s.countersMismatch++;
    s.flashViolations += r.flashViolations;
    if (!r.registered || r.trap || r.error) (s.failuresByStage[r.trap ? "trap" : r.error ? "error" : r.stage] ??= []).push(r.seed);
    const ms = r.totalMs ?? 0;
    if (r.registered && (s.slowest === null || ms > s.slowest.ms)) s.slowest = { seed: r.seed, ms, loss: r.plan.faults.phone?.up?.loss ?? 0 };
  }
  return s;
}

/** The scenario file (`ipphone boot --scenario`) of a seed: the upgrade and the link faults (no power cut: scenarios have none). */
export function soakScenario(plan: SoakPlan, replay = `ipphone soak --seed ${plan.seed}`): Record<string, unknown> {
  return {
    description: `soak seed ${plan.seed}: the upgrade to ${NEW_LOAD} on a faulty phone link${plan.powerCut ? ` (the soak also cut the power at flash operation ${plan.powerCut.atOp}, tear ${plan.powerCut.tear}: replay with ${replay})` : ""}`,
    seed: plan.seed,
    limit_s: Math.ceil(plan.limitMs / 1000),
    tftp: { files: { "SEP<MAC>.cnf.xml": { config: { load: NEW_LOAD } }, [`${NEW_LOAD}.bin`]: { image: { load: NEW_LOAD } } } },
    faults: plan.faults,
  };
}
