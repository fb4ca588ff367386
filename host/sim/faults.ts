// Seeded fault injection on the simulated links (issue 11): loss,
// duplication, reordering, corruption, delay jitter and link flaps, per link
// and per direction. A FaultSpec is plain JSON (a scenario file's "faults"),
// and the same spec and seed give the same faults, frame for frame.
//
// A Wire consults its `faults` (a LinkFaults) for every frame it has
// serialised; with none set the wire does what it always did, at no cost.
//
// Corruption. The model's Ethernet has no FCS (the MAC strips it), so where
// a flipped bit lands decides who must catch it:
// - A frame with an end-to-end checksum its receiver verifies (the IPv4
//   header checksum; TCP, ICMP, UDP with a checksum; CDP) gets one bit flipped
//   inside what that checksum covers, as a store-and-forward switch's memory
//   error behind a recomputed FCS would do. It is delivered: the receiver's
//   checksum must catch it. The layer tags it, and when the receiver is a
//   phone it reads the phone's counters around that one frame, so a
//   corrupted frame the firmware accepted is counted (`corruptAccepted`).
//   A single-bit error always changes a ones' complement sum, so that
//   number must be 0.
// - Any other frame (ARP, LLDP, UDP without a checksum, the Ethernet header)
//   is corrupted on the cable: the receiving MAC's CRC-32 fails and the
//   frame is dropped before anyone sees it (`fcsErrors`, a NIC's CRC error
//   counter), as real NICs do.
//
// The pcap (the wire's tap, at delivery) shows what the receiver got:
// duplicates twice, reordered frames out of order, jitter in the timestamps,
// corrupted frames with their flipped bit (tshark flags the bad checksum);
// lost, flapped-away and FCS-dropped frames never reach the tap.
import { Random } from "./random.js";
import { COUNTER_NAMES } from "../counters.js";
import type { Scheduler } from "./scheduler.js";
import type { Side, Wire } from "./wire.js";
import { CDP_SNAP } from "../wire/cdp.js";
import { ETH_HEADER_LEN, ETH_VLAN_HEADER_LEN, ETHERTYPE_IPV4 } from "../wire/ethernet.js";
import { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, IPV4_HEADER_LEN } from "../wire/ipv4.js";
import { TCP_HEADER_LEN } from "../wire/tcp.js";
import { UDP_HEADER_LEN } from "../wire/udp.js";
import { ETHERTYPE_VLAN } from "../wire/vlan.js";

/** Faults of one direction of a link. Probabilities are 0..1 per frame. */
export interface DirectionFaults {
  /** The frame is lost. */
  loss?: number;
  /** The frame arrives twice (the copy one serialisation time later). */
  duplicate?: number;
  /** The frame is held back `reorderUs` so that the frames after it overtake it. */
  reorder?: number;
  /** How long a reordered frame is held back, µs (default 3000). */
  reorderUs?: number;
  /** One bit of the frame flips (see the file's comment for where). */
  corrupt?: number;
  /** Extra delay, uniform in 0..jitterUs µs; frames stay in order. */
  jitterUs?: number;
}

/** A link down from atMs (virtual ms since the start) for downMs: both directions lose everything, the ends see the PHY go down. */
export interface LinkFlap {
  atMs: number;
  downMs: number;
}

/**
 * Faults of one link: the top-level fields apply to both directions; `up`
 * (from the device to the switch) and `down` (from the switch to the device)
 * override them field by field.
 */
export interface LinkFaultSpec extends DirectionFaults {
  up?: DirectionFaults;
  down?: DirectionFaults;
  flaps?: LinkFlap[];
}

/** The links of the built-in network that faults can be put on. */
export const LINK_NAMES = ["phone", "dhcp", "tftp", "dns", "cm1", "cm2", "cm3"] as const;
export type LinkName = (typeof LINK_NAMES)[number];

/** Faults of the whole network, by link: JSON, e.g. {"phone": {"loss": 0.1, "down": {"corrupt": 0.02}}}. */
export type FaultSpec = { seed?: number } & { [K in LinkName]?: LinkFaultSpec };

export interface DirectionStats {
  /** Frames offered to the fault layer. */
  frames: number;
  lost: number;
  duplicated: number;
  reordered: number;
  /** Corrupted frames delivered (inside a checksum's coverage). */
  corrupted: number;
  /** Corrupted frames the receiving MAC dropped (bad FCS). */
  fcsErrors: number;
  /** Frames lost because the link was down. */
  flapped: number;
  /** Corrupted frames the receiver counted as accepted (must stay 0 for a phone). */
  corruptAccepted: number;
  /** Corrupted frames delivered while a watched receiver could not report (dark, or reset by the frame). */
  corruptUnobserved: number;
}

/** Per-frame counter probe of a receiver: `accepted` before and after one frame. */
export type AcceptProbe = () => number | null;

const DIRECTION_KEYS = ["loss", "duplicate", "reorder", "reorderUs", "corrupt", "jitterUs"] as const;
const LINK_KEYS = [...DIRECTION_KEYS, "up", "down", "flaps"];

/** Throws a RangeError naming the first bad field of `spec` (a scenario file's "faults"). */
export function checkFaultSpec(spec: unknown): FaultSpec {
  if (typeof spec !== "object" || spec === null || Array.isArray(spec)) throw new RangeError("faults: must be an object");
  for (const [key, value] of Object.entries(spec)) {
    if (key === "seed") {
      if (!Number.isSafeInteger(value) || (value as number) < 0) throw new RangeError(`faults.seed: must be an integer >= 0`);
      continue;
    }
    if (!(LINK_NAMES as readonly string[]).includes(key)) throw new RangeError(`faults.${key}: unknown link (links: ${LINK_NAMES.join(", ")})`);
    checkLink(`faults.${key}`, value);
  }
  return spec as FaultSpec;
}

function checkLink(where: string, link: unknown): void {
  if (typeof link !== "object" || link === null || Array.isArray(link)) throw new RangeError(`${where}: must be an object`);
  for (const key of Object.keys(link)) if (!LINK_KEYS.includes(key)) throw new RangeError(`${where}.${key}: unknown field (fields: ${LINK_KEYS.join(", ")})`);
  const l = link as LinkFaultSpec;
  checkDirection(where, l);
  if (l.up !== undefined) checkDirection(`${where}.up`, l.up);
  if (l.down !== undefined) checkDirection(`${where}.down`, l.down);
  if (l.flaps !== undefined) {
    if (!Array.isArray(l.flaps)) throw new RangeError(`${where}.flaps: must be a list of {atMs, downMs}`);
    l.flaps.forEach((f, i) => {
      if (typeof f !== "object" || f === null || !Number.isFinite(f.atMs) || f.atMs < 0 || !Number.isFinite(f.downMs) || f.downMs < 0) {
        throw new RangeError(`${where}.flaps[${i}]: must be {atMs >= 0, downMs >= 0}`);
      }
    });
  }
}

function checkDirection(where: string, d: unknown): void {
  if (typeof d !== "object" || d === null || Array.isArray(d)) throw new RangeError(`${where}: must be an object`);
  const r = d as Record<string, unknown>;
  for (const key of ["loss", "duplicate", "reorder", "corrupt"]) {
    const v = r[key];
    if (v !== undefined && (typeof v !== "number" || !(v >= 0 && v <= 1))) throw new RangeError(`${where}.${key}: must be a probability 0..1, got ${JSON.stringify(v)}`);
  }
  for (const key of ["reorderUs", "jitterUs"]) {
    const v = r[key];
    if (v !== undefined && (!Number.isSafeInteger(v) || (v as number) < 0 || (v as number) > 60_000_000)) throw new RangeError(`${where}.${key}: must be an integer 0..60000000 µs, got ${JSON.stringify(v)}`);
  }
  if (where.endsWith(".up") || where.endsWith(".down")) {
    for (const key of Object.keys(r)) if (!(DIRECTION_KEYS as readonly string[]).includes(key)) throw new RangeError(`${where}.${key}: unknown field (fields: ${DIRECTION_KEYS.join(", ")})`);
  }
}

/** Whether a spec does anything at all on a link. */
function active(d: Required<DirectionFaults>): boolean {
  return d.loss > 0 || d.duplicate > 0 || d.reorder > 0 || d.corrupt > 0 || d.jitterUs > 0;
}

function resolve(link: LinkFaultSpec, dir: "up" | "down"): Required<DirectionFaults> {
  const o = { ...pick(link), ...pick(link[dir] ?? {}) };
  return { loss: o.loss ?? 0, duplicate: o.duplicate ?? 0, reorder: o.reorder ?? 0, reorderUs: o.reorderUs ?? 3000, corrupt: o.corrupt ?? 0, jitterUs: o.jitterUs ?? 0 };
}

function pick(d: DirectionFaults): DirectionFaults {
  const out: Record<string, number> = {};
  for (const k of DIRECTION_KEYS) if (d[k] !== undefined) out[k] = d[k]!;
  return out;
}

/** A 32-bit seed per (seed, link, direction): faults on one link do not move another link's draws. */
export function streamSeed(seed: number, link: string, dir: number): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (const ch of `${link}/${dir}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return new Random(h).nextU32();
}

export function emptyStats(): DirectionStats {
  return { frames: 0, lost: 0, duplicated: 0, reordered: 0, corrupted: 0, fcsErrors: 0, flapped: 0, corruptAccepted: 0, corruptUnobserved: 0 };
}

interface Direction {
  faults: Required<DirectionFaults>;
  rng: Random;
  stats: DirectionStats;
  /** Latest delivery time scheduled in order (jitter keeps frames in order). */
  lastUs: number;
}

/** What the wire hands the fault layer, and what the fault layer asks of the wire. */
export interface FaultableWire {
  deliver(to: Side, frame: Uint8Array, from: Side): void;
  serialisationUs(length: number): number;
}

/**
 * The faults of one link (a Wire). Side 0 is the device (phone or server),
 * side 1 the switch: "up" is 0 -> 1, "down" is 1 -> 0.
 */
export class LinkFaults {
  private readonly dirs: [Direction, Direction];
  private downUntilUs = -1;
  private downFromUs = Infinity;
  /** Probes of the receivers' `accepted` counter, by side. */
  private readonly probes: [AcceptProbe | null, AcceptProbe | null] = [null, null];
  /** The corrupted frames a watched receiver accepted: time, direction, bytes (hex). */
  readonly acceptedCorrupt: { tUs: number; to: Side; hex: string }[] = [];

  constructor(private readonly scheduler: Scheduler, readonly name: string, spec: LinkFaultSpec, seed: number,
    private readonly onLink: (up: boolean) => void = () => {}) {
    const make = (dir: "up" | "down", i: number): Direction => ({ faults: resolve(spec, dir), rng: new Random(streamSeed(seed, name, i)), stats: emptyStats(), lastUs: 0 });
    this.dirs = [make("up", 0), make("down", 1)];
    for (const f of spec.flaps ?? []) this.scheduleFlap(f);
  }

  /** Stats of frames sent from `side` (0: up, 1: down). */
  stats(side: Side): Readonly<DirectionStats> {
    return this.dirs[side].stats;
  }

  /** Reads the receiver on `side`'s accepted counter around every corrupted frame delivered to it. */
  watch(side: Side, probe: AcceptProbe): void {
    this.probes[side] = probe;
  }

  /** Whether anything is configured in either direction (flaps aside). */
  get active(): boolean {
    return active(this.dirs[0].faults) || active(this.dirs[1].faults);
  }

  private isDown(tUs: number): boolean {
    return tUs >= this.downFromUs && tUs < this.downUntilUs;
  }

  private scheduleFlap(f: LinkFlap): void {
    const from = Math.round(f.atMs * 1000);
    const until = from + Math.round(f.downMs * 1000);
    this.scheduler.at(Math.max(from, this.scheduler.now), () => {
      this.downFromUs = from;
      this.downUntilUs = Math.max(this.downUntilUs, until);
      this.onLink(false);
    });
    this.scheduler.at(Math.max(until, this.scheduler.now), () => {
      if (this.scheduler.now >= this.downUntilUs) this.onLink(true);
    });
  }

  /**
   * Called by the wire for a frame whose last bit leaves at `atUs` (latency
   * included): decides its fate and schedules its delivery (or not).
   */
  send(wire: FaultableWire, from: Side, frame: Uint8Array, atUs: number): void {
    const d = this.dirs[from];
    const f = d.faults;
    const to: Side = from === 0 ? 1 : 0;
    d.stats.frames++;
    if (this.isDown(this.scheduler.now)) { d.stats.flapped++; return; }
    if (f.loss > 0 && d.rng.chance(f.loss)) { d.stats.lost++; return; }
    const copies = f.duplicate > 0 && d.rng.chance(f.duplicate) ? 2 : 1;
    if (copies === 2) d.stats.duplicated++;
    for (let i = 0; i < copies; i++) {
      let t = atUs + i * wire.serialisationUs(frame.length);
      if (f.jitterUs > 0) t += d.rng.int(f.jitterUs + 1);
      t = Math.max(t, d.lastUs);
      let held = false;
      if (f.reorder > 0 && d.rng.chance(f.reorder)) { held = true; d.stats.reordered++; }
      if (!held) d.lastUs = t;
      else t += f.reorderUs;
      let copy = i === 0 ? frame : frame.slice();
      let corrupted = false;
      if (f.corrupt > 0 && d.rng.chance(f.corrupt)) {
        const bit = coveredBit(copy, d.rng);
        if (bit < 0) { d.stats.fcsErrors++; continue; }
        copy = copy === frame ? frame.slice() : copy;
        copy[bit >> 3] ^= 1 << (bit & 7);
        corrupted = true;
        d.stats.corrupted++;
      }
      const out = copy;
      this.scheduler.at(t, () => {
        if (this.isDown(this.scheduler.now)) { d.stats.flapped++; return; }
        if (corrupted) this.deliverWatched(wire, to, out, from, d.stats);
        else wire.deliver(to, out, from);
      });
    }
  }

  private deliverWatched(wire: FaultableWire, to: Side, frame: Uint8Array, from: Side, stats: DirectionStats): void {
    const probe = this.probes[to];
    if (!probe) { wire.deliver(to, frame, from); return; }
    const before = probe();
    wire.deliver(to, frame, from);
    const after = probe();
    if (before === null || after === null) stats.corruptUnobserved++;
    else if (after !== before) {
      stats.corruptAccepted++;
      this.acceptedCorrupt.push({ tUs: this.scheduler.now, to, hex: Buffer.from(frame).toString("hex") });
    }
  }
}

/**
 * A bit (index into the frame) inside the bytes an end-to-end checksum its
 * receiver verifies covers, or -1 when the frame has none (then only the
 * FCS can catch the flip). Never a flip that turns a UDP checksum into 0
 * ("no checksum").
 */
export function coveredBit(frame: Uint8Array, rng: Random): number {
  const r = coveredRange(frame);
  if (r === null) return -1;
  for (;;) {
    const bit = r.start * 8 + rng.int((r.end - r.start) * 8);
    const byte = bit >> 3;
    if (r.udpChecksumAt >= 0 && (byte === r.udpChecksumAt || byte === r.udpChecksumAt + 1)) {
      const v = (frame[r.udpChecksumAt] << 8) | frame[r.udpChecksumAt + 1];
      const flipped = v ^ (1 << (byte === r.udpChecksumAt ? 8 + (bit & 7) : bit & 7));
      if (flipped === 0) continue;
    }
    return bit;
  }
}

interface Covered { start: number; end: number; udpChecksumAt: number }

/** The byte range [start, end) an end-to-end checksum covers, or null. */
export function coveredRange(f: Uint8Array): Covered | null {
  if (f.length < ETH_HEADER_LEN) return null;
  let off = ETH_HEADER_LEN;
  let type = (f[12] << 8) | f[13];
  if (type === ETHERTYPE_VLAN) {
    if (f.length < ETH_VLAN_HEADER_LEN) return null;
    off = ETH_VLAN_HEADER_LEN;
    type = (f[16] << 8) | f[17];
  }
  if (type === ETHERTYPE_IPV4) {
    if (f.length < off + IPV4_HEADER_LEN) return null;
    const ihl = (f[off] & 0x0f) * 4;
    const total = (f[off + 2] << 8) | f[off + 3];
    const end = Math.min(f.length, off + total);
    if ((f[off] >> 4) !== 4 || ihl < IPV4_HEADER_LEN || off + ihl > end) return null;
    const proto = f[off + 9];
    const l4 = off + ihl;
    const fragment = (((f[off + 6] << 8) | f[off + 7]) & 0x3fff) !== 0;
    const icmpOrTcp = proto === IPPROTO_TCP || proto === IPPROTO_ICMP;
    if (!fragment && icmpOrTcp && end - l4 >= (proto === IPPROTO_TCP ? TCP_HEADER_LEN : 8)) return { start: off, end, udpChecksumAt: -1 };
    if (!fragment && proto === IPPROTO_UDP && end - l4 >= UDP_HEADER_LEN && ((f[l4 + 6] << 8) | f[l4 + 7]) !== 0) {
      const ulen = (f[l4 + 4] << 8) | f[l4 + 5];
      return { start: off, end: Math.min(end, l4 + Math.max(ulen, UDP_HEADER_LEN)), udpChecksumAt: l4 + 6 };
    }
    return { start: off, end: l4, udpChecksumAt: -1 }; // the IPv4 header checksum
  }
  // CDP: 802.3 length, LLC/SNAP, then version, TTL, checksum, TLVs.
  const cdp = ETH_HEADER_LEN + CDP_SNAP.length;
  if (type <= 1500 && off === ETH_HEADER_LEN && f.length >= cdp + 4 && CDP_SNAP.every((b, i) => f[ETH_HEADER_LEN + i] === b)) {
    const end = Math.min(f.length, ETH_HEADER_LEN + type);
    return end - cdp >= 4 ? { start: cdp, end, udpChecksumAt: -1 } : null;
  }
  return null;
}

/** The faults of a whole network, by link: what buildNetwork keeps in Network.faults. */
export class NetworkFaults {
  readonly links = new Map<string, LinkFaults>();

  constructor(private readonly scheduler: Scheduler, readonly spec: FaultSpec, private readonly defaultSeed: number) {
    checkFaultSpec(spec);
  }

  /** Puts the spec's faults for `name` on `wire` (nothing when the spec has none for it). */
  attach(wire: Wire, name: string, onLink?: (up: boolean) => void): LinkFaults | null {
    const link = (this.spec as Record<string, LinkFaultSpec | undefined>)[name];
    if (!link) return null;
    const lf = new LinkFaults(this.scheduler, name, link, this.spec.seed ?? this.defaultSeed, onLink);
    wire.faults = lf;
    this.links.set(name, lf);
    return lf;
  }

  /** Stats summed over every link and direction. */
  total(): DirectionStats {
    const sum = emptyStats();
    for (const lf of this.links.values()) {
      for (const side of [0, 1] as const) {
        const s = lf.stats(side);
        for (const k of Object.keys(sum) as (keyof DirectionStats)[]) sum[k] += s[k];
      }
    }
    return sum;
  }

  /** Stats by link and direction, for a JSON report. */
  report(): Record<string, { up: DirectionStats; down: DirectionStats }> {
    const out: Record<string, { up: DirectionStats; down: DirectionStats }> = {};
    for (const [name, lf] of this.links) out[name] = { up: { ...lf.stats(0) }, down: { ...lf.stats(1) } };
    return out;
  }
}

/** Anything that exposes the running firmware's exports (a Phone). */
export interface FirmwareHost {
  firmwareExport(name: string): unknown;
}

const ACCEPTED = COUNTER_NAMES.indexOf("accepted");

/** The `accepted` counter of the firmware running in `host`, or null while dark. */
export function acceptedProbe(host: FirmwareHost, acceptedIndex = ACCEPTED): AcceptProbe {
  return () => {
    const memory = host.firmwareExport("memory") as WebAssembly.Memory | undefined;
    const counters = host.firmwareExport("counters") as (() => number) | undefined;
    if (!memory || !counters) return null;
    return new Uint32Array(memory.buffer, counters(), acceptedIndex + 1)[acceptedIndex];
  };
}
