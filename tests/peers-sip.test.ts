// SIP registration against a real registrar: Debian's Kamailio 5.6 in the
// lab's switch namespace (tests/peers/kamailio.ts). First the lab itself,
// proved with a minimal REGISTER client (tests/peers/sip-client.ts) from
// the reference client's namespace: 401, digest, 200, the contact in
// `kamcmd ul.dump`, 403 on a wrong password, 423 under min_expires, and
// tshark reading it all. Then the phone over the VXLAN link, booted from
// dnsmasq's DHCP and TFTP with a SIP SEP file naming Kamailio: registered,
// a wrong password, failover to a second Kamailio and back to the first
// once it returns (its binding at the second removed). The phone's tests need
// the firmware's SIP stage (assembly/phone/sip.ts, branch sip-fw) and are
// skipped, saying so, where it is not there.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ROOT, run } from "./helpers/tools.js";
import { CLIENT_IP, explain, labUnavailable, SERVER_IP, sleep, stopGently, withLab, type Lab, type PhoneRun } from "./peers/lab.js";
import { KAMAILIO, KAMCMD, startKamailio } from "./peers/kamailio.js";
import { cnfXml } from "../host/sim/cnf.js";
import { DEFAULT_LOAD } from "../host/sim/network.js";

const CLIENT = fileURLToPath(new URL("./peers/sip-client.js", import.meta.url));
const SUBSCRIBERS = [{ authName: "sep1001", password: "s3cret" }, { authName: "1002", password: "other" }];
const SECOND_IP = "192.0.2.2";
const MAC = "00:1b:54:c2:a7:61";
const DEVICE = "SEP001B54C2A761";

const labSkip = labUnavailable(KAMAILIO, KAMCMD, "tshark", "dnsmasq");
const FIRMWARE_SIP = join(ROOT, "assembly/phone/sip.ts");
const phoneSkip = labSkip || (existsSync(FIRMWARE_SIP) ? false : "waits for the firmware's SIP stage (assembly/phone/sip.ts, branch sip-fw)");

interface ClientRun {
  status: number | null;
  reason: string | null;
  log: Array<{ dir: "sent" | "got"; text: string }>;
}

function client(lab: Lab, ...args: string[]): ClientRun {
  return JSON.parse(lab.inClient(process.execPath, CLIENT, "--server", SERVER_IP, "--local", CLIENT_IP, ...args)) as ClientRun;
}

const got = (r: ClientRun, status: number) => r.log.find((m) => m.dir === "got" && m.text.startsWith(`SIP/2.0 ${status} `))?.text ?? "";

/** tshark's reading of a SIP capture: one row per message (method or status, CSeq, Authorization present), and anything malformed. */
function tsharkSip(pcap: string): { rows: string[][]; bad: string } {
  const r = run("tshark", ["-r", pcap, "-Y", "sip", "-T", "fields", "-E", "separator=|", "-e", "sip.Method", "-e", "sip.Status-Code", "-e", "sip.CSeq.method", "-e", "sip.Authorization", "-e", "sip.auth.qop"]);
  assert.equal(r.status, 0, r.stderr);
  const bad = run("tshark", ["-r", pcap, "-Y", "_ws.malformed || (sip && _ws.expert.severity >= 6291456)"]);
  return { rows: r.stdout.trim().split("\n").filter(Boolean).map((l) => l.split("|")), bad: bad.stdout.trim() };
}

test("Kamailio 5.6 in the lab: a REGISTER client gets 401, answers the digest, 200; ul.dump shows the contact; 403 and 423; tshark reads every message", { skip: labSkip, timeout: 120_000 }, async () => {
  await withLab({ client: true }, async (lab) => {
    const kam = await startKamailio(lab, { address: SERVER_IP, subscribers: SUBSCRIBERS });
    const pcap = lab.file("sip.pcap");
    const tshark = await lab.capture(pcap, "port 5060");
    await sleep(100);
    const udp = client(lab, "--user", "1001", "--auth", "sep1001", "--password", "s3cret", "--port", "5062");
    assert.equal(udp.status, 200, JSON.stringify(udp.log, null, 1));
    // The challenge, as a phone must take it: realm, nonce, qop="auth", algorithm=MD5; the To tagged.
    assert.match(got(udp, 401), /\r\nWWW-Authenticate: Digest realm="192\.0\.2\.1", nonce="[A-Za-z0-9+/=]+", qop="auth", algorithm=MD5\r\n/);
    assert.match(got(udp, 401), new RegExp(`\r\nVia: SIP/2.0/UDP ${CLIENT_IP}:5062;branch=z9hG4bK[0-9a-f]+;rport=5062;received=${CLIENT_IP}\r\n`));
    assert.match(got(udp, 200), new RegExp(`\r\nContact: <sip:1001@${CLIENT_IP}:5062>;expires=3600\r\n`));
    assert.deepEqual(kam.contacts(), [{ aor: "1001", address: `sip:1001@${CLIENT_IP}:5062`, socket: `udp:${SERVER_IP}:5060` }]);

    const tcp = client(lab, "--transport", "tcp", "--user", "1002", "--auth", "1002", "--password", "other", "--port", "5064");
    assert.equal(tcp.status, 200, JSON.stringify(tcp.log, null, 1));
    assert.ok(kam.contacts().some((c) => c.aor === "1002" && c.address === `sip:1002@${CLIENT_IP}:5064;transport=tcp` && c.socket === `tcp:${SERVER_IP}:5060`), kam.ulDump());

    const wrong = client(lab, "--user", "1001", "--auth", "sep1001", "--password", "wrong", "--port", "5066");
    assert.deepEqual([wrong.status, wrong.reason], [403, "Forbidden"]);
    const brief = client(lab, "--user", "1001", "--auth", "sep1001", "--password", "s3cret", "--port", "5068", "--expires", "30");
    assert.equal(brief.status, 423);
    assert.match(got(brief, 423), /\r\nMin-Expires: 60\r\n/);
    // A second contact of an AOR: Kamailio's 200 OK lists both in one Contact header, comma-separated.
    const second = client(lab, "--user", "1001", "--auth", "sep1001", "--password", "s3cret", "--port", "5070", "--expires", "120");
    assert.equal(second.status, 200, `${JSON.stringify(second.log, null, 1)}\n${kam.log}`);
    assert.match(got(second, 200), new RegExp(`\r\nContact: <sip:1001@${CLIENT_IP}:5062>;expires=\\d+, <sip:1001@${CLIENT_IP}:5070>;expires=120\r\n`));
    assert.equal(kam.contacts().filter((c) => c.aor === "1001").length, 2);

    await sleep(500);
    await stopGently(tshark);
    const { rows, bad } = tsharkSip(pcap);
    assert.equal(bad, "", "tshark finds nothing malformed");
    // Per REGISTER transaction: the first has no Authorization, its answer is 401; the next carries Authorization with qop auth.
    const registers = rows.filter((r) => r[0] === "REGISTER");
    assert.equal(registers.length, 10, rows.join("\n"));
    assert.deepEqual(registers.map((r) => r[3] !== ""), [false, true, false, true, false, true, false, true, false, true]);
    assert.ok(registers.filter((r) => r[3] !== "").every((r) => r[4] === "auth"));
    assert.deepEqual(rows.filter((r) => r[1] !== "").map((r) => r[1]), ["401", "200", "401", "200", "401", "403", "401", "423", "401", "200"]);
  });
});

// ---------------------------------------------------------------- the phone (needs the firmware's SIP stage)

interface PhoneLab {
  lab: Lab;
  pcap: string;
}

/** dnsmasq's DHCP (option 150) and TFTP serving a SIP SEP file for the phone's line 1001. */
async function phoneServers(lab: Lab, password: string, proxies: string[], transport: "tcp" | "udp", expiresS?: number): Promise<PhoneLab> {
  const root = lab.file("tftp");
  mkdirSync(root);
  writeFileSync(join(root, `${DEVICE}.cnf.xml`), cnfXml({
    protocol: "SIP", sipTransport: transport, ...(expiresS !== undefined ? { sipExpires: expiresS } : {}), load: DEFAULT_LOAD, callManagers: proxies.map((host, i) => ({ host, priority: i })),
    lines: [{ dirNumber: "1001", displayName: "Lab 1001", authName: "sep1001", password }],
  }));
  await lab.start("dnsmasq", ["dnsmasq", "--keep-in-foreground", "--log-facility=-", "--user=root", "--no-resolv", "--no-hosts", "--port=0",
    `--interface=${lab.serverIf}`, "--bind-interfaces", "--dhcp-range=192.0.2.50,192.0.2.99,255.255.255.0,2m", `--dhcp-option=150,${SERVER_IP}`,
    "--enable-tftp", `--tftp-root=${root}`, `--dhcp-leasefile=${lab.file("leases")}`, `--pid-file=${lab.file("dnsmasq.pid")}`], () => lab.read("dnsmasq.pid") !== "");
  return { lab, pcap: lab.file("phone.pcap") };
}

type Timeline = Array<{ t_ms: number; stage: string; event: string; detail: string }>;
const timeline = (r: PhoneRun) => ((r.report?.timeline ?? []) as Timeline);

test("the phone boots over VXLAN from dnsmasq, registers line 1001 with Kamailio over TCP; ul.dump shows its contact; tshark: no malformed field, Authorization after the 401", { skip: phoneSkip, timeout: 180_000 }, async () => {
  await withLab({}, async (lab) => {
    const kam = await startKamailio(lab, { address: SERVER_IP, subscribers: SUBSCRIBERS });
    const { pcap } = await phoneServers(lab, "s3cret", [SERVER_IP], "tcp");
    const phone = await lab.phone(0, "--mac", MAC, "--until", "registered", "--pcap", pcap, "--stay", "2");
    assert.equal(phone.status, 0, explain(phone));
    const contacts = kam.contacts().filter((c) => c.aor === "1001");
    assert.equal(contacts.length, 1, kam.ulDump());
    assert.match(contacts[0].address, /^sip:1001@192\.0\.2\.(5\d|[6-9]\d)(:\d+)?(;.*)?$/, "the phone's leased address");
    assert.equal(contacts[0].socket, `tcp:${SERVER_IP}:5060`);
    const { rows, bad } = tsharkSip(pcap);
    assert.equal(bad, "", "tshark finds nothing malformed in what the phone sent and got");
    const first401 = rows.findIndex((r) => r[1] === "401");
    assert.ok(first401 > 0, rows.join("\n"));
    const after = rows.slice(first401 + 1).find((r) => r[0] === "REGISTER");
    assert.ok(after !== undefined && after[3].startsWith("Digest "), `the REGISTER after the 401 carries Authorization:\n${rows.join("\n")}`);
    assert.ok(rows.some((r) => r[1] === "200" && r[2] === "REGISTER"));
  });
});

test("the phone with a wrong password: Kamailio's 403 ends in a named auth failure on the phone's timeline, a bounded number of tries, no hang", { skip: phoneSkip, timeout: 180_000 }, async () => {
  await withLab({}, async (lab) => {
    const kam = await startKamailio(lab, { address: SERVER_IP, subscribers: SUBSCRIBERS });
    const { pcap } = await phoneServers(lab, "not-the-password", [SERVER_IP], "tcp");
    const started = Date.now();
    const phone = await lab.phone(0, "--mac", MAC, "--until", "registered", "--pcap", pcap, "--timeout", "40");
    assert.notEqual(phone.status, 0, "not registered");
    assert.ok(Date.now() - started < 60_000, "the run ends");
    const failure = timeline(phone).find((e) => /403|forbidden|auth/i.test(`${e.event} ${e.detail}`));
    assert.ok(failure, `a named auth failure:\n${explain(phone)}`);
    assert.deepEqual(kam.contacts(), []);
    const { rows, bad } = tsharkSip(pcap);
    assert.equal(bad, "");
    const withAuth = rows.filter((r) => r[0] === "REGISTER" && r[3] !== "");
    assert.ok(withAuth.length >= 1 && withAuth.length <= 4, `tries with the wrong password are few (${withAuth.length}):\n${rows.join("\n")}`);
  });
});

test("Kamailio stopped mid-run: the phone fails over to the second proxy, and once the first is back it registers there again and removes its binding at the second", { skip: phoneSkip, timeout: 300_000 }, async () => {
  await withLab({}, async (lab) => {
    lab.inSwitch("ip", "addr", "add", `${SECOND_IP}/24`, "dev", lab.serverIf);
    const first = await startKamailio(lab, { address: SERVER_IP, subscribers: SUBSCRIBERS, name: "kamailio-1" });
    const second = await startKamailio(lab, { address: SECOND_IP, subscribers: SUBSCRIBERS, name: "kamailio-2" });
    await phoneServers(lab, "s3cret", [SERVER_IP, SECOND_IP], "tcp", 60);
    const running = lab.phone(0, "--mac", MAC, "--until", "registered", "--stay", "200");
    assert.ok(await first.waitForContact("1001", 60_000), "registered with the first proxy");
    await first.stop();
    assert.ok(await second.waitForContact("1001", 60_000), `registered with the second proxy after the first stopped:\n${second.ulDump()}`);
    await first.restart();
    const back = Date.now();
    // On a backup the phone tries the first proxy every 30 s (SCCP's PRIMARY_RETRY), a probe waiting for a refresh due
    // within Timer F (32 s): back within both and a few round trips.
    assert.ok(await first.waitForContact("1001", 75_000), `the first proxy's location table:\n${first.ulDump()}\n${first.log}`);
    const deadline = Date.now() + 10_000;
    while (second.contacts().some((c) => c.aor === "1001") && Date.now() < deadline) await sleep(250);
    assert.deepEqual(second.contacts().filter((c) => c.aor === "1001"), [], `the binding at the second proxy removed (REGISTER with Expires: 0):\n${second.ulDump()}`);
    console.log(`# back on the first proxy ${((Date.now() - back) / 1000).toFixed(1)} s after it restarted`);
    // The phone stays on for --stay; the lab stops it by its PID.
    await lab.down();
    await running;
  });
});
