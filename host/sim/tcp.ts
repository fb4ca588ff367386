// A host on the simulated network with a small but correct TCP (RFC 9293):
// passive open (listen: SYN, SYN-ACK with MSS, ACK) and active open
// (connect), in-order data with ACKs, retransmission (RFC 6298: SRTT/RTTVAR,
// Karn, doubling, bounded tries), the peer's window respected (probed when
// zero), FIN both ways, TIME-WAIT, RSTs that must sit exactly at RCV.NXT
// (RFC 5961), and a RST for every segment to a closed port. The host answers
// ARP for its address and learns its peers' MACs from what they send.
//
// Outage modes: "refuse" (the host is up, nothing listens: RST to every SYN)
// and "silent" (the host is gone: no frame in or out, not even ARP).

import { ipOf, ipToString, type Mac } from '../wire/address.js';
import { encodeIpv4, IPPROTO_TCP, type Ipv4Packet } from '../wire/ipv4.js';
import { decodeTcp, encodeTcp, TcpFlag, type TcpFields, type TcpSegment } from '../wire/tcp.js';
import { IpHost } from './ip-host.js';
import { Random } from './random.js';
import type { Scheduler, Timer } from './scheduler.js';
import type { Nic, Side, Wire } from './wire.js';
import { Rto } from './rto.js';

// ---------------------------------------------------------------- sequence numbers

const seqLt = (a: number, b: number) => ((a - b) | 0) < 0;
const seqLe = (a: number, b: number) => ((a - b) | 0) <= 0;
const seqGt = (a: number, b: number) => ((a - b) | 0) > 0;
const add = (a: number, n: number) => (a + n) >>> 0;
/** start <= x < start + len (mod 2^32) */
const inWindow = (x: number, start: number, len: number) => ((x - start) >>> 0) < len;

// ---------------------------------------------------------------- connections

export type TcpConnState =
  | 'syn-sent' | 'syn-received' | 'established' | 'fin-wait-1' | 'fin-wait-2' | 'closing' | 'time-wait'
  | 'close-wait' | 'last-ack' | 'closed';
/** How a connection ended: both FINs ("closed"), a RST from the peer, no answer, ours (abort), or refused. */
export type TcpEnd = 'closed' | 'reset' | 'timeout' | 'aborted' | 'refused';

export interface TcpHostConfig {
  mac: Mac | string;
  ip: number | string;
  /** Seeds ISNs and ephemeral ports. */
  seed?: number;
  /** Announced MSS (default 1460). */
  mss?: number;
  /** Receive window announced (default 65535: this host reads at once). */
  window?: number;
  /** Retransmissions before giving up (default 8). */
  maxRetries?: number;
  /** TIME-WAIT (default 60 s). */
  timeWaitMs?: number;
}

export type TcpHostMode = 'up' | 'refuse' | 'reject' | 'silent';

export interface TcpHostStats {
  /** These four are the IP host's. */
  readonly framesIn: number;
  readonly framesOut: number;
  segmentsIn: number;
  segmentsOut: number;
  retransmits: number;
  resetsSent: number;
  badChecksum: number;
  malformed: number;
  /** Segments outside the window, RSTs not at RCV.NXT, out-of-order data. */
  unacceptable: number;
  readonly arpReplies: number;
  readonly silenced: number;
}

const DEFAULT_MSS = 536;
const CHALLENGE_INTERVAL_US = 500_000;

export class TcpConnection {
  state: TcpConnState;
  /** Called once the three-way handshake completes. */
  onEstablished: (() => void) | null = null;
  onData: ((bytes: Uint8Array) => void) | null = null;
  /** The peer sent its FIN: it will send no more. */
  onPeerClose: (() => void) | null = null;
  /** The connection is gone. */
  onEnd: ((how: TcpEnd) => void) | null = null;
  ended: TcpEnd | null = null;

  /** @internal */ iss: number;
  /** @internal */ sndUna: number;
  /** @internal */ sndNxt: number;
  /** @internal */ sndMax: number;
  /** @internal */ sndWnd = 0;
  /** @internal */ rcvNxt = 0;
  /** @internal */ peerMss = DEFAULT_MSS;
  private sndBuf = new Uint8Array(0);
  private finQueued = false;
  private finAcked = false;
  private timer: Timer | null = null;
  private timerKind: 'rtx' | 'persist' | 'time-wait' | null = null;
  private readonly rto = new Rto();
  private tries = 0;
  private timing: { seq: number; atUs: number } | null = null;
  private challengedAtUs = -Infinity;

  constructor(private readonly host: TcpHost, readonly localPort: number, readonly remoteIp: number, readonly remotePort: number, state: TcpConnState) {
    this.state = state;
    this.iss = host.random.nextU32();
    this.sndUna = this.sndNxt = this.sndMax = this.iss;
  }

  get remote(): string {
    return `${ipToString(this.remoteIp)}:${this.remotePort}`;
  }

  /** Queues bytes; they leave as the peer's window allows. */
  send(bytes: Uint8Array): void {
    if (this.finQueued || this.ended !== null) return;
    const joined = new Uint8Array(this.sndBuf.length + bytes.length);
    joined.set(this.sndBuf);
    joined.set(bytes, this.sndBuf.length);
    this.sndBuf = joined;
    if (this.synchronized()) this.output();
  }

  /** FIN after what is queued. */
  close(): void {
    if (this.finQueued || this.ended !== null) return;
    if (this.state === 'syn-sent' || this.state === 'syn-received') return this.abort();
    this.finQueued = true;
    this.state = this.state === 'close-wait' ? 'last-ack' : 'fin-wait-1';
    this.output();
  }

  /** RST, and gone. */
  abort(): void {
    if (this.ended !== null) return;
    if (this.state !== 'syn-sent' && this.state !== 'time-wait') this.segment(this.sndMax, TcpFlag.RST | TcpFlag.ACK);
    this.finish('aborted');
  }

  /** Bytes queued and not yet acknowledged. */
  get unacknowledged(): number {
    return this.sndBuf.length;
  }

  private synchronized(): boolean {
    return this.state !== 'syn-sent' && this.state !== 'syn-received' && this.state !== 'closed';
  }

  // ---- output ----

  /** @internal */
  segment(seq: number, flags: number, payload?: Uint8Array, mss?: number): void {
    this.host.transmitTcp(this.remoteIp, {
      srcPort: this.localPort, dstPort: this.remotePort, seq, ack: (flags & TcpFlag.ACK) !== 0 ? this.rcvNxt : 0,
      flags, window: this.host.window, mss, payload,
    });
  }

  /** @internal The SYN (active open) or SYN-ACK (passive). */
  sendSyn(): void {
    const flags = this.state === 'syn-sent' ? TcpFlag.SYN : TcpFlag.SYN | TcpFlag.ACK;
    this.segment(this.iss, flags, undefined, this.host.mss);
    this.sent(this.iss, add(this.iss, 1));
  }

  private sent(seq: number, end: number): void {
    if (this.timing === null && !seqLt(seq, this.sndMax)) this.timing = { seq, atUs: this.host.scheduler.now };
    this.sndNxt = end;
    if (seqGt(end, this.sndMax)) this.sndMax = end;
    if (this.timerKind !== 'rtx') this.arm('rtx', this.rto.ms);
  }

  private output(probe = false): void {
    if (!this.synchronized() || this.state === 'fin-wait-2' || this.state === 'time-wait' || this.finAcked) return;
    const dataEnd = add(this.sndUna, this.sndBuf.length);
    while (seqLt(this.sndNxt, dataEnd)) {
      const off = (this.sndNxt - this.sndUna) >>> 0;
      let wnd = ((this.sndUna + this.sndWnd - this.sndNxt) | 0);
      if (wnd <= 0) {
        if (!probe || this.sndNxt !== this.sndUna) break;
        wnd = 1;
      }
      const n = Math.min(this.sndBuf.length - off, wnd, this.peerMss);
      const last = off + n === this.sndBuf.length;
      let flags = TcpFlag.ACK | (last ? TcpFlag.PSH : 0);
      let end = add(this.sndNxt, n);
      if (last && this.finQueued) { flags |= TcpFlag.FIN; end = add(end, 1); }
      this.segment(this.sndNxt, flags, this.sndBuf.subarray(off, off + n));
      this.sent(this.sndNxt, end);
    }
    if (this.finQueued && this.sndNxt === dataEnd) {
      this.segment(dataEnd, TcpFlag.FIN | TcpFlag.ACK);
      this.sent(dataEnd, add(dataEnd, 1));
    }
    const waiting = seqLt(this.sndNxt, dataEnd);
    if (waiting && this.sndWnd === 0 && this.sndMax === this.sndUna && this.timerKind === null) this.arm('persist', this.rto.ms);
  }

  // ---- timers ----

  private arm(kind: 'rtx' | 'persist' | 'time-wait', ms: number): void {
    this.disarm();
    this.timerKind = kind;
    this.timer = this.host.scheduler.after(ms * 1000, () => {
      this.timer = null;
      this.timerKind = null;
      this.onTimer(kind);
    });
  }

  private disarm(): void {
    if (this.timer !== null) this.host.scheduler.cancel(this.timer);
    this.timer = null;
    this.timerKind = null;
  }

  private onTimer(kind: 'rtx' | 'persist' | 'time-wait'): void {
    if (kind === 'time-wait') return this.finish('closed');
    if (kind === 'persist') {
      this.output(true);
      return;
    }
    if (this.sndMax === this.sndUna) return;
    if (this.tries >= this.host.maxRetries) {
      if (this.synchronized()) this.segment(this.sndMax, TcpFlag.RST | TcpFlag.ACK);
      return this.finish('timeout');
    }
    this.tries++;
    this.host.stats.retransmits++;
    this.rto.backoff();
    this.timing = null;
    if (this.state === 'syn-sent' || this.state === 'syn-received') {
      this.sendSyn();
      return;
    }
    this.sndNxt = this.sndUna;
    this.output(this.sndWnd === 0);
    if (this.timerKind !== 'rtx') this.arm('rtx', this.rto.ms);
  }

  /** @internal */
  finish(how: TcpEnd): void {
    if (this.ended !== null) return;
    this.disarm();
    this.state = 'closed';
    this.ended = how;
    this.host.forget(this);
    this.onEnd?.(how);
  }

  // ---- input ----

  /** @internal */
  arrive(s: TcpSegment): void {
    const { flags } = s;
    const rst = (flags & TcpFlag.RST) !== 0;
    const syn = (flags & TcpFlag.SYN) !== 0;
    const hasAck = (flags & TcpFlag.ACK) !== 0;
    if (this.state === 'syn-sent') {
      if (hasAck && (seqLe(s.ack, this.iss) || seqGt(s.ack, this.sndMax))) {
        if (!rst) this.host.resetFor(this.remoteIp, s);
        this.host.stats.unacceptable++;
        return;
      }
      if (rst) {
        if (hasAck) this.finish('refused');
        return;
      }
      if (!syn || !hasAck) return;
      this.rcvNxt = add(s.seq, 1);
      this.established(s);
      this.segment(this.sndNxt, TcpFlag.ACK);
      this.onEstablished?.();
      this.output();
      return;
    }
    if (this.state === 'syn-received') {
      if (rst) { if (s.seq === this.rcvNxt) this.finish('reset'); return; }
      if (syn && !hasAck) { this.sendSyn(); return; } // the SYN again: our SYN-ACK was lost
      if (!hasAck || s.ack !== add(this.iss, 1)) {
        if (hasAck) this.host.resetFor(this.remoteIp, s);
        return;
      }
      this.established(s);
      this.host.accepted(this);
      this.onEstablished?.();
      // Data or a FIN may ride on the ACK: go on below.
    }
    this.synchronizedArrive(s);
  }

  private established(s: TcpSegment): void {
    this.sndUna = s.ack;
    if (seqLt(this.sndNxt, this.sndUna)) this.sndNxt = this.sndUna;
    if (s.mss !== null) this.peerMss = s.mss;
    this.sndWnd = s.window;
    if (this.timing !== null) this.rto.sample((this.host.scheduler.now - this.timing.atUs) / 1000);
    this.timing = null;
    this.tries = 0;
    this.disarm();
    this.state = 'established';
  }

  /** RFC 5961's challenge ACK, at most one per 500 ms (RFC 5961 7): no ACK war with a peer out of step. */
  private challenge(): void {
    this.host.stats.unacceptable++;
    const now = this.host.scheduler.now;
    if (now - this.challengedAtUs < CHALLENGE_INTERVAL_US) return;
    this.challengedAtUs = now;
    this.segment(this.sndNxt, TcpFlag.ACK);
  }

  private synchronizedArrive(s: TcpSegment): void {
    const { flags } = s;
    // Whatever we send meanwhile (data the application answers with) carries the ACK.
    const sentBefore = this.host.stats.segmentsOut;
    let fin = (flags & TcpFlag.FIN) !== 0;
    let data = s.payload;
    const wnd = this.host.window;
    const segLen = data.length + ((flags & TcpFlag.SYN) !== 0 ? 1 : 0) + (fin ? 1 : 0);
    const ok = segLen === 0 ? inWindow(s.seq, this.rcvNxt, wnd)
      : inWindow(s.seq, this.rcvNxt, wnd) || inWindow(add(s.seq, segLen - 1), this.rcvNxt, wnd);
    if (!ok) {
      if ((flags & TcpFlag.RST) === 0) this.challenge();
      else this.host.stats.unacceptable++;
      return;
    }
    if ((flags & TcpFlag.RST) !== 0) {
      if (s.seq !== this.rcvNxt) return this.challenge();
      return this.finish(this.state === 'last-ack' || this.state === 'closing' || this.state === 'time-wait' ? 'closed' : 'reset');
    }
    if ((flags & TcpFlag.SYN) !== 0) return this.challenge();
    if ((flags & TcpFlag.ACK) === 0) return;
    // The ACK.
    if (seqGt(s.ack, this.sndMax)) return this.challenge();
    if (seqGt(s.ack, this.sndUna)) {
      const acked = (s.ack - this.sndUna) >>> 0;
      const dataAcked = Math.min(acked, this.sndBuf.length);
      this.sndBuf = this.sndBuf.slice(dataAcked);
      if (acked > dataAcked && this.finQueued) this.finAcked = true;
      this.sndUna = s.ack;
      if (seqLt(this.sndNxt, this.sndUna)) this.sndNxt = this.sndUna;
      if (this.timing !== null && seqGt(s.ack, this.timing.seq)) {
        this.rto.sample((this.host.scheduler.now - this.timing.atUs) / 1000);
        this.timing = null;
      }
      this.tries = 0;
      if (this.sndUna === this.sndMax) { if (this.timerKind === 'rtx') this.disarm(); }
      else this.arm('rtx', this.rto.ms);
    }
    if (this.sndWnd === 0 && s.window > 0 && s.ack === this.sndUna && this.sndNxt !== this.sndUna) {
      this.sndNxt = this.sndUna; // the window opened; the probe byte was not taken
      this.timing = null;
    }
    this.sndWnd = s.window;
    if (this.sndWnd === 0 && s.ack === this.sndUna) this.tries = 0;
    if (this.finAcked) {
      if (this.state === 'fin-wait-1') this.state = 'fin-wait-2';
      else if (this.state === 'closing') this.timeWait();
      else if (this.state === 'last-ack') return this.finish('closed');
    }
    // The data, in order only.
    const st = this.state;
    const receiving = st === 'established' || st === 'fin-wait-1' || st === 'fin-wait-2';
    let ack = false;
    if (data.length > 0 || fin) {
      if (!receiving) {
        fin = false;
        ack = true;
      } else if (seqGt(s.seq, this.rcvNxt)) {
        this.host.stats.unacceptable++;
        fin = false;
        data = data.subarray(0, 0);
        ack = true;
      } else {
        const skip = (this.rcvNxt - s.seq) >>> 0;
        data = data.subarray(Math.min(skip, data.length));
        if (data.length > 0) {
          this.rcvNxt = add(this.rcvNxt, data.length);
          ack = true;
          this.onData?.(data.slice());
        }
      }
    }
    if (fin && this.ended === null) {
      this.rcvNxt = add(this.rcvNxt, 1);
      ack = true;
      if (this.state === 'established') this.state = 'close-wait';
      else if (this.state === 'fin-wait-1') this.finAcked ? this.timeWait() : (this.state = 'closing');
      else if (this.state === 'fin-wait-2') this.timeWait();
    }
    if (this.ended !== null) return;
    this.output();
    if (ack && this.host.stats.segmentsOut === sentBefore) this.segment(this.sndNxt, TcpFlag.ACK);
    if (fin) this.onPeerClose?.();
  }

  private timeWait(): void {
    this.state = 'time-wait';
    this.arm('time-wait', this.host.timeWaitMs);
  }
}

export class TcpHost implements Nic {
  readonly net: IpHost;
  readonly random: Random;
  readonly mss: number;
  readonly window: number;
  readonly maxRetries: number;
  readonly timeWaitMs: number;
  readonly stats: TcpHostStats;
  private state: TcpHostMode = 'up';
  private readonly listeners = new Map<number, (c: TcpConnection) => void>();
  private readonly conns = new Map<string, TcpConnection>();

  constructor(readonly scheduler: Scheduler, config: TcpHostConfig) {
    this.net = new IpHost(scheduler, config.mac, config.ip);
    this.net.bindProtocol(IPPROTO_TCP, (ip) => this.onPacket(ip));
    this.random = new Random(config.seed ?? this.ip);
    this.mss = config.mss ?? 1460;
    this.window = config.window ?? 65535;
    this.maxRetries = config.maxRetries ?? 8;
    this.timeWaitMs = config.timeWaitMs ?? 60_000;
    const link = this.net.stats;
    this.stats = {
      segmentsIn: 0, segmentsOut: 0, retransmits: 0, resetsSent: 0, badChecksum: 0, malformed: 0, unacceptable: 0,
      get framesIn() { return link.framesIn; },
      get framesOut() { return link.framesOut; },
      get arpReplies() { return link.arpReplies; },
      get silenced() { return link.silenced; },
    };
  }

  get mac(): Mac { return this.net.mac; }
  get ip(): number { return this.net.ip; }

  /** "up"; "refuse": RST to every SYN; "reject": a firewall answers ICMP port unreachable instead (iptables REJECT); "silent": nothing in, nothing out. */
  get mode(): TcpHostMode { return this.state; }
  set mode(m: TcpHostMode) {
    this.state = m;
    this.net.silent = m === 'silent';
  }

  plug(wire: Wire, side: Side): void {
    this.net.plug(wire, side);
  }

  listen(port: number, onAccept: (c: TcpConnection) => void): void {
    this.listeners.set(port, onAccept);
  }

  unlisten(port: number): void {
    this.listeners.delete(port);
  }

  /** Active open to ip:port; the connection reports through its callbacks. */
  connect(ip: number | string, port: number): TcpConnection {
    const dst = ipOf(ip);
    let local = 0;
    do local = 49152 + this.random.int(16384);
    while (this.conns.has(key(dst, port, local)));
    const c = new TcpConnection(this, local, dst, port, 'syn-sent');
    this.conns.set(key(dst, port, local), c);
    c.sendSyn();
    return c;
  }

  connections(): TcpConnection[] {
    return [...this.conns.values()];
  }

  receive(frame: Uint8Array): void {
    this.net.receive(frame);
  }

  private onPacket(ip: Ipv4Packet): void {
    const s = decodeTcp(ip.payload, ip.src, ip.dst);
    if (s === null) { this.stats.malformed++; return; }
    if (!s.checksumOk) { this.stats.badChecksum++; return; }
    this.stats.segmentsIn++;
    const c = this.conns.get(key(ip.src, s.srcPort, s.dstPort));
    if (c !== undefined) return c.arrive(s);
    const onAccept = this.listeners.get(s.dstPort);
    const isSyn = (s.flags & (TcpFlag.SYN | TcpFlag.ACK | TcpFlag.RST)) === TcpFlag.SYN;
    if (isSyn && onAccept !== undefined && this.mode === 'up') {
      const nc = new TcpConnection(this, s.dstPort, ip.src, s.srcPort, 'syn-received');
      nc.rcvNxt = add(s.seq, 1);
      if (s.mss !== null) nc.peerMss = s.mss;
      nc.sndWnd = s.window;
      this.conns.set(key(ip.src, s.srcPort, s.dstPort), nc);
      nc.sendSyn();
      return;
    }
    if (this.mode === 'reject') return this.net.portUnreachable(ip.src, encodeIpv4(ip));
    if ((s.flags & TcpFlag.RST) === 0) this.resetFor(ip.src, s);
  }

  /** @internal RFC 9293 3.10.7.1: the RST answering `s`. */
  resetFor(dst: number, s: TcpSegment): void {
    this.stats.resetsSent++;
    const hasAck = (s.flags & TcpFlag.ACK) !== 0;
    const segLen = s.payload.length + ((s.flags & TcpFlag.SYN) !== 0 ? 1 : 0) + ((s.flags & TcpFlag.FIN) !== 0 ? 1 : 0);
    this.transmitTcp(dst, {
      srcPort: s.dstPort, dstPort: s.srcPort, seq: hasAck ? s.ack : 0, ack: hasAck ? 0 : add(s.seq, segLen),
      flags: hasAck ? TcpFlag.RST : TcpFlag.RST | TcpFlag.ACK, window: 0,
    });
  }

  /** @internal */
  accepted(c: TcpConnection): void {
    this.listeners.get(c.localPort)?.(c);
  }

  /** @internal */
  forget(c: TcpConnection): void {
    const k = key(c.remoteIp, c.remotePort, c.localPort);
    if (this.conns.get(k) === c) this.conns.delete(k);
  }

  /** @internal */
  transmitTcp(dst: number, f: Omit<TcpFields, 'srcIp' | 'dstIp'>): void {
    const segment = encodeTcp({ ...f, srcIp: this.ip, dstIp: dst });
    this.stats.segmentsOut++;
    this.net.sendIp(dst, IPPROTO_TCP, segment, true);
  }
}

function key(ip: number, remotePort: number, localPort: number): string {
  return `${ip}:${remotePort}:${localPort}`;
}
