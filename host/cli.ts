// The `ipphone` command.
import { parseArgs } from "node:util";
import { writeFileSync } from "node:fs";
import { buildNetwork, bootPhone, DEFAULT_PHONE_MAC } from "./sim/network.js";
import { formatEntry } from "./events.js";
import { parseMac } from "./sim/packets.js";
import type { PhoneReport } from "./phone.js";

const USAGE = `usage: ipphone <command> [options]

commands:
  boot    boot one phone on the built-in simulated network and print its timeline
          --mac M       the phone's MAC (default ${DEFAULT_PHONE_MAC})
          --seed N      seed of the simulation (default 1): same seed, same run
          --pcap FILE   write what crossed the phone's port as a pcap file
          --json        print one JSON report instead of the timeline
  help    this text

exit status of boot: 0 when the phone got an address, 1 when it did not, 2 on bad usage.`;

class UsageError extends Error {}

function parseSeed(text: string | undefined): number {
  if (text === undefined) return 1;
  if (!/^\d+$/.test(text) || Number(text) > 0xffffffff) throw new UsageError(`--seed must be an integer 0..4294967295, got "${text}"`);
  return Number(text);
}

function checkMac(text: string | undefined): string {
  if (text === undefined) return DEFAULT_PHONE_MAC;
  try {
    parseMac(text);
  } catch {
    throw new UsageError(`--mac must look like 00:1b:54:c2:a7:10, got "${text}"`);
  }
  return text;
}

function tftpSummary(r: PhoneReport): string {
  const list = r.tftp_servers.map((s) => `${s} (option 150)`);
  if (r.tftp_server_name) list.push(`${r.tftp_server_name} (option 66)`);
  return list.join(", ") || "none offered";
}

function boot(args: string[]): number {
  const { values } = parseArgs({
    args,
    options: {
      mac: { type: "string" },
      seed: { type: "string" },
      pcap: { type: "string" },
      json: { type: "boolean", default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const seed = parseSeed(values.seed);
  const mac = checkMac(values.mac);
  const json = values.json ?? false;
  const net = buildNetwork({
    seed,
    mac,
    pcap: values.pcap !== undefined,
    phone: json ? {} : { onEvent: (e) => console.log(formatEntry(e)) },
  });
  const result = bootPhone(net);
  if (values.pcap !== undefined && net.pcap) writeFileSync(values.pcap, net.pcap.toBuffer());
  const report = { seed, ...net.phone.report(), bound_at_ms: result.boundAtMs };
  if (json) {
    console.log(JSON.stringify(report, null, 2));
  } else {
    const c = report.counters;
    console.log(result.bound
      ? `phone ${report.mac} bound to ${report.ip}/${report.mask} at t=${((result.boundAtMs ?? 0) / 1000).toFixed(3)}s; TFTP ${tftpSummary(report)}`
      : `phone ${report.mac} got no address (last stage: ${report.stage})`);
    console.log(`frames in ${c.frames_in}, out ${c.frames_out}, dropped ${JSON.stringify(c.dropped)}`);
    if (values.pcap !== undefined) console.log(`capture written to ${values.pcap} (open it with: wireshark ${values.pcap})`);
  }
  return result.bound ? 0 : 1;
}

export function main(argv: string[]): number {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "boot": return boot(rest);
      case undefined: case "help": case "--help": case "-h":
        console.log(USAGE);
        return command === undefined ? 2 : 0;
      default: throw new UsageError(`unknown command "${command}"`);
    }
  } catch (e) {
    const err = e as Error & { code?: string };
    if (e instanceof UsageError || err.code?.startsWith("ERR_PARSE_ARGS")) {
      console.error(`ipphone: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    throw e;
  }
}
