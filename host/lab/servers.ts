// The lab's DHCP, DNS and TFTP servers, real ones, chosen by name: how each
// is started (its command line, and the configuration file it needs) and
// how to tell that it is ready. dnsmasq is always the DNS server (option 66
// names the TFTP server by name); it is the DHCP and TFTP server too when
// chosen. Every server listens only on the lab's br0 in its namespace.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LAB_DNS_IP, LAB_DOMAIN, LAB_POOL, LAB_TFTP_IP, LAB_TFTP_NAME, SERVER_IP } from "./plan.js";

export const DHCP_SERVERS = ["dnsmasq", "isc", "kea"] as const;
export const TFTP_SERVERS = ["tftpd-hpa", "dnsmasq"] as const;
export type DhcpServer = (typeof DHCP_SERVERS)[number];
export type TftpServer = (typeof TFTP_SERVERS)[number];

/** What a launcher needs of the lab: where to write, which interface, what listens on UDP. */
export interface ServerContext {
  dir: string;
  tftpRoot: string;
  serverIf: string;
  /** `ss -uln` in the switch namespace. */
  listeningUdp: () => string;
  /** Names resolved by the lab's DNS (name -> address). */
  hosts: Record<string, string>;
}

export interface Launcher {
  /** Its name in the state file and in `status`. */
  name: string;
  /** What it serves here: "DHCP, DNS", "TFTP". */
  role: string;
  argv: string[];
  ready: (log: string) => boolean;
}

/** The program a server's name runs, and the Debian package that ships it. */
export const TOOLS: Record<string, { tool: string; pkg: string }> = {
  dnsmasq: { tool: "dnsmasq", pkg: "dnsmasq-base" },
  isc: { tool: "dhcpd", pkg: "isc-dhcp-server" },
  kea: { tool: "kea-dhcp4", pkg: "kea-dhcp4-server" },
  "tftpd-hpa": { tool: "in.tftpd", pkg: "tftpd-hpa" },
};

/** The servers a choice runs: one dnsmasq (DNS, and DHCP and/or TFTP when chosen), the other DHCP and TFTP servers. */
export function launchers(dhcp: DhcpServer, tftp: TftpServer, ctx: ServerContext): Launcher[] {
  const out = [dnsmasq(ctx, dhcp === "dnsmasq", tftp === "dnsmasq")];
  if (dhcp === "isc") out.push(iscDhcpd(ctx));
  if (dhcp === "kea") out.push(kea(ctx));
  if (tftp === "tftpd-hpa") out.push(tftpdHpa(ctx));
  return out;
}

/** The programs a choice needs. */
export function toolsFor(dhcp: DhcpServer, tftp: TftpServer): { tool: string; pkg: string }[] {
  return [...new Set(["dnsmasq", dhcp, tftp])].map((s) => TOOLS[s]);
}

function dnsmasq(ctx: ServerContext, dhcp: boolean, tftp: boolean): Launcher {
  const pid = join(ctx.dir, "dnsmasq.pid");
  const names = Object.entries(ctx.hosts).map(([name, ip]) => `--address=/${name}/${ip}`);
  const dhcpArgs = !dhcp ? [] : [
    "--dhcp-authoritative", "--no-ping", "--dhcp-lease-max=1000",
    `--dhcp-range=${LAB_POOL.start},${LAB_POOL.end},${LAB_POOL.mask},1h`, `--dhcp-option=3,${SERVER_IP}`, `--dhcp-option=6,${LAB_DNS_IP}`,
    `--dhcp-option=15,${LAB_DOMAIN}`, `--dhcp-option=150,${LAB_TFTP_IP}`, `--dhcp-option=66,${LAB_TFTP_NAME}`,
    `--dhcp-leasefile=${join(ctx.dir, "dnsmasq.leases")}`,
  ];
  const tftpArgs = tftp ? ["--enable-tftp", `--tftp-root=${ctx.tftpRoot}`, "--tftp-max=500"] : [];
  return {
    name: "dnsmasq",
    role: ["DNS", dhcp ? "DHCP" : "", tftp ? "TFTP" : ""].filter(Boolean).join(", "),
    argv: ["dnsmasq", "--keep-in-foreground", "--log-facility=-", "--user=root", "--no-resolv", "--no-hosts",
      `--interface=${ctx.serverIf}`, "--bind-interfaces", ...names, ...dhcpArgs, ...tftpArgs, `--pid-file=${pid}`],
    ready: () => readOr(pid) !== "",
  };
}

/** isc-dhcp-server's configuration: option 150 declared as it should be, a list of addresses. */
export function dhcpdConf(): string {
  return `# ipphone lab: isc-dhcp-server for the phones on 192.0.2.0/24
option voip-tftp-server code 150 = array of ip-address;
authoritative;
default-lease-time 3600;
max-lease-time 3600;
ping-check false;
subnet 192.0.2.0 netmask ${LAB_POOL.mask} {
  range ${LAB_POOL.start} ${LAB_POOL.end};
  option routers ${SERVER_IP};
  option domain-name-servers ${LAB_DNS_IP};
  option domain-name "${LAB_DOMAIN}";
  option voip-tftp-server ${LAB_TFTP_IP};
  option tftp-server-name "${LAB_TFTP_NAME}";
}
`;
}

function iscDhcpd(ctx: ServerContext): Launcher {
  const conf = join(ctx.dir, "dhcpd.conf");
  const leases = join(ctx.dir, "dhcpd.leases");
  const pid = join(ctx.dir, "dhcpd.pid");
  writeFileSync(conf, dhcpdConf());
  writeFileSync(leases, "");
  return {
    name: "dhcpd", role: "DHCP",
    argv: ["dhcpd", "-f", "-4", "-cf", conf, "-lf", leases, "-pf", pid, ctx.serverIf],
    ready: () => readOr(pid) !== "",
  };
}

/** Kea's configuration: raw sockets on br0, a memfile lease file in the lab, option 150 defined as addresses. */
export function keaConf(ctx: Pick<ServerContext, "dir" | "serverIf">): object {
  return {
    Dhcp4: {
      "interfaces-config": { interfaces: [ctx.serverIf], "dhcp-socket-type": "raw" },
      "lease-database": { type: "memfile", persist: true, name: join(ctx.dir, "kea-leases4.csv"), "lfc-interval": 0 },
      "valid-lifetime": 3600,
      "option-def": [{ name: "cisco-tftp-servers", code: 150, type: "ipv4-address", array: true, space: "dhcp4" }],
      subnet4: [{
        id: 1,
        subnet: "192.0.2.0/24",
        pools: [{ pool: `${LAB_POOL.start} - ${LAB_POOL.end}` }],
        "option-data": [
          { name: "routers", data: SERVER_IP },
          { name: "domain-name-servers", data: LAB_DNS_IP },
          { name: "domain-name", data: LAB_DOMAIN },
          { name: "cisco-tftp-servers", code: 150, space: "dhcp4", data: LAB_TFTP_IP },
          { name: "tftp-server-name", data: LAB_TFTP_NAME },
        ],
      }],
      loggers: [{ name: "kea-dhcp4", output_options: [{ output: "stdout" }], severity: "INFO" }],
    },
  };
}

function kea(ctx: ServerContext): Launcher {
  const conf = join(ctx.dir, "kea-dhcp4.conf");
  writeFileSync(conf, JSON.stringify(keaConf(ctx), null, 2) + "\n");
  // `env` execs, so the PID stays Kea's; its PID and lock files go into the lab's directory.
  return {
    name: "kea-dhcp4", role: "DHCP",
    argv: ["env", `KEA_PIDFILE_DIR=${ctx.dir}`, `KEA_LOCKFILE_DIR=${ctx.dir}`, "kea-dhcp4", "-c", conf],
    ready: (log) => /DHCP4_STARTED/.test(log),
  };
}

function tftpdHpa(ctx: ServerContext): Launcher {
  return {
    name: "tftpd-hpa", role: "TFTP",
    argv: ["in.tftpd", "--foreground", "--address", `${LAB_TFTP_IP}:69`, "--secure", "--verbose", ctx.tftpRoot],
    ready: () => ctx.listeningUdp().includes(`${LAB_TFTP_IP}:69`),
  };
}

function readOr(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}
