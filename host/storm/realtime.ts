// The storm on a real network: the building's access switches (cell.ts:
// phones, CDP voice VLAN, 802.1Q, PoE) on one Scheduler driven by the real
// clock, their uplinks joined onto one VXLAN link to real servers. One tick
// runs every event due by now (each phone is polled at its own deadline:
// no timer per phone), then sends the frames the tick produced, and arms
// one Node timer for the next deadline; frames that arrive are handed to
// their access switch at the instant they arrived. The phones' timelines
// make the same StormRun the simulated storm makes, so summary, report and
// CSV are the simulated storm's; what each real server did is told from
// the phones' side (answers, refusals, retries, timeouts).
import { performance, monitorEventLoopDelay } from "node:perf_hooks";
import { Scheduler } from "../sim/scheduler.js";
import type { Nic } from "../sim/wire.js";
import { Ev } from "../events.js";
import { ipToString } from "../wire/address.js";
import { C, Cell, COUNTS, type CellProgress, type UplinkMessage } from "./cell.js";
import type { CallManagerResult, CoreResult } from "./core.js";
import type { StormRun } from "./engine.js";
import type { Progress } from "./partition.js";
import { DEFAULT_MAC_BASE, VOICE_VLAN, type StormPlan } from "./plan.js";
import { percentiles, type Percentiles } from "./summary.js";

/** What the real storm needs of its link (a VxlanLink; tests may give another). */
export interface StormLink {
  open(nic: Nic): Promise<void>;
  send(frame: Uint8Array): void;
  close(): void;
  stats?(): Record<string, number | null>;
}

export interface RealStormOptions {
  /** Phone n gets power n * staggerMs after the start (0: all at once). */
  staggerMs?: number;
  /** The run stops after this long even if phones are still unregistered. */
  timeoutMs: number;
  onProgress?: (p: Progress & { tUs: number; phones: number }) => void;
  progressEveryMs?: number;
  /** Called once a run is under way, with a way to read the progress (tests kill servers mid-storm with it). */
  onTick?: (p: Progress) => void;
}

/** One real server as the phones saw it. */
export interface SeenServer {
  ip: string;
  role: "dhcp" | "tftp" | "callmanager";
  /** Callmanagers: its place in the phones' configuration (CM1 first). */
  name: string;
  /** Requests the phones sent it (DHCP: DISCOVER and REQUEST; TFTP: read requests; CallManager: connection attempts). */
  requests: number;
  /** Answers: DHCP OFFER and ACK; TFTP files received; CallManager registrations. */
  answers: number;
  /** DHCP: of the answers, the OFFERs and the ACKs. */
  offers?: number;
  acks?: number;
  /** Refusals: DHCP NAK; TFTP ERROR (not found and others); CallManager RegisterReject and refused connections. */
  refusals: number;
  /** The phones' retransmissions to it (DHCP requests unanswered in time; TFTP packets sent again). */
  retries: number;
  /** Gave up waiting: DHCP (phones back to INIT), TFTP timeouts, CallManager connect timeouts and silences. */
  timeouts: number;
  /** CallManagers: why attempts failed, by the firmware's reason; phones that registered on it and then lost it. */
  failures?: Record<string, number>;
  lost_registered?: number;
}

export interface HarnessFigures {
  wall_s: number;
  cpu_s: number;
  /** Node's event-loop delay (perf_hooks), ms. */
  event_loop_lag_ms: { p50: number; p99: number; max: number };
  /** How late the scheduler ran phones' deadlines, by tick (ms). */
  deadline_lateness_ms: Percentiles;
  ticks: number;
  frames_up: number;
  frames_down: number;
  /** Frames from the servers for no phone of ours. */
  frames_not_ours: number;
  link: Record<string, number | null>;
}

export interface RealStormRun extends StormRun {
  seen: SeenServer[];
  harness: HarnessFigures;
}

/** The longest a tick runs phones before the event loop reads the socket again, ms. */
export const TICK_BUDGET_MS = 20;

const REASON_REFUSED = 1, REASON_TIMEOUT = 2, REASON_RESET = 3, REASON_CLOSED = 4, REASON_REJECTED = 5;

/** Per-server tallies from the phones' firmware events. */
class Tally {
  readonly servers = new Map<string, SeenServer>();
  /** Per phone, the CallManager (IP) it is registered on now, and the one it is connecting to. */
  private readonly on: Array<number | null>;
  private readonly trying: Array<{ ip: number; cm: number } | null>;
  readonly cmIps: number[] = [];
  /** Phones registered right now. */
  registeredNow = 0;

  constructor(phones: number) {
    this.on = new Array(phones).fill(null);
    this.trying = new Array(phones).fill(null);
  }

  private server(ip: number, role: SeenServer["role"], name: string): SeenServer {
    const key = `${role} ${ip}`;
    let s = this.servers.get(key);
    if (!s) {
      s = { ip: ipToString(ip), role, name, requests: 0, answers: 0, refusals: 0, retries: 0, timeouts: 0 };
      if (role === "callmanager") { s.failures = {}; s.lost_registered = 0; }
      if (role === "dhcp") { s.offers = 0; s.acks = 0; }
      this.servers.set(key, s);
    }
    return s;
  }

  private cm(ip: number, index: number): SeenServer {
    this.cmIps[index] ??= ip;
    return this.server(ip, "callmanager", `CM${index + 1}`);
  }

  // DHCP: the server is whoever offered (Ev.DhcpOffer's b); requests before any offer go to the first seen.
  private dhcpServer = 0;
  private readonly tftpOf: number[] = [];

  event(phone: number, code: number, a: number, b: number): void {
    switch (code) {
      case Ev.DhcpDiscover: case Ev.DhcpRequest:
        this.server(this.dhcpServer, "dhcp", "DHCP").requests++;
        break;
      case Ev.DhcpOffer:
        if (this.dhcpServer === 0 && b !== 0) this.moveDhcp(b);
        { const s = this.server(b >>> 0, "dhcp", "DHCP"); s.answers++; s.offers!++; }
        break;
      case Ev.DhcpAck: { const s = this.server(this.dhcpServer, "dhcp", "DHCP"); s.answers++; s.acks!++; break; }
      case Ev.DhcpNak: this.server(a >>> 0, "dhcp", "DHCP").refusals++; break;
      case Ev.DhcpGiveUp: this.server(this.dhcpServer, "dhcp", "DHCP").timeouts++; break;
      case Ev.TftpRequest:
        this.tftpOf[phone] = a >>> 0;
        this.server(a >>> 0, "tftp", "TFTP").requests++;
        break;
      case Ev.TftpDone: if (this.tftpOf[phone] !== undefined) this.server(this.tftpOf[phone], "tftp", "TFTP").answers++; break;
      case Ev.TftpNotFound: this.server(a >>> 0, "tftp", "TFTP").refusals++; break;
      case Ev.TftpError: this.server(b >>> 0, "tftp", "TFTP").refusals++; break;
      case Ev.TftpRetransmit:
        // A read request sent again before its first was counted (after a reset) has no server yet: not told.
        if (this.tftpOf[phone] !== undefined) this.server(this.tftpOf[phone], "tftp", "TFTP").retries++;
        break;
      case Ev.TftpTimeout: this.server(a >>> 0, "tftp", "TFTP").timeouts++; break;
      case Ev.RegConnecting: {
        const cm = b & 0xff;
        this.trying[phone] = { ip: a >>> 0, cm };
        this.cm(a >>> 0, cm).requests++;
        break;
      }
      case Ev.RegStandby:
        this.cmIps[b & 0xff] ??= a >>> 0;
        break;
      case Ev.RegFailover: {
        // Over the standby connection: no RegConnecting; the registration that follows is the new CallManager's.
        const to = b & 0xff;
        if (this.cmIps[to] !== undefined) this.trying[phone] = { ip: this.cmIps[to], cm: to };
        break;
      }
      case Ev.RegRegistered: {
        const t = this.trying[phone];
        if (t) {
          this.cm(t.ip, t.cm).answers++;
          if (this.on[phone] === null) this.registeredNow++;
          this.on[phone] = t.cm;
        }
        break;
      }
      case Ev.RegRejected: {
        const t = this.trying[phone];
        if (t) this.cm(t.ip, t.cm).refusals++;
        break;
      }
      case Ev.RegFailed: {
        const ip = this.cmIps[a];
        if (ip === undefined) break;
        const s = this.cm(ip, a);
        const why = REASONS[b] ?? `reason ${b}`;
        s.failures![why] = (s.failures![why] ?? 0) + 1;
        if (b === REASON_REFUSED) s.refusals++;
        else if (b === REASON_TIMEOUT || b === 6 || b === 7 || b === 11) s.timeouts++;
        if (this.on[phone] === a) {
          s.lost_registered!++;
          this.on[phone] = null;
          this.registeredNow--;
        }
        break;
      }
      case Ev.RegUnregistered:
        if (this.on[phone] !== null) { this.on[phone] = null; this.registeredNow--; }
        break;
    }
  }

  /** The first OFFER names the DHCP server: what was counted against "0.0.0.0" before it is its. */
  private moveDhcp(ip: number): void {
    this.dhcpServer = ip >>> 0;
    const early = this.servers.get("dhcp 0");
    if (!early) return;
    this.servers.delete("dhcp 0");
    const s = this.server(this.dhcpServer, "dhcp", "DHCP");
    s.requests += early.requests;
    s.timeouts += early.timeouts;
  }

  /** DHCP requests that went unanswered (the phones' retransmissions) are counted by the cells: added at the end. */
  list(dhcpRetries: number): SeenServer[] {
    const order = { dhcp: 0, tftp: 1, callmanager: 2 } as const;
    const out = [...this.servers.values()].sort((x, y) => order[x.role] - order[y.role] || x.name.localeCompare(y.name) || x.ip.localeCompare(y.ip));
    const dhcp = out.find((s) => s.role === "dhcp");
    if (dhcp) dhcp.retries += dhcpRetries;
    return out;
  }
}

const REASONS: Record<number, string> = {
  [REASON_REFUSED]: "refused", [REASON_TIMEOUT]: "connect timeout", [REASON_RESET]: "reset", [REASON_CLOSED]: "closed by the CallManager",
  [REASON_REJECTED]: "rejected", 6: "no answer to StationRegister", 7: "keepalive acks missing", 8: "malformed SCCP", 9: "no TCP connection free",
  10: "unreachable (ICMP)", 11: "station set-up not answered",
};

/** A MAC's 48 bits as a number (bytes `at`..`at`+5 of a frame). */
function macKey(f: Uint8Array, at: number): number {
  return f[at] * 2 ** 40 + f[at + 1] * 2 ** 32 + ((f[at + 2] << 24) >>> 0) + (f[at + 3] << 16) + (f[at + 4] << 8) + f[at + 5];
}

export class RealStorm {
  readonly scheduler = new Scheduler();
  readonly cells: Cell[];
  private readonly outbox: UplinkMessage[] = [];
  private readonly total: CellProgress = { powered: 0, denied: 0, bound: 0, configured: 0, registered: 0 };
  private readonly tally: Tally;
  private readonly origin = performance.now();
  private timer: NodeJS.Timeout | null = null;
  private tickQueued = false;
  private seq = 0;
  private readonly lateness: number[] = [];
  private ticks = 0;
  private framesUp = 0;
  private framesDown = 0;
  private notOurs = 0;
  private readonly cellOfMac: Map<number, number>;
  private done: ((why: StormRun["stoppedBy"]) => void) | null = null;
  private stopped = false;
  private shownAt = -Infinity;

  constructor(readonly plan: StormPlan, private readonly link: StormLink, private readonly opts: RealStormOptions) {
    this.tally = new Tally(plan.phones);
    this.cells = plan.cells.map((c) => new Cell(this.scheduler, plan, c, this.outbox, this.total));
    this.cellOfMac = new Map();
    const base = plan.macBase ?? DEFAULT_MAC_BASE;
    for (const cell of this.cells) {
      // The uplink is an access port of the voice VLAN: the servers' LAN takes untagged frames.
      cell.sw.configurePort(cell.plan.ports - 1, { accessVlan: VOICE_VLAN });
      cell.observe = (phone, code, a, b) => this.tally.event(phone, code, a, b);
      for (let p = 0; p < cell.plan.phones; p++) this.cellOfMac.set(base + cell.plan.firstPhone + p, cell.index);
    }
  }

  /** Microseconds of real time since the storm was made. */
  nowUs(): number {
    return Math.floor((performance.now() - this.origin) * 1000);
  }

  async run(): Promise<RealStormRun> {
    const loop = monitorEventLoopDelay({ resolution: 1 });
    const cpu0 = process.cpuUsage();
    const wall0 = performance.now();
    await this.link.open({ receive: (f) => this.fromServers(f), settle: () => this.queueTick() });
    loop.enable();
    const stoppedBy = await new Promise<StormRun["stoppedBy"]>((resolve) => {
      this.done = resolve;
      const limit = setTimeout(() => this.finish("limit"), this.opts.timeoutMs);
      const prev = this.done;
      this.done = (why) => { clearTimeout(limit); prev(why); };
      const stagger = Math.round((this.opts.staggerMs ?? 0) * 1000);
      this.scheduler.run({ untilUs: this.nowUs() });
      for (const c of this.cells) c.start(stagger);
      this.tick();
    });
    loop.disable();
    const linkStats = this.link.stats?.() ?? {};
    this.link.close();
    const cpu = process.cpuUsage(cpu0);
    const cells = this.cells.map((c) => c.result());
    // The phones' configuration named the CallManagers: the summary lists those they tried, CM1 first.
    const cmIps = Array.from({ length: this.tally.cmIps.length }, (_, i) => this.tally.cmIps[i] ?? 0);
    const plan: StormPlan = { ...this.plan, callManagers: cmIps.map(() => ({ registrationsPerSecond: 0, keepAliveS: 30 })) };
    for (const c of this.cells) for (const p of c.phones) p.powerOff();
    let dhcpRetries = 0;
    for (const c of cells) for (let i = 0; i < c.phones; i++) dhcpRetries += c.counts[i * COUNTS + C.dhcpUnanswered];
    const seen = this.tally.list(dhcpRetries);
    const endUs = this.scheduler.now;
    const ns = (x: number) => Math.round(x / 1e3) / 1e3;
    return {
      plan,
      cells,
      core: coreFromSeen(plan, seen, cmIps),
      stoppedBy,
      endUs,
      windows: this.ticks,
      events: this.scheduler.eventsRun,
      messages: this.framesUp + this.framesDown,
      workers: 1,
      seen,
      harness: {
        wall_s: Math.round(performance.now() - wall0) / 1000,
        cpu_s: Math.round((cpu.user + cpu.system) / 1e3) / 1e3,
        event_loop_lag_ms: { p50: ns(loop.percentile(50)), p99: ns(loop.percentile(99)), max: ns(loop.max) },
        deadline_lateness_ms: percentiles(this.lateness),
        ticks: this.ticks,
        frames_up: this.framesUp,
        frames_down: this.framesDown,
        frames_not_ours: this.notOurs,
        link: linkStats,
      },
    };
  }

  /** A frame from the servers: to the access switch of the phone it is for, or to every one (broadcast, multicast). */
  private fromServers(frame: Uint8Array): void {
    if (this.stopped || frame.length < 14) return;
    this.framesDown++;
    const atUs = Math.max(this.scheduler.now, this.nowUs());
    if (frame[0] & 1) {
      for (const c of this.cells) c.deliver({ cell: c.index, up: false, atUs, seq: this.seq++, frame });
      return;
    }
    const cell = this.cellOfMac.get(macKey(frame, 0));
    if (cell === undefined) { this.notOurs++; return; }
    this.cells[cell].deliver({ cell, up: false, atUs, seq: this.seq++, frame });
  }

  private queueTick(): void {
    if (this.tickQueued || this.stopped) return;
    this.tickQueued = true;
    setImmediate(() => { this.tickQueued = false; this.tick(); });
  }

  // Runs what is due, again while running made more due (a phone's answer crossing its access switch), at most 64 rounds.
  private tick(): void {
    if (this.stopped) return;
    this.ticks++;
    const first = this.scheduler.nextEventUs();
    const t0 = this.nowUs();
    if (first !== null && first <= t0) this.lateness.push(t0 - first);
    // A tick runs at most TICK_BUDGET_MS of events, then lets the socket be read: a building powering up at
    // once (every phone verifying its image) must not keep the answers waiting in a full receive buffer.
    const budgetEnd = performance.now() + TICK_BUDGET_MS;
    const over = () => performance.now() >= budgetEnd;
    let more = false;
    for (let round = 0; round < 64; round++) {
      const r = this.scheduler.run({ untilUs: Math.max(this.scheduler.now, this.nowUs()), until: over, maxEvents: Number.MAX_SAFE_INTEGER });
      this.flush();
      const next = this.scheduler.nextEventUs();
      if (r.stoppedBy === "predicate" || over()) { more = next !== null && next <= this.nowUs(); break; }
      if (next === null || next > this.nowUs()) break;
    }
    const p = this.progress();
    this.opts.onTick?.(p);
    const wall = performance.now();
    if (this.opts.onProgress && wall - this.shownAt >= (this.opts.progressEveryMs ?? 100)) {
      this.shownAt = wall;
      this.opts.onProgress({ ...p, tUs: this.scheduler.now, phones: this.plan.phones });
    }
    if (p.powered + p.denied === this.plan.phones && p.powered > 0 && this.tally.registeredNow === p.powered && p.registered === p.powered) {
      this.finish("registered");
      return;
    }
    if (more) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      this.queueTick();
    } else this.arm();
  }

  /** The frames this tick sent up: to the other access switches when they are for them (or for all), else out of the link. */
  private flush(): void {
    if (this.outbox.length === 0) return;
    const out = this.outbox.splice(0);
    const atUs = Math.max(this.scheduler.now, this.nowUs());
    for (const m of out) {
      const f = m.frame;
      if (f[0] & 1) {
        for (const c of this.cells) if (c.index !== m.cell) c.deliver({ cell: c.index, up: false, atUs, seq: this.seq++, frame: f });
      } else {
        const cell = this.cellOfMac.get(macKey(f, 0));
        if (cell !== undefined) { this.cells[cell].deliver({ cell, up: false, atUs, seq: this.seq++, frame: f }); continue; }
      }
      this.framesUp++;
      this.link.send(f);
    }
  }

  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const next = this.scheduler.nextEventUs();
    if (next === null) return;
    this.timer = setTimeout(() => { this.timer = null; this.tick(); }, Math.max(0, (next - this.nowUs()) / 1000));
  }

  progress(): Progress {
    return { ...this.total, dhcpBacklog: 0 };
  }

  /** Phones registered right now (a phone that lost its CallManager counts again once it registers on another). */
  get registeredNow(): number {
    return this.tally.registeredNow;
  }

  private finish(why: StormRun["stoppedBy"]): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.done?.(why);
  }
}

/** The simulated storm's core result, filled from what the phones saw of the real servers (the summary reads it). */
function coreFromSeen(plan: StormPlan, seen: SeenServer[], cmIps: number[]): CoreResult {
  const dhcp = seen.find((s) => s.role === "dhcp");
  const tftp = seen.find((s) => s.role === "tftp");
  const cms: CallManagerResult[] = cmIps.map((ip, i) => {
    const s = seen.find((x) => x.role === "callmanager" && x.name === `CM${i + 1}`);
    return {
      name: `CM${i + 1}`, ip: ipToString(ip), registrationsPerSecond: 0, registrations: s?.answers ?? 0, throttled: 0, rejects: s?.refusals ?? 0,
      connections: s?.requests ?? 0, keepalives: 0, peakQueue: 0, perSecond: [], sip: { requests: 0 } as CallManagerResult["sip"],
      lostRegistered: s?.lost_registered ?? 0,
    };
  });
  const dhcpStats = {
    ip: dhcp?.ip, answersPerSecondLimit: 0, backlog: 0, served: dhcp?.answers ?? 0, dropped: 0, answers: dhcp?.answers ?? 0, offers: dhcp?.offers ?? 0,
    acks: dhcp?.acks ?? 0, naks: dhcp?.refusals ?? 0, peakBacklog: 0, waitUs: 0, maxWaitUs: 0, answersPerSecond: [], dropsPerSecond: [],
  };
  return {
    dhcp: dhcpStats as unknown as CoreResult["dhcp"],
    tftp: {
      ip: tftp?.ip, bytesPerSecond: 0, requests: tftp?.requests ?? 0, completed: tftp?.answers ?? 0, bytesSent: 0, dataSent: 0,
      retransmitted: tftp?.retries ?? 0, timeouts: tftp?.timeouts ?? 0, notFound: tftp?.refusals ?? 0, peakConcurrent: 0, concurrentPerSecond: [], bytesPerSecondSeen: [],
      connections: 0, maxServingCount: 0, queued: 0, peakQueue: 0, busy: 0,
    },
    dns: { queries: 0 },
    callManagers: cms,
    router: { routed: 0, relayedUp: 0, relayedDown: 0, arpRequests: 0, arpReplies: 0, dropped: {} },
    lostDown: 0,
    lostDownByCell: plan.cells.map(() => 0),
    dhcpLostDown: [],
  };
}
