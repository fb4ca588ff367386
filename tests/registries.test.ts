// Every registry the firmware and the host share agrees by name and by value:
// counters, events and the enums their arguments carry, TFTP and DNS status,
// DHCP states, configuration errors, registration failures and states, image
// and trailer formats, factory data and the flash layout, SCCP. The firmware
// side is read from its source, each definition found by name wherever it
// lives under assembly/.
import { test } from "node:test";
import assert from "node:assert/strict";
import { COUNTER_NAMES } from "../host/counters.js";
import { Ev, EVENT_SPECS, STAGES, VLAN_SOURCES, PROTOCOLS, CNF_ERRORS, TFTP_STATUS, PROVISION_FAILURES, UPGRADE_FAILURES, DHCP_STATES, REG_FAILURES } from "../host/events.js";
import { codesOf, type Mirror } from "../host/mirror.js";
import { LAYOUT } from "../host/flash.js";
import { FACTORY_ADDR, FACTORY_FIELDS, FACTORY_LEN, FACTORY_MAGIC } from "../host/factory.js";
import * as image from "../host/image.js";
import * as sccp from "../host/wire/sccp.js";
import { TcpFlag } from "../host/wire/tcp.js";
import { TftpOp, TftpError } from "../host/wire/tftp.js";
import { DnsRcode } from "../host/wire/dns.js";
import { DhcpType, DhcpOpt } from "../host/wire/dhcp.js";
import { CdpTlv } from "../host/wire/cdp.js";
import { LldpTlv, MedSubtype } from "../host/wire/lldp.js";
import { TftpStatus, DnsStatus, RegState, SipLineState } from "./helpers/firmware-enums.js";
import { firmwareConst, firmwareEnum, parseEnumBody } from "./helpers/firmware-source.js";

/** The firmware's enum as a plain object, optionally without some members (such as a trailing Count). */
function fw(name: string, ...without: string[]): Record<string, number> {
  return Object.fromEntries([...firmwareEnum(name)].filter(([k]) => !without.includes(k)));
}

/** A host list indexed by code turned into name -> code, each name made from its entry by `toName`. */
function indexed(list: readonly string[], toName: (entry: string) => string): Record<string, number> {
  return Object.fromEntries(list.flatMap((entry, code) => (entry === "" ? [] : [[toName(entry), code]])));
}

const pascal = (s: string) => s.split(/[-_ ]/).map((w) => w[0].toUpperCase() + w.slice(1)).join("");
const snake = (s: string) => s.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();

test("the enum reader: implicit values count on from the last explicit one; comments and hex are understood", () => {
  const e = parseEnumBody(`
    A,          // 0
    B = 0x10,   /** sixteen, then C = 17 */
    C,
    D = -3, E,
  `);
  assert.deepEqual(Object.fromEntries(e), { A: 0, B: 16, C: 17, D: -3, E: -2 });
  assert.throws(() => firmwareEnum("NoSuchEnumAnywhere"), /found in 0/);
  assert.throws(() => firmwareEnum("Phase"), /exactly one file/, "a name defined twice is ambiguous");
});

test("counters: host/counters.ts names enum Ctr's members in order (snake_case), and Count is their number", () => {
  const ctr = fw("Ctr");
  const names = Object.keys(ctr).filter((n) => n !== "Count");
  assert.deepEqual([...COUNTER_NAMES], names.map(snake));
  assert.deepEqual(names.map((n) => ctr[n]), names.map((_, i) => i));
  assert.equal(ctr.Count, COUNTER_NAMES.length);
});

test("events: host Ev equals enum Ev; every code has exactly one timeline spec", () => {
  assert.deepEqual({ ...Ev }, fw("Ev"));
  const specCodes = EVENT_SPECS.map((s) => s.code).sort((a, b) => a - b);
  assert.deepEqual(specCodes, Object.values(Ev).sort((a, b) => a - b));
});

test("the enums events carry: Stage, VlanSource, ProvisionFail, UpgradeFail, CnfProto, CnfErr, TftpStatus, DhcpState, RegFail", () => {
  assert.deepEqual(indexed(STAGES, pascal), fw("Stage"));
  assert.deepEqual(indexed(VLAN_SOURCES, pascal), fw("VlanSource"));
  const mirrors: Array<[string, Mirror<unknown>]> = [
    ["ProvisionFail", PROVISION_FAILURES], ["UpgradeFail", UPGRADE_FAILURES], ["CnfProto", PROTOCOLS], ["CnfErr", CNF_ERRORS],
    ["TftpStatus", TFTP_STATUS], ["DhcpState", DHCP_STATES], ["RegFail", REG_FAILURES],
  ];
  for (const [name, mirror] of mirrors) assert.deepEqual(codesOf(mirror), fw(name), `enum ${name}`);
});

test("the test harnesses' status codes: TftpStatus, DnsStatus, RegState, SipLineState", () => {
  assert.deepEqual({ ...TftpStatus }, fw("TftpStatus"));
  assert.deepEqual({ ...DnsStatus }, fw("DnsStatus"));
  assert.deepEqual({ ...RegState }, fw("RegState"));
  assert.deepEqual({ ...SipLineState }, fw("SipLineState"));
});

test("the flash layout: host/flash.ts LAYOUT is the firmware's map", () => {
  assert.deepEqual(
    { ...LAYOUT, slots: [...LAYOUT.slots] },
    {
      sectorSize: firmwareConst("SECTOR_SIZE"), writeUnit: firmwareConst("WRITE_UNIT"),
      factory: firmwareConst("FACTORY_ADDR"), prefs: firmwareConst("PREFS_ADDR"), bootRecord: firmwareConst("BOOTREC_ADDR"),
      slots: [firmwareConst("SLOT_A_ADDR"), firmwareConst("SLOT_B_ADDR")], slotSize: firmwareConst("SLOT_SIZE"),
      trailerOffset: firmwareConst("TRAILER_OFFSET"),
    },
  );
  assert.equal(image.IMAGE_MAX, firmwareConst("IMAGE_MAX"));
});

test("factory data: address, magic, length and field offsets", () => {
  assert.equal(FACTORY_ADDR, firmwareConst("FACTORY_ADDR"));
  assert.equal(FACTORY_MAGIC, firmwareConst("FACTORY_MAGIC"));
  assert.equal(FACTORY_LEN, firmwareConst("FACTORY_LEN"));
  assert.deepEqual({ ...FACTORY_FIELDS }, {
    mac: firmwareConst("FACTORY_MAC"), serial: firmwareConst("FACTORY_SERIAL"), model: firmwareConst("FACTORY_MODEL"),
    keyHash: firmwareConst("FACTORY_KEY_HASH"), crc: firmwareConst("FACTORY_LEN") - 4,
  });
});

test("images and trailers: header constants, TLV types, ImageErr, SlotState, boot()'s errors and the trailer's flags", () => {
  const host: Record<string, number> = {
    IMAGE_MAGIC: image.IMAGE_MAGIC, HEADER_VERSION: image.HEADER_VERSION, HEADER_SIZE: image.HEADER_SIZE, LOAD_NAME: image.LOAD_NAME_OFFSET,
    LOAD_NAME_MAX: image.LOAD_NAME_MAX, TLV_INFO_MAGIC: image.TLV_INFO_MAGIC, TLV_INFO_SIZE: image.TLV_INFO_SIZE, TLV_MAX: image.TLV_MAX,
    TRAILER_MAGIC: image.TRAILER_MAGIC, TRAILER_SIZE: image.TRAILER_SIZE,
  };
  assert.deepEqual(host, Object.fromEntries(Object.keys(host).map((k) => [k, firmwareConst(k)])));
  assert.deepEqual({ ...image.TLV }, Object.fromEntries(Object.entries(fw("Tlv")).map(([k, v]) => [k.toUpperCase(), v])));
  assert.deepEqual(indexed(image.IMAGE_ERRORS.map((e) => e.name), pascal), fw("ImageErr"));
  assert.deepEqual(indexed(image.SLOT_STATES, pascal), fw("SlotState"));
  assert.deepEqual(codesOf(image.BOOT_ERRORS), { ...fw("FactoryErr", "Ok"), ...fw("BootErr") }, "boot()'s errors");
  assert.deepEqual(Object.fromEntries(Object.entries(image.FLAG_OFFSET).map(([k, v]) => [pascal(k), v])), fw("Flag"));
});

test("SCCP: message ids, reset types, port and the data limit", () => {
  assert.deepEqual({ ...sccp.SccpMsg }, fw("SccpMsg"));
  assert.deepEqual({ ...sccp.ResetType }, fw("SccpResetType"));
  assert.equal(sccp.SCCP_PORT, firmwareConst("SCCP_PORT"));
  assert.equal(sccp.SCCP_MAX_DATA, firmwareConst("SCCP_MAX_DATA"));
});

/**
 * Disagreements between the firmware's `enum name` and a host table of the
 * same protocol's numbers. Names match case- and underscore-blind, or through
 * `aliases` (firmware name -> host name); a firmware member the host lacks is
 * fine unless the host gives its number another name.
 */
function protocolDisagreements(name: string, host: Record<string, number>, aliases: Record<string, string> = {}): { matched: number; problems: string[] } {
  const norm = (k: string) => k.replace(/_/g, "").toLowerCase();
  const byName = new Map(Object.entries(host).map(([k, v]) => [norm(k), { k, v }]));
  const problems: string[] = [];
  let matched = 0;
  for (const [k, v] of Object.entries(fw(name))) {
    const h = byName.get(norm(aliases[k] ?? k));
    if (h !== undefined) {
      matched++;
      if (h.v !== v) problems.push(`${name}.${k} = ${v}, host ${h.k} = ${h.v}`);
    } else {
      const other = Object.entries(host).find(([, hv]) => hv === v);
      if (other) problems.push(`${name}.${k} = ${v}, host calls ${v} ${other[0]}`);
    }
  }
  return { matched, problems };
}

test("protocol numbers the host's simulated servers share with the firmware: same names, same values", () => {
  const tables: Array<[string, Record<string, number>, Record<string, string>?]> = [
    ["TcpFlag", TcpFlag], ["TftpOp", TftpOp], ["TftpErr", TftpError], ["DnsRcode", DnsRcode], ["MsgType", DhcpType],
    ["Opt", DhcpOpt, { Dns: "DNS_SERVERS", MsgType: "MESSAGE_TYPE", ParamList: "PARAM_REQUEST_LIST", MaxSize: "MAX_MESSAGE_SIZE", T1: "RENEWAL_TIME", T2: "REBINDING_TIME", VendorClass: "VENDOR_CLASS_ID" }],
    ["CdpTlv", CdpTlv], ["LldpTlv", LldpTlv, { SystemCapabilities: "Capabilities", OrgSpecific: "Org" }], ["MedSubtype", MedSubtype],
  ];
  for (const [name, host, aliases] of tables) {
    const { matched, problems } = protocolDisagreements(name, host, aliases);
    assert.deepEqual(problems, [], name);
    assert.ok(matched >= Math.min(3, Object.keys(host).length), `${name}: only ${matched} members matched by name`);
  }
  assert.deepEqual(protocolDisagreements("TftpOp", { RRQ: 1, DATA: 4 }).problems, ["TftpOp.Data = 3, host DATA = 4", "TftpOp.Ack = 4, host calls 4 DATA"], "the check itself");
});
