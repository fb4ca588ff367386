// The fuzz targets of build/fuzz.wasm (assembly/fuzz.ts): one per parser
// the phone has, with what each may return, and the instance that runs them.
// The input is written so that it ends at the very end of linear memory: a
// parser reading past its input traps.
import { readFileSync } from "node:fs";
import { BUILD_DIR } from "../firmware.js";

export const FUZZ_WASM = BUILD_DIR + "fuzz.wasm";

export interface FuzzTarget {
  name: string;
  /** The export of build/fuzz.wasm. */
  export: string;
  what: string;
  /** Highest value the entry may return (0 = OK; counters, CnfErr or ImageErr above). */
  maxResult: (ctrCount: number) => number;
  /** Tokens the mutator may insert (field values, names, XML). */
  dictionary?: Uint8Array[];
}

const ascii = (s: string) => new TextEncoder().encode(s);
const bytes = (...b: number[]) => Uint8Array.from(b);
const ctr = (n: number) => n - 1;

export const TARGETS: readonly FuzzTarget[] = [
  { name: "ethernet", export: "fuzz_ethernet", what: "Ethernet II header", maxResult: ctr },
  { name: "vlan", export: "fuzz_vlan", what: "802.1Q tag (from the TPID)", maxResult: ctr, dictionary: [bytes(0x81, 0x00), bytes(0x00, 0x6e)] },
  { name: "arp", export: "fuzz_arp", what: "ARP for Ethernet/IPv4", maxResult: ctr, dictionary: [bytes(0, 1, 8, 0, 6, 4)] },
  { name: "ipv4", export: "fuzz_ipv4", what: "IPv4 header (byte 0 bit 0: fix the checksum)", maxResult: ctr, dictionary: [bytes(0x45), bytes(0x40, 0x00), bytes(0x20, 0x00)] },
  { name: "icmp", export: "fuzz_icmp", what: "ICMP message, and the datagram an unreachable quotes (byte 0 bit 0: fix the checksum)", maxResult: ctr, dictionary: [bytes(8, 0), bytes(0, 0), bytes(3, 3), bytes(3, 1), bytes(0x45), bytes(17), bytes(6)] },
  { name: "udp", export: "fuzz_udp", what: "UDP datagram (byte 0: fix, bytes 1-8: source and destination address)", maxResult: ctr },
  { name: "tcp", export: "fuzz_tcp", what: "TCP segment with options (byte 0: fix, bytes 1-8: addresses)", maxResult: ctr, dictionary: [bytes(2, 4, 5, 0xb4), bytes(1), bytes(0), bytes(0x50), bytes(0xf0)] },
  { name: "cdp", export: "fuzz_cdp", what: "CDP frame: 802.3, LLC/SNAP, TLVs (byte 0 bit 0: fix the checksum)", maxResult: ctr,
    dictionary: [bytes(0xaa, 0xaa, 3, 0, 0, 0x0c, 0x20, 0), bytes(0, 0x0e), bytes(0, 0x19), bytes(0, 0x10), bytes(0, 0x1a), bytes(0, 1), bytes(0, 2), bytes(0, 0x0a), bytes(0, 0x0b)] },
  { name: "lldp", export: "fuzz_lldp", what: "LLDPDU with LLDP-MED TLVs", maxResult: ctr, dictionary: [bytes(0xfe), bytes(0x00, 0x12, 0xbb), bytes(0x00, 0x12, 0x0f), bytes(0, 0)] },
  { name: "dhcp", export: "fuzz_dhcp", what: "BOOTP/DHCP message with options and overload", maxResult: ctr,
    dictionary: [bytes(0x63, 0x82, 0x53, 0x63), bytes(53, 1), bytes(52, 1, 3), bytes(150), bytes(66), bytes(255), bytes(0), bytes(54, 4), bytes(51, 4), bytes(1, 4)] },
  { name: "dns", export: "fuzz_dns", what: "DNS response, names and compression", maxResult: ctr, dictionary: [bytes(0xc0, 0x0c), bytes(0, 1, 0, 1), bytes(0, 5), bytes(0x81, 0x80)] },
  { name: "tftp", export: "fuzz_tftp", what: "TFTP packet: DATA, ERROR, OACK options", maxResult: ctr,
    dictionary: [bytes(0, 6), bytes(0, 3), bytes(0, 5), ascii("blksize\0"), ascii("tsize\0"), ascii("timeout\0"), ascii("windowsize\0"), ascii("1428\0"), ascii("99999999999999999999\0")] },
  { name: "cnf", export: "fuzz_cnf", what: "SEP<MAC>.cnf.xml scanner", maxResult: () => 6,
    dictionary: ["<callManagerGroup>", "</callManagerGroup>", "<members>", "<member priority=\"", "</member>", "<callManager>", "</callManager>",
      "<ports>", "<ethernetPhonePort>", "</ethernetPhonePort>", "<processNodeName>", "</processNodeName>", "<loadInformation>", "</loadInformation>",
      "<deviceProtocol>SCCP</deviceProtocol>", "<sipPort>", "<sipProfile>", "<sipStack>", "<timerT1>", "<timerRegisterExpires>",
      "<sipLines>", "<line button=\"", "<featureID>9</featureID>", "<name>", "<authName>", "<authPassword>", "<proxy>USECALLMANAGER</proxy>",
      "<transportLayerProtocol>", "&amp;", "&#x41;", "&#65;", "<![CDATA[", "]]>", "<!--", "-->", "<?xml ?>", "\"", "'", "/>", "<", ">"].map(ascii) },
  { name: "sccp", export: "fuzz_sccp", what: "SCCP message framed from the stream", maxResult: ctr, dictionary: [bytes(0x81, 0, 0, 0), bytes(0x9d, 0, 0, 0), bytes(0x9f, 0, 0, 0), bytes(0, 0, 0, 0)] },
  { name: "sip", export: "fuzz_sip", what: "SIP message: framed from the stream (CRLF keep-alives, Content-Length), else one datagram; requests answered", maxResult: ctr,
    dictionary: ["SIP/2.0 ", "SIP/2.0 401 Unauthorized\r\n", "OPTIONS sip:a@b SIP/2.0\r\n", "\r\n", "\r\n\r\n", "Via: SIP/2.0/TCP h;branch=z9hG4bK1\r\n", "v: ",
      "From: <sip:a@d>;tag=1\r\n", "To: ", "t: ", "Call-ID: ", "i: ", "CSeq: 1 REGISTER\r\n", "Content-Length: ", "l: ", "Contact: ", "m: ", ";expires=",
      "WWW-Authenticate: Digest ", "Proxy-Authenticate: Digest ", "realm=\"", "nonce=\"", "qop=\"auth\"", "algorithm=MD5", "stale=true", "opaque=",
      "Retry-After: ", "Min-Expires: ", "Expires: ", ",", ";", "\"", "<", ">", "\\", "4294967296", "99999999999"].map(ascii) },
  { name: "image", export: "fuzz_image", what: "image header and TLVs", maxResult: () => 11,
    dictionary: [ascii("IPPI"), bytes(0, 1, 0, 0x40), bytes(0x69, 0x07), bytes(0, 0x10, 0, 0x20), bytes(0, 0x24, 0, 0x40), bytes(0, 0x02, 0, 0x20)] },
  { name: "session", export: "fuzz_session", what: "DHCP, DNS, TFTP and TCP clients mid-exchange, fed a sequence of frames (byte 0: which run; then [dt, u16 length, frame]...)", maxResult: () => 0,
    dictionary: [bytes(0x1e), bytes(0, 0, 60), bytes(0, 0x44), bytes(0, 0x45), bytes(0, 3, 0, 1), bytes(0, 6), bytes(0x07, 0xd0), bytes(0x12), bytes(0x10), bytes(0x11), bytes(0x14)] },
  { name: "stack", export: "fuzz_stack", what: "the whole receive path of a configured phone (byte 0 bit 0: voice VLAN 110)", maxResult: () => 1,
    dictionary: [bytes(0x08, 0x00), bytes(0x08, 0x06), bytes(0x81, 0x00), bytes(0x88, 0xcc), bytes(0x00, 0x1b, 0x54, 0xc2, 0xa7, 0x10), bytes(0xc0, 0, 2, 0x32), bytes(0, 0x44)] },
];

export function target(name: string): FuzzTarget {
  const t = TARGETS.find((x) => x.name === name);
  if (!t) throw new RangeError(`no parser "${name}" (parsers: ${TARGETS.map((x) => x.name).join(", ")})`);
  return t;
}

let module: WebAssembly.Module | null = null;

/** The largest input the harness hands a target. */
export const MAX_INPUT = 65536;

/** One instance of build/fuzz.wasm; its hal imports do nothing. */
export class FuzzInstance {
  private instance!: WebAssembly.Instance;
  private mem!: Uint8Array;
  private fns = new Map<string, (p: number, len: number) => number>();
  ctrCount = 0;
  /** The hal's random numbers: an LCG that restarts with each input, so an input always does the same. */
  private rnd = 1;

  constructor(path = FUZZ_WASM) {
    module ??= new WebAssembly.Module(readFileSync(path));
    this.reset();
  }

  /** A fresh instance (after a trap its globals may be half-updated). */
  reset(): void {
    this.instance = new WebAssembly.Instance(module!, {
      hal: {
        mac_tx: () => {}, // it answers ARP and pings; nobody listens
        event: () => {},
        random: () => (this.rnd = (Math.imul(this.rnd, 1103515245) + 12345) | 0),
        lcd: () => {}, log: () => {}, watchdog_kick: () => {}, reset: () => {},
        flash_read: () => -1, flash_program: () => -1, flash_erase: () => -1,
      },
    });
    const memory = this.instance.exports.memory as WebAssembly.Memory;
    this.mem = new Uint8Array(memory.buffer);
    this.fns.clear();
    this.ctrCount = (this.instance.exports.counter_count as () => number)();
  }

  /** The instance's exports (tests call an entry point with a length of their own). */
  get exports(): WebAssembly.Exports {
    return this.instance.exports;
  }

  /** Runs `target` on `input` (placed to end at the end of memory); throws what the WebAssembly throws (a trap). */
  run(t: FuzzTarget, input: Uint8Array): number {
    let fn = this.fns.get(t.export);
    if (!fn) {
      fn = this.instance.exports[t.export] as (p: number, len: number) => number;
      if (typeof fn !== "function") throw new Error(`build/fuzz.wasm has no ${t.export}: rebuild it (npm run build)`);
      this.fns.set(t.export, fn);
    }
    this.rnd = 1;
    const n = Math.min(input.length, MAX_INPUT);
    const at = this.mem.length - n;
    this.mem.set(n === input.length ? input : input.subarray(0, n), at);
    return fn(at, n);
  }
}
