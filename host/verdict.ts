// What a run of a phone amounts to, read from the firmware's own events
// (host/events.ts), never from its code: the load it runs and from which
// slot, the load its configuration names, what became of the upgrade
// between them, and for each stage the most specific cause of trouble it
// saw (a RegisterReject and its reason rather than "no CallManager
// answered", NXDOMAIN rather than "no TFTP server answered").
import { announcedVid, CNF_ERRORS, Ev, REG_FAILURES, TFTP_STATUS, UPGRADE_FAILURES, type StageName } from "./events.js";
import { valueOf } from "./mirror.js";
import { imageErrorText, slotName } from "./image.js";
import { ipToString } from "./wire/address.js";

/**
 * none: the configuration names the running load (or none);
 * upgraded: the new load runs and confirmed itself;
 * trial: the new load runs on trial, not confirmed yet;
 * downloading: the download into the other slot had not ended;
 * download_failed: the image did not arrive or could not be written (the firmware says why);
 * refused: the bootloader would not start the image (its reason);
 * reverted: the image started on trial, never confirmed itself, and the bootloader went back;
 * skipped: the other slot already held that load, not started: refused before this run.
 */
export type UpgradeOutcome = "none" | "upgraded" | "trial" | "downloading" | "download_failed" | "refused" | "reverted" | "skipped";

/** Exit status of boot and storm when a phone registered, but not on the load its configuration names (the upgrade failed, was refused or reverted). */
export const EXIT_LOAD_NOT_REACHED = 16;

export interface FirmwareVerdict {
  /** The load running now (null when no image runs). */
  load: string | null;
  slot: string | null;
  /** "confirmed", or "trial" for a new image on its first start. */
  image: "confirmed" | "trial" | null;
  /** The load the configuration file names; null before a configuration was read (or when it names none). */
  config_load: string | null;
  /** True when the running load is the configuration's; null when no configuration named one. */
  load_reached: boolean | null;
  upgrade: { outcome: UpgradeOutcome; load: string | null; reason: string | null };
}

/** One line: "P0030801SR02 from slot B (confirmed); configuration's load P0030801SR02: upgraded and confirmed". */
export function formatVerdict(v: FirmwareVerdict): string {
  const running = v.load === null ? "no image running" : `firmware ${v.load} from slot ${v.slot} (${v.image})`;
  if (v.config_load === null) return `${running}; no configuration named a load`;
  const u = v.upgrade;
  const what: Record<UpgradeOutcome, string> = {
    none: "no upgrade needed",
    upgraded: `upgraded to ${u.load} and confirmed`,
    trial: `upgraded to ${u.load}, on trial (not confirmed yet)`,
    downloading: `the download of ${u.load} had not finished`,
    download_failed: `upgrade to ${u.load} failed: ${u.reason}`,
    refused: `upgrade to ${u.load} refused by the bootloader: ${u.reason}`,
    reverted: `upgrade to ${u.load} reverted: ${u.reason}`,
    skipped: `upgrade to ${u.load} not tried: ${u.reason}`,
  };
  return `${running}; the configuration names ${v.config_load}${v.load_reached ? "" : " (NOT reached)"}: ${what[u.outcome]}`;
}

const TFTP_ERRORS = ["not defined", "file not found", "access violation", "disk full", "illegal operation", "unknown transfer ID", "file exists", "no such user", "option negotiation refused"];

interface Cause {
  rank: number;
  reason: string;
}

type Read = (ptr: number, len: number) => string;

/** Follows a phone's events: call `event` for every firmware event (the bootloader's too), `booted` when an image starts. */
export class VerdictTracker {
  private configLoad: string | null = null;
  private running: { load: string; slot: number; trial: boolean } | null = null;
  private upgrade: { outcome: UpgradeOutcome; load: string | null; slot: number; reason: string | null } = { outcome: "none", load: null, slot: -1, reason: null };
  /** The most specific cause per stage in the current start of the firmware. */
  private causes = new Map<StageName, Cause>();
  // Context for the causes.
  private vlan: number | null = null;
  private discovers = 0;
  private offers = 0;
  private tftpFile = "";
  private tftpName: string | null = null;
  private cmTried = new Map<number, string>();
  private cmIp = new Map<number, string>();
  private lastCm = -1;
  private rejects: string[] = [];
  /** After the configuration is read, DNS queries are for CallManager host names, not option 66's. */
  private configRead = false;

  /** A new start of the firmware: the stages' causes begin again; the upgrade's story goes on. */
  starting(): void {
    this.causes.clear();
    this.vlan = null;
    this.discovers = 0;
    this.offers = 0;
    this.tftpFile = "";
    this.tftpName = null;
    this.cmTried.clear();
    this.cmIp.clear();
    this.lastCm = -1;
    this.rejects = [];
    this.configRead = false;
  }

  /** The bootloader started `load` from `slot`. */
  booted(slot: number, load: string, trial: boolean): void {
    this.running = { load, slot, trial };
    const u = this.upgrade;
    if (u.outcome === "downloading" && u.slot === slot && u.load === load) {
      u.outcome = trial ? "trial" : "upgraded";
      u.reason = null;
    }
  }

  /** The chosen image did not start (the host could not instantiate it). */
  notStarted(slot: number, why: string): void {
    const u = this.upgrade;
    if (u.outcome === "downloading" && u.slot === slot) this.refuse(`slot ${slotName(slot)}: the image does not start (${why})`);
    this.cause("boot", 4, `slot ${slotName(slot)}: the image does not start (${why})`);
  }

  /** The bootloader found no image to start. */
  bootFailed(detail: string): void {
    this.running = null;
    this.cause("boot", 5, this.rejects.length ? `${detail}: ${this.rejects.join("; ")}` : detail);
  }

  /** A line from outside the firmware (the switch's PoE log). */
  note(stage: StageName, event: string, detail: string): void {
    if (stage === "power" && /DENY|denied|FAULT|refus/i.test(`${event} ${detail}`)) this.cause("power", 5, `${event}: ${detail}`);
  }

  private refuse(reason: string): void {
    this.upgrade.outcome = "refused";
    this.upgrade.reason = reason;
  }

  private cause(stage: StageName, rank: number, reason: string): void {
    const now = this.causes.get(stage);
    if (!now || rank >= now.rank) this.causes.set(stage, { rank, reason });
  }

  event(code: number, a: number, b: number, read: Read): void {
    const ip = (x: number) => ipToString(x >>> 0);
    const u = this.upgrade;
    switch (code) {
      // ---- boot and upgrade
      case Ev.BootReject: {
        const why = `slot ${slotName(a)}: ${imageErrorText(b)}`;
        this.rejects.push(why);
        if (u.outcome === "downloading" && u.slot === a) this.refuse(why);
        this.cause("boot", 3, why);
        break;
      }
      case Ev.BootRevert:
        if (u.slot === a && (u.outcome === "trial" || u.outcome === "downloading")) {
          u.outcome = "reverted";
          u.reason = `slot ${slotName(a)}: the trial ended without the image confirming itself; back to the other slot`;
        }
        break;
      case Ev.ImageConfirmed:
        if (this.running && this.running.slot === a) this.running.trial = false;
        if (u.outcome === "trial" && u.slot === a) u.outcome = "upgraded";
        break;
      case Ev.FactoryBad: this.cause("boot", 5, `factory data unusable (error ${a})`); break;
      case Ev.BootFlashError: this.cause("boot", 4, `bootloader write at 0x${(a >>> 0).toString(16)} failed (error ${b})`); break;
      case Ev.BootNoImage: this.cause("boot", 5, `no valid image in either slot (error ${a})${this.rejects.length ? `: ${this.rejects.join("; ")}` : ""}`); break;
      case Ev.ConfigLoad: this.configLoad = read(a, b); break;
      case Ev.UpgradeStart:
        this.upgrade = { outcome: "downloading", load: this.configLoad, slot: a, reason: null };
        break;
      case Ev.UpgradeFailed:
        this.upgrade = { outcome: "download_failed", load: u.load ?? this.configLoad, slot: u.slot, reason: `${valueOf(UPGRADE_FAILURES, a) ?? `reason ${a}`}${a === 1 ? ` (TFTP: ${valueOf(TFTP_STATUS, b) ?? b})` : ` (${b})`}` };
        break;
      case Ev.UpgradeRetry:
        if (u.outcome === "download_failed") u.reason = `${u.reason}; tried again in ${a} s`;
        break;
      case Ev.UpgradeReady:
        // Written and marked for trial: what the bootloader makes of it comes next.
        break;
      case Ev.UpgradeSkipped:
        // The firmware does not try again a load the bootloader refused; keep the refusal's reason if this run saw it.
        if (u.outcome !== "refused" && u.outcome !== "reverted") {
          this.upgrade = { outcome: "skipped", load: this.configLoad, slot: a, reason: `slot ${slotName(a)} already holds that load, which the bootloader did not keep (state ${b})` };
        }
        break;

      // ---- VLAN and DHCP
      case Ev.VlanLearned: this.vlan = announcedVid(a); break;
      case Ev.VlanNone: this.vlan = null; break;
      case Ev.DhcpDiscover:
        this.discovers++;
        if (this.offers === 0) this.cause("dhcp", 2, `no DHCP server answered ${this.discovers} DISCOVER${this.discovers === 1 ? "" : "s"} ${this.vlan === null ? "untagged (no voice VLAN)" : `on voice VLAN ${this.vlan}`}`);
        break;
      case Ev.DhcpOffer:
        this.offers++;
        this.cause("dhcp", 2, `OFFER of ${ip(a)} from ${ip(b)}, then no ACK`);
        break;
      case Ev.DhcpNak: this.cause("dhcp", 4, `DHCPNAK from ${ip(a)}`); break;
      case Ev.DhcpDecline: this.cause("dhcp", 4, `declined ${ip(a)}: the address is in use`); break;
      case Ev.ArpConflict: this.cause("dhcp", 4, `offered address ${ip(a)} is in use by ..:${((b >>> 0) & 0xffffff).toString(16).padStart(6, "0")} (ARP probe answered)`); break;
      case Ev.DhcpTftpName: this.tftpName = read(a, b); break;
      case Ev.DhcpBound: this.causes.delete("dhcp"); break;

      // ---- TFTP, DNS, configuration
      case Ev.TftpFile: this.tftpFile = read(a, b); break;
      // A missing CTL or ITL file is a non-secure cluster: normal, not trouble.
      case Ev.TftpNotFound: if (this.tftpFile.endsWith(".tlv")) break; this.cause("tftp", 2, `${this.tftpFile}: TFTP ERROR 1 (file not found) from ${ip(a)}`); break;
      case Ev.TftpError: this.cause("tftp", 4, `${this.tftpFile}: TFTP ERROR ${a} (${TFTP_ERRORS[a] ?? "unknown code"}) from ${ip(b)}`); break;
      case Ev.TftpTimeout: this.cause("tftp", 3, `${this.tftpFile}: no answer from TFTP server ${ip(a)} (${b >>> 0} bytes received)`); break;
      case Ev.TftpAbort: this.cause("tftp", 3, `${this.tftpFile}: the phone aborted the transfer with ERROR ${a} after ${b >>> 0} bytes`); break;
      case Ev.DnsNotFound: this.cause("tftp", 4, `${this.dnsName()}: ${a === 3 ? "NXDOMAIN" : "no A record"} from DNS server ${ip(b)}`); break;
      case Ev.DnsTimeout: this.cause("tftp", 3, `${this.dnsName()}: no DNS answer to ${a} queries`); break;
      case Ev.ConfigLoaded: this.configRead = true; break;
      case Ev.ConfigFailed:
        if (a === 2) this.cause("tftp", 1, `no TFTP server answered (last: ${valueOf(TFTP_STATUS, b) ?? b})`);
        else if (a === 4) this.cause("tftp", 5, `${this.tftpFile}: configuration file rejected: ${valueOf(CNF_ERRORS, b) ?? b}`);
        else if (a === 3) this.cause("tftp", 5, "neither SEP<MAC>.cnf.xml nor XMLDefault.cnf.xml on the TFTP server");
        else if (a === 1) this.cause("tftp", 5, "no TFTP server: DHCP gave neither option 150 nor option 66");
        else if (a === 5) this.cause("tftp", 5, "the configuration names no CallManager");
        break;

      // ---- registration
      case Ev.RegConnecting: case Ev.RegProbe: case Ev.RegConnected:
        this.lastCm = b & 0xff;
        this.cmIp.set(this.lastCm, `${ip(a)}:${b >>> 8}`);
        break;
      case Ev.RegRejected: {
        const who = this.lastCm >= 0 ? `CM${this.lastCm + 1} ${this.cmIp.get(this.lastCm) ?? ""}`.trim() : "a CallManager";
        const text = read(a, b);
        if (this.lastCm >= 0) this.cmTried.set(this.lastCm, `RegisterReject "${text}"`);
        this.cause("register", 5, `RegisterReject "${text}" from ${who}`);
        break;
      }
      case Ev.RegFailed:
        if (!(this.cmTried.get(a)?.startsWith("RegisterReject") && b === 5)) this.cmTried.set(a, valueOf(REG_FAILURES, b) ?? `reason ${b}`);
        this.cause("register", 3, this.cmSummary());
        break;
      case Ev.RegNoCallManager: this.cause("register", 5, "the configuration lists no CallManager"); break;
      case Ev.RegRegistered: this.causes.delete("register"); break;
    }
  }

  /** What a DNS query was for: option 66's name, or (the events do not carry it) a CallManager's host name. */
  private dnsName(): string {
    return this.configRead ? "a CallManager host name in the configuration" : `option 66 name ${this.tftpName ?? "?"}`;
  }

  private cmSummary(): string {
    const parts = [...this.cmTried.entries()].sort((x, y) => x[0] - y[0]).map(([i, why]) => `CM${i + 1}${this.cmIp.has(i) ? ` ${this.cmIp.get(i)}` : ""} ${why}`);
    return `no CallManager registered the phone: ${parts.join("; ")}`;
  }

  /** The most specific cause seen in `stage` during this start of the firmware, or null. */
  causeOf(stage: StageName): string | null {
    const c = this.causes.get(stage);
    if (stage === "register" && c && this.cmTried.size > 0) {
      // A RegisterReject leads (it is the CallManager's own answer); what the others did follows.
      const rejected = [...this.cmTried.entries()].find(([, w]) => w.startsWith("RegisterReject"));
      if (!rejected) return this.cmSummary();
      const others = [...this.cmTried.entries()].filter(([i]) => i !== rejected[0]).sort((x, y) => x[0] - y[0]).map(([i, why]) => `CM${i + 1}${this.cmIp.has(i) ? ` ${this.cmIp.get(i)}` : ""} ${why}`);
      return `${rejected[1]} from CM${rejected[0] + 1}${this.cmIp.has(rejected[0]) ? ` ${this.cmIp.get(rejected[0])}` : ""}${others.length ? ` (and ${others.join("; ")})` : ""}`;
    }
    return c?.reason ?? null;
  }

  causesByStage(): Partial<Record<StageName, string>> {
    return Object.fromEntries([...this.causes.keys()].map((s) => [s, this.causeOf(s)!]));
  }

  verdict(): FirmwareVerdict {
    const r = this.running;
    const u = this.upgrade;
    const reached = this.configLoad === null ? null : r !== null && r.load === this.configLoad;
    const outcome: UpgradeOutcome = this.configLoad !== null && reached && u.outcome !== "upgraded" && u.outcome !== "trial" ? "none" : u.outcome;
    return {
      load: r?.load ?? null,
      slot: r ? slotName(r.slot) : null,
      image: r ? (r.trial ? "trial" : "confirmed") : null,
      config_load: this.configLoad,
      load_reached: reached,
      upgrade: { outcome, load: outcome === "none" ? null : u.load, reason: outcome === "none" ? null : u.reason },
    };
  }
}
