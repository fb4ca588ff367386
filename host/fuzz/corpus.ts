// The fuzzers' seed corpus (tests/fuzz-corpus/<parser>/): real frames, as
// the simulated servers send them (their bytes are checked against dnsmasq,
// lldpd, tshark and scapy by the tests), cut at each layer for its parser,
// plus the scapy/lldpd frames and CUCM-style .cnf.xml files of the as-pect
// fixtures, and a real signed image's header and TLVs. `ipphone fuzz
// --make-corpus` writes it again.
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildNetwork, bootPhone, sepFileName, DEFAULT_PHONE_MAC, type NetworkOptions } from "../sim/network.js";
import { readPcap } from "../sim/pcap.js";
import { devImage } from "../image.js";
import { PHONE_WASM } from "../firmware.js";
import { upgradeFiles, NEW_LOAD } from "../soak/soak.js";
import { TARGETS } from "./targets.js";
import { CORPUS_DIR } from "./engine.js";
import { DHCP_CLIENT_PORT, DHCP_SERVER_PORT } from "../wire/dhcp.js";
import { DNS_PORT } from "../wire/dns.js";
import { ETH_HEADER_LEN, ETH_VLAN_HEADER_LEN, ETHERTYPE_ARP, ETHERTYPE_IPV4 } from "../wire/ethernet.js";
import { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, IPV4_HEADER_LEN } from "../wire/ipv4.js";
import { ETHERTYPE_LLDP } from "../wire/lldp.js";
import { SCCP_HEADER_LEN, SCCP_PORT } from "../wire/sccp.js";
import { TCP_HEADER_LEN } from "../wire/tcp.js";
import { UDP_HEADER_LEN } from "../wire/udp.js";
import { ETHERTYPE_VLAN } from "../wire/vlan.js";

const ROOT = new URL("../../../", import.meta.url).pathname;
const PER_TARGET = 40;
/** SIP's registered port (RFC 3261 §19.1.2). */
const SIP_PORT = 5060;

/** The frames that crossed the phone's port in a boot of `opts`. */
function framesOf(opts: Omit<NetworkOptions, "pcap">, limitMs = 120_000): Uint8Array[] {
  const net = buildNetwork({ ...opts, pcap: true });
  bootPhone(net, limitMs);
  return readPcap(net.pcap!.toBuffer())!.records.map((r) => r.data.slice());
}

const cat = (...parts: (Uint8Array | number[])[]) => Uint8Array.from(parts.flatMap((p) => [...p]));

function isTagged(f: Uint8Array): boolean {
  return ((f[12] << 8) | f[13]) === ETHERTYPE_VLAN;
}

/** Cuts one Ethernet frame into the input of each target it concerns. */
export function splitFrame(f: Uint8Array, add: (target: string, input: Uint8Array) => void): void {
  if (f.length < ETH_HEADER_LEN) return;
  add("ethernet", f);
  const tagged = isTagged(f);
  add("stack", cat([tagged ? 1 : 0], f));
  if (tagged) add("vlan", f.subarray(12));
  const l2 = tagged ? ETH_VLAN_HEADER_LEN : ETH_HEADER_LEN;
  const type = (f[l2 - 2] << 8) | f[l2 - 1];
  if (!tagged && type <= 1500 && f[0] === 0x01 && f[1] === 0x00 && f[2] === 0x0c) add("cdp", cat([0], f));
  if (type === ETHERTYPE_LLDP) add("lldp", f.subarray(l2));
  if (type === ETHERTYPE_ARP) add("arp", f.subarray(l2));
  if (type !== ETHERTYPE_IPV4 || f.length < l2 + IPV4_HEADER_LEN) return;
  const ip = f.subarray(l2, l2 + Math.min(f.length - l2, (f[l2 + 2] << 8) | f[l2 + 3]));
  add("ipv4", cat([0], ip));
  const hl = (ip[0] & 0x0f) * 4;
  const l4 = ip.subarray(hl);
  const addrs = ip.subarray(12, 20);
  if (ip[9] === IPPROTO_ICMP) add("icmp", cat([0], l4));
  if (ip[9] === IPPROTO_TCP && l4.length >= TCP_HEADER_LEN) {
    add("tcp", cat([0], addrs, l4));
    const payload = l4.subarray((l4[12] >> 4) * 4);
    const sport = (l4[0] << 8) | l4[1];
    const dport = (l4[2] << 8) | l4[3];
    if ((sport === SCCP_PORT || dport === SCCP_PORT) && payload.length >= SCCP_HEADER_LEN) add("sccp", payload);
    if ((sport === SIP_PORT || dport === SIP_PORT) && payload.length > 0) add("sip", payload);
  }
  if (ip[9] === IPPROTO_UDP && l4.length >= UDP_HEADER_LEN) {
    add("udp", cat([0], addrs, l4));
    const sport = (l4[0] << 8) | l4[1];
    const dport = (l4[2] << 8) | l4[3];
    const payload = l4.subarray(UDP_HEADER_LEN);
    if (sport === SIP_PORT || dport === SIP_PORT) add("sip", payload);
    else if (sport === DHCP_SERVER_PORT || sport === DHCP_CLIENT_PORT) add("dhcp", payload);
    else if (sport === DNS_PORT || dport === DNS_PORT) add("dns", payload);
    else add("tftp", payload); // the TFTP server's transfer IDs, and port 69
  }
}

const PHONE_MAC = [0x00, 0x1b, 0x54, 0xc2, 0xa7, 0x10];

/** Which client of fuzz_session a frame to the phone is for (its control bit), and whether it is tagged. */
function sessionBits(f: Uint8Array): number {
  const tagged = isTagged(f);
  const l2 = tagged ? ETH_VLAN_HEADER_LEN : ETH_HEADER_LEN;
  let bits = tagged ? 1 : 0;
  if (((f[l2 - 2] << 8) | f[l2 - 1]) !== ETHERTYPE_IPV4 || f.length < l2 + IPV4_HEADER_LEN + UDP_HEADER_LEN) return bits;
  const proto = f[l2 + 9];
  const l4 = l2 + (f[l2] & 0x0f) * 4;
  const sport = (f[l4] << 8) | f[l4 + 1];
  if (proto === IPPROTO_TCP) bits |= 16;
  else if (proto === IPPROTO_UDP && sport === DHCP_SERVER_PORT) bits |= 2;
  else if (proto === IPPROTO_UDP && sport === DNS_PORT) bits |= 4;
  else if (proto === IPPROTO_UDP) bits |= 8;
  return bits;
}

/** Inputs of fuzz_session: runs of six consecutive frames the servers sent the phone, 16 ms apart. */
function sessions(frames: Uint8Array[], add: (target: string, input: Uint8Array) => void): void {
  const toPhone = frames.filter((f) => f.length >= ETH_HEADER_LEN && !PHONE_MAC.every((b, i) => f[6 + i] === b));
  for (let i = 0; i + 6 <= toPhone.length; i += 3) {
    const run = toPhone.slice(i, i + 6);
    const ctl = run.reduce((b, f) => b | sessionBits(f), 0);
    add("session", cat([ctl], ...run.map((f) => cat([1, f.length >> 8, f.length & 0xff], f))));
  }
}

/** Hex constants (`export const NAME = "hex";`) of an as-pect fixture file. */
function hexFixtures(file: string): Uint8Array[] {
  const text = readFileSync(join(ROOT, "assembly/__tests__", file), "utf8");
  return [...text.matchAll(/export const \w+ = "([0-9a-f]+)";/g)].map((m) => Uint8Array.from(Buffer.from(m[1], "hex")));
}

/** The SIP messages of sip-fixtures.ts (hex strings joined by +), with CRLF keep-alives before one. */
function sipFixtures(): Uint8Array[] {
  const text = readFileSync(join(ROOT, "assembly/__tests__/sip-fixtures.ts"), "utf8");
  const out = [...text.matchAll(/export const \w+ =((?:\s*"[0-9a-f]+"\s*\+?)+);/g)]
    .map((m) => Uint8Array.from(Buffer.from(m[1].replace(/[^0-9a-f]/g, ""), "hex")));
  return [...out, cat([13, 10, 13, 10], out[0])];
}

/** Template-literal and string .cnf.xml fixtures. */
function cnfFixtures(): Uint8Array[] {
  const text = readFileSync(join(ROOT, "assembly/__tests__/config-fixtures.ts"), "utf8");
  const out: Uint8Array[] = [];
  for (const m of text.matchAll(/export const CNF_\w+ = `([\s\S]*?)`;/g)) out.push(new TextEncoder().encode(m[1]));
  for (const m of text.matchAll(/export const CNF_\w+ = ("(?:[^"\\]|\\.)*");/g)) out.push(new TextEncoder().encode(JSON.parse(m[1]) as string));
  return out;
}

/** Every seed input, by target. */
export function buildCorpus(): Map<string, Uint8Array[]> {
  const byTarget = new Map<string, Map<string, Uint8Array>>(TARGETS.map((t) => [t.name, new Map()]));
  const add = (target: string, input: Uint8Array) => {
    const m = byTarget.get(target)!;
    m.set(createHash("sha256").update(input).digest("hex").slice(0, 16), input.slice());
  };
  const runs: Omit<NetworkOptions, "pcap">[] = [
    { seed: 1, tftpFiles: upgradeFiles(), announce: "both" },
    { seed: 2, dhcp: { tftpServers: [] } }, // option 66 resolved by DNS
    { seed: 3, tftpFiles: { "XMLDefault.cnf.xml": upgradeFiles()[sepFileName(DEFAULT_PHONE_MAC)] } }, // a TFTP ERROR first
    { seed: 4, voiceVlan: null, announce: "lldp" },
    { seed: 5, callManagers: [{ reject: ["SEP001B54C2A710"] }] },
  ];
  for (const r of runs) {
    const frames = framesOf(r);
    for (const f of frames) splitFrame(f, add);
    sessions(frames, add);
  }
  for (const f of [...hexFixtures("fixtures.ts"), ...hexFixtures("cdp-lldp-fixtures.ts")]) {
    if (f.length >= 14 && (f[12] === 0x08 || f[12] === 0x81 || f[12] === 0x88 || f[12] < 0x06)) splitFrame(f, add);
    else if (f.length >= 20 && f[0] >> 4 === 4) splitFrame(cat([0x00, 0x1b, 0x54, 0xc2, 0xa7, 0x10, 0x02, 0, 0x5e, 0, 2, 1, 8, 0], f), add);
  }
  for (const c of cnfFixtures()) add("cnf", c);
  for (const m of sipFixtures()) add("sip", m);
  for (const [name, file] of Object.entries(upgradeFiles())) if (name.endsWith(".cnf.xml")) add("cnf", file);
  const image = devImage(PHONE_WASM, NEW_LOAD);
  const payload = new DataView(image.buffer, image.byteOffset).getUint32(8);
  add("image", cat(image.subarray(0, 64), image.subarray(64 + payload))); // header + TLVs (payload left out)
  add("image", image.subarray(0, 64));
  return new Map([...byTarget].map(([t, m]) => [t, sample([...m.entries()].sort((a, b) => a[0].localeCompare(b[0])).map(([, v]) => v))]));
}

/** At most PER_TARGET inputs, spread over the lengths there are. */
function sample(inputs: Uint8Array[]): Uint8Array[] {
  if (inputs.length <= PER_TARGET) return inputs;
  const byLen = [...inputs].sort((a, b) => a.length - b.length);
  return Array.from({ length: PER_TARGET }, (_, i) => byLen[Math.floor((i * byLen.length) / PER_TARGET)]);
}

/** Writes tests/fuzz-corpus/<target>/<sha256 prefix>.bin afresh. */
export function writeCorpus(dir = CORPUS_DIR): Record<string, number> {
  const corpus = buildCorpus();
  const counts: Record<string, number> = {};
  for (const [t, inputs] of corpus) {
    const d = join(dir, t);
    rmSync(d, { recursive: true, force: true });
    mkdirSync(d, { recursive: true });
    for (const input of inputs) writeFileSync(join(d, `${createHash("sha256").update(input).digest("hex").slice(0, 16)}.bin`), input);
    counts[t] = inputs.length;
  }
  return counts;
}
