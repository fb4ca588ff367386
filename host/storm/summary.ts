// The storm's answer to the network engineer: when was every phone
// registered, how long each stage took, how loaded each server was, which
// one held the phones up, and which phones stayed dark. The summary is a
// pure function of the run (virtual time only), so the same seed gives the
// same JSON; wall-clock figures are printed beside it, never put in it.
import { STAGES } from "../events.js";
import { C, COUNTS, M, MILESTONES } from "./cell.js";
import type { StormRun } from "./engine.js";
import { describeNet, phoneMac, SERVERS, VOICE_VLAN } from "./plan.js";

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
  /** Power back -> registered, per phone (ms). */
  time_to_registered_ms: Percentiles;
  /** Time spent in each stage (ms): power (PoE detection to power), boot, vlan, dhcp, tftp (with any upgrade), register. */
  stages_ms: Record<(typeof STAGES)[number], Percentiles>;
  /** What each phone waited on a server (ms): DHCP first DISCOVER -> ACK, TFTP transfers, CallManager StationRegister -> registered. */
  server_wait_ms: Record<ServerName, Percentiles & { total_phone_s: number }>;
  bottleneck: { server: ServerName | null; name: string | null; reason: string };
  servers: {
    dhcp: {
      ip: string; answers_per_second_limit: number; backlog: number; requests: number; answers: number; offers: number; acks: number;
      naks: number; dropped: number; peak_backlog: number; mean_queue_ms: number; max_queue_ms: number;
      /** Seconds of virtual time in which the server answered at 95 % of its limit or more. */
      seconds_at_limit: number;
    };
    tftp: {
      ip: string; bytes_per_second_limit: number; transfers: number; completed: number; bytes: number; peak_concurrent: number;
      retransmitted_packets: number; timeouts: number; not_found: number;
    };
    callmanagers: Array<{ name: string; ip: string; registrations_per_second_limit: number; registrations: number; throttled: number; peak_queue: number; rejects: number; connections: number }>;
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
  uplinks: { frames_up: number; frames_down: number; bytes_up: number; bytes_down: number; lost_up: number; lost_down: number };
  simulation: { windows: number; window_us: number; events: number; uplink_messages: number; end_ms: number };
}

const ms = (us: number) => Math.round(us) / 1000;

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
}

export function phoneTable(run: StormRun): PhoneTable {
  const n = run.plan.phones;
  const cols = new Map<number, Float64Array>();
  const cnts = new Map<number, Uint16Array>();
  return {
    n,
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
  const sent = t.col(M.regSent), reg = t.col(M.registered);
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
  const names: Record<ServerName, string> = {
    dhcp: `DHCP ${SERVERS.dhcp.ip}`,
    tftp: `TFTP ${SERVERS.tftp.ip}`,
    callmanager: (() => {
      const worst = cms.reduce((a, b) => (b.throttled > a.throttled ? b : a), cms[0]);
      return `CallManager ${worst.name} ${worst.ip}`;
    })(),
  };
  const ranked = (Object.keys(serverWait) as ServerName[]).sort((a, b) => serverWait[b].total_phone_s - serverWait[a].total_phone_s);
  const top = ranked[0];
  const topMean = serverWait[top].mean ?? 0;
  const fmt = (k: ServerName) => `${k} ${serverWait[k].total_phone_s.toFixed(1)}`;
  const bottleneck: StormSummary["bottleneck"] = topMean >= BOTTLENECK_MIN_MEAN_MS
    ? { server: top, name: names[top], reason: `phones waited longest on ${names[top]}: ${(topMean / 1000).toFixed(3)} s on average; phone-seconds waited: ${ranked.map(fmt).join(", ")}` }
    : { server: null, name: null, reason: `no server kept phones waiting ${BOTTLENECK_MIN_MEAN_MS} ms on average (phone-seconds waited: ${ranked.map(fmt).join(", ")}): the phones' own timers set the pace` };

  const d = core.dhcp;
  const failovers = t.count(C.failovers).reduce((a, b) => a + b, 0);
  const regFailures = t.count(C.regFailures).reduce((a, b) => a + b, 0);
  const upgraded = t.count(C.upgraded).reduce((a, b) => a + (b > 0 ? 1 : 0), 0);
  const dark: StormSummary["dark_phones"] = [];
  let denialLines = 0;
  for (const c of run.cells) {
    for (const x of c.dark) {
      dark.push({ switch: c.name, port: `Fa0/${x.port + 1}`, mac: phoneMac(c.firstPhone + x.port), priority: x.priority, log: x.log });
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
    time_to_registered_ms: percentiles(Array.from(reg)),
    stages_ms: Object.fromEntries(STAGES.map((s) => [s, percentiles(durations[s])])) as StormSummary["stages_ms"],
    server_wait_ms: serverWait,
    bottleneck,
    servers: {
      dhcp: {
        ip: SERVERS.dhcp.ip, answers_per_second_limit: d.answersPerSecondLimit, backlog: d.backlog, requests: d.served + d.dropped,
        answers: d.answers, offers: d.offers, acks: d.acks, naks: d.naks, dropped: d.dropped, peak_backlog: d.peakBacklog,
        mean_queue_ms: d.served ? Math.round(d.waitUs / d.served) / 1000 : 0, max_queue_ms: ms(d.maxWaitUs),
        seconds_at_limit: d.answersPerSecondLimit > 0 ? d.answersPerSecond.filter((a) => a >= 0.95 * d.answersPerSecondLimit).length : 0,
      },
      tftp: {
        ip: SERVERS.tftp.ip, bytes_per_second_limit: core.tftp.bytesPerSecond, transfers: core.tftp.requests, completed: core.tftp.completed,
        bytes: core.tftp.bytesSent, peak_concurrent: core.tftp.peakConcurrent, retransmitted_packets: core.tftp.retransmitted,
        timeouts: core.tftp.timeouts, not_found: core.tftp.notFound,
      },
      callmanagers: cms.map((c) => ({
        name: c.name, ip: c.ip, registrations_per_second_limit: c.registrationsPerSecond, registrations: c.registrations,
        throttled: c.throttled, peak_queue: c.peakQueue, rejects: c.rejects, connections: c.connections,
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
  if (s.time_to_all_registered_ms !== null) out.push(`  every powered phone registered ${(s.time_to_all_registered_ms / 1000).toFixed(3)} s after the power came back (virtual time)`);
  else out.push(`  not every powered phone registered: stopped by ${s.stopped_by} at ${(s.simulation.end_ms / 1000).toFixed(3)} s of virtual time`);
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
  const d = s.servers.dhcp;
  out.push(`  DHCP ${d.ip}: ${d.answers_per_second_limit || "unlimited"} answers/s, backlog ${d.backlog}: ${d.answers} answers (${d.offers} OFFER, ${d.acks} ACK, ${d.naks} NAK), ${d.dropped} requests dropped, peak backlog ${d.peak_backlog}, queue mean ${d.mean_queue_ms} ms max ${d.max_queue_ms} ms, ${d.seconds_at_limit} s at the limit`);
  const tf = s.servers.tftp;
  out.push(`  TFTP ${tf.ip}: ${tf.bytes_per_second_limit ? `${(tf.bytes_per_second_limit * 8 / 1e6).toFixed(1)} Mbit/s` : "unlimited"} shared: ${tf.completed}/${tf.transfers} transfers, ${tf.bytes} bytes, peak ${tf.peak_concurrent} at once, ${tf.retransmitted_packets} packets again, ${tf.timeouts} timeouts`);
  for (const c of s.servers.callmanagers) {
    out.push(`  ${c.name} ${c.ip}: ${c.registrations_per_second_limit || "unlimited"} registrations/s: ${c.registrations} registrations, ${c.throttled} throttled, peak queue ${c.peak_queue}, ${c.rejects} rejected`);
  }
  out.push("");
  out.push(`  bottleneck: ${s.bottleneck.name ?? "none"}: ${s.bottleneck.reason}`);
  const r = s.refusals;
  out.push(`  refusals: PoE ${r.poe_denied_ports} ports dark, DHCP ${r.dhcp_dropped} dropped and ${r.dhcp_naks} NAK, CallManagers ${r.callmanager_throttled} throttled and ${r.callmanager_rejects} rejected, ${r.registration_failures} registration failures, ${r.failovers} failovers, TFTP ${r.tftp_timeouts} timeouts`);
  if (s.upgrade) out.push(`  upgrade to ${s.upgrade.load}: ${s.upgrade.upgraded} phones`);
  if (s.dark_phones.length > 0) {
    out.push(`  dark phones (${s.dark_phones.length}):`);
    for (const p of s.dark_phones.slice(0, 20)) out.push(`    ${p.switch} ${p.port} ${p.mac} priority ${p.priority}: ${p.log[0] ?? "no power"}`);
    if (s.dark_phones.length > 20) out.push(`    ... and ${s.dark_phones.length - 20} more (--json lists them all)`);
  }
  out.push(`  network: servers ${s.network.servers}, voice VLAN ${s.network.voice_vlan}, ${s.network.voice_subnets}; uplinks ${s.network.uplink_bits_per_second / 1e9} Gbit/s, ${s.network.uplink_latency_us} µs one way`);
  return out;
}

