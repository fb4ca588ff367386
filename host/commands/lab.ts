// `ipphone lab up|status|down`: the namespace lab of real servers (host/lab/)
// for users and tests alike. Root only; bad usage is exit 2 before any work,
// a lab that cannot run here (not root, a tool missing) exit 3.
import { DEFAULT_LOAD } from "../sim/network.js";
import { LAB_POOL_SIZE, MAX_LAB_CALLMANAGERS } from "../lab/plan.js";
import { DHCP_SERVERS, TFTP_SERVERS, type DhcpServer, type TftpServer } from "../lab/servers.js";
import { DEFAULT_LAB_NAME, formatDown, formatStatus, formatUp, labDown, labStatus, labUp, LabUnavailable } from "../lab/manage.js";
import { parseCommandArgs, parseIntArg, UsageError } from "./args.js";

export const EXIT_LAB_UNAVAILABLE = 3;
export const LAB_SUBCOMMANDS = ["up", "status", "down"];

export const LAB_USAGE = `  lab     the namespace lab of real servers that boot and storm --link vxlan use (root only)
          up              build it: namespaces, veth underlay (MTU 1600), VXLAN, bridge, servers; prints
                          the boot and storm commands that use it
            --servers S     DHCP server: dnsmasq (default), isc (isc-dhcp-server) or kea (kea-dhcp4)
            --tftp T        TFTP server: tftpd-hpa (default) or dnsmasq
            --callmanagers N  ipphone callmanager instances, 1..${MAX_LAB_CALLMANAGERS} (default 1), on 192.0.2.11, .12, .13
            --cm-rate N     registrations each CallManager answers per second, the others wait (default: no limit)
            --load NAME     the load the configurations name (default ${DEFAULT_LOAD}, the built-in one: no
                            upgrade); its image, build/phone.wasm signed with the development key, is served
            --phones N      phones in the printed storm command, 1..201 (the pool; default 100)
          status          what is up, and whether each process it started is alive
            --json          one JSON object
          down            stop every process it started and remove its namespaces, links and files, also
                          after a crash (found by the lab's names when the state file is gone)
          --name NAME     the lab's name, a-z and 0-9, at most 8 (default ${DEFAULT_LAB_NAME}): namespaces ipplab-NAME-*,
                          state /run/ipphone-lab/NAME.json`;

export const LAB_HELP = `usage: ipphone lab up [--servers dnsmasq|isc|kea] [--tftp tftpd-hpa|dnsmasq] [--callmanagers N] [--cm-rate N] [--load NAME] [--phones N] [--name NAME]
       ipphone lab status [--json] [--name NAME]
       ipphone lab down [--name NAME]

${LAB_USAGE}

Addresses: the underlay 198.51.100.1 (phones' namespace) - 198.51.100.2 (switch namespace); servers and
phones on 192.0.2.0/24 (router and DHCP 192.0.2.1, TFTP 192.0.2.10, DNS 192.0.2.53, pool .54-.254).

exit status: 0 done (status: the lab is up and every process alive); 1 failed (status: not up, or
degraded; down: something could not be removed); 2 bad usage; 3 cannot run here (not root, a server's
program not installed, no network namespaces).`;

const OPTIONS = {
  servers: { type: "string" },
  tftp: { type: "string" },
  callmanagers: { type: "string" },
  "cm-rate": { type: "string" },
  load: { type: "string" },
  phones: { type: "string" },
  name: { type: "string" },
  json: { type: "boolean" },
} as const;

const ONLY: Record<string, string[]> = {
  servers: ["up"], tftp: ["up"], callmanagers: ["up"], "cm-rate": ["up"], load: ["up"], phones: ["up"], json: ["status"],
};

function oneOf<T extends string>(option: string, text: string | undefined, allowed: readonly T[]): T {
  if (text === undefined) return allowed[0];
  if (!(allowed as readonly string[]).includes(text)) throw new UsageError(`${option} must be ${allowed.join(", ").replace(/, ([^,]*)$/, " or $1")}, got '${text}'`);
  return text as T;
}

export async function labCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, OPTIONS, true);
  const [sub, ...extra] = positionals;
  if (sub === undefined) throw new UsageError(`needs up, status or down`);
  if (!LAB_SUBCOMMANDS.includes(sub)) throw new UsageError(`unknown subcommand '${sub}' (up, status or down)`);
  if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`);
  for (const [option, subs] of Object.entries(ONLY)) {
    if (values[option as keyof typeof values] !== undefined && !subs.includes(sub)) throw new UsageError(`--${option} goes with 'lab ${subs.join("|")}', not 'lab ${sub}'`);
  }
  const name = values.name ?? DEFAULT_LAB_NAME;
  if (!/^[a-z0-9]{1,8}$/.test(name)) throw new UsageError(`--name must be 1..8 of a-z and 0-9, got '${name}'`);
  const up = {
    name,
    dhcp: oneOf<DhcpServer>("--servers", values.servers, DHCP_SERVERS),
    tftp: oneOf<TftpServer>("--tftp", values.tftp, TFTP_SERVERS),
    callManagers: parseIntArg("--callmanagers", values.callmanagers, 1, MAX_LAB_CALLMANAGERS, 1),
    load: values.load ?? DEFAULT_LOAD,
    // A storm's phones beyond the pool would never get an address.
    stormPhones: parseIntArg("--phones", values.phones, 1, LAB_POOL_SIZE, 100),
    cmRate: parseIntArg("--cm-rate", values["cm-rate"], 0, 100_000, 0),
  };
  if (!/^[A-Za-z0-9._-]{1,31}$/.test(up.load) || up.load.startsWith(".")) throw new UsageError(`--load must be a load name like ${DEFAULT_LOAD} (1..31 of A-Z a-z 0-9 . _ -), got '${up.load}'`);
  try {
    switch (sub) {
      case "up":
        console.log(formatUp(await labUp(up)));
        return 0;
      case "status": {
        const st = labStatus(name);
        console.log(values.json ? JSON.stringify(st) : formatStatus(st));
        return st.up ? 0 : 1;
      }
      default: {
        const r = await labDown(name);
        console.log(formatDown(name, r));
        return r.remaining.length === 0 ? 0 : 1;
      }
    }
  } catch (e) {
    if (e instanceof LabUnavailable) {
      console.error(`ipphone lab ${sub}: ${e.message}`);
      return EXIT_LAB_UNAVAILABLE;
    }
    console.error(`ipphone lab ${sub}: ${(e as Error).message}`);
    return 1;
  }
}
