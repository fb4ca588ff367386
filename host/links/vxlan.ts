// A MAC binding over VXLAN (RFC 7348) with Node's dgram, no native code:
// a Linux VXLAN interface in another network namespace carries the phone's
// Ethernet frames, one UDP datagram each, behind an 8-byte VXLAN header.
import { createSocket, type Socket } from "node:dgram";
import type { Nic, WirePort } from "../sim/wire.js";
import { VXLAN_PORT, vxlanDecap, vxlanEncap } from "../wire/vxlan.js";

export interface VxlanOptions {
  /** Address of the VXLAN interface's end (its `local` address). */
  remote: string;
  /** VXLAN network identifier, 0..16777215 (default 42). */
  vni?: number;
  /** UDP port of both ends (the interface's `dstport`; default 4789). */
  port?: number;
  /** Address to bind locally (default: any). */
  local?: string;
}

export class VxlanLink implements WirePort {
  readonly vni: number;
  readonly port: number;
  framesIn = 0;
  framesOut = 0;
  /** Datagrams that were not VXLAN for our VNI. */
  ignored = 0;
  private readonly socket: Socket;
  private nic: Nic | null = null;

  constructor(private readonly opts: VxlanOptions) {
    this.vni = opts.vni ?? 42;
    this.port = opts.port ?? VXLAN_PORT;
    if (!Number.isInteger(this.vni) || this.vni < 0 || this.vni > 0xffffff) throw new RangeError(`--vni must be 0..16777215, got ${opts.vni}`);
    if (!Number.isInteger(this.port) || this.port < 1 || this.port > 65535) throw new RangeError(`--port must be 1..65535, got ${opts.port}`);
    this.socket = createSocket("udp4");
    this.socket.on("message", (msg) => this.onDatagram(msg));
  }

  /** Binds the socket; resolves when frames can flow. */
  open(nic: Nic): Promise<void> {
    this.nic = nic;
    return new Promise((resolve, reject) => {
      this.socket.once("error", reject);
      this.socket.bind(this.port, this.opts.local, () => {
        this.socket.off("error", reject);
        resolve();
      });
    });
  }

  send(frame: Uint8Array): void {
    this.framesOut++;
    this.socket.send(vxlanEncap(this.vni, frame), this.port, this.opts.remote);
  }

  close(): void {
    this.socket.close();
  }

  private onDatagram(msg: Buffer): void {
    const frame = vxlanDecap(this.vni, msg);
    if (!frame) {
      this.ignored++;
      return;
    }
    this.framesIn++;
    this.nic?.receive(new Uint8Array(frame));
  }
}
