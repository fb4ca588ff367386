// Simulated TFTP server host (RFC 1350) with the option extension (RFC 2347):
// blksize (2348), timeout and tsize (2349), windowsize (7440). Files come from
// a map and/or a directory of real files. Each transfer gets a new port (TID);
// DATA goes out a window at a time and is retransmitted from the last ACK on
// timeout; old or duplicate ACKs are ignored (no Sorcerer's Apprentice); the
// server's uplink can be given a bandwidth that all transfers share, as a
// storm of phones booting at once shares one TFTP server.

import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, normalize, sep } from 'node:path';
import { ipOf, type Ip, type Mac } from '../wire/address.js';
import { decodeTftp, encodeData, encodeError, encodeOack, TFTP_PORT, TftpError, TftpOp, type TftpPacket } from '../wire/tftp.js';
import { HostedServer, type UdpIn } from './ip-host.js';
import type { Scheduler, Timer } from './scheduler.js';

/**
 * How the server treats RFC 2347 options: `rfc2347` negotiates them;
 * `ignore` is a plain RFC 1350 server that answers with DATA 1; `refuse`
 * answers any request carrying options with ERROR 8.
 */
export type TftpOptionMode = 'rfc2347' | 'ignore' | 'refuse';

export interface TftpServerConfig {
  mac: Mac | string;
  ip: Ip;
  /** Files by name (a leading '/' is ignored). */
  files?: Map<string, Uint8Array> | Record<string, Uint8Array>;
  /** A directory of real files, read when first asked for (no escaping it with '..'). */
  root?: string;
  options?: TftpOptionMode;
  /** Largest blksize granted (default 1468: a DATA packet in a 1500-byte IP MTU). */
  maxBlksize?: number;
  /** Largest windowsize granted (default 256); 0 = the windowsize option is not supported. */
  maxWindowsize?: number;
  /** Retransmission timeout when the client asks none (default 1000 ms; tftp-hpa uses 1 s). */
  timeoutMs?: number;
  /** Timeouts in a row before a transfer is abandoned (default 5). */
  maxRetries?: number;
  /** Bytes per second of frames the server's uplink carries, shared by all transfers; 0 = unlimited. */
  bytesPerSecond?: number;
  /** The block number after 65535 (default 0, as tftp-hpa and dnsmasq). */
  rollover?: 0 | 1;
  /** Time to answer a request (opening the file), µs. */
  answerDelayUs?: number;
  silent?: boolean;
  /** The daemon is not running but its host is up: port 69 is closed and the host answers with ICMP port unreachable. */
  stopped?: boolean;
  /** CUCM's Cisco TFTP service: a few requests served at a time, the rest queued, "busy" past a maximum (see TftpServing). */
  serving?: TftpServing;
}

/**
 * How Cisco TFTP (CUCM 11.5 on) takes requests, per Cisco's "Troubleshoot
 * Issues When TFTP Reaches Maximum Serving Count" (document 222878): five
 * connection objects serve a request each; later requests wait in a
 * processing queue, taken in order as a connection frees; once the requests
 * held reach the Maximum Serving Count service parameter (suggested 1500 for
 * a single-processor server, 3000 for a dual-processor one, up to 3500), the
 * service answers with its error 503. On the wire that is a TFTP ERROR:
 * RFC 1350 has no "busy" code, so code 0 ("not defined, see message").
 */
export interface TftpServing {
  /** Requests served at a time (Cisco: 5). */
  connections: number;
  /** Requests held (served and queued) past which a new one is answered busy (Cisco's Maximum Serving Count). */
  maxServingCount: number;
}

/** The busy answer: ERROR 0 and the service's own code in the text. */
export const TFTP_BUSY = { code: 0, message: 'Server busy (503)' } as const;

export interface TftpServerStats {
  received: number;
  requests: number;
  oacks: number;
  completed: number;
  notFound: number;
  /** Transfers given up after maxRetries timeouts. */
  timeouts: number;
  /** Transfers ended by an ERROR from the client. */
  aborted: number;
  /** ERROR 5 sent to packets from a host or port that is not the transfer's. */
  unknownTid: number;
  errorsSent: number;
  /** Requests answered busy (serving limit), queued behind the serving limit, and repeats of a request already held. */
  busy: number;
  queued: number;
  duplicates: number;
  /** The longest the processing queue got. */
  peakQueue: number;
  dataSent: number;
  /** DATA packets sent again (timeouts and repeated windows). */
  retransmitted: number;
  /** File bytes in first transmissions of DATA. */
  bytesSent: number;
  /** Duplicate, old or unexpected ACKs dropped. */
  staleAcks: number;
  /** Not for us, malformed, bad checksum. */
  ignored: number;
  arpReplies: number;
}

export type TftpServerEventType = 'request' | 'oack' | 'done' | 'not-found' | 'refused' | 'timeout' | 'aborted' | 'unknown-tid' | 'busy' | 'queued';

export interface TftpServerEvent {
  type: TftpServerEventType;
  tUs: number;
  clientIp: number;
  clientPort: number;
  file: string;
  /** File bytes acknowledged so far. */
  bytes: number;
  /** 'oack': the options granted; 'aborted': the client's error code. */
  detail?: string;
}

interface Transfer {
  port: number;
  clientMac: Mac;
  clientIp: number;
  clientPort: number;
  file: string;
  data: Uint8Array;
  blksize: number;
  windowsize: number;
  timeoutUs: number;
  /** The OACK to send until ACK 0 comes, or null. */
  oack: Uint8Array | null;
  /** The first block not acknowledged (absolute, from 1). */
  base: number;
  /** The highest block sent in the current window (absolute). */
  sentTo: number;
  /** The highest block ever sent: anything at or below it is a retransmission. */
  highest: number;
  /** The number of the last block (absolute): size / blksize + 1. */
  last: number;
  tries: number;
  timer: Timer | null;
  /** Frees its connection of the serving limit when the transfer ends. */
  release?: () => void;
}

const IP_UDP_TFTP = 32;
const MTU = 1500;
const FIRST_PORT = 1024;

function positiveInt(name: string, v: number, min: number): number {
  if (!Number.isSafeInteger(v) || v < min) throw new RangeError(`TftpServer: ${name} must be an integer >= ${min}, got ${v}`);
  return v;
}

export class TftpServer extends HostedServer {
  options: TftpOptionMode;
  maxBlksize: number;
  maxWindowsize: number;
  timeoutMs: number;
  maxRetries: number;
  bytesPerSecond: number;
  rollover: 0 | 1;
  answerDelayUs: number;
  onEvent: ((e: TftpServerEvent) => void) | null = null;
  readonly files = new Map<string, Uint8Array>();
  readonly root: string | null;
  private readonly counts: Omit<TftpServerStats, 'received' | 'arpReplies'> = {
    requests: 0, oacks: 0, completed: 0, notFound: 0, timeouts: 0, aborted: 0, unknownTid: 0,
    errorsSent: 0, busy: 0, queued: 0, duplicates: 0, peakQueue: 0, dataSent: 0, retransmitted: 0, bytesSent: 0, staleAcks: 0, ignored: 0,
  };
  private readonly transfers = new Map<number, Transfer>();
  private nextPort = FIRST_PORT;
  private uplinkFreeUs = 0;
  readonly serving: TftpServing | null;
  /** Requests waiting for a connection (serving limit), oldest first, and the ones in hand, by client and file. */
  private readonly waiting: Array<() => void> = [];
  private waitingHead = 0;
  private readonly held = new Set<string>();
  private servingNow = 0;
  private draining = false;

  constructor(private readonly scheduler: Scheduler, config: TftpServerConfig) {
    super(scheduler, config.mac, config.ip, config.silent);
    if (!config.stopped) this.start();
    const files = config.files ?? {};
    for (const [name, data] of files instanceof Map ? files : Object.entries(files)) this.files.set(name.replace(/^\/+/, ''), data);
    this.root = config.root ?? null;
    this.options = config.options ?? 'rfc2347';
    this.maxBlksize = positiveInt('maxBlksize', config.maxBlksize ?? MTU - IP_UDP_TFTP, 8);
    this.maxWindowsize = positiveInt('maxWindowsize', config.maxWindowsize ?? 256, 0);
    this.timeoutMs = positiveInt('timeoutMs', config.timeoutMs ?? 1000, 1);
    this.maxRetries = positiveInt('maxRetries', config.maxRetries ?? 5, 1);
    this.bytesPerSecond = positiveInt('bytesPerSecond', config.bytesPerSecond ?? 0, 0);
    this.rollover = config.rollover ?? 0;
    this.answerDelayUs = positiveInt('answerDelayUs', config.answerDelayUs ?? 0, 0);
    this.serving = config.serving ?? null;
    if (this.serving) {
      positiveInt('serving.connections', this.serving.connections, 1);
      positiveInt('serving.maxServingCount', this.serving.maxServingCount, this.serving.connections);
    }
  }

  /** Requests waiting in the processing queue. */
  get queueLength(): number {
    return this.waiting.length - this.waitingHead;
  }

  get stats(): TftpServerStats {
    return { ...this.counts, ...this.linkCounts(this.counts.ignored) };
  }

  /** The daemon starts listening on port 69. */
  start(): void {
    this.host.bindUdp(TFTP_PORT, (d) => this.onRequestDatagram(d));
  }

  /** The daemon stops: port 69 closes (transfers under way go on until they end). */
  stop(): void {
    this.host.unbindUdp(TFTP_PORT);
  }

  /** Adds or replaces a served file. */
  setFile(name: string, data: Uint8Array): void {
    this.files.set(name.replace(/^\/+/, ''), data);
  }

  /** Transfers under way. */
  get active(): number {
    return this.transfers.size;
  }

  /** A datagram to port 69: a request. */
  private onRequestDatagram(d: UdpIn): void {
    const p = decodeTftp(d.payload);
    if (p === null || p.op !== TftpOp.RRQ && p.op !== TftpOp.WRQ) { this.counts.ignored++; return; }
    this.counts.requests++;
    const answer = () => this.onRequest(p, d.srcMac, d.srcIp, d.srcPort);
    const serve = this.serving ? this.admit(p, d, answer) : answer;
    if (serve === null) return;
    if (this.answerDelayUs > 0) this.scheduler.after(this.answerDelayUs, serve);
    else serve();
  }

  /**
   * The serving limit: the request is served now (the function to run),
   * queued or answered busy (null). A repeat of a request still held (the
   * client's retransmission of its RRQ) is dropped: its first copy is in hand.
   */
  private admit(p: Extract<TftpPacket, { op: 1 | 2 }>, d: UdpIn, answer: () => Transfer | null): (() => void) | null {
    const limit = this.serving as TftpServing;
    const key = `${d.srcIp}:${d.srcPort}:${p.file}`;
    if (this.held.has(key)) { this.counts.duplicates++; return null; }
    const base = { clientIp: d.srcIp, clientPort: d.srcPort, file: p.file.replace(/^\/+/, '') };
    if (this.held.size >= limit.maxServingCount) {
      this.counts.busy++;
      this.sendError(this.allocatePort(), d.srcMac, d.srcIp, d.srcPort, TFTP_BUSY.code, TFTP_BUSY.message);
      this.emit('busy', base, `${this.held.size} held`);
      return null;
    }
    this.held.add(key);
    // A connection is in use until the transfer ends; an answer that is only an ERROR frees it at once.
    const run = () => {
      this.servingNow++;
      const t = answer();
      if (t) t.release = () => this.release(key);
      else this.release(key);
    };
    if (this.servingNow < limit.connections) return run;
    this.counts.queued++;
    this.waiting.push(run);
    if (this.queueLength > this.counts.peakQueue) this.counts.peakQueue = this.queueLength;
    this.emit('queued', base, `${this.queueLength} waiting`);
    return null;
  }

  /** A connection frees: the oldest queued requests take the free connections (a loop, not recursion: answers that free at once are common). */
  private release(key: string): void {
    this.held.delete(key);
    this.servingNow--;
    if (this.draining) return;
    this.draining = true;
    const limit = this.serving as TftpServing;
    while (this.servingNow < limit.connections && this.queueLength > 0) {
      const next = this.waiting[this.waitingHead++];
      if (this.waitingHead === this.waiting.length) { this.waiting.length = 0; this.waitingHead = 0; }
      next();
    }
    this.draining = false;
  }

  /** A datagram to transfer t's port. */
  private onTransferDatagram(t: Transfer, d: UdpIn): void {
    const p = decodeTftp(d.payload);
    if (d.srcIp !== t.clientIp || d.srcPort !== t.clientPort) {
      // RFC 1350 section 4: ERROR 5 to the stranger; the transfer goes on.
      if (p === null || p.op !== TftpOp.ERROR) {
        this.counts.unknownTid++;
        this.sendError(t.port, d.srcMac, d.srcIp, d.srcPort, TftpError.UNKNOWN_TID, 'Unknown transfer ID');
        this.emit('unknown-tid', t, `${d.srcIp}:${d.srcPort}`);
      }
      return;
    }
    if (p === null) { this.counts.ignored++; return; }
    if (p.op === TftpOp.ERROR) {
      this.counts.aborted++;
      this.emit('aborted', t, `ERROR ${p.code} ${p.message}`);
      this.close(t);
      return;
    }
    if (p.op !== TftpOp.ACK) { this.counts.staleAcks++; return; }
    this.onAck(t, p.block);
  }

  // ------------------------------------------------------------ requests

  /** Answers a request: the transfer it starts, or null when the answer was an ERROR. */
  private onRequest(p: Extract<TftpPacket, { op: 1 | 2 }>, mac: Mac, ip: number, port: number): Transfer | null {
    const name = p.file.replace(/^\/+/, '');
    const reply = (code: number, msg: string) => {
      const tid = this.allocatePort();
      this.sendError(tid, mac, ip, port, code, msg);
    };
    const base = { clientIp: ip, clientPort: port, file: name };
    this.emit('request', base);
    if (p.op === TftpOp.WRQ) { reply(TftpError.ACCESS, 'Read-only server'); this.emit('refused', base, 'WRQ'); return null; }
    const mode = p.mode.toLowerCase();
    if (mode !== 'octet' && mode !== 'netascii') { reply(TftpError.ILLEGAL, 'Unknown mode'); this.emit('refused', base, mode); return null; }
    const data = this.lookup(name);
    if (data === 'denied') { reply(TftpError.ACCESS, 'Access violation'); this.emit('refused', base, 'outside the root'); return null; }
    if (data === null) {
      this.counts.notFound++;
      reply(TftpError.NOT_FOUND, 'File not found');
      this.emit('not-found', base);
      return null;
    }
    const asked = this.options === 'ignore' ? [] : p.options;
    if (asked.length > 0 && this.options === 'refuse') {
      reply(TftpError.OPTIONS, 'Unsupported option(s) requested');
      this.emit('refused', base, 'options');
      return null;
    }
    const t: Transfer = {
      port: this.allocatePort(), clientMac: mac, clientIp: ip, clientPort: port, file: name, data,
      blksize: 512, windowsize: 1, timeoutUs: this.timeoutMs * 1000, oack: null,
      base: 1, sentTo: 0, highest: 0, last: 0, tries: 0, timer: null,
    };
    const granted = this.negotiate(asked, t, mode === 'octet');
    t.last = Math.floor(data.length / t.blksize) + 1;
    this.transfers.set(t.port, t);
    this.host.bindUdp(t.port, (d) => this.onTransferDatagram(t, d));
    if (granted.length > 0) {
      t.oack = encodeOack(granted);
      this.counts.oacks++;
      this.emit('oack', t, granted.map(([k, v]) => `${k}=${v}`).join(' '));
      this.sendOack(t);
    } else {
      this.sendWindow(t);
    }
    return t;
  }

  /** RFC 2347-2349, 7440: what the server grants; unknown or invalid options are left out. */
  private negotiate(asked: Array<[string, string]>, t: Transfer, octet: boolean): Array<[string, string | number]> {
    const out: Array<[string, string | number]> = [];
    const seen = new Set<string>();
    for (const [rawName, value] of asked) {
      const name = rawName.toLowerCase();
      if (seen.has(name) || !/^\d{1,10}$/.test(value)) continue;
      seen.add(name);
      const v = Number(value);
      if (name === 'blksize' && v >= 8) {
        t.blksize = Math.min(v, this.maxBlksize, 65464);
        out.push([rawName, t.blksize]);
      } else if (name === 'tsize' && octet) {
        out.push([rawName, t.data.length]);
      } else if (name === 'timeout' && v >= 1 && v <= 255) {
        t.timeoutUs = v * 1_000_000;
        out.push([rawName, v]);
      } else if (name === 'windowsize' && v >= 1 && v <= 65535 && this.maxWindowsize > 0 && octet) {
        t.windowsize = Math.min(v, this.maxWindowsize);
        out.push([rawName, t.windowsize]);
      }
    }
    return out;
  }

  /** A file from the map, else from the root directory; 'denied' for a path leaving the root. */
  private lookup(name: string): Uint8Array | null | 'denied' {
    const mapped = this.files.get(name);
    if (mapped !== undefined) return mapped;
    if (this.root === null || name.length === 0) return null;
    const rel = normalize(name);
    if (isAbsolute(rel) || rel === '..' || rel.startsWith('..' + sep) || name.includes('\0')) return 'denied';
    const path = join(this.root, rel);
    try {
      if (!statSync(path).isFile()) return null;
      const data = new Uint8Array(readFileSync(path));
      this.files.set(name, data);
      return data;
    } catch {
      return null;
    }
  }

  // ------------------------------------------------------------ sending

  private wire(n: number): number {
    return this.rollover === 0 ? n & 0xffff : ((n - 1) % 65535) + 1;
  }

  /** The absolute block an ACK of `w` means, within [base - 1, sentTo], or null. */
  private acked(t: Transfer, w: number): number | null {
    const modulus = this.rollover === 0 ? 65536 : 65535;
    const from = t.base - 1;
    const fromWire = from === 0 ? 0 : this.wire(from);
    const n = from + ((w - fromWire + modulus) % modulus);
    return n <= t.sentTo ? n : null;
  }

  private sendOack(t: Transfer): void {
    const leaves = this.send(t, t.oack as Uint8Array);
    this.arm(t, leaves);
  }

  /** Sends the window starting at t.base and waits for its ACK. */
  private sendWindow(t: Transfer): void {
    const end = Math.min(t.base + t.windowsize - 1, t.last);
    let leaves = this.scheduler.now;
    for (let n = t.base; n <= end; n++) {
      const from = (n - 1) * t.blksize;
      const chunk = t.data.subarray(from, Math.min(from + t.blksize, t.data.length));
      this.counts.dataSent++;
      if (n <= t.highest) this.counts.retransmitted++;
      else this.counts.bytesSent += chunk.length;
      leaves = this.send(t, encodeData(this.wire(n), chunk));
    }
    t.sentTo = end;
    t.highest = Math.max(t.highest, end);
    this.arm(t, leaves);
  }

  /** The retransmission timer runs from when the window's last packet has left the uplink. */
  private arm(t: Transfer, fromUs: number): void {
    if (t.timer !== null) this.scheduler.cancel(t.timer);
    t.timer = this.scheduler.at(fromUs + t.timeoutUs, () => this.onTimeout(t));
  }

  private onTimeout(t: Transfer): void {
    t.timer = null;
    if (++t.tries > this.maxRetries) {
      this.counts.timeouts++;
      this.emit('timeout', t);
      this.close(t);
      return;
    }
    if (t.oack !== null) this.sendOack(t);
    else this.sendWindow(t);
  }

  private onAck(t: Transfer, w: number): void {
    if (t.oack !== null) {
      if (w !== 0) { this.counts.staleAcks++; return; }
      t.oack = null;
      t.tries = 0;
      this.sendWindow(t);
      return;
    }
    // Only an ACK of a block of the window counts: a repeated ACK of the block before
    // it is ignored (RFC 1350: answering it would be the Sorcerer's Apprentice bug).
    const n = this.acked(t, w);
    if (n === null || n < t.base) { this.counts.staleAcks++; return; }
    t.tries = 0;
    if (n === t.last) {
      this.counts.completed++;
      t.base = n + 1;
      this.emit('done', t);
      this.close(t);
      return;
    }
    // The end of the window, or (RFC 7440) an earlier block: the next window starts after it.
    t.base = n + 1;
    this.sendWindow(t);
  }

  private close(t: Transfer): void {
    if (t.timer !== null) this.scheduler.cancel(t.timer);
    t.timer = null;
    this.transfers.delete(t.port);
    this.host.unbindUdp(t.port);
    t.release?.();
  }

  private allocatePort(): number {
    for (let i = 0; i < 65536 - FIRST_PORT; i++) {
      const p = this.nextPort;
      this.nextPort = p >= 65535 ? FIRST_PORT : p + 1;
      if (p !== TFTP_PORT && !this.transfers.has(p)) return p;
    }
    throw new Error('TftpServer: no free port');
  }

  private sendError(srcPort: number, mac: Mac, ip: number, port: number, code: number, msg: string): void {
    this.counts.errorsSent++;
    this.sendUdp(srcPort, mac, ip, port, encodeError(code, msg));
  }

  private send(t: Transfer, payload: Uint8Array): number {
    return this.sendUdp(t.port, t.clientMac, t.clientIp, t.clientPort, payload);
  }

  /** Queues the datagram on the uplink; returns when it will have left it (µs). */
  private sendUdp(srcPort: number, mac: Mac, ip: number, port: number, payload: Uint8Array): number {
    const frame = this.host.udpFrame({ dstMac: mac, dstIp: ip, srcPort, dstPort: port, payload });
    const now = this.scheduler.now;
    if (this.bytesPerSecond <= 0) {
      this.host.transmit(frame);
      return now;
    }
    const start = Math.max(now, this.uplinkFreeUs);
    this.uplinkFreeUs = start + Math.ceil((frame.length * 1_000_000) / this.bytesPerSecond);
    if (start === now) this.host.transmit(frame);
    else this.scheduler.at(start, () => this.host.transmit(frame));
    return this.uplinkFreeUs;
  }

  private emit(type: TftpServerEventType, t: Transfer | Pick<Transfer, 'clientIp' | 'clientPort' | 'file'>, detail?: string): void {
    if (this.onEvent === null) return;
    const bytes = 'base' in t ? Math.min((t.base - 1) * t.blksize, t.data.length) : 0;
    this.onEvent({ type, tUs: this.scheduler.now, clientIp: t.clientIp, clientPort: t.clientPort, file: t.file, bytes, detail });
  }
}
