// A MAC binding over VXLAN (RFC 7348) with Node's dgram, no native code:
// a Linux VXLAN interface in another network namespace carries the phone's
// Ethernet frames, one UDP datagram each, behind an 8-byte VXLAN header.
import { createSocket, type Socket } from "node:dgram";
import { readFileSync } from "node:fs";
import type { Nic, WirePort } from "../sim/wire.js";
import { VXLAN_HEADER_LEN, VXLAN_PORT, vxlanDecap, vxlanEncapInto } from "../wire/vxlan.js";

export interface VxlanOptions {
  /** Address of the VXLAN interface's end (its `local` address). */
  remote: string;
  /** VXLAN network identifier, 0..16777215 (default 42). */
  vni?: number;
  /** UDP port of both ends (the interface's `dstport`; default 4789). */
  port?: number;
  /** Address to bind locally (default: any). */
  local?: string;
  /** Socket receive buffer to ask for, bytes (default RECV_BUFFER_BYTES). */
  recvBufferBytes?: number;
}

/**
 * Room for a whole TFTP window: the phone asks windowsize 256 (RFC 7440) of
 * 1,428-byte blocks, and the kernel charges each 1,500-byte datagram about
 * 2.3 KB (its skb's truesize), so 256 take some 600 KB; the kernel's default
 * (net.core.rmem_default, 208 KB) holds about 90 and drops the rest of each
 * window while the event loop is busy. Linux caps the request at
 * net.core.rmem_max; what it granted is in the report.
 */
export const RECV_BUFFER_BYTES = 1 << 20;

/** The largest frame send() builds in place without growing its buffer: tagged Ethernet without FCS. */
const TX_FRAME_ROOM = 1518;

/** The kernel's count of datagrams it dropped for want of room in the socket bound to `port` (/proc/net/udp's last column). */
export function kernelDrops(port: number, procNetUdp = "/proc/net/udp"): number | null {
  let text: string;
  try {
    text = readFileSync(procNetUdp, "utf8");
  } catch {
    return null;
  }
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  for (const line of text.split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length >= 13 && f[1].endsWith(`:${hexPort}`)) return Number(f[f.length - 1]);
  }
  return null;
}

export class VxlanLink implements WirePort {
  readonly vni: number;
  readonly port: number;
  framesIn = 0;
  framesOut = 0;
  /** Datagrams that were not VXLAN for our VNI. */
  ignored = 0;
  /** Frames handed to the phone together, and the largest such batch. */
  batches = 0;
  largestBatch = 0;
  private readonly socket: Socket;
  /** Connected to the remote end: a send needs no address lookup and leaves at once (see send()). */
  private readonly txSocket: Socket;
  private nic: Nic | null = null;
  private settleScheduled = false;
  private readFrames = 0;
  /** The datagram send() builds: reused while the kernel takes each at once (see send()). */
  private txBuffer = new Uint8Array(VXLAN_HEADER_LEN + TX_FRAME_ROOM);
  private dropsAtOpen: number | null = null;

  constructor(private readonly opts: VxlanOptions) {
    this.vni = opts.vni ?? 42;
    this.port = opts.port ?? VXLAN_PORT;
    if (!Number.isInteger(this.vni) || this.vni < 0 || this.vni > 0xffffff) throw new RangeError(`--vni must be 0..16777215, got ${opts.vni}`);
    if (!Number.isInteger(this.port) || this.port < 1 || this.port > 65535) throw new RangeError(`--port must be 1..65535, got ${opts.port}`);
    this.socket = createSocket({ type: "udp4", recvBufferSize: opts.recvBufferBytes ?? RECV_BUFFER_BYTES });
    this.socket.on("message", (msg) => this.onDatagram(msg));
    this.txSocket = createSocket("udp4");
  }

  /** Binds the receiving socket and connects the sending one; resolves when frames can flow. */
  async open(nic: Nic): Promise<void> {
    this.nic = nic;
    await new Promise<void>((resolve, reject) => {
      this.socket.once("error", reject);
      this.socket.bind(this.port, this.opts.local, () => {
        this.socket.off("error", reject);
        this.dropsAtOpen = kernelDrops(this.port);
        resolve();
      });
    });
    await new Promise<void>((resolve, reject) => {
      this.txSocket.once("error", reject);
      this.txSocket.bind(0, this.opts.local, () => this.txSocket.connect(this.port, this.opts.remote, () => {
        this.txSocket.off("error", reject);
        resolve();
      }));
    });
  }

  // From a socket of its own, connected: an unconnected send resolves the
  // address first and goes out only after the current callback, a connected
  // one goes out now (a lockstep TFTP ACK is on the wire before the firmware
  // has finished with the block). A VXLAN end takes any source port: RFC
  // 7348 makes it the flow's entropy. The datagram is built in one buffer
  // again and again; a send the kernel could not take at once stays queued
  // with that buffer, so the next send builds in a new one.
  send(frame: Uint8Array): void {
    this.framesOut++;
    const len = VXLAN_HEADER_LEN + frame.length;
    if (len > this.txBuffer.length || this.txSocket.getSendQueueCount() > 0) this.txBuffer = new Uint8Array(Math.max(len, this.txBuffer.length));
    vxlanEncapInto(this.txBuffer, this.vni, frame);
    this.txSocket.send(this.txBuffer, 0, len);
  }

  /** The receive buffer the kernel granted (Linux reports twice the request: its bookkeeping share). */
  get recvBufferBytes(): number {
    return this.socket.getRecvBufferSize();
  }

  /** Datagrams the kernel dropped on this socket since open (null where /proc/net/udp does not say). */
  get kernelDrops(): number | null {
    const now = kernelDrops(this.port);
    return now === null || this.dropsAtOpen === null ? null : now - this.dropsAtOpen;
  }

  /** Counters for the report; read before close(). */
  stats(): Record<string, number | null> {
    return { frames_in: this.framesIn, frames_out: this.framesOut, ignored: this.ignored, batches: this.batches, largest_batch: this.largestBatch, recv_buffer_bytes: this.recvBufferBytes, kernel_drops: this.kernelDrops };
  }

  close(): void {
    this.socket.close();
    this.txSocket.close();
  }

  // libuv reads up to 32 datagrams per wake-up and emits each: the phone
  // takes each frame as it comes (its answer leaves from this callback) and
  // polls once, with one timer update, after the read.
  private onDatagram(msg: Buffer): void {
    const frame = vxlanDecap(this.vni, msg);
    if (!frame) {
      this.ignored++;
      return;
    }
    this.framesIn++;
    this.readFrames++;
    const nic = this.nic;
    if (nic?.receiveNow) nic.receiveNow(frame); // a view of a datagram buffer of its own: no copy needed
    else nic?.receive(frame);
    if (!this.settleScheduled) {
      this.settleScheduled = true;
      setImmediate(this.settleRead);
    }
  }

  private readonly settleRead = (): void => {
    this.settleScheduled = false;
    this.batches++;
    this.largestBatch = Math.max(this.largestBatch, this.readFrames);
    this.readFrames = 0;
    this.nic?.settle?.();
  };
}
