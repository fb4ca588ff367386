// Where everything of a namespace lab is: its names (every namespace starts
// with LAB_PREFIX, so leftovers can be found after a crash) and its
// addresses, documentation ranges only: the underlay between the harness
// and the switch on 198.51.100.0/24, the servers and phones on 192.0.2.0/24.

import { parseIp } from "../wire/address.js";

export const LAB_PREFIX = "ipplab";
export const UNDERLAY_HARNESS = "198.51.100.1";
export const UNDERLAY_SWITCH = "198.51.100.2";
/** The servers' first address: DHCP, the phones' router. */
export const SERVER_IP = "192.0.2.1";
/** The reference client's address on the servers' LAN (LabOptions.client). */
export const CLIENT_IP = "192.0.2.9";
/** The reference client behind a tunnel like the phone's: a kernel VXLAN in the harness namespace. */
export const TUNNEL_CLIENT_IP = "192.0.2.8";
export const TUNNEL_CLIENT_VNI = 99;
export const TUNNEL_CLIENT_PORT = 4799;
/** VXLAN end i of a lab: VNI FIRST_VNI + i on UDP port FIRST_PORT + i. */
export const FIRST_VNI = 42;
export const FIRST_PORT = 4789;
export const UNDERLAY_MTU = 1600;

/** The addresses of `ipphone lab up`'s servers, all on the switch namespace's br0. */
export const LAB_TFTP_IP = "192.0.2.10";
export const LAB_DNS_IP = "192.0.2.53";
/** CallManager i listens on 192.0.2.(11 + i), port 2000. */
export const LAB_CALLMANAGER_BASE = 11;
export const MAX_LAB_CALLMANAGERS = 3;
export const LAB_POOL = { start: "192.0.2.54", end: "192.0.2.254", mask: "255.255.255.0" } as const;
/** Addresses in LAB_POOL: the most phones a lab serves at once. */
export const LAB_POOL_SIZE = parseIp(LAB_POOL.end) - parseIp(LAB_POOL.start) + 1;
export const LAB_DOMAIN = "voice.example";
export const LAB_TFTP_NAME = `tftp.${LAB_DOMAIN}`;

export function callManagerIp(i: number): string {
  return `192.0.2.${LAB_CALLMANAGER_BASE + i}`;
}

/** The names of one lab's namespaces: `${id}-sw` (bridge, servers), `${id}-h` (the harness, where phones run), `${id}-c` (a reference client). */
export interface LabNames {
  id: string;
  sw: string;
  harness: string;
  client: string;
}

export function labNames(id: string): LabNames {
  return { id, sw: `${id}-sw`, harness: `${id}-h`, client: `${id}-c` };
}

/** The command's labs are `ipplab-NAME`; the tests' `ipplab<pid>x<n>` (reaped when their process is gone). */
export function commandLabId(name: string): string {
  return `${LAB_PREFIX}-${name}`;
}
