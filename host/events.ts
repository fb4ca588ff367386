// The firmware's boot-timeline events (enum Ev in assembly/events.ts, same
// codes; tests/registries.test.ts checks they agree), turned into timeline lines.
import { ipToString } from "./wire/address.js";
import { imageErrorText, SLOT_STATES, slotName } from "./image.js";
import { valueOf, type Mirror } from "./mirror.js";

export const STAGES = ["power", "boot", "vlan", "dhcp", "tftp", "register"] as const;
export type StageName = (typeof STAGES)[number];

export const VLAN_SOURCES = ["", "cdp", "lldp"];
/** The firmware's voice VLAN for `switchport voice vlan dot1p` (announced as VID 0; assembly/net/netif.ts VOICE_DOT1P). */
export const VOICE_DOT1P = 0x1_0000;
/** The VID a switch announced, from the firmware's voice VLAN value. */
export const announcedVid = (v: number): number => (v === VOICE_DOT1P ? 0 : v);
/** A voice VLAN as a network engineer reads it: 0 and 4095 are not VLANs of their own. */
export function voiceVlanText(v: number): string {
  if (v === VOICE_DOT1P) return "0 (802.1p priority tags on the native VLAN)";
  if (v === 4095) return "4095 (untagged on the native VLAN)";
  return String(v || "none");
}
/** enum CnfProto (the protocol a configuration names). */
export const PROTOCOLS: Mirror = { None: [0, "none"], Sccp: [1, "SCCP"], Sip: [2, "SIP"], Other: [3, "other"] };
/** enum CnfErr (why a configuration file was rejected). */
export const CNF_ERRORS: Mirror = {
  Ok: [0, "ok"], Truncated: [1, "truncated"], TooDeep: [2, "too deep"], TooLarge: [3, "too large"],
  Malformed: [4, "malformed"], BadValue: [5, "bad value"], NoCallManager: [6, "no CallManager"],
};
/** enum TftpStatus (how a TFTP transfer ended). */
export const TFTP_STATUS: Mirror = {
  Idle: [0, "idle"], Running: [1, "running"], Done: [2, "done"], NotFound: [3, "not found"], Refused: [4, "refused"],
  ServerError: [5, "server error"], Protocol: [6, "protocol error"], Timeout: [7, "timeout"], BadName: [8, "bad name"], Unreachable: [9, "unreachable (ICMP)"],
};
/** enum ProvisionFail (Ev.ConfigFailed's a), each told with its detail b. */
export const PROVISION_FAILURES: Mirror<(b: number) => string> = {
  NoServer: [1, () => "no TFTP server: DHCP gave neither option 150 nor option 66"],
  ServersFailed: [2, (b) => `no TFTP server answered (last: ${valueOf(TFTP_STATUS, b) ?? b})`],
  NotFound: [3, () => "neither SEP<MAC>.cnf.xml nor XMLDefault.cnf.xml on the server"],
  ConfigBad: [4, (b) => `configuration file rejected: ${valueOf(CNF_ERRORS, b) ?? b}`],
  NoCallManager: [5, () => "the configuration names no CallManager"],
  SecurityUnsupported: [6, (b) => `deviceSecurityMode ${b} (${b === 2 ? "authenticated" : "encrypted"}) needs a CTL and TLS, which this phone lacks: it does not register in clear`],
};
/** deviceSecurityMode as CUCM writes it in SEP<MAC>.cnf.xml. */
const SECURITY_MODES: Record<number, string> = { 0: "absent: non-secure", 1: "non-secure", 2: "authenticated", 3: "encrypted" };
/** enum UpgradeFail (Ev.UpgradeFailed's a). */
export const UPGRADE_FAILURES: Mirror = {
  Download: [1, "download failed"], Flash: [2, "flash write failed"], BadHeader: [3, "not an image"], WrongLoad: [4, "the image holds another load"],
};
/** enum DhcpState. */
export const DHCP_STATES: Mirror = {
  Off: [0, "off"], Init: [1, "init"], Selecting: [2, "selecting"], Requesting: [3, "requesting"], Checking: [4, "checking"],
  Bound: [5, "bound"], Renewing: [6, "renewing"], Rebinding: [7, "rebinding"], Rebooting: [8, "rebooting"],
};

export interface TimelineEntry {
  t_ms: number;
  stage: StageName;
  event: string;
  detail: string;
}

/** Reads `len` ASCII bytes of firmware memory. */
export type TextReader = (ptr: number, len: number) => string;

export const Ev = {
  Stage: 1,
  FactoryBad: 2,
  LinkUp: 3,
  LinkDown: 4,
  DhcpDiscover: 10,
  DhcpOffer: 11,
  DhcpRequest: 12,
  DhcpAck: 13,
  DhcpNak: 14,
  DhcpDecline: 15,
  DhcpBound: 16,
  DhcpRouter: 17,
  DhcpDns: 18,
  DhcpTftp: 19,
  DhcpTftpName: 20,
  DhcpRenew: 21,
  DhcpRebind: 22,
  DhcpExpired: 23,
  DhcpGiveUp: 24,
  DhcpLease: 25,
  DhcpDomain: 26,
  DhcpOptionMalformed: 27,
  ArpProbe: 30,
  ArpAnnounce: 31,
  ArpConflict: 32,
  ArpDefend: 33,
  VlanLearned: 40,
  VlanNone: 41,
  VlanChanged: 42,
  BootSlot: 50,
  BootReject: 51,
  BootRevert: 52,
  BootLoad: 53,
  BootImage: 54,
  BootCounter: 55,
  BootNoImage: 56,
  BootFlashError: 57,
  ImageConfirmed: 58,
  TftpFile: 70,
  TftpRequest: 71,
  TftpOptions: 72,
  TftpSize: 73,
  TftpPlain: 74,
  TftpRetransmit: 75,
  TftpStranger: 76,
  TftpDone: 77,
  TftpNotFound: 78,
  TftpError: 79,
  TftpAbort: 80,
  TftpTimeout: 81,
  DnsQuery: 82,
  DnsAnswer: 83,
  DnsNotFound: 84,
  DnsTimeout: 85,
  TftpUnreachable: 86,
  TftpServer: 140,
  ConfigLoaded: 141,
  ConfigCallManager: 142,
  ConfigLoad: 143,
  ConfigFailed: 144,
  UpgradeStart: 145,
  UpgradeReady: 146,
  UpgradeFailed: 147,
  UpgradeSkipped: 148,
  UpgradeRetry: 149,
  ConfigSecurity: 150,
  ConfigDscp: 151,
  RegNoCallManager: 100,
  RegConnecting: 101,
  RegConnected: 102,
  RegRegistered: 103,
  RegRejected: 104,
  RegFailed: 105,
  RegFailover: 106,
  RegAllDown: 107,
  RegProbe: 108,
  RegFallback: 109,
  RegReset: 110,
  RegUnregistered: 111,
  RegAck: 112,
  RegCapabilities: 113,
  RegLine: 114,
  RegTime: 115,
  RegDisplay: 116,
  RegStandby: 117,
  RegStandbyConnected: 118,
  RegStandbyLost: 119,
  SipRegister: 160,
  SipLineRegistered: 161,
  SipChallenge: 162,
  SipAuthFailed: 163,
  SipLineRejected: 164,
  SipIntervalTooBrief: 165,
  SipRetryAfter: 166,
  SipAnswered: 167,
  SipBindingRemoved: 168,
  Abort: 0x7fff,
} as const;

interface EventSpec {
  code: number;
  name: string;
  stage: StageName;
  detail: (a: number, b: number, text: TextReader) => string;
}

const ip = (a: number) => ipToString(a >>> 0);
const hex = (a: number) => "0x" + (a >>> 0).toString(16).padStart(8, "0");
const none = () => "";
/** "CM1" for index 0 (the low byte of `b` in the registration events). */
/** A CallManager (SIP: a proxy of the list; 3 and up: line n's own proxy, assembly/phone/sip.ts). */
const cm = (i: number) => ((i & 0xff) >= 3 && (i & 0xff) < 16 ? `line ${(i & 0xff) - 2}'s proxy` : `CM${(i & 0xff) + 1}`);
/** enum RegFail (why a CallManager was left). */
export const REG_FAILURES: Mirror = {
  Refused: [1, "refused"], Timeout: [2, "connect timeout"], Reset: [3, "reset"], Closed: [4, "closed by the CallManager"], Rejected: [5, "rejected"],
  NoAnswer: [6, "no answer to StationRegister"], KeepaliveLost: [7, "keepalive acks missing"], Malformed: [8, "malformed SCCP"], NoConnection: [9, "no TCP connection free"], Unreachable: [10, "unreachable (ICMP)"],
  SetupUnanswered: [11, "station set-up not answered"], ServerError: [12, "5xx from the SIP proxy"],
};

/** assembly/wire/sip.ts SipMethod, for SipAnswered. */
const SIP_METHODS: Record<number, string> = { 0: "a request of an unknown method", 1: "REGISTER", 2: "OPTIONS", 3: "INVITE", 4: "ACK", 5: "BYE", 6: "CANCEL", 7: "a request" };

/** Why the phone ended a transfer, by the ERROR code it sent (assembly/client/tftp.ts abort). */
const ABORT_REASONS: Record<number, string> = { 0: "the file's content refused", 3: "too large for its destination" };

export const EVENT_SPECS: readonly EventSpec[] = [
  { code: Ev.Stage, name: "Stage", stage: "boot", detail: (a) => STAGES[a] ?? `stage ${a}` },
  { code: Ev.FactoryBad, name: "FactoryBad", stage: "boot", detail: (a) => `factory data unusable (error ${a})` },
  { code: Ev.LinkUp, name: "LinkUp", stage: "power", detail: none },
  { code: Ev.LinkDown, name: "LinkDown", stage: "power", detail: none },
  { code: Ev.DhcpDiscover, name: "DhcpDiscover", stage: "dhcp", detail: (a, b) => `xid=${hex(a)} attempt ${b}` },
  { code: Ev.DhcpOffer, name: "DhcpOffer", stage: "dhcp", detail: (a, b) => `${ip(a)} from ${ip(b)}` },
  { code: Ev.DhcpRequest, name: "DhcpRequest", stage: "dhcp", detail: (a, b) => `${ip(a)} (${valueOf(DHCP_STATES, b) ?? b})` },
  { code: Ev.DhcpAck, name: "DhcpAck", stage: "dhcp", detail: (a, b) => `${ip(a)} lease ${b >>> 0}s` },
  { code: Ev.DhcpNak, name: "DhcpNak", stage: "dhcp", detail: (a) => `from ${ip(a)}` },
  { code: Ev.DhcpDecline, name: "DhcpDecline", stage: "dhcp", detail: (a) => ip(a) },
  { code: Ev.DhcpBound, name: "DhcpBound", stage: "dhcp", detail: (a, b) => `${ip(a)}/${b}` },
  { code: Ev.DhcpRouter, name: "DhcpRouter", stage: "dhcp", detail: (a) => ip(a) },
  { code: Ev.DhcpDns, name: "DhcpDns", stage: "dhcp", detail: (a) => ip(a) },
  { code: Ev.DhcpTftp, name: "DhcpTftp", stage: "dhcp", detail: (a, b) => `${ip(a)} (option 150 #${b + 1})` },
  { code: Ev.DhcpTftpName, name: "DhcpTftpName", stage: "dhcp", detail: (a, b, text) => `${text(a, b)} (option 66)` },
  { code: Ev.DhcpRenew, name: "DhcpRenew", stage: "dhcp", detail: (a) => `with ${ip(a)}` },
  { code: Ev.DhcpRebind, name: "DhcpRebind", stage: "dhcp", detail: none },
  { code: Ev.DhcpExpired, name: "DhcpExpired", stage: "dhcp", detail: (a) => ip(a) },
  { code: Ev.DhcpGiveUp, name: "DhcpGiveUp", stage: "dhcp", detail: (a) => `no answer in ${valueOf(DHCP_STATES, a) ?? a}, back to init` },
  { code: Ev.DhcpLease, name: "DhcpLease", stage: "dhcp", detail: (a, b) => `T1 ${a >>> 0}s T2 ${b >>> 0}s` },
  { code: Ev.DhcpDomain, name: "DhcpDomain", stage: "dhcp", detail: (a, b, text) => text(a, b) },
  { code: Ev.DhcpOptionMalformed, name: "DhcpOptionMalformed", stage: "dhcp", detail: (a, b) => `option ${a} malformed: ${b} byte${b === 1 ? "" : "s"}, refused` },
  { code: Ev.ArpProbe, name: "ArpProbe", stage: "dhcp", detail: (a, b) => `${ip(a)} #${b}` },
  { code: Ev.ArpAnnounce, name: "ArpAnnounce", stage: "dhcp", detail: (a, b) => `${ip(a)} #${b}` },
  { code: Ev.ArpConflict, name: "ArpConflict", stage: "dhcp", detail: (a, b) => `${ip(a)} used by ..:${((b >>> 0) & 0xffffff).toString(16).padStart(6, "0")}` },
  { code: Ev.ArpDefend, name: "ArpDefend", stage: "dhcp", detail: (a) => ip(a) },
  { code: Ev.VlanLearned, name: "VlanLearned", stage: "vlan", detail: (a, b) => `voice VLAN ${voiceVlanText(a)} from ${VLAN_SOURCES[b] ?? b}` },
  { code: Ev.VlanNone, name: "VlanNone", stage: "vlan", detail: (a) => `no voice VLAN announced in ${a / 1000}s: untagged on the native VLAN` },
  { code: Ev.VlanChanged, name: "VlanChanged", stage: "vlan", detail: (a, b) => `voice VLAN ${voiceVlanText(b)} -> ${voiceVlanText(a)}: DHCP again` },
  { code: Ev.BootSlot, name: "Slot", stage: "boot", detail: (a, b) => `${slotName(a)} ${SLOT_STATES[b] ?? `state ${b}`}` },
  { code: Ev.BootReject, name: "Rejected", stage: "boot", detail: (a, b) => `slot ${slotName(a)}: ${imageErrorText(b)}` },
  { code: Ev.BootRevert, name: "Revert", stage: "boot", detail: (a) => `slot ${slotName(a)}: its trial ended unconfirmed; rejected, back to the other slot` },
  { code: Ev.BootLoad, name: "Load", stage: "boot", detail: (a, b, text) => text(a, b) },
  { code: Ev.BootImage, name: "Image", stage: "boot", detail: (a, b) => `slot ${slotName(a)} (${b ? "trial" : "confirmed"})` },
  { code: Ev.BootCounter, name: "SecurityCounter", stage: "boot", detail: (a, b) => `${a >>> 0} recorded (was ${b >>> 0})` },
  { code: Ev.BootNoImage, name: "NoImage", stage: "boot", detail: (a) => `no valid image in either slot (error ${a})` },
  { code: Ev.BootFlashError, name: "FlashError", stage: "boot", detail: (a, b) => `bootloader write at 0x${(a >>> 0).toString(16)} failed (error ${b})` },
  { code: Ev.ImageConfirmed, name: "Confirmed", stage: "boot", detail: (a) => `image in slot ${slotName(a)} confirmed: it stays` },
  { code: Ev.TftpFile, name: "File", stage: "tftp", detail: (a, b, text) => text(a, b) },
  { code: Ev.TftpRequest, name: "Request", stage: "tftp", detail: (a, b) => `RRQ to ${ip(a)}${b ? " (blksize, tsize, timeout, windowsize)" : " (plain RFC 1350)"}` },
  { code: Ev.TftpOptions, name: "Options", stage: "tftp", detail: (a, b) => `OACK blksize ${a} windowsize ${b}` },
  { code: Ev.TftpSize, name: "Size", stage: "tftp", detail: (a, b) => `${a >>> 0} bytes (room for ${b >>> 0})` },
  { code: Ev.TftpPlain, name: "Plain", stage: "tftp", detail: (a, b) => `${ip(a)} ${b ? "refused the options (ERROR 8)" : "ignored the options"}: RFC 1350 lockstep, 512-byte blocks` },
  { code: Ev.TftpRetransmit, name: "Retransmit", stage: "tftp", detail: (a, b) => `${a === -1 ? "RRQ" : `ACK ${a >>> 0}`} again (timeout ${b})` },
  { code: Ev.TftpStranger, name: "Stranger", stage: "tftp", detail: (a, b) => `packet from ${ip(a)}:${b} answered with ERROR 5 (unknown transfer ID); transfer goes on` },
  { code: Ev.TftpDone, name: "Done", stage: "tftp", detail: (a, b) => `${a >>> 0} bytes in ${b === 0 ? "<1ms" : `${(b / 1000).toFixed(3)}s`}` },
  { code: Ev.TftpNotFound, name: "NotFound", stage: "tftp", detail: (a) => `ERROR 1 from ${ip(a)}` },
  { code: Ev.TftpError, name: "Error", stage: "tftp", detail: (a, b) => `ERROR ${a} from ${ip(b)}` },
  { code: Ev.TftpAbort, name: "Abort", stage: "tftp", detail: (a, b) => `sent ERROR ${a} (${ABORT_REASONS[a] ?? "options not acceptable"}) after ${b >>> 0} bytes` },
  { code: Ev.TftpTimeout, name: "Timeout", stage: "tftp", detail: (a, b) => `no answer from ${ip(a)} (${b >>> 0} bytes received)` },
  { code: Ev.TftpUnreachable, name: "Unreachable", stage: "tftp", detail: (a, b) => `ICMP ${b === 3 ? "port" : "host"} unreachable from ${ip(a)}: the transfer ends` },
  { code: Ev.DnsQuery, name: "DnsQuery", stage: "tftp", detail: (a, b) => `A query to ${ip(a)} #${b}` },
  { code: Ev.DnsAnswer, name: "DnsAnswer", stage: "tftp", detail: (a, b) => `${ip(a)} (ttl ${b >>> 0}s)` },
  { code: Ev.DnsNotFound, name: "DnsNotFound", stage: "tftp", detail: (a, b) => `${a === 3 ? "NXDOMAIN" : "no A record"} from ${ip(b)}` },
  { code: Ev.DnsTimeout, name: "DnsTimeout", stage: "tftp", detail: (a) => `no answer to ${a} queries` },
  { code: Ev.TftpServer, name: "Server", stage: "tftp", detail: (a, b) => `${ip(a)} (option ${b})` },
  { code: Ev.ConfigLoaded, name: "Config", stage: "tftp", detail: (a, b) => `${a} CallManager${a === 1 ? "" : "s"}, protocol ${valueOf(PROTOCOLS, b) ?? b}` },
  { code: Ev.ConfigCallManager, name: "CallManager", stage: "tftp", detail: (a, b) => `priority ${b >>> 16}: ${a ? ip(a) : "(host name)"} port ${b & 0xffff}` },
  { code: Ev.ConfigLoad, name: "Load", stage: "tftp", detail: (a, b, text) => text(a, b) },
  { code: Ev.ConfigSecurity, name: "Security", stage: "tftp", detail: (a) => `deviceSecurityMode ${a} (${SECURITY_MODES[a] ?? "unknown"})` },
  { code: Ev.ConfigDscp, name: "Dscp", stage: "tftp", detail: (a, b) => `signalling DSCP ${a}${a === 24 ? " (CS3)" : a === 46 ? " (EF)" : a % 8 === 0 ? ` (CS${a / 8})` : ""}: dscpForCm2Dvce ${b}` },
  { code: Ev.ConfigFailed, name: "ConfigFailed", stage: "tftp", detail: (a, b) => valueOf(PROVISION_FAILURES, a)?.(b) ?? `reason ${a}` },
  { code: Ev.UpgradeStart, name: "Upgrade", stage: "tftp", detail: (a, b) => `into slot ${slotName(a)}, ${b >>> 0} bytes announced` },
  { code: Ev.UpgradeReady, name: "UpgradeReady", stage: "tftp", detail: (a, b) => `slot ${slotName(a)} holds ${b >>> 0} bytes, marked for trial: reset` },
  { code: Ev.UpgradeFailed, name: "UpgradeFailed", stage: "tftp", detail: (a, b) => `${valueOf(UPGRADE_FAILURES, a) ?? `reason ${a}`} (${b}): staying on the running load` },
  { code: Ev.UpgradeSkipped, name: "UpgradeSkipped", stage: "tftp", detail: (a, b) => `slot ${slotName(a)} already held that load and it was not started (state ${b}): staying on the running load` },
  { code: Ev.UpgradeRetry, name: "UpgradeRetry", stage: "tftp", detail: (a) => `the download is tried again in ${a} s` },
  { code: Ev.RegNoCallManager, name: "NoCallManager", stage: "register", detail: () => "the configuration lists no CallManager" },
  { code: Ev.RegConnecting, name: "Connecting", stage: "register", detail: (a, b) => `${cm(b)} ${ip(a)}:${b >>> 8}` },
  { code: Ev.RegConnected, name: "Connected", stage: "register", detail: (a, b) => `${cm(b)} ${ip(a)}:${b >>> 8}: StationRegister sent` },
  { code: Ev.RegRegistered, name: "Registered", stage: "register", detail: (a, b) => b === 0 ? `with ${cm(a)}: every SIP line has a binding` : `with ${cm(a)}, keepalive ${b}s: station set-up complete` },
  { code: Ev.RegRejected, name: "Rejected", stage: "register", detail: (a, b, text) => `RegisterReject "${text(a, b)}"` },
  { code: Ev.RegFailed, name: "Failed", stage: "register", detail: (a, b) => `${cm(a)}: ${valueOf(REG_FAILURES, b) ?? `reason ${b}`}` },
  { code: Ev.RegFailover, name: "Failover", stage: "register", detail: (a, b) => `${cm(a)} -> ${cm(b)}${b & 0x100 ? " over the standby connection" : ""}` },
  { code: Ev.RegAllDown, name: "AllDown", stage: "register", detail: (a, b) => `no CallManager answered (round ${b}): retry in ${(a / 1000).toFixed(1)}s` },
  { code: Ev.RegProbe, name: "Probe", stage: "register", detail: (a, b) => `${cm(b)} ${ip(a)}:${b >>> 8} (on a backup)` },
  { code: Ev.RegFallback, name: "Fallback", stage: "register", detail: (a, b) => `to ${cm(a)} from ${cm(b)}` },
  { code: Ev.RegReset, name: "Reset", stage: "register", detail: (a, b) => `${a === 2 ? "restart" : a === 3 ? "apply config" : "reset"} requested by ${cm(b)}` },
  { code: Ev.RegUnregistered, name: "Unregistered", stage: "register", detail: (a) => `from ${cm(a)}` },
  { code: Ev.RegAck, name: "RegisterAck", stage: "register", detail: (a, b) => `from ${cm(a)}, keepalive ${b}s: station set-up` },
  { code: Ev.RegCapabilities, name: "Capabilities", stage: "register", detail: (a, b) => `CapabilitiesRes to ${cm(a)}: ${b} codecs (G.711 mu-law, A-law, G.729, G.722)` },
  { code: Ev.RegLine, name: "Line", stage: "register", detail: (a, b, text) => `line ${b >>> 16}: ${text(a, b & 0xffff)}` },
  { code: Ev.RegTime, name: "Time", stage: "register", detail: (a, b) => `${String(a).replace(/^(\d{4})(\d\d)(\d\d)$/, "$1-$2-$3")} ${[b / 3600, (b / 60) % 60, b % 60].map((x) => String(Math.floor(x)).padStart(2, "0")).join(":")}` },
  { code: Ev.RegDisplay, name: "Display", stage: "register", detail: (a, b, text) => `"${text(a, b)}"` },
  { code: Ev.RegStandby, name: "Standby", stage: "register", detail: (a, b) => `${cm(b)} ${ip(a)}:${b >>> 8}: standby connection (KeepAlive only)` },
  { code: Ev.RegStandbyConnected, name: "StandbyConnected", stage: "register", detail: (a, b) => `${cm(a)} acknowledged KeepAlive, every ${b}s` },
  { code: Ev.RegStandbyLost, name: "StandbyLost", stage: "register", detail: (a, b) => `${cm(a)}: ${valueOf(REG_FAILURES, b) ?? `reason ${b}`}; again in 30s` },
  { code: Ev.SipRegister, name: "SipRegister", stage: "register", detail: (a, b) => `line ${a + 1}: REGISTER CSeq ${b & 0xffff}${b & 0x10000 ? " with credentials" : ""}${b & 0x20000 ? ", Expires: 0 (removing the binding)" : ""}` },
  { code: Ev.SipLineRegistered, name: "SipLineRegistered", stage: "register", detail: (a, b) => `line ${a + 1}: 200 OK, binding for ${b}s` },
  { code: Ev.SipChallenge, name: "SipChallenge", stage: "register", detail: (a, b) => `line ${a + 1}: ${b} challenge, answering with digest credentials` },
  { code: Ev.SipAuthFailed, name: "SipAuthFailed", stage: "register", detail: (a, b) => `line ${a + 1}: ${b === 403 ? "403 Forbidden" : `${b} again for the same nonce, or a challenge the phone cannot answer`}: authentication failed` },
  { code: Ev.SipLineRejected, name: "SipLineRejected", stage: "register", detail: (a, b) => `line ${a + 1}: ${b === 0 ? "the REGISTER does not fit a message" : `refused with ${b}`}` },
  { code: Ev.SipIntervalTooBrief, name: "SipIntervalTooBrief", stage: "register", detail: (a, b) => `line ${a + 1}: 423, asking again for ${b}s` },
  { code: Ev.SipRetryAfter, name: "SipRetryAfter", stage: "register", detail: (a, b) => `${cm(a)} asks for a pause of ${b}s (Retry-After)` },
  { code: Ev.SipBindingRemoved, name: "SipBindingRemoved", stage: "register", detail: (a, b) => `line ${a + 1}: binding at ${cm(b >>> 16)} removed (${b & 0xffff}), the phone is back on the higher proxy` },
  { code: Ev.SipAnswered, name: "SipAnswered", stage: "register", detail: (a, b) => `${SIP_METHODS[a] ?? "a request"} from the proxy answered ${b}` },
  { code: Ev.Abort, name: "Abort", stage: "boot", detail: (a, b) => `firmware assertion failed at line ${a} column ${b}` },
];

const byCode = new Map(EVENT_SPECS.map((s) => [s.code, s]));

const DHCP_MESSAGES = new Set(["DhcpDiscover", "DhcpOffer", "DhcpRequest", "DhcpAck", "DhcpNak", "DhcpDecline"]);

/** The words of a timeline line: "DhcpOffer" -> "OFFER", "DhcpTftpName" -> "tftp name", "ArpProbe" -> "arp probe". */
function eventWord(spec: EventSpec): string {
  if (DHCP_MESSAGES.has(spec.name)) return spec.name.slice(4).toUpperCase();
  const name = spec.name.startsWith("Dhcp") ? spec.name.slice(4) : spec.name;
  return name.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase();
}

/** The stage a firmware event belongs to (describeEvent's, without making its text). */
export function eventStage(code: number, a: number): StageName {
  const spec = byCode.get(code);
  if (!spec) return "boot";
  return code === Ev.Stage ? STAGES[a] ?? "boot" : spec.stage;
}

export function describeEvent(tMs: number, code: number, a: number, b: number, text: TextReader): TimelineEntry {
  const spec = byCode.get(code);
  if (!spec) return { t_ms: tMs, stage: "boot", event: `event ${code}`, detail: `${a} ${b}` };
  if (code === Ev.Stage) return { t_ms: tMs, stage: STAGES[a] ?? "boot", event: "start", detail: "" };
  return { t_ms: tMs, stage: spec.stage, event: eventWord(spec), detail: spec.detail(a, b, text) };
}

/**
 * Prints timeline entries as lines with the phone's display beside them:
 * "lcd" entries change that column instead of making lines of their own.
 */
export function timelinePrinter(write: (line: string) => void): (e: TimelineEntry) => void {
  let lcd = "";
  return (e) => {
    if (e.event === "lcd") {
      lcd = e.detail;
      return;
    }
    const line = formatEntry(e);
    write(lcd ? `${line.padEnd(81)} | ${lcd}` : line);
  };
}

/** A time in ms as seconds to the µs ("6.869123s"): round trips on a campus LAN take a fraction of a millisecond. */
export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(6)}s`;
}

export function formatEntry(e: TimelineEntry): string {
  const t = `t=${formatSeconds(e.t_ms)}`;
  return `${t.padEnd(14)} ${e.stage.padEnd(8)} ${e.event}${e.detail ? "  " + e.detail : ""}`;
}
