// Debian's Kamailio 5.6 as the lab's SIP registrar: a config generated
// into the lab's temporary directory (listen on one address, UDP and TCP
// 5060; registrar + usrloc in memory; auth_db over a db_text subscriber
// table; a ctl socket for kamcmd), run in the switch namespace in the
// foreground (-DD -E) and stopped by its PID. The route mirrors the
// simulated registrar (host/sim/sip-registrar.ts): 401 challenges with
// qop=auth and algorithm=MD5, nonce counts checked, 403 on a wrong password,
// 423 under min_expires.
import { spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { sleep, type Lab } from "./lab.js";

export const KAMAILIO = "/usr/sbin/kamailio";
export const KAMCMD = "/usr/sbin/kamcmd";
const MODULES = ["/usr/lib/x86_64-linux-gnu/kamailio/modules", "/usr/lib/kamailio/modules"].find((d) => existsSync(join(d, "registrar.so"))) ?? "/usr/lib/x86_64-linux-gnu/kamailio/modules";

export interface KamailioSubscriber {
  authName: string;
  password: string;
}

export interface KamailioOptions {
  /** The address it listens on (UDP and TCP 5060) and its realm. */
  address: string;
  subscribers: KamailioSubscriber[];
  /** Names its directory in the lab (default "kamailio"). */
  name?: string;
  minExpiresS?: number;
}

export function kamailioConfig(o: KamailioOptions, dir: string): string {
  const mods = ["ctl", "tm", "sl", "rr", "pv", "maxfwd", "textops", "siputils", "xlog", "sanity", "usrloc", "registrar", "db_text", "auth", "auth_db"];
  return `#!KAMAILIO
debug=2
log_stderror=yes
children=2
tcp_children=2
auto_aliases=no
listen=udp:${o.address}:5060
listen=tcp:${o.address}:5060
mpath="${MODULES}/"
${mods.map((m) => `loadmodule "${m}.so"`).join("\n")}
modparam("ctl", "binrpc", "unix:${join(dir, "ctl.sock")}")
modparam("usrloc", "db_mode", 0)
modparam("registrar", "min_expires", ${o.minExpiresS ?? 60})
modparam("registrar", "max_expires", 3600)
modparam("registrar", "min_expires_mode", 1)
modparam("auth", "nonce_count", 1)
modparam("auth", "algorithm", "MD5")
modparam("auth_db", "db_url", "text://${join(dir, "db")}")
modparam("auth_db", "calculate_ha1", 1)
modparam("auth_db", "password_column", "password")
modparam("auth_db", "load_credentials", "")
modparam("auth_db", "use_domain", 0)

request_route {
  if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
  if (!sanity_check("17895", "7")) { xlog("L_WARN", "malformed $rm from $si:$sp\\n"); exit; }
  xlog("L_NOTICE", "request $rm from $si:$sp ($proto) cseq $cs\\n");
  if (is_method("OPTIONS") && uri == myself) { options_reply(); exit; }
  if (is_method("REGISTER")) {
    auth_check("${o.address}", "subscriber", "0");
    $var(rc) = $rc;
    if ($var(rc) == -2) { xlog("L_NOTICE", "wrong password for $au from $si:$sp\\n"); sl_send_reply("403", "Forbidden"); exit; }
    if ($var(rc) < 0) { auth_challenge("${o.address}", "1"); exit; }
    consume_credentials();
    # save() answers itself: 200, 423, or an error.
    save("location");
    exit;
  }
  sl_send_reply("405", "Method Not Allowed");
}
`;
}

export class Kamailio {
  /** What it logged since it was ready (for failure messages). */
  log = "";

  constructor(readonly lab: Lab, readonly opts: KamailioOptions, readonly dir: string, public proc: ChildProcess) {
    this.listen();
  }

  private listen(): void {
    this.proc.stderr?.on("data", (d) => (this.log += d));
    this.proc.stdout?.on("data", (d) => (this.log += d));
  }

  get ctl(): string {
    return join(this.dir, "ctl.sock");
  }

  get pid(): number {
    return this.proc.pid!;
  }

  /** `kamcmd ul.dump` (the location table) as text. */
  ulDump(): string {
    const r = spawnSync(KAMCMD, ["-s", `unix:${this.ctl}`, "ul.dump"], { encoding: "utf8", timeout: 10_000 });
    if (r.status !== 0) throw new Error(`kamcmd ul.dump: ${r.stderr || r.error?.message}`);
    return r.stdout;
  }

  /** The location table's contacts: AoR and contact address. */
  contacts(): Array<{ aor: string; address: string; socket: string }> {
    const out: Array<{ aor: string; address: string; socket: string }> = [];
    let aor = "";
    let address = "";
    for (const line of this.ulDump().split("\n")) {
      const m = /^\s*(AoR|Address|Socket):\s*(\S+)/.exec(line);
      if (m === null) continue;
      if (m[1] === "AoR") aor = m[2];
      else if (m[1] === "Address") address = m[2];
      else out.push({ aor, address, socket: m[2] });
    }
    return out;
  }

  /** Waits (bounded) until `aor` has a contact in the location table. */
  async waitForContact(aor: string, limitMs: number): Promise<boolean> {
    const deadline = Date.now() + limitMs;
    while (Date.now() < deadline) {
      if (this.proc.exitCode === null && this.contacts().some((c) => c.aor === aor)) return true;
      await sleep(250);
    }
    return false;
  }

  /** SIGTERM to its PID, then waits (bounded) for it to exit. */
  async stop(): Promise<void> {
    const p = this.proc;
    if (p.exitCode !== null || p.signalCode !== null) return;
    p.kill("SIGTERM");
    const deadline = Date.now() + 5000;
    while (p.exitCode === null && p.signalCode === null && Date.now() < deadline) await sleep(50);
    if (p.exitCode === null && p.signalCode === null) p.kill("SIGKILL");
  }

  /** Starts it again with the same configuration (an empty location table). */
  async restart(): Promise<void> {
    await this.stop();
    this.proc = await launch(this.lab, this.opts, this.dir);
    this.listen();
  }
}

/** Writes the config and the db_text tables into the lab's directory and starts Kamailio in the switch namespace. */
export async function startKamailio(lab: Lab, opts: KamailioOptions): Promise<Kamailio> {
  const dir = lab.file(opts.name ?? "kamailio");
  mkdirSync(join(dir, "db"), { recursive: true });
  writeFileSync(join(dir, "kamailio.cfg"), kamailioConfig(opts, dir));
  writeFileSync(join(dir, "db", "version"), "table_name(str) table_version(int)\nsubscriber:7\n");
  const rows = opts.subscribers.map((s, i) => `${i + 1}:${dbText(s.authName)}:${opts.address}:${dbText(s.password)}::`);
  writeFileSync(join(dir, "db", "subscriber"), ["id(int,auto) username(str) domain(str) password(str) ha1(str,null) ha1b(str,null)", ...rows, ""].join("\n"));
  return new Kamailio(lab, opts, dir, await launch(lab, opts, dir));
}

async function launch(lab: Lab, opts: KamailioOptions, dir: string): Promise<ChildProcess> {
  const ctl = join(dir, "ctl.sock");
  spawnSync("rm", ["-f", ctl]);
  return lab.start(`kamailio ${opts.address}`, [KAMAILIO, "-DD", "-E", "-f", join(dir, "kamailio.cfg"), "-Y", dir, "-P", join(dir, "kamailio.pid"), "-m", "32", "-M", "4"],
    () => existsSync(ctl) && lab.inSwitch("ss", "-ltn").includes(`${opts.address}:5060`), 15_000);
}

/** db_text escapes ':' and '\\' in strings. */
function dbText(s: string): string {
  return s.replace(/\\/g, "\\\\").replace(/:/g, "\\:");
}
