// The storm's answer to the network engineer: when was every phone
// registered, how long each stage took, how loaded each server was, which
// one held the phones up, and which phones stayed dark. The summary is a
// pure function of the run (virtual time only), so the same seed gives the
// same JSON; wall-clock figures are printed beside it, never put in it.
import { REG_FAILURES, STAGES } from "../events.js";
import { valueOf } from "../mirror.js";
import type { UpgradeOutcome } from "../verdict.js";
import { C, COUNTS, M, MILESTONES, REG_REASONS, type PhoneInfo } from "./cell.js";
import type { StormRun } from "./engine.js";
import { describeNet, phoneMac, SERVERS, VOICE_VLAN } from "./plan.js";
import type { HarnessFigures, SeenServer } from "./realtime.js";

export interface Percentiles {
  count: number;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  max: number | null;
  mean: number | null;
}

export type ServerName = "dhcp" | "tftp" | "callmanager";

export interface StormSummary {
  phones: number;
  switches: number;
  seed: number;
  loss: number;
  stopped_by: StormRun["stoppedBy"];
  powered: number;
  registered: number;
  dark: number;
  /** Virtual ms from the power coming back until the last phone that has power registered; null if some never did. */
  time_to_all_registered_ms: number | null;
  /** The load the configuration names, and the registered phones that do not run it (their upgrade failed, was refused or reverted). */
  config_load: string;
  load_not_reached: number;
  /** Power back -> registered, per phone (ms). */
  time_to_registered_ms: Percentiles;
  /** Time spent in each stage (ms): power (PoE detection to power), boot, vlan, dhcp, tftp (with any upgrade), register. */
  stages_ms: Record<(typeof STAGES)[number], Percentiles>;
  /** What each phone waited on a server (ms): DHCP first DISCOVER -> ACK, TFTP transfers, CallManager StationRegister -> registered. */
  server_wait_ms: Record<ServerName, Percentiles & { total_phone_s: number }>;
  bottleneck: { server: ServerName | "uplink" | null; name: string | null; reason: string };
  /** Phone-seconds each cause cost the building (what the bottleneck is chosen from): see timeLost(). */
  time_lost: TimeLost;
  /** Powered phones by what became of the upgrade (host/verdict.ts's outcomes), and by outcome and reason. */
  upgrade_outcomes: Partial<Record<UpgradeOutcome, number>>;
  upgrade_reasons: Array<{ outcome: UpgradeOutcome; reason: string; phones: number }>;
  /** Phones that did not register (dark ones included): the stage they stopped in and its most specific cause, counted. */
  failure_causes: Array<{ stage: string; cause: string; phones: number }>;
  servers: {
    dhcp: {
      ip: string; /** The server whose published rate the limit is (null: a rate the scenario set). */ server: string | null; answers_per_second_limit: number; backlog: number; requests: number; answers: number; offers: number; acks: number;
      naks: number; dropped: number; peak_backlog: number; mean_queue_ms: number; max_queue_ms: number;
      /** Seconds of virtual time in which the server answered at 95 % of its limit or more. */
      seconds_at_limit: number;
    };
    tftp: {
      ip: string; bytes_per_second_limit: number; transfers: number; completed: number; bytes: number; peak_concurrent: number;
      retransmitted_packets: number; timeouts: number; not_found: number;
      /** CUCM's serving limit (0: none): requests served at a time and the Maximum Serving Count; requests that waited, the longest queue, busy answers. */
      connections: number; max_serving_count: number; queued: number; peak_queue: number; busy: number;
    };
    callmanagers: Array<{
      name: string; ip: string; registrations_per_second_limit: number; registrations: number; throttled: number; peak_queue: number; rejects: number; connections: number;
      /** "up", or down as the scenario made it: "silent" (the host answers nothing) or "refuse" (connections refused); "not answering" when up yet no phone got through. */
      state: CmState;
      /** Attempts of phones that failed on it, by the firmware's reason. */
      failed_attempts: Record<string, number>;
      /** Its SIP registrar's counts, when SIP phones spoke to it. */
      sip?: { registrations: number; refreshes: number; challenges: number; stale: number; forbidden: number; too_brief: number; throttled: number; bad_requests: number; options_sent: number; options_answered: number };
      /** Phone-seconds spent on attempts that failed on it before failing over. */
      lost_phone_s: number;
      /** Real storm: registered phones that lost it (it went away) and failed over. */
      lost_registered?: number;
    }>;
    router: { routed: number; dhcp_relayed_up: number; dhcp_relayed_down: number; arp_requests: number; dropped: Record<string, number> };
  };
  refusals: {
    poe_denied_ports: number;
    poe_denial_log_lines: number;
    dhcp_dropped: number;
    dhcp_naks: number;
    callmanager_throttled: number;
    callmanager_rejects: number;
    registration_failures: number;
    failovers: number;
    tftp_timeouts: number;
  };
  dark_phones: Array<{ switch: string; port: string; mac: string; priority: string; log: string[] }>;
  upgrade: { load: string; upgraded: number } | null;
  poe: { budget_w_per_switch: number[]; granted: number };
  network: { servers: string; voice_vlan: number; voice_subnets: string; uplink_latency_us: number; uplink_bits_per_second: number };
  uplinks: {
    frames_up: number; frames_down: number; bytes_up: number; bytes_down: number; lost_up: number; lost_down: number;
    /** The phones' DHCP messages the uplinks lost (requests up, answers down): losses no server saw. */
    dhcp_lost: number;
  };
  simulation: { windows: number; window_us: number; events: number; uplink_messages: number; end_ms: number };
  /** A storm against real servers (storm --link vxlan): the servers as the phones saw them, and the harness's own load. */
  real?: RealSection;
}

export interface RealSection {
  link: { kind: "vxlan"; remote: string; vni: number; port: number };
  /** Phones registered at the end (a phone whose CallManager went away counts once it registered on another). */
  registered_at_end: number;
  servers: SeenServer[];
  harness: HarnessFigures;
}

/** The real servers as the phones saw them, and what the harness cost. */
export function formatSeen(r: RealSection): string[] {
  const out: string[] = ["  real servers, as the phones saw them:"];
  for (const v of r.servers) {
    const what = v.role === "dhcp" ? `${v.answers} answers (${v.offers} OFFER, ${v.acks} ACK), ${v.refusals} NAK, ${v.retries} requests sent again unanswered, ${v.timeouts} give-ups`
      : v.role === "tftp" ? `${v.answers}/${v.requests} files received, ${v.refusals} ERROR answers, ${v.retries} packets sent again, ${v.timeouts} timeouts`
      : `${v.answers} registrations of ${v.requests} attempts, ${v.refusals} refused or rejected, ${v.timeouts} timeouts${Object.keys(v.failures ?? {}).length ? `; failed: ${Object.entries(v.failures!).map(([w, n]) => `${n} ${w}`).join(", ")}` : ""}${v.lost_registered ? `; ${v.lost_registered} registered phones LOST it and failed over` : ""}`;
    out.push(`    ${(v.role === "callmanager" ? v.name : v.role.toUpperCase()).padEnd(4)} ${v.ip.padEnd(15)} ${what}`);
  }
  const h = r.harness;
  out.push(`  harness: ${h.cpu_s.toFixed(1)} CPU s in ${h.wall_s.toFixed(1)} s, event-loop lag p99 ${h.event_loop_lag_ms.p99} ms (max ${h.event_loop_lag_ms.max}), deadlines run late p99 ${h.deadline_lateness_ms.p99 ?? 0} ms over ${h.ticks} ticks; frames up ${h.frames_up}, down ${h.frames_down}${h.link.kernel_drops ? `, ${h.link.kernel_drops} dropped by the kernel (socket buffer full)` : ""}`);
  out.push(`  registered at the end: ${r.registered_at_end}`);
  return out;
}

const ms = (us: number) => Math.round(us) / 1000;
/** µs summed over phones -> phone-seconds, to the ms. */
const phoneS = (us: number) => Math.round(us / 1000) / 1000;

export type CmState = "up" | "silent" | "refuse" | "not answering" | "lost";

export interface TimeLost {
  /** DHCP: first DISCOVER to ACK, less what the uplinks' losses cost (the server's queue, drops and slowness). */
  dhcp_phone_s: number;
  /** DHCP retries after the uplinks lost a phone's request or its answer. */
  uplink_loss_phone_s: number;
  tftp_phone_s: number;
  /** StationRegister to registered on the CallManager that took the phone. */
  callmanager_phone_s: number;
  /** Attempts that failed, per CallManager (CM1 first), before the phone failed over. */
  failed_attempts_phone_s: number[];
  /** Back-off after every CallManager failed, before the next round. */
  all_down_backoff_phone_s: number;
}

/** Nearest-rank percentiles of µs values, in ms. */
export function percentiles(valuesUs: number[]): Percentiles {
  const v = Float64Array.from(valuesUs.filter((x) => Number.isFinite(x))).sort();
  const n = v.length;
  if (n === 0) return { count: 0, p50: null, p90: null, p99: null, max: null, mean: null };
  const at = (p: number) => ms(v[Math.max(0, Math.ceil((p / 100) * n) - 1)]);
  let sum = 0;
  for (const x of v) sum += x;
  return { count: n, p50: at(50), p90: at(90), p99: at(99), max: ms(v[n - 1]), mean: Math.round(sum / n) / 1000 };
}

/** Per-phone columns of the run, in phone order. */
export interface PhoneTable {
  n: number;
  col(m: number): Float64Array;
  count(c: number): Uint16Array;
  info: PhoneInfo[];
  /** DHCP messages of each phone lost on the uplinks, either way. */
  dhcpUplinkLost: Uint16Array;
}

export function phoneTable(run: StormRun): PhoneTable {
  const n = run.plan.phones;
  const cols = new Map<number, Float64Array>();
  const cnts = new Map<number, Uint16Array>();
  const info: PhoneInfo[] = [];
  for (const c of run.cells) info.push(...c.phoneInfo);
  const dhcpUplinkLost = new Uint16Array(n);
  for (const c of run.cells) for (let i = 0; i < c.phones; i++) dhcpUplinkLost[c.firstPhone + i] = c.counts[i * COUNTS + C.dhcpUplinkLost];
  for (const [phone, k] of run.core.dhcpLostDown) dhcpUplinkLost[phone] += k;
  return {
    n,
    info,
    dhcpUplinkLost,
    col(m) {
      let a = cols.get(m);
      if (!a) {
        a = new Float64Array(n);
        for (const c of run.cells) for (let i = 0; i < c.phones; i++) a[c.firstPhone + i] = c.milestones[i * MILESTONES + m];
        cols.set(m, a);
      }
      return a;
    },
    count(k) {
      let a = cnts.get(k);
      if (!a) {
        a = new Uint16Array(n);
        for (const c of run.cells) for (let i = 0; i < c.phones; i++) a[c.firstPhone + i] = c.counts[i * COUNTS + k];
        cnts.set(k, a);
      }
      return a;
    },
  };
}

/** The stage durations of each phone (µs), NaN where the phone did not get through the stage. */
export function stageDurations(t: PhoneTable): Record<(typeof STAGES)[number], number[]> {
  const starts = [t.col(M.powered), t.col(M.boot), t.col(M.vlan), t.col(M.dhcp), t.col(M.tftp), t.col(M.register), t.col(M.registered)];
  const out = {} as Record<(typeof STAGES)[number], number[]>;
  STAGES.forEach((stage, s) => {
    const d: number[] = [];
    for (let i = 0; i < t.n; i++) {
      // power: from the power coming back (t = 0) to the PoE grant.
      const from = s === 0 ? 0 : starts[s][i];
      d.push(starts[s + 1][i] - from);
    }
    out[stage] = d;
  });
  return out;
}

/** Per phone, the µs waited on each server. */
export function serverWaits(t: PhoneTable): Record<ServerName, number[]> {
  const dhcpFirst = t.col(M.dhcpFirst), dhcpAck = t.col(M.dhcpAck), tftp = t.col(M.tftpBusy), transfers = t.count(C.transfers);
  // A CallManager's wait ends with its RegisterAck: the set-up's round trips after it are the network's.
  const sent = t.col(M.regSent), reg = t.col(M.regAcked);
  const dhcp: number[] = [], tf: number[] = [], cm: number[] = [];
  for (let i = 0; i < t.n; i++) {
    dhcp.push(dhcpAck[i] - dhcpFirst[i]);
    tf.push(transfers[i] > 0 ? tftp[i] : NaN);
    cm.push(reg[i] - sent[i]);
  }
  return { dhcp, tftp: tf, callmanager: cm };
}

/** A server is the bottleneck when phones waited on it at least this long on average (and longer than on any other). */
export const BOTTLENECK_MIN_MEAN_MS = 500;

/**
 * Where the phones' time went, in phone-seconds. DHCP retries are split
 * between the uplinks and the server: a phone's unanswered requests are
 * first explained by its DHCP messages the uplinks lost (each loss leaves
 * one request unanswered), the rest by the server (queue, drops). Time on a
 * CallManager that failed the phone is charged to that CallManager.
 */
export function timeLost(run: StormRun, t: PhoneTable, serverWait: StormSummary["server_wait_ms"]): TimeLost {
  const dhcpLost = t.col(M.dhcpLost), unanswered = t.count(C.dhcpUnanswered);
  let uplinkUs = 0;
  for (let i = 0; i < t.n; i++) {
    const n = unanswered[i];
    if (n > 0 && t.dhcpUplinkLost[i] > 0) uplinkUs += (dhcpLost[i] * Math.min(n, t.dhcpUplinkLost[i])) / n;
  }
  const failed = run.plan.callManagers.map((_, k) => t.col(M.cmLost + k).reduce((a, b) => a + b, 0));
  const uplink = phoneS(uplinkUs);
  return {
    dhcp_phone_s: Math.max(0, Math.round((serverWait.dhcp.total_phone_s - uplink) * 1000) / 1000),
    uplink_loss_phone_s: uplink,
    tftp_phone_s: serverWait.tftp.total_phone_s,
    callmanager_phone_s: serverWait.callmanager.total_phone_s,
    failed_attempts_phone_s: failed.map(phoneS),
    all_down_backoff_phone_s: phoneS(t.col(M.allDownLost).reduce((a, b) => a + b, 0)),
  };
}

/** Per CallManager, the failed attempts by the firmware's reason ("connect timeout": 96). */
function cmFailureCounts(run: StormRun): Array<Record<string, number>> {
  return run.plan.callManagers.map((_, k) => {
    const out: Record<string, number> = {};
    for (let r = 1; r < REG_REASONS; r++) {
      const n = run.cells.reduce((a, c) => a + c.cmFailures[k * REG_REASONS + r], 0);
      if (n > 0) out[valueOf(REG_FAILURES, r) ?? `reason ${r}`] = n;
    }
    return out;
  });
}

const STATE_WORDS: Record<CmState, string> = {
  up: "up", silent: "down, silent (no answer at all)", refuse: "down, refusing connections", "not answering": "up, yet no phone got through",
  lost: "LOST during the storm (phones registered on it failed over)",
};

/** "CM1 192.0.2.11 down (silent: no answer at all): 96 connect timeout". */
function cmStory(c: { name: string; ip: string }, state: CmState, failures: Record<string, number>): string {
  const f = Object.entries(failures).map(([why, n]) => `${n} ${why}`).join(", ");
  return `${c.name} ${c.ip} ${STATE_WORDS[state]}${f ? `: ${f}` : ""}`;
}

/**
 * The cause that cost the most phone-seconds: DHCP, TFTP, the CallManagers
 * (the one that took the most, failed attempts and failover included) or the
 * uplinks' losses. None when no cause cost 500 ms a phone on average; when
 * no CallManager registered a phone, that is the answer whatever the rest.
 */
function findBottleneck(run: StormRun, t: PhoneTable, lost: TimeLost, serverWait: StormSummary["server_wait_ms"], states: CmState[], failures: Array<Record<string, number>>): StormSummary["bottleneck"] {
  const cms = run.core.callManagers;
  const failedTotal = lost.failed_attempts_phone_s.reduce((a, b) => a + b, 0) + lost.all_down_backoff_phone_s;
  const charged: Record<ServerName | "uplink", number> = {
    dhcp: lost.dhcp_phone_s, tftp: lost.tftp_phone_s, callmanager: lost.callmanager_phone_s + failedTotal, uplink: lost.uplink_loss_phone_s,
  };
  const keys = (["dhcp", "tftp", "callmanager", "uplink"] as const).filter((k) => k !== "uplink" || charged.uplink > 0);
  const ranked = keys.slice().sort((a, b) => charged[b] - charged[a]);
  const fmt = (k: ServerName | "uplink") => `${k === "uplink" ? "uplink loss" : k} ${charged[k].toFixed(1)}`;
  const list = `phone-seconds waited: ${ranked.map(fmt).join(", ")}`;
  // Refused connects cost next to nothing: only the CallManagers that cost a tenth of a phone-second are listed.
  const lostStory = lost.failed_attempts_phone_s.map((x, k) => (x >= 0.05 ? `${cms[k].name} ${x.toFixed(1)}` : null)).filter((x) => x !== null);
  if (lost.all_down_backoff_phone_s >= 0.05) lostStory.push(`back-off after all failed ${lost.all_down_backoff_phone_s.toFixed(1)}`);
  const failover = lostStory.length ? `; lost on CallManagers that failed the phones, before failing over: ${lostStory.join(", ")}` : "";
  const stories = cms.map((c, k) => cmStory(c, states[k], failures[k])).join("; ");
  const powered = t.col(M.powered).reduce((a, x) => a + (Number.isNaN(x) ? 0 : 1), 0);
  if (powered > 0 && cms.every((c) => c.registrations === 0)) {
    return { server: "callmanager", name: "no CallManager answered", reason: `${stories}; ${failedTotal.toFixed(1)} phone-seconds lost trying them (${lostStory.join(", ")})` };
  }
  const top = ranked[0];
  const meanMs = (charged[top] * 1000) / Math.max(1, top === "dhcp" || top === "tftp" ? serverWait[top].count : powered);
  if (meanMs < BOTTLENECK_MIN_MEAN_MS) {
    return { server: null, name: null, reason: `no server kept phones waiting ${BOTTLENECK_MIN_MEAN_MS} ms on average (${list}${failover}): the phones' own timers set the pace` };
  }
  const name = bottleneckName(top, run, t, lost, states);
  const what = top === "uplink" ? "the phones lost most time to DHCP messages the uplinks lost (not to any server)" : `phones waited longest on ${name}`;
  return { server: top, name, reason: `${what}: ${(meanMs / 1000).toFixed(3)} s on average; ${list}${failover}` };
}

/** The CallManager charged most: its registrations' waits plus the attempts that failed on it. */
function bottleneckName(top: ServerName | "uplink", run: StormRun, t: PhoneTable, lost: TimeLost, states: CmState[]): string {
  if (top === "dhcp") return `DHCP ${run.core.dhcp.ip ?? SERVERS.dhcp.ip}`;
  if (top === "tftp") return `TFTP ${run.core.tftp.ip ?? SERVERS.tftp.ip}`;
  if (top === "uplink") return "uplink loss";
  const cms = run.core.callManagers;
  const sent = t.col(M.regSent), reg = t.col(M.regAcked);
  const charged = lost.failed_attempts_phone_s.map((x) => x * 1e6);
  for (let i = 0; i < t.n; i++) {
    const k = Number(t.info[i].callmanager?.slice(2)) - 1;
    if (k >= 0 && Number.isFinite(reg[i] - sent[i])) charged[k] += reg[i] - sent[i];
  }
  // Ties (and a building where nothing failed) go to the most throttled, as before.
  let worst = 0;
  for (let k = 1; k < cms.length; k++) {
    if (charged[k] > charged[worst] || (charged[k] === charged[worst] && cms[k].throttled > cms[worst].throttled)) worst = k;
  }
  const state = states[worst] === "up" ? "" : `, ${STATE_WORDS[states[worst]]}`;
  return `CallManager ${cms[worst].name} ${cms[worst].ip}${state}`;
}

const OUTCOME_WORDS: Record<UpgradeOutcome, string> = {
  none: "need none", upgraded: "upgraded and confirmed", trial: "on trial", downloading: "still downloading",
  download_failed: "download failed", refused: "refused by the bootloader", reverted: "reverted", skipped: "not tried (refused before)",
};

const OUTCOMES: UpgradeOutcome[] = ["none", "upgraded", "trial", "downloading", "download_failed", "refused", "reverted", "skipped"];

function upgradeOutcomes(info: PhoneInfo[]): Partial<Record<UpgradeOutcome, number>> {
  const n = new Map<UpgradeOutcome, number>();
  for (const p of info) if (p.load !== null || p.failure !== null) n.set(p.upgrade, (n.get(p.upgrade) ?? 0) + 1);
  return Object.fromEntries(OUTCOMES.filter((o) => n.has(o)).map((o) => [o, n.get(o)!]));
}

function upgradeReasons(info: PhoneInfo[]): StormSummary["upgrade_reasons"] {
  const n = new Map<string, { outcome: UpgradeOutcome; reason: string; phones: number }>();
  for (const p of info) {
    if (p.upgradeReason === null) continue;
    const key = `${p.upgrade}\n${p.upgradeReason}`;
    const e = n.get(key) ?? { outcome: p.upgrade, reason: p.upgradeReason, phones: 0 };
    e.phones++;
    n.set(key, e);
  }
  return [...n.values()].sort((a, b) => b.phones - a.phones || (a.outcome + a.reason < b.outcome + b.reason ? -1 : 1));
}

/** A cause with what differs from phone to phone (its own address, counts of tries) taken out, so that alike causes count together. */
export function causeKind(reason: string): string {
  return reason
    .replace(/\b10\.\d+\.\d+\.\d+\b/g, "its address")
    .replace(/\.\.:[0-9a-f]{6}\b/g, "..:MAC")
    .replace(/\b\d+ (DISCOVERs?|queries)\b/g, "N $1")
    .replace(/\(\d+ bytes received\)/g, "(N bytes received)");
}

function failureCauses(run: StormRun, info: PhoneInfo[]): StormSummary["failure_causes"] {
  const n = new Map<string, { stage: string; cause: string; phones: number }>();
  const add = (stage: string, cause: string) => {
    const key = `${stage}\n${cause}`;
    const e = n.get(key) ?? { stage, cause, phones: 0 };
    e.phones++;
    n.set(key, e);
  };
  for (const p of info) if (p.failure) add(p.failure.stage, causeKind(p.failure.reason));
  for (const c of run.cells) for (const d of c.dark) add("power", d.log.length ? "inline power denied: insufficient power" : "no power");
  return [...n.values()].sort((a, b) => b.phones - a.phones || (a.stage + a.cause < b.stage + b.cause ? -1 : 1));
}

export function summarize(run: StormRun): StormSummary {
  const { plan, core } = run;
  const t = phoneTable(run);
  const reg = t.col(M.registered);
  const powered = t.col(M.powered);
  let nPowered = 0, nRegistered = 0, last = 0;
  for (let i = 0; i < t.n; i++) {
    if (!Number.isNaN(powered[i])) nPowered++;
    if (!Number.isNaN(reg[i])) { nRegistered++; if (reg[i] > last) last = reg[i]; }
  }
  const durations = stageDurations(t);
  const waits = serverWaits(t);
  const serverWait = {} as StormSummary["server_wait_ms"];
  for (const k of ["dhcp", "tftp", "callmanager"] as ServerName[]) {
    const total = waits[k].reduce((s, x) => (Number.isFinite(x) ? s + x : s), 0);
    serverWait[k] = { ...percentiles(waits[k]), total_phone_s: Math.round(total / 1000) / 1000 };
  }
  const cms = core.callManagers;
  const lost = timeLost(run, t, serverWait);
  const cmFailures = cmFailureCounts(run);
  const states = cms.map((c, i): CmState => plan.callManagers[i].down ?? ((c.lostRegistered ?? 0) > 0 ? "lost" : c.registrations === 0 && Object.keys(cmFailures[i]).length > 0 ? "not answering" : "up"));
  const bottleneck = findBottleneck(run, t, lost, serverWait, states, cmFailures);
  const d = core.dhcp;
  const failovers = t.count(C.failovers).reduce((a, b) => a + b, 0);
  const regFailures = t.count(C.regFailures).reduce((a, b) => a + b, 0);
  const upgraded = t.count(C.upgraded).reduce((a, b) => a + (b > 0 ? 1 : 0), 0);
  const dark: StormSummary["dark_phones"] = [];
  let denialLines = 0;
  for (const c of run.cells) {
    for (const x of c.dark) {
      dark.push({ switch: c.name, port: `Fa0/${x.port + 1}`, mac: phoneMac(c.firstPhone + x.port, plan.macBase), priority: x.priority, log: x.log });
    }
    denialLines += c.poe.denials;
  }
  const sum = (f: (c: StormRun["cells"][number]) => number) => run.cells.reduce((n, c) => n + f(c), 0);
  const first = plan.cells[0], lastCell = plan.cells[plan.cells.length - 1];
  return {
    phones: plan.phones,
    switches: plan.switches,
    seed: plan.seed,
    loss: plan.loss,
    stopped_by: run.stoppedBy,
    powered: nPowered,
    registered: nRegistered,
    dark: t.n - nPowered,
    time_to_all_registered_ms: nRegistered === nPowered && nPowered > 0 ? ms(last) : null,
    config_load: plan.load,
    load_not_reached: t.info.filter((p) => p.failure === null && p.loadReached === false).length,
    time_to_registered_ms: percentiles(Array.from(reg)),
    stages_ms: Object.fromEntries(STAGES.map((s) => [s, percentiles(durations[s])])) as StormSummary["stages_ms"],
    server_wait_ms: serverWait,
    bottleneck,
    time_lost: lost,
    upgrade_outcomes: upgradeOutcomes(t.info),
    upgrade_reasons: upgradeReasons(t.info),
    failure_causes: failureCauses(run, t.info),
    servers: {
      dhcp: {
        ip: d.ip ?? SERVERS.dhcp.ip, server: run.plan.dhcp.server, answers_per_second_limit: d.answersPerSecondLimit, backlog: d.backlog, requests: d.served + d.dropped,
        answers: d.answers, offers: d.offers, acks: d.acks, naks: d.naks, dropped: d.dropped, peak_backlog: d.peakBacklog,
        mean_queue_ms: d.served ? Math.round(d.waitUs / d.served) / 1000 : 0, max_queue_ms: ms(d.maxWaitUs),
        seconds_at_limit: d.answersPerSecondLimit > 0 ? d.answersPerSecond.filter((a) => a >= 0.95 * d.answersPerSecondLimit).length : 0,
      },
      tftp: {
        ip: core.tftp.ip ?? SERVERS.tftp.ip, bytes_per_second_limit: core.tftp.bytesPerSecond, transfers: core.tftp.requests, completed: core.tftp.completed,
        bytes: core.tftp.bytesSent, peak_concurrent: core.tftp.peakConcurrent, retransmitted_packets: core.tftp.retransmitted,
        timeouts: core.tftp.timeouts, not_found: core.tftp.notFound,
        connections: core.tftp.connections, max_serving_count: core.tftp.maxServingCount, queued: core.tftp.queued, peak_queue: core.tftp.peakQueue, busy: core.tftp.busy,
      },
      callmanagers: cms.map((c, i) => ({
        name: c.name, ip: c.ip, registrations_per_second_limit: c.registrationsPerSecond, registrations: c.registrations,
        throttled: c.throttled, peak_queue: c.peakQueue, rejects: c.rejects, connections: c.connections,
        state: states[i], failed_attempts: cmFailures[i], lost_phone_s: lost.failed_attempts_phone_s[i],
        ...(c.lostRegistered ? { lost_registered: c.lostRegistered } : {}),
        ...(c.sip.requests > 0 ? { sip: {
          registrations: c.sip.registrations, refreshes: c.sip.refreshes, challenges: c.sip.challenges, stale: c.sip.stale,
          forbidden: c.sip.badPassword + c.sip.unknownUser + c.sip.wrongAuthName, too_brief: c.sip.tooBrief, throttled: c.sip.throttled,
          bad_requests: c.sip.badRequests, options_sent: c.sip.optionsSent, options_answered: c.sip.optionsAnswered,
        } } : {}),
      })),
      router: {
        routed: core.router.routed, dhcp_relayed_up: core.router.relayedUp, dhcp_relayed_down: core.router.relayedDown,
        arp_requests: core.router.arpRequests, dropped: Object.fromEntries(Object.entries(core.router.dropped).sort()),
      },
    },
    refusals: {
      poe_denied_ports: dark.length,
      poe_denial_log_lines: denialLines,
      dhcp_dropped: d.dropped,
      dhcp_naks: d.naks,
      callmanager_throttled: cms.reduce((n, c) => n + c.throttled, 0),
      callmanager_rejects: cms.reduce((n, c) => n + c.rejects, 0),
      registration_failures: regFailures,
      failovers,
      tftp_timeouts: core.tftp.timeouts,
    },
    dark_phones: dark,
    upgrade: plan.upgrade ? { load: plan.upgrade.load, upgraded } : null,
    poe: { budget_w_per_switch: [...new Set(plan.cells.map((c) => c.budgetMw / 1000))], granted: sum((c) => c.poe.granted) },
    network: {
      servers: "192.0.2.0/24",
      voice_vlan: VOICE_VLAN,
      voice_subnets: first === lastCell ? describeNet(first) : `${describeNet(first)} .. ${describeNet(lastCell)}, one per access switch`,
      uplink_latency_us: plan.uplink.latencyUs,
      uplink_bits_per_second: plan.uplink.bitsPerSecond,
    },
    uplinks: {
      frames_up: sum((c) => c.framesUp), frames_down: sum((c) => c.framesDown), bytes_up: sum((c) => c.bytesUp),
      bytes_down: sum((c) => c.bytesDown), lost_up: sum((c) => c.lostUp), lost_down: core.lostDown,
      dhcp_lost: t.dhcpUplinkLost.reduce((a, b) => a + b, 0),
    },
    simulation: { windows: run.windows, window_us: plan.uplink.latencyUs, events: run.events, uplink_messages: run.messages, end_ms: ms(run.endUs) },
  };
}

const sec = (v: number | null) => (v === null ? "     -" : (v / 1000).toFixed(3).padStart(8));

/** The summary as a terminal reads it. */
export function formatSummary(s: StormSummary, wall?: { seconds: number; peakRssBytes: number; workers: number }): string[] {
  const out: string[] = [];
  out.push(`storm: ${s.phones} phones on ${s.switches} access switch${s.switches === 1 ? "" : "es"}, seed ${s.seed}${s.loss ? `, loss ${s.loss}` : ""}`);
  out.push(`  powered ${s.powered}, registered ${s.registered}, dark ${s.dark}`);
  const clock = s.real ? "real" : "virtual";
  if (s.time_to_all_registered_ms !== null) out.push(`  every powered phone registered ${(s.time_to_all_registered_ms / 1000).toFixed(3)} s after the power came back (${clock} time)`);
  else out.push(`  not every powered phone registered: stopped by ${s.stopped_by} at ${(s.simulation.end_ms / 1000).toFixed(3)} s of ${clock} time`);
  if (s.load_not_reached > 0) out.push(`  ${s.load_not_reached} registered phone${s.load_not_reached === 1 ? "" : "s"} NOT on the configuration's load ${s.config_load} (the upgrade failed, was refused or reverted)`);
  if (wall) {
    out.push(`  wall time ${wall.seconds.toFixed(1)} s (${Math.round(s.phones / wall.seconds)} phones/s, ${wall.workers} thread${wall.workers === 1 ? "" : "s"}), peak RSS ${(wall.peakRssBytes / 2 ** 20).toFixed(0)} MiB`);
  }
  out.push("");
  out.push("  seconds             p50      p90      p99      max");
  out.push(`  registered     ${sec(s.time_to_registered_ms.p50)} ${sec(s.time_to_registered_ms.p90)} ${sec(s.time_to_registered_ms.p99)} ${sec(s.time_to_registered_ms.max)}`);
  for (const [stage, p] of Object.entries(s.stages_ms)) out.push(`    ${stage.padEnd(12)} ${sec(p.p50)} ${sec(p.p90)} ${sec(p.p99)} ${sec(p.max)}`);
  out.push("  waiting on servers");
  for (const [k, p] of Object.entries(s.server_wait_ms)) out.push(`    ${k.padEnd(12)} ${sec(p.p50)} ${sec(p.p90)} ${sec(p.p99)} ${sec(p.max)}   ${p.total_phone_s.toFixed(1)} phone-s`);
  out.push("");
  if (s.real) out.push(...formatSeen(s.real));
  else {
    const d = s.servers.dhcp;
    out.push(`  DHCP ${d.ip}: ${d.server ? `${d.server}, ` : ""}${d.answers_per_second_limit || "unlimited"} answers/s, backlog ${d.backlog}: ${d.answers} answers (${d.offers} OFFER, ${d.acks} ACK, ${d.naks} NAK), ${d.dropped} requests dropped, peak backlog ${d.peak_backlog}, queue mean ${d.mean_queue_ms} ms max ${d.max_queue_ms} ms, ${d.seconds_at_limit} s at the limit`);
    const tf = s.servers.tftp;
    out.push(`  TFTP ${tf.ip}: ${tf.bytes_per_second_limit ? `${(tf.bytes_per_second_limit * 8 / 1e6).toFixed(1)} Mbit/s` : "unlimited"} shared: ${tf.completed}/${tf.transfers} transfers, ${tf.bytes} bytes, peak ${tf.peak_concurrent} at once, ${tf.retransmitted_packets} packets again, ${tf.timeouts} timeouts${tf.connections ? `; ${tf.connections} served at a time, max serving count ${tf.max_serving_count}: ${tf.queued} queued (peak ${tf.peak_queue}), ${tf.busy} answered busy` : ""}`);
    for (const c of s.servers.callmanagers) {
      const failed = Object.entries(c.failed_attempts).map(([why, n]) => `${n} ${why}`).join(", ");
      const down = c.state === "up" ? "" : ` ${STATE_WORDS[c.state].toUpperCase()}:`;
      out.push(`  ${c.name} ${c.ip}:${down} ${c.registrations_per_second_limit || "unlimited"} registrations/s: ${c.registrations} registrations, ${c.throttled} throttled, peak queue ${c.peak_queue}, ${c.rejects} rejected${failed ? `; attempts failed: ${failed}, ${c.lost_phone_s.toFixed(1)} phone-s lost on it` : ""}`);
      const sip = c.sip;
      if (sip) out.push(`    SIP: ${sip.registrations} registrations, ${sip.refreshes} refreshes, ${sip.challenges} challenges (${sip.stale} stale), ${sip.forbidden} forbidden, ${sip.too_brief} too brief, ${sip.throttled} throttled (503), ${sip.bad_requests} bad requests`);
    }
  }
  const u = s.uplinks;
  if (u.lost_up + u.lost_down > 0) {
    out.push(`  uplink loss: ${u.lost_up} frames lost up, ${u.lost_down} down (${u.dhcp_lost} of them DHCP, which no server saw): ${s.time_lost.uplink_loss_phone_s.toFixed(1)} phone-s of DHCP retries`);
  }
  out.push("");
  out.push(`  bottleneck: ${s.bottleneck.name ?? "none"}: ${s.bottleneck.reason}`);
  const r = s.refusals;
  out.push(`  refusals: PoE ${r.poe_denied_ports} ports dark, DHCP ${r.dhcp_dropped} dropped and ${r.dhcp_naks} NAK, CallManagers ${r.callmanager_throttled} throttled and ${r.callmanager_rejects} rejected, ${r.registration_failures} registration failures, ${r.failovers} failovers, TFTP ${r.tftp_timeouts} timeouts`);
  if (s.upgrade) {
    const o = Object.entries(s.upgrade_outcomes).map(([k, n]) => `${n} ${OUTCOME_WORDS[k as UpgradeOutcome]}`).join(", ");
    out.push(`  upgrade to ${s.upgrade.load}: ${o || "no phone read its configuration"}`);
    for (const r of s.upgrade_reasons.slice(0, 5)) out.push(`    ${r.phones} ${OUTCOME_WORDS[r.outcome]}: ${r.reason}`);
  }
  if (s.failure_causes.length > 0) {
    out.push(`  not registered (${s.failure_causes.reduce((n, c) => n + c.phones, 0)}), by cause:`);
    for (const c of s.failure_causes.slice(0, 10)) out.push(`    ${String(c.phones).padStart(6)}  ${c.stage}: ${c.cause}`);
    if (s.failure_causes.length > 10) out.push(`    ... and ${s.failure_causes.length - 10} more causes (--json lists them all)`);
  }
  if (s.dark_phones.length > 0) {
    out.push(`  dark phones (${s.dark_phones.length}):`);
    for (const p of s.dark_phones.slice(0, 20)) out.push(`    ${p.switch} ${p.port} ${p.mac} priority ${p.priority}: ${p.log[0] ?? "no power"}`);
    if (s.dark_phones.length > 20) out.push(`    ... and ${s.dark_phones.length - 20} more (--json lists them all)`);
  }
  if (s.real) out.push(`  network: real servers through VXLAN to ${s.real.link.remote} VNI ${s.real.link.vni}; voice VLAN ${s.network.voice_vlan} on the phones' ports (untagged on the link)`);
  else out.push(`  network: servers ${s.network.servers}, voice VLAN ${s.network.voice_vlan}, ${s.network.voice_subnets}; uplinks ${s.network.uplink_bits_per_second / 1e9} Gbit/s, ${s.network.uplink_latency_us} µs one way`);
  return out;
}

