// `ipphone callmanager --listen ADDR:PORT`: the CallManager side of SCCP
// registration (host/callmanager/server.ts) on real TCP (node:net), one
// output line per connection, registration, keepalive and unregistration.
// Stops cleanly on SIGINT or SIGTERM (exit status 0).
import { createServer, type Socket } from "node:net";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { CallManagerLogic, DEFAULT_REJECT_REASON, defaultLines, type CmClock, type CmEvent, type DeviceLine } from "./server.js";
import { cnfLines } from "../sim/cnf.js";
import { SCCP_PORT } from "../wire/sccp.js";
import { ipToString } from "../wire/address.js";
import { parseCommandArgs, UsageError } from "../commands/args.js";

export const CALLMANAGER_USAGE = `  callmanager  the CallManager side of SCCP registration on real TCP; prints each registration
          --listen ADDR:PORT  where to listen (default 0.0.0.0:${SCCP_PORT}; port 0: any free port)
          --keepalive S       keepalive interval given in RegisterAck (default 30)
          --reject NAME[=WHY] answer NAME's StationRegister with RegisterReject (repeatable)
          --rate N            registrations answered per second, the others wait (default: no limit)
          --name NAME         this CallManager's name in the output (default CM)
          --lines-from DIR    a device's lines from the <lines> of DIR/<device>.cnf.xml (the TFTP
                              directory its phones read), read at each registration; else one line
                              numbered from its MAC
          --json              one JSON object per line instead of text
          stops on SIGINT or SIGTERM`;

const OPTIONS = {
  listen: { type: "string" },
  keepalive: { type: "string" },
  reject: { type: "string", multiple: true },
  rate: { type: "string" },
  name: { type: "string" },
  "lines-from": { type: "string" },
  json: { type: "boolean", default: false },
} as const;

const realClock: CmClock = {
  nowMs: () => Date.now(),
  after: (ms, fn) => {
    const t = setTimeout(fn, ms);
    return { cancel: () => clearTimeout(t) };
  },
};

export function parseListen(text: string | undefined): { host: string; port: number } {
  if (text === undefined) return { host: "0.0.0.0", port: SCCP_PORT };
  const m = /^(\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})$/.exec(text);
  const ok = m !== null && m[1].split(".").every((p) => Number(p) <= 255) && Number(m[2]) <= 65535;
  if (!ok) throw new UsageError(`--listen must look like 198.51.100.10:2000, got '${text}'`);
  return { host: m![1], port: Number(m![2]) };
}

function positive(name: string, text: string | undefined, fallback: number, max: number): number {
  if (text === undefined) return fallback;
  if (!/^\d+(\.\d+)?$/.test(text) || Number(text) <= 0 || Number(text) > max) throw new UsageError(`${name} must be a number in (0, ${max}], got '${text}'`);
  return Number(text);
}

/** One line for an event (text mode). */
export function formatCmEvent(e: CmEvent): string {
  const who = e.deviceName ?? "-";
  const when = new Date(e.tMs).toISOString();
  let what = "";
  switch (e.type) {
    case "connect": what = `from ${e.remote}`; break;
    case "ack": what = `${ipToString(e.stationIp ?? 0)} from ${e.remote} (device type ${e.deviceType}, protocol ${e.protocolVersion ?? "?"}): RegisterAck, keepalive ${e.keepAliveS}s`; break;
    case "register": what = `registered (${e.remote}): ${e.detail}`; break;
    case "reject": what = `${ipToString(e.stationIp ?? 0)} from ${e.remote}: RegisterReject "${e.detail}"`; break;
    default: what = `${e.detail ?? ""}${e.detail ? " " : ""}(${e.remote})`;
  }
  return `${when}  ${e.cm}  ${e.type.padEnd(10)} ${who}  ${what}`;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** The lines of `device` from DIR/<device>.cnf.xml (a name that could leave DIR is never read), else defaultLines. */
export function linesFrom(dir: string, device: string): DeviceLine[] {
  if (!/^[A-Za-z0-9_-]{1,15}$/.test(device)) return defaultLines(device);
  try {
    return cnfLines(readFileSync(join(dir, `${device}.cnf.xml`))) ?? defaultLines(device);
  } catch {
    return defaultLines(device);
  }
}

export async function callmanagerCommand(args: string[]): Promise<number> {
  const { values } = parseCommandArgs(args, OPTIONS);
  const { host, port } = parseListen(values.listen);
  const keepAliveS = positive("--keepalive", values.keepalive, 30, 0xffff);
  if (!Number.isInteger(keepAliveS)) throw new UsageError(`--keepalive must be whole seconds, got "${values.keepalive}"`);
  const rate = values.rate === undefined ? 0 : positive("--rate", values.rate, 0, 100_000);
  const reject = new Map<string, string>();
  for (const r of values.reject ?? []) {
    const [name, ...why] = r.split("=");
    if (!/^[\x21-\x7e]{1,15}$/.test(name)) throw new UsageError(`--reject needs a device name like SEP001B54C2A710, got '${r}'`);
    const reason = why.length > 0 ? why.join("=") : DEFAULT_REJECT_REASON;
    if (!/^[\x20-\x7e]{0,31}$/.test(reason)) throw new UsageError(`--reject reason must be printable ASCII, at most 31 characters: "${reason}"`);
    reject.set(name, reason);
  }
  const json = values.json ?? false;
  const name = values.name ?? "CM";
  const dir = values["lines-from"];
  if (dir !== undefined && !isDirectory(dir)) throw new UsageError(`--lines-from must be a directory, got '${dir}'`);
  const lines = dir === undefined ? undefined : (device: string) => linesFrom(dir, device);
  const cm = new CallManagerLogic(realClock, { name, keepAliveS, registrationsPerSecond: rate, reject, lines });
  const print = (line: string) => process.stdout.write(line + "\n");
  cm.onEvent = (e) => print(json ? JSON.stringify({ ...e, time: new Date(e.tMs).toISOString(), stationIp: e.stationIp === undefined ? undefined : ipToString(e.stationIp) }) : formatCmEvent(e));

  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    const session = cm.open(`${socket.remoteAddress?.replace(/^::ffff:/, "")}:${socket.remotePort}`);
    session.output = (bytes) => { if (!socket.destroyed) socket.write(bytes); };
    session.close = (graceful) => (graceful ? socket.end() : socket.resetAndDestroy());
    socket.on("data", (b) => session.receive(new Uint8Array(b.buffer, b.byteOffset, b.byteLength)));
    socket.on("end", () => { session.ended("closed by the phone"); socket.end(); });
    socket.on("error", (err: NodeJS.ErrnoException) => session.ended(err.code === "ECONNRESET" ? "reset by the phone" : err.message));
    socket.on("close", () => { sockets.delete(socket); session.ended("closed"); });
  });

  return await new Promise<number>((resolve) => {
    let done = false;
    const stop = (signal: string) => {
      if (done) return;
      done = true;
      process.off("SIGINT", onInt);
      process.off("SIGTERM", onTerm);
      const line = `${new Date().toISOString()}  ${name}  stopping on ${signal}: ${cm.registrations().length} registered, ${cm.stats.registrations} registrations, ${cm.stats.rejects} rejects`;
      print(json ? JSON.stringify({ type: "stop", signal, stats: cm.stats, devices: cm.devices(), standby: cm.standbys() }) : line);
      for (const s of sockets) s.destroy();
      server.close(() => resolve(0));
    };
    const onInt = () => stop("SIGINT");
    const onTerm = () => stop("SIGTERM");
    server.on("error", (err: NodeJS.ErrnoException) => {
      if (done) return;
      done = true;
      process.off("SIGINT", onInt);
      process.off("SIGTERM", onTerm);
      console.error(`ipphone callmanager: cannot listen on ${host}:${port}: ${err.code ?? err.message}`);
      resolve(1);
    });
    process.on("SIGINT", onInt);
    process.on("SIGTERM", onTerm);
    server.listen(port, host, () => {
      const a = server.address();
      const where = a !== null && typeof a === "object" ? `${a.address}:${a.port}` : `${host}:${port}`;
      const line = `${new Date().toISOString()}  ${name}  listening on ${where} (keepalive ${keepAliveS}s${rate > 0 ? `, ${rate} registrations/s` : ""}${reject.size > 0 ? `, rejecting ${[...reject.keys()].join(" ")}` : ""})`;
      print(json ? JSON.stringify({ type: "listening", address: where, keepAliveS, rate, reject: [...reject.keys()] }) : line);
    });
  });
}
