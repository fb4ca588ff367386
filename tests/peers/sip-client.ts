// A minimal SIP REGISTER client for the lab (run inside a namespace with
// `node dist/tests/peers/sip-client.js`): REGISTER per RFC 3261 10.2, the
// 401's digest answered (RFC 2617, qop=auth), the final answer printed.
// Prints one JSON object: every message sent and received, as text.
// Every wait is bounded: UDP requests are sent again at 500 ms, 1 s, 2 s
// (Timer E) and given up after 4 s; TCP waits 4 s.
import { createSocket } from "node:dgram";
import { connect, type Socket } from "node:net";
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { digestResponse, emitSip, header, parseDigest, parseSip, SipStreamFramer, type SipMessage } from "../../host/wire/sip.js";

const { values } = parseArgs({
  options: {
    server: { type: "string" }, local: { type: "string" }, transport: { type: "string", default: "udp" }, user: { type: "string" },
    auth: { type: "string" }, password: { type: "string" }, expires: { type: "string", default: "3600" }, port: { type: "string", default: "5062" },
  },
});
const server = values.server!;
const local = values.local!;
const transport = values.transport === "tcp" ? "TCP" : "UDP";
const localPort = Number(values.port);
const log: Array<{ dir: "sent" | "got"; text: string }> = [];
const callId = `${randomBytes(6).toString("hex")}@${local}`;
const tag = randomBytes(4).toString("hex");

function request(cseq: number, authorization?: string): Uint8Array {
  const headers: Array<[string, string]> = [
    ["Via", `SIP/2.0/${transport} ${local}:${localPort};branch=z9hG4bK${randomBytes(6).toString("hex")};rport`],
    ["Max-Forwards", "70"],
    ["From", `<sip:${values.user}@${server}>;tag=${tag}`],
    ["To", `<sip:${values.user}@${server}>`],
    ["Call-ID", callId],
    ["CSeq", `${cseq} REGISTER`],
    ["Contact", `<sip:${values.user}@${local}:${localPort}${transport === "TCP" ? ";transport=tcp" : ""}>`],
    ["Expires", values.expires!],
    ...(authorization ? [["Authorization", authorization] as [string, string]] : []),
    ["User-Agent", "ipphone-lab-client"],
    ["Content-Length", "0"],
  ];
  return emitSip({ method: "REGISTER", uri: `sip:${server}`, headers, body: new Uint8Array(0) });
}

function authorization(challenge: SipMessage): string {
  const c = parseDigest(header(challenge, "www-authenticate") ?? "");
  if (c === null) throw new Error("401 without a Digest challenge");
  const uri = `sip:${server}`;
  const cnonce = randomBytes(4).toString("hex");
  const qop = (c.get("qop") ?? "").split(",").map((s) => s.trim()).includes("auth") ? "auth" as const : undefined;
  const nc = "00000001";
  const response = digestResponse({ username: values.auth!, realm: c.get("realm")!, password: values.password!, method: "REGISTER", uri, nonce: c.get("nonce")!, qop, nc, cnonce });
  return `Digest username="${values.auth}", realm="${c.get("realm")}", nonce="${c.get("nonce")}", uri="${uri}", response="${response}", algorithm=MD5`
    + (qop ? `, cnonce="${cnonce}", qop=auth, nc=${nc}` : "");
}

/** Sends one request and resolves with its final response (null after 4 s). */
type Exchange = (bytes: Uint8Array) => Promise<SipMessage | null>;

function udpExchange(): { exchange: Exchange; close(): void } {
  const sock = createSocket("udp4");
  sock.bind(localPort, local);
  let waiting: ((m: SipMessage) => void) | null = null;
  sock.on("message", (b) => {
    const p = parseSip(b);
    log.push({ dir: "got", text: b.toString("latin1") });
    if (p.ok && p.msg.status !== undefined && p.msg.status >= 200) waiting?.(p.msg);
  });
  const exchange: Exchange = (bytes) => new Promise((resolve) => {
    const timers: NodeJS.Timeout[] = [];
    const done = (m: SipMessage | null) => { timers.forEach(clearTimeout); waiting = null; resolve(m); };
    waiting = done;
    for (const at of [0, 500, 1500, 3500]) timers.push(setTimeout(() => { log.push({ dir: "sent", text: Buffer.from(bytes).toString("latin1") }); sock.send(bytes, 5060, server); }, at));
    timers.push(setTimeout(() => done(null), 4000));
  });
  return { exchange, close: () => sock.close() };
}

async function tcpExchange(): Promise<{ exchange: Exchange; close(): void }> {
  const sock: Socket = await new Promise((resolve, reject) => {
    const s = connect({ host: server, port: 5060, localAddress: local, localPort }, () => resolve(s));
    s.on("error", reject);
  });
  const framer = new SipStreamFramer();
  let waiting: ((m: SipMessage) => void) | null = null;
  sock.on("data", (b) => {
    for (const f of framer.push(b)) {
      if (f.kind !== "message") continue;
      log.push({ dir: "got", text: Buffer.from(f.bytes).toString("latin1") });
      const p = parseSip(f.bytes);
      if (p.ok && p.msg.status !== undefined && p.msg.status >= 200) waiting?.(p.msg);
    }
  });
  const exchange: Exchange = (bytes) => new Promise((resolve) => {
    const t = setTimeout(() => { waiting = null; resolve(null); }, 4000);
    waiting = (m) => { clearTimeout(t); waiting = null; resolve(m); };
    log.push({ dir: "sent", text: Buffer.from(bytes).toString("latin1") });
    sock.write(bytes);
  });
  return { exchange, close: () => sock.destroy() };
}

async function main(): Promise<void> {
  const t = transport === "UDP" ? udpExchange() : await tcpExchange();
  let final: SipMessage | null = await t.exchange(request(1));
  if (final?.status === 401) final = await t.exchange(request(2, authorization(final)));
  t.close();
  process.stdout.write(JSON.stringify({ status: final?.status ?? null, reason: final?.reason ?? null, log }) + "\n");
}

main().catch((e) => {
  process.stdout.write(JSON.stringify({ status: null, error: String(e), log }) + "\n");
  process.exitCode = 1;
});
