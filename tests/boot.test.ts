// One phone on the built-in simulated network, end to end: the CLI, the
// timeline, determinism of the capture, and the DHCP client's paths.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildNetwork, bootPhone, type Network } from "../host/sim/network.js";
import { Wire } from "../host/sim/wire.js";
import { Squatter } from "../host/sim/squatter.js";
import { ARP_REPLY, decodeArp } from "../host/wire/arp.js";
import { ETHERTYPE_ARP, ETHERTYPE_IPV4, decodeEthernet } from "../host/wire/ethernet.js";
import { decodeIpv4 } from "../host/wire/ipv4.js";
import { ipToString, macToString, parseIp } from "../host/wire/address.js";
import { parseUdpFrame } from "../host/wire/udp.js";
import { readPcap } from "../host/sim/pcap.js";
import { ipphone, needs, run } from "./helpers/tools.js";

const tmp = mkdtempSync(join(tmpdir(), "ipphone-boot-"));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

function events(net: Network, name: string): string[] {
  return net.phone.timeline.filter((e) => e.event === name).map((e) => e.detail);
}

test("ipphone boot --json reports the lease, the timeline and the counters", () => {
  const r = ipphone("boot", "--json", "--seed", "7");
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.registered, true);
  assert.equal(j.callmanager, "CM1");
  // The status line, the line key from LineStat, the date and time from DefineTimeDate.
  assert.match(j.lcd, /^Registered \| \d{4} Phone \d{4} \| 2026-12-02 09:00$/);
  assert.equal(j.bound, true);
  assert.equal(j.stage, "register");
  assert.equal(j.mac, "00:1b:54:c2:a7:10");
  assert.equal(j.ip, "192.0.2.50");
  assert.equal(j.mask, "255.255.255.0");
  assert.equal(j.router, "192.0.2.1");
  assert.deepEqual(j.tftp_servers, ["192.0.2.10"]);
  assert.equal(j.tftp_server_name, "tftp.voice.example");
  assert.deepEqual(j.dns, ["192.0.2.53"]);
  assert.equal(j.vlan, 110);
  assert.equal(j.vlan_source, "cdp");
  const steps = j.timeline.map((e: { stage: string; event: string }) => `${e.stage} ${e.event}`);
  for (const s of ["power on", "boot run", "dhcp DISCOVER", "dhcp OFFER", "dhcp REQUEST", "dhcp ACK", "dhcp arp probe", "dhcp bound", "vlan vlan learned", "tftp done", "tftp config", "register register ack",
    "register capabilities", "register line", "register time", "register registered"]) {
    assert.ok(steps.includes(s), `timeline lacks "${s}": ${steps.join(", ")}`);
  }
  for (const e of j.timeline) assert.deepEqual(Object.keys(e), ["t_ms", "stage", "event", "detail"]);
  assert.equal(j.counters.frames_in, j.counters.accepted + Object.values(j.counters.dropped as Record<string, number>).reduce((a, b) => a + b, 0));
  assert.ok(j.counters.frames_out >= 7, "DISCOVER, REQUEST, 3 probes, 2 announcements");
});

test("the timeline prints one line per event in virtual time", () => {
  const r = ipphone("boot", "--mac", "00:1b:54:00:00:01");
  assert.equal(r.status, 0, r.stderr);
  // Each line: time, stage, event, detail, and what the display shows beside it.
  assert.match(r.stdout, /^t=\d+\.\d{6}s +dhcp +DISCOVER +xid=0x[0-9a-f]{8} attempt 1 +\| Configuring IP$/m);
  assert.match(r.stdout, /^t=\d+\.\d{6}s +dhcp +bound +192\.0\.2\.50\/24 +\| Configuring IP$/m);
  assert.match(r.stdout, /^t=\d+\.\d{6}s +register +register ack +from CM1, keepalive 30s: station set-up +\| Registering$/m);
  assert.match(r.stdout, /^t=\d+\.\d{6}s +register +registered +with CM1, keepalive 30s: station set-up complete +\| Registering$/m);
  assert.match(r.stdout, /^phone 00:1b:54:00:00:01 registered with CM1 in \d+\.\d{6}s of virtual time: power [\d.]+s, boot [\d.]+s, vlan [\d.]+s, dhcp [\d.]+s, tftp [\d.]+s, register [\d.]+s$/m);
  assert.match(r.stdout, /^address 192\.0\.2\.50\/255\.255\.255\.0 on voice VLAN 110 \(cdp\)/m);
});

test("bad arguments are refused with exit status 2 and a reason", () => {
  for (const args of [["boot", "--seed", "x"], ["boot", "--mac", "zz"], ["boot", "--nope"], ["fly"]]) {
    const r = ipphone(...args);
    assert.equal(r.status, 2, args.join(" "));
    assert.match(r.stderr, /^ipphone( boot)?: .+\nrun 'ipphone( boot --help| help)' for usage\n$/, r.stderr);
  }
});

test("the same seed gives a byte-identical pcap; another seed differs", () => {
  const pcap = (seed: string, name: string) => {
    const file = join(tmp, name);
    assert.equal(ipphone("boot", "--seed", seed, "--pcap", file).status, 0);
    return readFileSync(file);
  };
  const a = pcap("42", "a.pcap");
  const b = pcap("42", "b.pcap");
  const c = pcap("43", "c.pcap");
  assert.ok(a.length > 24 + 7 * 16, "header and at least seven frames");
  assert.ok(a.equals(b), "same seed, same bytes");
  assert.ok(!a.equals(c), "different seed, different bytes");
});

const TSHARK = ["-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE"];

test("tshark reads the capture with no malformed packets and no checksum errors", { skip: needs("tshark") }, () => {
  const file = join(tmp, "tshark.pcap");
  assert.equal(ipphone("boot", "--pcap", file).status, 0);
  const all = run("tshark", ["-r", file, ...TSHARK, "-T", "fields", "-e", "frame.protocols", "-e", "_ws.expert.message"]);
  assert.equal(all.status, 0, all.stderr);
  assert.ok(all.stdout.trim().split("\n").length >= 9, all.stdout);
  assert.doesNotMatch(all.stdout, /malformed|Bad checksum|incorrect/i, all.stdout);
  const bad = run("tshark", ["-r", file, ...TSHARK, "-Y", "_ws.malformed || ip.checksum.status == 0 || udp.checksum.status == 0"]);
  assert.equal(bad.status, 0, bad.stderr);
  assert.equal(bad.stdout.trim(), "");
});

test("after RegisterAck the phone does the station set-up, and tshark dissects the whole SCCP exchange cleanly", { skip: needs("tshark") }, () => {
  const file = join(tmp, "skinny.pcap");
  assert.equal(ipphone("boot", "--pcap", file).status, 0);
  const r = run("tshark", ["-r", file, "-d", "tcp.port==2000,skinny", "-Y", "skinny", "-T", "fields", "-e", "ip.src", "-e", "skinny.messageId"]);
  assert.equal(r.status, 0, r.stderr);
  const msgs = r.stdout.trim().split("\n").map((l) => l.split("\t")).flatMap(([src, ids]) => ids.split(",").map((id) => `${src === "192.0.2.50" ? ">" : "<"}${Number(id)}`));
  const ack = msgs.indexOf("<129");
  assert.ok(ack > 0 && msgs[ack - 1] === ">1", msgs.join(" "));
  // CapabilitiesRes, ButtonTemplateReq, SoftKeyTemplateReq, SoftKeySetReq, ConfigStatReq, LineStatReq, SpeedDialStatReq, ForwardStatReq, TimeDateReq, RegisterAvailableLines, HeadsetStatus.
  const sent = msgs.slice(ack).filter((m) => m.startsWith(">")).map((m) => Number(m.slice(1)));
  for (const id of [0x10, 0x0e, 0x28, 0x25, 0x0c, 0x0b, 0x0a, 0x09, 0x0d, 0x2d, 0x2b]) assert.ok(sent.includes(id), `no message ${id} after RegisterAck: ${msgs.join(" ")}`);
  assert.ok(sent.indexOf(0x0d) < sent.indexOf(0x2d), "RegisterAvailableLines after TimeDateReq");
  // Signalling marked as Cisco phones mark it: DSCP CS3 (24) and CoS 3 on every SCCP segment from the phone, SYN included.
  const marks = run("tshark", ["-r", file, "-Y", "ip.src == 192.0.2.50 && tcp.dstport == 2000", "-T", "fields", "-e", "ip.dsfield.dscp", "-e", "vlan.priority"]);
  const rows = marks.stdout.trim().split("\n");
  assert.ok(rows.length >= 12, marks.stdout);
  assert.deepEqual([...new Set(rows)], ["24\t3"]);
  // TFTP error 1 is the CTL/ITL files a non-secure cluster lacks.
  const bad = run("tshark", ["-r", file, "-d", "tcp.port==2000,skinny", "-Y", "(_ws.malformed || _ws.expert.severity >= 6291456) && !(tftp.error.code == 1)"]);
  assert.equal(bad.status, 0, bad.stderr);
  assert.equal(bad.stdout.trim(), "");
});

test("tshark sees the phone's DHCP fields: message type, client MAC, options 55, 60, 61", { skip: needs("tshark") }, () => {
  const file = join(tmp, "fields.pcap");
  assert.equal(ipphone("boot", "--pcap", file).status, 0);
  const r = run("tshark", ["-r", file, ...TSHARK, "-Y", "dhcp.option.dhcp == 1 || dhcp.option.dhcp == 3", "-T", "fields", "-E", "separator=|",
    "-e", "dhcp.option.dhcp", "-e", "dhcp.hw.mac_addr", "-e", "dhcp.option.request_list_item", "-e", "dhcp.option.vendor_class_id",
    "-e", "dhcp.option.type", "-e", "dhcp.option.hostname", "-e", "dhcp.option.requested_ip_address"]);
  assert.equal(r.status, 0, r.stderr);
  const rows = r.stdout.trim().split("\n").map((l) => l.split("|"));
  assert.equal(rows.length, 2, r.stdout);
  const [discover, request] = rows;
  assert.equal(discover[0], "1");
  assert.equal(request[0], "3");
  for (const row of rows) {
    // chaddr, then option 61's MAC (hardware type 1)
    assert.equal(row[1], "00:1b:54:c2:a7:10,00:1b:54:c2:a7:10");
    // The Cisco 79xx fingerprint (FingerBank [os 300] "Cisco IP Phone")
    assert.equal(row[2], "1,66,6,3,15,150,35");
    assert.equal(row[3], "Cisco Systems, Inc. IP Phone CP-7960");
    for (const option of ["53", "55", "57", "60", "61", "12"]) assert.ok(row[4].split(",").includes(option), `option ${option} in ${row[4]}`);
    assert.equal(row[5], "SEP001B54C2A710");
  }
  assert.equal(request[6], "192.0.2.50");
});

test("an address already in use is caught by the ARP probe, declined, and another one leased", () => {
  const net = buildNetwork({ seed: 3 });
  const squatter = new Squatter("02:00:5e:00:02:99", "192.0.2.50");
  const wire = new Wire(net.scheduler);
  squatter.plug(wire, 0);
  net.switch.connect(2, wire, 1);
  net.switch.configurePort(2, { accessVlan: 110 });
  const result = bootPhone(net);
  assert.equal(result.bound, true);
  assert.deepEqual(events(net, "DECLINE"), ["192.0.2.50"]);
  assert.equal(events(net, "arp conflict").length, 1);
  assert.equal(net.phone.report().ip, "192.0.2.51");
  assert.equal(net.dhcp.isDeclined("192.0.2.50"), true);
  // RFC 2131 3.1.5: at least 10 s between the DECLINE and the next DISCOVER, by the phone's clock (whole ms).
  const t = (name: string, nth = 0) => Math.floor(net.phone.timeline.filter((e) => e.event === name)[nth].t_ms);
  assert.ok(t("DISCOVER", 1) - t("DECLINE") >= 10_000);
  assert.ok(squatter.arpReplies >= 1);
});

test("with no DHCP server the phone retransmits DISCOVER at 4, 8, 16, 32, 64, 64 s (±1 s) and stays unbound", () => {
  const net = buildNetwork({ seed: 5, dhcp: { silent: true } });
  const result = bootPhone(net, 200_000);
  assert.equal(result.bound, false);
  const times = net.phone.timeline.filter((e) => e.event === "DISCOVER").map((e) => e.t_ms);
  const gaps = times.slice(1).map((t, i) => t - times[i]);
  [4000, 8000, 16000, 32000, 64000].forEach((base, i) => {
    assert.ok(Math.abs(gaps[i] - base) <= 1000, `gap ${i} = ${gaps[i]} ms, expected ${base} ± 1000`);
  });
  assert.ok(gaps.length >= 5);
  assert.equal(net.phone.report().ip, null);
});

test("a server that NAKs everything gets no tight loop of requests", () => {
  const net = buildNetwork({ seed: 5, dhcp: { nakAll: true } });
  const result = bootPhone(net, 60_000);
  assert.equal(result.bound, false);
  const naks = events(net, "NAK").length;
  assert.ok(naks >= 3, `${naks} NAKs`);
  // After the third NAK in a row the client waits 10 s: no tight loop.
  assert.ok(naks <= 8, `${naks} NAKs in 60 s`);
});

test("the lease is renewed at T1 with the server by unicast, and survives", () => {
  const net = buildNetwork({ seed: 9, dhcp: { leaseTimeS: 120 }, pcap: true });
  assert.equal(bootPhone(net).bound, true);
  net.scheduler.run({ untilUs: net.scheduler.now + 400_000_000 });
  const capture = readPcap(net.pcap!.toBuffer())!;
  const toServer = capture.records.map((r) => parseUdpFrame(r.data)).filter((f) => f !== null && f.udp.dstPort === 67 && f.ip.dst === net.dhcp.ip);
  assert.ok(toServer.length >= 3, "renewals are unicast to the server");
  for (const f of toServer) assert.equal(macToString(f!.eth.dst), "02:00:5e:00:02:01");
  const renewals = events(net, "renew");
  assert.ok(renewals.length >= 3, `renewals: ${renewals.length}`);
  assert.equal(events(net, "rebind").length, 0);
  assert.equal(events(net, "expired").length, 0);
  assert.equal(net.phone.isBound, true);
  assert.ok(net.dhcp.stats.acks >= 4);
  assert.equal(net.dhcp.leaseOf("192.0.2.50")?.state, "bound");
});

test("when the server goes quiet the phone rebinds at T2 and gives the address up at expiry", () => {
  const net = buildNetwork({ seed: 11, dhcp: { leaseTimeS: 200 } });
  assert.equal(bootPhone(net).bound, true);
  net.dhcp.silent = true;
  net.scheduler.run({ untilUs: net.scheduler.now + 250_000_000 });
  assert.ok(events(net, "renew").length >= 1);
  assert.equal(events(net, "rebind").length, 1);
  assert.deepEqual(events(net, "expired"), ["192.0.2.50"]);
  assert.equal(net.phone.isBound, false);
});

test("after a link flap the phone asks for its address back (INIT-REBOOT) and keeps it", () => {
  const net = buildNetwork({ seed: 13 });
  assert.equal(bootPhone(net).bound, true);
  net.phone.setLink(false);
  net.scheduler.run({ untilUs: net.scheduler.now + 1_000_000 });
  net.phone.setLink(true);
  net.scheduler.run({ untilUs: net.scheduler.now + 10_000_000 });
  const requests = events(net, "REQUEST");
  assert.match(requests[requests.length - 1], /^192\.0\.2\.50 \(rebooting\)$/);
  assert.equal(events(net, "DISCOVER").length, 1, "no new DISCOVER");
  assert.equal(net.phone.isBound, true);
  assert.equal(net.phone.report().ip, "192.0.2.50");
});

test("a client waiting on ARP sends the moment the reply arrives, not at its next retry", () => {
  const net = buildNetwork({ seed: 1, pcap: true });
  assert.equal(bootPhone(net).registered, true);
  const records = readPcap(net.pcap!.toBuffer())!.records;
  const servers = [net.tftp.ip, parseIp("192.0.2.11")]; // option 150 names the TFTP server: no DNS here
  for (const server of servers) {
    const reply = records.find((r) => {
      const eth = decodeEthernet(r.data);
      const arp = eth?.etherType === ETHERTYPE_ARP ? decodeArp(eth.payload) : null;
      return arp !== null && arp.op === ARP_REPLY && arp.senderIp === server;
    });
    assert.ok(reply, `an ARP reply from ${ipToString(server)}`);
    const first = records.find((r) => {
      const eth = decodeEthernet(r.data);
      if (eth?.etherType !== ETHERTYPE_IPV4) return false;
      const ip = decodeIpv4(eth.payload);
      return ip !== null && ip.dst === server;
    });
    assert.ok(first, `a packet to ${ipToString(server)}`);
    const gapUs = first.tUs - reply.tUs;
    // The reply's arrival is the only wake-up: the packet leaves within the same millisecond (the firmware's clock).
    assert.ok(gapUs >= 0 && gapUs < 1000, `${ipToString(server)}: ${gapUs} µs from the ARP reply to the first packet`);
  }
});
