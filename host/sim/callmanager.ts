// A CallManager on the simulated network: a host (MAC, IP, ARP) with the
// host TCP of host/sim/tcp.ts listening on port 2000, and the SCCP logic of
// host/callmanager/server.ts on each connection; beside it, as on a CUCM
// node, the SIP registrar of host/sim/sip-registrar.ts on port 5060 (UDP
// and TCP), which the outages take down too. Outages for failover
// tests: stop("refuse") (the service is down, the host answers every SYN
// with a RST; open connections are reset), stop("fin") (the service shuts
// down cleanly: FIN on each connection, then RSTs), stop("silent") (the host
// is gone: nothing in or out), and start() (back; after "silent" as a
// rebooted host, with no memory of the old connections).
import { CallManagerLogic, type CallManagerConfig, type CmClock, type CmEvent, type CmSession } from "../callmanager/server.js";
import { SCCP_PORT } from "../wire/sccp.js";
import { TcpHost, type TcpConnection } from "./tcp.js";
import { SimSipService, SipRegistrar, type SipRegistrarConfig } from "./sip-registrar.js";
import { ipToString } from "../wire/address.js";
import type { Mac } from "../wire/address.js";
import type { Scheduler } from "./scheduler.js";
import type { Nic, Side, Wire } from "./wire.js";

export interface SimCallManagerConfig extends CallManagerConfig {
  mac: Mac | string;
  ip: number | string;
  /** SCCP port (default 2000). */
  port?: number;
  seed?: number;
  /** Down from the start: "refuse" or "silent". */
  down?: "refuse" | "silent";
  /** The SIP registrar on port 5060 (UDP and TCP) beside SCCP; its domain defaults to this node's address, its seed to seed + 1000. */
  sip?: Partial<SipRegistrarConfig>;
}

export type Outage = "refuse" | "fin" | "silent";

/** The simulated CallManagers' wall clock at virtual time 0 (DefineTimeDate): fixed, so a seed gives the same run. */
export const SIM_EPOCH_MS = Date.UTC(2026, 11, 2, 9, 0, 0);

export function simClock(scheduler: Scheduler): CmClock {
  return {
    nowMs: () => scheduler.now / 1000,
    wallMs: () => SIM_EPOCH_MS + Math.floor(scheduler.now / 1000),
    after: (ms, fn) => {
      const t = scheduler.after(Math.max(0, Math.round(ms * 1000)), fn);
      return { cancel: () => scheduler.cancel(t) };
    },
  };
}

export class SimCallManager implements Nic {
  readonly tcp: TcpHost;
  readonly logic: CallManagerLogic;
  readonly port: number;
  /** The node's SIP service (host/sim/sip-registrar.ts). */
  readonly sip: SimSipService;
  /** Everything the logic reported, in order. */
  readonly events: CmEvent[] = [];
  onEvent: ((e: CmEvent) => void) | null = null;
  private outage: Outage | null = null;
  private readonly open = new Map<TcpConnection, CmSession>();

  constructor(readonly scheduler: Scheduler, config: SimCallManagerConfig) {
    this.tcp = new TcpHost(scheduler, { mac: config.mac, ip: config.ip, seed: config.seed });
    this.logic = new CallManagerLogic(simClock(scheduler), config);
    this.logic.onEvent = (e) => {
      this.events.push(e);
      this.onEvent?.(e);
    };
    this.port = config.port ?? SCCP_PORT;
    this.tcp.listen(this.port, (c) => this.accept(c));
    const registrar = new SipRegistrar(simClock(scheduler), {
      name: this.logic.name, domain: ipToString(this.tcp.ip), seed: (config.seed ?? 0) + 1000, subscribers: () => null, ...config.sip,
    });
    this.sip = new SimSipService(this.tcp, registrar);
    if (config.down !== undefined) this.stop(config.down);
  }

  get ip(): number {
    return this.tcp.ip;
  }

  get up(): boolean {
    return this.outage === null;
  }

  plug(wire: Wire, side: Side): void {
    this.tcp.plug(wire, side);
  }

  receive(frame: Uint8Array): void {
    this.tcp.receive(frame);
  }

  /** The service (or the whole host) goes away. */
  stop(how: Outage = "refuse"): void {
    if (this.outage !== null) return;
    this.outage = how;
    this.tcp.unlisten(this.port);
    if (how === "silent") {
      this.tcp.mode = "silent";
      return;
    }
    this.sip.stop();
    for (const [c, s] of [...this.open]) {
      s.ended(how === "fin" ? "CallManager stopped" : "CallManager failed");
      if (how === "fin") c.close();
      else c.abort();
    }
  }

  /** Back in service. */
  start(): void {
    if (this.outage === null) return;
    if (this.outage === "silent") {
      // A host that comes back has forgotten its connections.
      for (const [c, s] of [...this.open]) {
        s.ended("CallManager restarted");
        c.onEnd = null;
        c.finish("aborted");
      }
      this.sip.forgetConnections();
      this.tcp.mode = "up";
    }
    this.outage = null;
    this.tcp.listen(this.port, (c) => this.accept(c));
    this.sip.start();
  }

  private accept(c: TcpConnection): void {
    const s = this.logic.open(c.remote);
    this.open.set(c, s);
    s.output = (bytes) => c.send(bytes);
    s.close = (graceful) => (graceful ? c.close() : c.abort());
    c.onData = (bytes) => s.receive(bytes);
    c.onPeerClose = () => {
      s.ended("closed by the phone");
      c.close();
    };
    c.onEnd = (how) => {
      this.open.delete(c);
      s.ended(how === "closed" ? "closed" : how === "reset" ? "reset by the phone" : how);
    };
  }
}
