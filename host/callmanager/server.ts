// The CallManager's side of SCCP registration, independent of the
// transport: a session per TCP connection takes the bytes received and
// hands back bytes to send (and a wish to close). The simulated network
// (host/sim/callmanager.ts, over host/sim/tcp.ts) and `ipphone callmanager`
// (host/callmanager/cli.ts, over node:net) drive the same logic.
//
// Configurable as a lab needs it: the keepalive interval the RegisterAck
// gives, a limit on registrations per second (token bucket: registrations
// over it wait their turn, as an overloaded CallManager delays them), and
// devices to reject (RegisterReject with a reason, then the connection is
// closed, as CUCM does for an unknown device without auto-registration).
//
// As strict as chan-sccp-b: RegisterAck is followed by CapabilitiesReq, and
// the station set-up's requests are answered (ButtonTemplate, softkeys,
// ConfigStat, LineStat, SpeedDialStat, ForwardStat, DefineTimeDate); a
// device counts as registered only once it asked for the time and date
// (chan-sccp-b's end of a protocol-11 set-up) and answered CapabilitiesReq
// (chan_skinny learns the device's codecs from it). A device whose set-up
// is not complete within setupTimeoutS is told so: the connection is
// closed, and the event says what was missing.
//
// Standby connections, as Cisco phones keep one to the next CallManager of
// their list: KeepAlive on a connection where no device registered is
// answered with KeepAliveAck (chan-sccp-b's KeepAlive handler is one of
// the few that need no device; Cisco phones send it at RegisterAck's
// secondaryKeepAliveInterval) and reported once as "standby". Like
// chan-sccp-b, which closes a session silent for longer than its keepalive,
// a connection that holds no registration and stays silent for two
// secondary keepalive intervals and a grace of 5 s is closed ("idle"); the
// phone registers over it when its CallManager fails.
import {
  ButtonType, CODEC_NAMES, SCCP_MESSAGE_NAMES, SccpFramer, SccpMsg, decodeCapabilitiesRes, decodeStationRegister, decodeU32, encodeButtonTemplate,
  encodeClearPromptStatus, encodeConfigStat, encodeDefineTimeDate, encodeEmpty, encodeForwardStat, encodeKeepAliveAck, encodeLineStat, encodeRegisterAck,
  encodeRegisterReject, encodeReset, encodeSoftKeySetRes, encodeSoftKeyTemplateRes, encodeSpeedDialStat, encodeUnregisterAck,
  type Capability, type SccpMessage, type StationRegister,
} from "../wire/sccp.js";

/** What the logic needs of time: milliseconds and one-shot timers. */
export interface CmClock {
  nowMs(): number;
  /** Wall-clock milliseconds for DefineTimeDate (default: Date.now()). */
  wallMs?(): number;
  after(ms: number, fn: () => void): { cancel(): void };
}

export interface CallManagerConfig {
  /** Shown in events ("CM1"). */
  name?: string;
  /** RegisterAck's keepalive interval (default 30 s) and the secondary one (default 60 s). */
  keepAliveS?: number;
  secondaryKeepAliveS?: number;
  /** 0 = no limit (default). */
  registrationsPerSecond?: number;
  /** Registrations that may come at once before the rate applies (default: one second's worth, at least 1). */
  burst?: number;
  /** Device names (SEP...) to reject, with the reason sent (default "Device not configured"). */
  reject?: Iterable<string> | ReadonlyMap<string, string>;
  /** RegisterAck's maxProtocolVer (default 11). */
  maxProtocolVersion?: number;
  /** RegisterAck, then nothing: no CapabilitiesReq, no answer to the set-up (a broken CallManager, for tests). */
  withholdSetup?: boolean;
  /** Seconds after RegisterAck for the set-up to complete before the connection is closed (default 30). */
  setupTimeoutS?: number;
  /** The lines of a device (default: one line, its number from the device name). */
  lines?: (deviceName: string) => DeviceLine[];
}

export interface DeviceLine {
  dirNumber: string;
  displayName: string;
}

/** The default line: 1000-8999 from the MAC's last 16 bits, so every CallManager gives a device the same number. */
export function defaultLines(deviceName: string): DeviceLine[] {
  const n = 1000 + (parseInt(deviceName.slice(-4), 16) || 0) % 8000;
  return [{ dirNumber: String(n), displayName: `Phone ${n}` }];
}

export type CmEventType =
  | "connect" | "ack" | "setup" | "register" | "incomplete" | "expired" | "reject" | "throttle" | "keepalive" | "unregister" | "ipport" | "reset" | "disconnect" | "malformed" | "unknown"
  | "standby" | "idle";

export interface CmEvent {
  type: CmEventType;
  tMs: number;
  cm: string;
  /** The transport's name for the peer ("198.51.100.50:49152"). */
  remote: string;
  session: number;
  deviceName?: string;
  stationIp?: number;
  deviceType?: number;
  protocolVersion?: number | null;
  keepAliveS?: number;
  detail?: string;
}

export interface CmStats {
  connections: number;
  /** RegisterAcks sent. */
  acks: number;
  /** Station set-ups completed: registrations. */
  registrations: number;
  /** Set-ups that never completed (the connection was closed). */
  incomplete: number;
  /** Registrations dropped after keepalives stopped. */
  expired: number;
  /** Connections that sent KeepAlive with no device registered on them (standby connections). */
  standby: number;
  /** Connections without a registration closed after a silence. */
  idle: number;
  rejects: number;
  throttled: number;
  keepalives: number;
  unregisters: number;
  malformed: number;
  unknown: number;
}

export interface Registration {
  deviceName: string;
  stationIp: number;
  session: number;
  remote: string;
  sinceMs: number;
  lastKeepAliveMs: number;
  lines: DeviceLine[];
  codecs: string[];
}

/** How far a connection's station set-up got. */
export interface SetupState {
  ackMs: number;
  capabilities: Capability[] | null;
  asked: Set<string>;
  timeDate: boolean;
  complete: boolean;
  timer: { cancel(): void } | null;
}

export const DEFAULT_REJECT_REASON = "Device not configured";

export class CallManagerLogic {
  readonly name: string;
  keepAliveS: number;
  secondaryKeepAliveS: number;
  maxProtocolVersion: number;
  readonly reject = new Map<string, string>();
  onEvent: ((e: CmEvent) => void) | null = null;
  readonly stats: CmStats = { connections: 0, acks: 0, registrations: 0, incomplete: 0, expired: 0, standby: 0, idle: 0, rejects: 0, throttled: 0, keepalives: 0, unregisters: 0, malformed: 0, unknown: 0 };
  withholdSetup: boolean;
  readonly setupTimeoutS: number;
  readonly lines: (deviceName: string) => DeviceLine[];
  private readonly registered = new Map<string, Registration>();
  private readonly sessions = new Set<CmSession>();
  /** Open sessions by the device acknowledged on them: finding a device's stale connections must not walk 40,000 sessions. */
  private readonly byDevice = new Map<string, Set<CmSession>>();
  private nextSession = 1;
  // Token bucket.
  private rate: number;
  private burst: number;
  private tokens: number;
  private refilledMs: number;
  /** Sessions waiting their turn, oldest first from queueHead; one that ended stays in place with `waiting` cleared and is skipped. */
  private queue: CmSession[] = [];
  private queueHead = 0;
  private waitingCount = 0;
  private queueTimer: { cancel(): void } | null = null;

  constructor(private readonly clock: CmClock, config: CallManagerConfig = {}) {
    this.name = config.name ?? "CM";
    this.keepAliveS = checkInt("keepAliveS", config.keepAliveS ?? 30, 1, 0xffff);
    this.secondaryKeepAliveS = checkInt("secondaryKeepAliveS", config.secondaryKeepAliveS ?? 60, 1, 0xffff);
    this.maxProtocolVersion = checkInt("maxProtocolVersion", config.maxProtocolVersion ?? 11, 0, 255);
    this.withholdSetup = config.withholdSetup ?? false;
    this.setupTimeoutS = checkInt("setupTimeoutS", config.setupTimeoutS ?? 30, 1, 3600);
    this.lines = config.lines ?? defaultLines;
    this.rate = 0;
    this.burst = 1;
    this.tokens = 1;
    this.refilledMs = clock.nowMs();
    this.setRate(config.registrationsPerSecond ?? 0, config.burst);
    const reject = config.reject;
    if (reject instanceof Map) for (const [k, v] of reject) this.reject.set(k.toUpperCase(), v);
    else if (reject !== undefined) for (const k of reject as Iterable<string>) this.reject.set(k.toUpperCase(), DEFAULT_REJECT_REASON);
  }

  /** Registrations per second (0: no limit), and how many may come at once. */
  setRate(perSecond: number, burst?: number): void {
    if (!(perSecond >= 0) || !Number.isFinite(perSecond)) throw new RangeError(`CallManager: registrationsPerSecond must be >= 0, got ${perSecond}`);
    this.refill();
    this.rate = perSecond;
    this.burst = Math.max(1, burst ?? Math.ceil(perSecond));
    this.tokens = Math.min(this.tokens, this.burst);
  }

  /** Currently registered devices, by name. */
  registrations(): Registration[] {
    return [...this.registered.values()].map((r) => ({ ...r }));
  }

  /** Open connections where no device registered that keep alive (standby connections): the peer and its last KeepAlive. */
  standbys(): Array<{ remote: string; session: number; sinceMs: number; lastKeepAliveMs: number }> {
    return [...this.sessions].filter((s) => s.standbySinceMs !== null && s.deviceName === null)
      .map((s) => ({ remote: s.remote, session: s.id, sinceMs: s.standbySinceMs!, lastKeepAliveMs: s.lastHeardMs }));
  }

  /** Every device on an open connection: registered, or still in its station set-up (with what it lacks). */
  devices(): Array<{ deviceName: string; state: "registered" | "setting up"; remote: string; lines: DeviceLine[]; codecs: string[]; missing: string[] }> {
    return [...this.sessions].filter((s) => s.deviceName !== null && s.setup !== null).map((s) => {
      const r = this.registered.get(s.deviceName!);
      const mine = r !== undefined && r.session === s.id;
      return {
        deviceName: s.deviceName!, state: mine ? "registered" : "setting up", remote: s.remote,
        lines: mine ? r.lines : [], codecs: mine ? r.codecs : [], missing: mine ? [] : missing(s.setup!),
      };
    });
  }

  isRegistered(deviceName: string): boolean {
    return this.registered.has(deviceName.toUpperCase());
  }

  /** A new transport connection from `remote`. */
  open(remote: string): CmSession {
    const s = new CmSession(this, this.nextSession++, remote);
    this.sessions.add(s);
    this.stats.connections++;
    this.emit("connect", s);
    this.heard(s);
    return s;
  }

  /** Sends Reset (1) or Restart (2) to a registered device; false when it is not registered. */
  resetDevice(deviceName: string, type = 2): boolean {
    const r = this.registered.get(deviceName.toUpperCase());
    const s = r === undefined ? undefined : [...this.sessions].find((x) => x.id === r.session);
    if (s === undefined) return false;
    this.emit("reset", s, { deviceName: r!.deviceName, detail: type === 2 ? "restart" : "reset" });
    s.send(encodeReset(type));
    return true;
  }

  /** Every session: closed by the transport (the server stops). */
  get openSessions(): number {
    return this.sessions.size;
  }

  // ---- called by sessions ----------------------------------------------------------

  /** @internal */
  handle(s: CmSession, m: SccpMessage): void {
    this.heard(s);
    switch (m.id) {
      case SccpMsg.Register: return this.onRegister(s, m);
      case SccpMsg.KeepAlive: {
        this.stats.keepalives++;
        const r = s.deviceName === null ? undefined : this.registered.get(s.deviceName);
        if (r !== undefined && r.session === s.id) {
          r.lastKeepAliveMs = this.clock.nowMs();
          this.armExpiry(s);
        } else if (s.deviceName === null && s.standbySinceMs === null) {
          s.standbySinceMs = this.clock.nowMs();
          this.stats.standby++;
          this.emit("standby", s, { detail: "KeepAlive with no device registered: a standby connection" });
        }
        this.emit("keepalive", s, { deviceName: s.deviceName ?? undefined });
        s.send(encodeKeepAliveAck());
        return;
      }
      case SccpMsg.Unregister: {
        this.stats.unregisters++;
        this.forget(s);
        this.emit("unregister", s, { deviceName: s.deviceName ?? undefined });
        s.send(encodeUnregisterAck(0));
        return;
      }
      case SccpMsg.IpPort: {
        this.emit("ipport", s, { deviceName: s.deviceName ?? undefined, detail: `RTP port ${decodeU32(m.data) ?? "?"}` });
        return;
      }
      default:
        if (s.setup !== null && this.setupMessage(s, s.setup, m)) return;
        this.stats.unknown++;
        this.emit("unknown", s, { detail: SCCP_MESSAGE_NAMES[m.id] ?? `message 0x${m.id.toString(16).padStart(4, "0")}` });
    }
  }

  /** @internal */
  malformed(s: CmSession, why: string): void {
    this.stats.malformed++;
    this.emit("malformed", s, { detail: why });
  }

  /** @internal The transport connection is gone. */
  ended(s: CmSession, how: string): void {
    if (!this.sessions.delete(s)) return;
    if (s.waiting !== null) {
      s.waiting = null;
      this.waitingCount--;
    }
    this.setDevice(s, null);
    s.setup?.timer?.cancel();
    s.expiry?.cancel();
    s.idle?.cancel();
    const was = this.forget(s);
    this.emit("disconnect", s, { deviceName: was ?? undefined, detail: how });
  }

  private onRegister(s: CmSession, m: SccpMessage): void {
    const reg = decodeStationRegister(m.data);
    if (reg === null || !/^[\x20-\x7e]{1,15}$/.test(reg.deviceName)) {
      this.malformed(s, "StationRegister too short or without a device name");
      s.wantClose(false);
      return;
    }
    reg.deviceName = reg.deviceName.toUpperCase();
    if (s.waiting !== null) return; // already waiting its turn
    if (this.waitingCount > 0 || !this.takeToken()) {
      this.stats.throttled++;
      this.emit("throttle", s, { deviceName: reg.deviceName, detail: `${this.waitingCount + 1} waiting` });
      s.waiting = reg;
      this.waitingCount++;
      this.queue.push(s);
      this.armQueue();
      return;
    }
    this.answer(s, reg);
  }

  private answer(s: CmSession, reg: StationRegister): void {
    const reason = this.reject.get(reg.deviceName);
    const info = { deviceName: reg.deviceName, stationIp: reg.stationIp, deviceType: reg.deviceType, protocolVersion: reg.protocolVersion };
    if (reason !== undefined) {
      this.stats.rejects++;
      this.emit("reject", s, { ...info, detail: reason });
      s.send(encodeRegisterReject(reason));
      s.wantClose(true);
      return;
    }
    // The same device on another connection (registered, or still setting up): that one is stale.
    const same = this.byDevice.get(reg.deviceName);
    // In the order the connections opened, as a walk over all sessions would find them.
    const stale = same === undefined ? [] : [...same].filter((x) => x !== s).sort((a, b) => a.id - b.id);
    for (const x of stale) {
      this.forget(x, reg.deviceName);
      x.wantClose(false);
    }
    this.forget(s);
    this.setDevice(s, reg.deviceName);
    s.register = reg;
    this.stats.acks++;
    this.emit("ack", s, { ...info, keepAliveS: this.keepAliveS });
    s.send(encodeRegisterAck({
      keepAliveS: this.keepAliveS,
      secondaryKeepAliveS: this.secondaryKeepAliveS,
      dateTemplate: "M/D/YA",
      maxProtocolVersion: Math.min(this.maxProtocolVersion, reg.protocolVersion ?? this.maxProtocolVersion),
    }));
    s.setup?.timer?.cancel();
    const setup: SetupState = { ackMs: this.clock.nowMs(), capabilities: null, asked: new Set(), timeDate: false, complete: false, timer: null };
    s.setup = setup;
    if (this.withholdSetup) return;
    s.send(encodeEmpty(SccpMsg.CapabilitiesReq));
    setup.timer = this.clock.after(this.setupTimeoutS * 1000, () => {
      setup.timer = null;
      if (setup.complete || s.setup !== setup) return;
      this.stats.incomplete++;
      this.emit("incomplete", s, { deviceName: reg.deviceName, detail: missing(setup).join(", ") });
      s.wantClose(true);
    });
  }

  /** A message of the station set-up; false when it is not one. */
  private setupMessage(s: CmSession, setup: SetupState, m: SccpMessage): boolean {
    const name = SCCP_MESSAGE_NAMES[m.id];
    const reply = this.setupReply(s, m);
    if (reply === undefined) return false;
    setup.asked.add(name);
    if (m.id === SccpMsg.CapabilitiesRes) {
      setup.capabilities = decodeCapabilitiesRes(m.data);
      if (setup.capabilities === null) this.malformed(s, "CapabilitiesRes shorter than its count");
    }
    if (m.id === SccpMsg.TimeDateReq) setup.timeDate = true;
    this.emit("setup", s, { deviceName: s.deviceName ?? undefined, detail: name });
    for (const r of reply) s.send(r);
    if (!setup.complete && !this.withholdSetup && setup.timeDate && setup.capabilities !== null) this.complete(s, setup);
    return true;
  }

  /** What the CallManager sends back to a set-up message (undefined: not one; withheld: nothing). */
  private setupReply(s: CmSession, m: SccpMessage): Uint8Array[] | undefined {
    const device = s.deviceName ?? "";
    const lines = this.lines(device);
    const n = decodeU32(m.data) ?? 0;
    const reply = ((): Uint8Array[] | undefined => {
      switch (m.id) {
        case SccpMsg.CapabilitiesRes: case SccpMsg.RegisterAvailableLines: case SccpMsg.HeadsetStatus: return [];
        case SccpMsg.ButtonTemplateReq: return [encodeButtonTemplate([
          ...lines.map((_, i) => ({ instance: i + 1, type: ButtonType.Line })), { instance: 1, type: ButtonType.SpeedDial },
        ])];
        case SccpMsg.SoftKeyTemplateReq: return [encodeSoftKeyTemplateRes(SOFTKEYS)];
        case SccpMsg.SoftKeySetReq: return [encodeSoftKeySetRes(SOFTKEY_SETS)];
        case SccpMsg.ConfigStatReq: return [encodeConfigStat({ deviceName: device, instance: 1, userName: "", serverName: this.name, lines: lines.length, speedDials: 1 })];
        case SccpMsg.LineStatReq: {
          const l = lines[n - 1];
          return [encodeLineStat({ line: n, dirNumber: l?.dirNumber ?? "", displayName: l?.displayName ?? "", label: l?.dirNumber ?? "" })];
        }
        case SccpMsg.SpeedDialStatReq: return [encodeSpeedDialStat(n, n === 1 ? "911" : "", n === 1 ? "Emergency" : "")];
        case SccpMsg.ForwardStatReq: return [encodeForwardStat(n)];
        case SccpMsg.TimeDateReq: return [encodeDefineTimeDate(this.clock.wallMs?.() ?? Date.now()), encodeClearPromptStatus()];
        default: return undefined;
      }
    })();
    return reply === undefined ? undefined : this.withholdSetup ? [] : reply;
  }

  private complete(s: CmSession, setup: SetupState): void {
    setup.complete = true;
    setup.timer?.cancel();
    setup.timer = null;
    const reg = s.register!;
    const now = this.clock.nowMs();
    const codecs = setup.capabilities!.map((c) => CODEC_NAMES[c.payload] ?? `payload ${c.payload}`);
    const lines = this.lines(reg.deviceName);
    this.registered.set(reg.deviceName, { deviceName: reg.deviceName, stationIp: reg.stationIp, session: s.id, remote: s.remote, sinceMs: now, lastKeepAliveMs: now, lines, codecs });
    this.stats.registrations++;
    this.armExpiry(s);
    this.emit("register", s, {
      deviceName: reg.deviceName, stationIp: reg.stationIp, deviceType: reg.deviceType, protocolVersion: reg.protocolVersion, keepAliveS: this.keepAliveS,
      detail: `set-up complete in ${Math.round(now - setup.ackMs)} ms: ${lines.map((l) => l.dirNumber).join(", ")}; ${codecs.join(", ")}`,
    });
  }

  /**
   * A registered device that stops sending keepalives is dropped after two
   * intervals and a grace of 5 s (the phone itself gives up after two
   * missing acks), and its connection closed.
   */
  private armExpiry(s: CmSession): void {
    s.expiry?.cancel();
    const limitS = 2 * this.keepAliveS + 5;
    s.expiry = this.clock.after(limitS * 1000, () => {
      s.expiry = null;
      const r = s.deviceName === null ? undefined : this.registered.get(s.deviceName);
      if (r === undefined || r.session !== s.id) return;
      this.forget(s);
      this.stats.expired++;
      this.emit("expired", s, { deviceName: r.deviceName, detail: `no keepalive for ${limitS}s: unregistered` });
      s.wantClose(true);
    });
  }

  /** The longest silence of a connection that holds no registration. */
  get idleLimitS(): number {
    return 2 * this.secondaryKeepAliveS + 5;
  }

  /** Something arrived on `s` (or it opened): its silence starts again. */
  private heard(s: CmSession): void {
    s.lastHeardMs = this.clock.nowMs();
    s.idle?.cancel();
    const limitS = this.idleLimitS;
    s.idle = this.clock.after(limitS * 1000, () => {
      s.idle = null;
      if (!this.sessions.has(s)) return;
      // A registration (its keepalive expiry) or a set-up under way (its own timeout) governs the connection instead.
      const r = s.deviceName === null ? undefined : this.registered.get(s.deviceName);
      if ((r !== undefined && r.session === s.id) || (s.setup !== null && !s.setup.complete)) return;
      this.stats.idle++;
      this.emit("idle", s, { deviceName: s.deviceName ?? undefined, detail: `nothing for ${limitS}s on a connection with no registration: closed` });
      s.wantClose(true);
    });
  }

  /** Drops the registration held by session `s` (or of `name`); returns the device name it had. */
  private forget(s: CmSession | null, name?: string): string | null {
    const device = name ?? s?.deviceName ?? null;
    if (device === null) return null;
    const r = this.registered.get(device);
    if (r !== undefined && (s === null || r.session === s.id)) this.registered.delete(device);
    return device;
  }

  /** Names the device acknowledged on `s` (null: the session is gone), keeping byDevice in step. */
  private setDevice(s: CmSession, name: string | null): void {
    if (s.deviceName !== null) {
      const set = this.byDevice.get(s.deviceName);
      set?.delete(s);
      if (set !== undefined && set.size === 0) this.byDevice.delete(s.deviceName);
    }
    if (name === null) return;
    s.deviceName = name;
    let set = this.byDevice.get(name);
    if (set === undefined) this.byDevice.set(name, (set = new Set()));
    set.add(s);
  }

  private refill(): void {
    const now = this.clock.nowMs();
    if (this.rate > 0) this.tokens = Math.min(this.burst, this.tokens + ((now - this.refilledMs) * this.rate) / 1000);
    this.refilledMs = now;
  }

  private takeToken(): boolean {
    if (this.rate <= 0) return true;
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  private armQueue(): void {
    if (this.queueTimer !== null || this.waitingCount === 0) return;
    this.refill();
    const waitMs = this.rate <= 0 ? 0 : Math.max(0, Math.ceil(((1 - this.tokens) * 1000) / this.rate));
    this.queueTimer = this.clock.after(waitMs, () => {
      this.queueTimer = null;
      for (;;) {
        const s = this.nextWaiting();
        if (s === null || !this.takeToken()) break;
        const reg = s.waiting!;
        s.waiting = null;
        this.waitingCount--;
        this.queueHead++;
        this.answer(s, reg);
      }
      this.armQueue();
    });
  }

  /** The oldest session still waiting (those that ended meanwhile are dropped), or null. */
  private nextWaiting(): CmSession | null {
    while (this.queueHead < this.queue.length && this.queue[this.queueHead].waiting === null) this.queueHead++;
    if (this.queueHead >= 1024 && this.queueHead * 2 >= this.queue.length) {
      this.queue = this.queue.slice(this.queueHead);
      this.queueHead = 0;
    }
    return this.queueHead < this.queue.length ? this.queue[this.queueHead] : null;
  }

  private emit(type: CmEventType, s: CmSession, extra: Partial<CmEvent> = {}): void {
    this.onEvent?.({ type, tMs: this.clock.nowMs(), cm: this.name, remote: s.remote, session: s.id, ...extra });
  }
}

/** One connection's SCCP session. The transport sets `output` and `close`, and calls receive() and ended(). */
export class CmSession {
  /** The device registered (or last registered) on this connection. */
  deviceName: string | null = null;
  /** Its StationRegister while it waits its turn (throttled); null otherwise. @internal */
  waiting: StationRegister | null = null;
  /** Its StationRegister, once acknowledged. */
  register: StationRegister | null = null;
  /** Its station set-up, after RegisterAck. */
  setup: SetupState | null = null;
  /** When its registration lapses without keepalives. */
  expiry: { cancel(): void } | null = null;
  /** When it is closed for silence (no registration on it). */
  idle: { cancel(): void } | null = null;
  /** When it last sent something. */
  lastHeardMs = 0;
  /** When it first sent KeepAlive with no device registered on it (a standby connection), or null. */
  standbySinceMs: number | null = null;
  /** Bytes to send to the peer. */
  output: (bytes: Uint8Array) => void = () => {};
  /** The server is done with the connection: graceful (FIN after what was sent) or not (RST). */
  close: (graceful: boolean) => void = () => {};
  private readonly framer = new SccpFramer();
  private closing = false;

  constructor(private readonly cm: CallManagerLogic, readonly id: number, readonly remote: string) {}

  /** Bytes received from the peer. */
  receive(bytes: Uint8Array): void {
    if (this.closing) return;
    for (const m of this.framer.push(bytes)) {
      if (this.closing) return;
      this.cm.handle(this, m);
    }
    if (this.framer.error !== null && !this.closing) {
      this.cm.malformed(this, this.framer.error);
      this.wantClose(false);
    }
  }

  /** The transport connection ended (peer closed or reset, or the server stopped). */
  ended(how = "closed"): void {
    this.closing = true;
    this.cm.ended(this, how);
  }

  /** @internal */
  send(bytes: Uint8Array): void {
    if (!this.closing) this.output(bytes);
  }

  /** @internal */
  wantClose(graceful: boolean): void {
    if (this.closing) return;
    this.closing = true;
    this.close(graceful);
  }
}

/** What a set-up that did not complete lacked. */
function missing(setup: SetupState): string[] {
  const out: string[] = [];
  if (setup.capabilities === null) out.push("never answered CapabilitiesReq");
  if (!setup.timeDate) out.push("never sent TimeDateReq");
  return out;
}

/** A 7960's usual softkeys (label, softKeyEvent) and the sets of the call states using them. */
const SOFTKEYS = [
  { label: "Redial", event: 1 }, { label: "NewCall", event: 2 }, { label: "Hold", event: 3 }, { label: "Trnsfer", event: 4 },
  { label: "CFwdAll", event: 5 }, { label: "EndCall", event: 9 }, { label: "Resume", event: 10 }, { label: "Answer", event: 11 },
];
const SOFTKEY_SETS = [[1, 2, 5], [3, 4, 6], [], [7], [8, 6], [], [], [], [], [], []];

function checkInt(name: string, v: number, min: number, max: number): number {
  if (!Number.isInteger(v) || v < min || v > max) throw new RangeError(`CallManager: ${name} must be an integer ${min}..${max}, got ${v}`);
  return v;
}
