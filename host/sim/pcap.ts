// Classic libpcap capture files (microsecond timestamps, LINKTYPE_ETHERNET),
// stamped with the scheduler's virtual clock. Built in memory.

import type { Wire } from './wire.js';

export const PCAP_MAGIC = 0xa1b2c3d4;
export const LINKTYPE_ETHERNET = 1;
const GLOBAL_HEADER_LEN = 24;
const RECORD_HEADER_LEN = 16;

export interface PcapRecord {
  /** Virtual time in µs (seconds * 1e6 + microseconds). */
  tUs: number;
  /** Length of the frame on the wire; data may be shorter when snapped. */
  origLen: number;
  data: Uint8Array;
}

export interface PcapFile {
  snaplen: number;
  linktype: number;
  records: PcapRecord[];
}

export class PcapWriter {
  private readonly chunks: Uint8Array[] = [];
  private count = 0;

  /** epochUs is added to every timestamp, e.g. to make virtual time 0 a real date. */
  constructor(readonly snaplen = 65535, readonly epochUs = 0) {
    if (!Number.isInteger(snaplen) || snaplen < 1 || snaplen > 0x7fffffff) throw new RangeError(`PcapWriter: bad snaplen ${snaplen}`);
    if (!Number.isSafeInteger(epochUs) || epochUs < 0) throw new RangeError(`PcapWriter: bad epochUs ${epochUs}`);
    const h = new Uint8Array(GLOBAL_HEADER_LEN);
    const v = new DataView(h.buffer);
    v.setUint32(0, PCAP_MAGIC, true);
    v.setUint16(4, 2, true);
    v.setUint16(6, 4, true);
    // thiszone and sigfigs stay 0
    v.setUint32(16, snaplen, true);
    v.setUint32(20, LINKTYPE_ETHERNET, true);
    this.chunks.push(h);
  }

  get records(): number {
    return this.count;
  }

  record(tUs: number, frame: Uint8Array): void {
    if (!Number.isSafeInteger(tUs) || tUs < 0) throw new RangeError(`PcapWriter: bad timestamp ${tUs} µs`);
    const t = tUs + this.epochUs;
    const caplen = Math.min(frame.length, this.snaplen);
    const rec = new Uint8Array(RECORD_HEADER_LEN + caplen);
    const v = new DataView(rec.buffer);
    v.setUint32(0, Math.floor(t / 1_000_000), true);
    v.setUint32(4, t % 1_000_000, true);
    v.setUint32(8, caplen, true);
    v.setUint32(12, frame.length, true);
    rec.set(frame.subarray(0, caplen), RECORD_HEADER_LEN);
    this.chunks.push(rec);
    this.count++;
  }

  /** Records every frame delivered on the wire, in both directions. */
  tapWire(wire: Wire): void {
    wire.tap = (tUs, frame) => this.record(tUs, frame);
  }

  toBuffer(): Uint8Array {
    const out = new Uint8Array(this.chunks.reduce((n, c) => n + c.length, 0));
    let p = 0;
    for (const c of this.chunks) { out.set(c, p); p += c.length; }
    return out;
  }
}

/** Reads a classic pcap (either byte order, µs timestamps); null if malformed. */
export function readPcap(buf: Uint8Array): PcapFile | null {
  if (buf.length < GLOBAL_HEADER_LEN) return null;
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const le = v.getUint32(0, true) === PCAP_MAGIC;
  if (!le && v.getUint32(0, false) !== PCAP_MAGIC) return null;
  const snaplen = v.getUint32(16, le);
  const linktype = v.getUint32(20, le);
  const records: PcapRecord[] = [];
  let p = GLOBAL_HEADER_LEN;
  // Each pass consumes at least 16 bytes, so this ends.
  while (p < buf.length) {
    if (p + RECORD_HEADER_LEN > buf.length) return null;
    const sec = v.getUint32(p, le);
    const usec = v.getUint32(p + 4, le);
    const caplen = v.getUint32(p + 8, le);
    const origLen = v.getUint32(p + 12, le);
    const start = p + RECORD_HEADER_LEN;
    if (usec >= 1_000_000 || caplen > origLen || start + caplen > buf.length) return null;
    records.push({ tUs: sec * 1_000_000 + usec, origLen, data: buf.subarray(start, start + caplen) });
    p = start + caplen;
  }
  return { snaplen, linktype, records };
}
