// The phone on an emulated board (QEMU's mps2-an386, host/device/board/):
// the firmware runs on the board on its own, in real time, with its own
// Ethernet MAC on a tap; the host only reads its console. Each console line
// (protocol: board/mps2-an386/board.c) becomes what PhoneBase would have
// seen had it driven the firmware itself, so the timeline and the report
// are `ipphone boot`'s.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { COUNTER_NAMES, type Counters } from "../counters.js";
import { Flash } from "../flash.js";
import type { Timer } from "../sim/scheduler.js";
import type { Clock, PhoneOptions } from "../phone.js";
import { PhoneBase, type BootChoice, type FirmwareEvent, type RunningFirmware } from "../phone-base.js";
import { RealTimeClock } from "../links/realtime.js";

export const BOARDS = ["mps2-an386"] as const;
export type Board = (typeof BOARDS)[number];
const DEVICE_DIR = fileURLToPath(new URL("../../../build/device/", import.meta.url));
/** The board's program (make -C host/device mps2). */
export const BOARD_ELF: Record<Board, string> = { "mps2-an386": DEVICE_DIR + "ipphone-mps2-an386.elf" };
/** The NOR flash is the board's 16 MiB PSRAM, backed by this file. */
export const BOARD_FLASH_BYTES = 16 * 1024 * 1024;

/** The Debian packages a board run needs that this machine lacks, said as a skip reason; or false. */
export function boardToolsMissing(): string | false {
  const need: [string, string][] = [["qemu-system-arm", "qemu-system-arm"], ["arm-none-eabi-gcc", "gcc-arm-none-eabi"], ["wasm2c", "wabt"], ["make", "make"]];
  const missing = need.filter(([tool]) => spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0).map(([, pkg]) => pkg);
  if (missing.length === 0 && spawnSync("sh", ["-c", "arm-none-eabi-gcc -specs=nano.specs -print-file-name=libc_nano.a | grep -q /"]).status !== 0) missing.push("libnewlib-arm-none-eabi");
  return missing.length ? `the board needs the Debian packages ${missing.join(", ")}` : false;
}

/** Builds the board's program (incremental). Why it failed, or false. */
export function buildBoard(): string | false {
  const missing = boardToolsMissing();
  if (missing) return missing;
  const r = spawnSync("make", ["-s", "-C", fileURLToPath(new URL("../../../host/device", import.meta.url)), "mps2"], { encoding: "utf8" });
  return r.status === 0 ? false : `make -C host/device mps2 failed: ${r.stderr || r.stdout}`;
}

/** The whole 16 MiB, erased bytes included: QEMU maps the file as the PSRAM. */
export function writeBoardFlash(flash: Flash, path: string): void {
  const bytes = new Uint8Array(BOARD_FLASH_BYTES).fill(0xff);
  flash.copyOut(0, bytes.subarray(0, Math.min(flash.size, BOARD_FLASH_BYTES)));
  writeFileSync(path, bytes);
}

/**
 * The QEMU command line of a board run: its NIC on `tap`, or none; with
 * `icount`, one instruction per ns of virtual time (repeatable counts, for
 * benchmarks: it does not mix with real servers).
 */
export function qemuArgs(board: Board, flashFile: string, tap: string | null, icount = false, monitor?: string): string[] {
  return [
    "-M", `${board},memory-backend=nor`,
    "-object", `memory-backend-file,id=nor,size=16M,mem-path=${flashFile},share=on`,
    "-kernel", BOARD_ELF[board],
    "-nic", tap === null ? "none" : `tap,ifname=${tap},script=no,downscript=no,model=lan9118`,
    ...(icount ? ["-icount", "shift=0,align=off,sleep=off"] : []),
    "-nographic", "-monitor", monitor === undefined ? "none" : `unix:${monitor},server,nowait`, "-serial", "stdio",
  ];
}

/** "\\x41" and "\\\\" back to bytes, as latin1. */
function unescape(text: string): string {
  return text.replace(/\\(\\|x([0-9a-f]{2}))/g, (_m, c: string, hex: string | undefined) => (hex ? String.fromCharCode(parseInt(hex, 16)) : c));
}

/** What the board reported of one start of its firmware. */
interface BoardBoot {
  /** When the board said it began (µs of the host's clock): the power-on or the reset. */
  at: number;
  events: { code: number; a: number; b: number; text: string | null; at: number }[];
  choice: BootChoice;
  error: string | null;
}

/** The firmware as the console shows it: it runs on the board, the host only keeps its last counters. */
class BoardFirmware implements RunningFirmware {
  values: number[] = [];
  poll(): number | null {
    return null;
  }
  onFrame(): void {}
  link(): void {}
  counters(): Counters {
    const c = {} as Counters;
    COUNTER_NAMES.forEach((name, i) => (c[name] = this.values[i] ?? 0));
    return c;
  }
}

/**
 * The host's clock, except that what is due now runs now: a reset the
 * console reports re-runs the boot path at once, before the next line.
 */
class ConsoleClock implements Clock {
  private readonly real = new RealTimeClock();
  /** While buffered lines are replayed: the time each arrived. */
  replayAt: number | null = null;
  get now(): number {
    return this.replayAt ?? this.real.now;
  }
  at(tUs: number, fn: () => void): Timer {
    if (tUs <= this.real.now) {
      fn();
      return { atUs: tUs } as Timer;
    }
    return this.real.at(tUs, fn);
  }
  cancel(timer: Timer): void {
    if ("handle" in (timer as object)) this.real.cancel(timer);
  }
}

export class BoardPhone extends PhoneBase<BoardFirmware> {
  /** The board's own lines (driver notes) and anything else it printed. */
  readonly notes: string[] = [];
  private pending: Partial<BoardBoot> & { events: BoardBoot["events"] } = { events: [] };
  private readonly console: ConsoleClock;
  private starting: BoardBoot | null = null;
  private resetReason: number | null = null;
  private started = false;
  private running: BoardFirmware | null = null;
  /** The version the image being started announced: on the timeline once its start is. */
  private announced: string | null = null;
  /** Boots the board began (its #H lines). */
  boardBoots = 0;
  /** What each started board image's own code announced (#V), in order. */
  readonly versions: string[] = [];
  /** Each boot's ticks of 40 ns from reset to the phone's first poll (#P). */
  readonly firstPollTicks: number[] = [];

  constructor(options: PhoneOptions) {
    const clock = new ConsoleClock();
    super(clock, options);
    this.console = clock;
  }

  /** The MAC the board's driver set, from its note; null before. */
  get boardMac(): string | null {
    for (const n of this.notes) {
      const m = / mac ([0-9a-f:]{17})$/.exec(n);
      if (m) return m[1];
    }
    return null;
  }

  /** One console line. */
  line(raw: string): void {
    const text = raw.replace(/\r$/, "");
    const m = /^#([A-Z]) ?(.*)$/.exec(text);
    if (!m) {
      if (text.trim()) this.notes.push(text);
      return;
    }
    const [, kind, rest] = m;
    const num = (i: number) => Number(rest.split(" ")[i]);
    switch (kind) {
      case "H":
        this.boardBoots++;
        this.pending = { events: [], at: this.clock.now };
        break;
      case "E": {
        const [code, a, b] = [num(0), num(1), num(2)];
        const parts = rest.split(" ");
        const t = parts.length > 3 ? unescape(parts.slice(3).join(" ")) : null;
        if (this.pending.choice === undefined) this.pending.events.push({ code, a, b, text: t, at: this.clock.now });
        else this.firmwareEvent(code, a, b, (p, n) => (t !== null && p === a && n === b ? t : ""));
        break;
      }
      case "B":
        this.pending.choice = { slot: num(0), addr: num(1), size: num(2) };
        break;
      case "S": {
        const rc = num(0);
        this.startBoot({ at: this.pending.at ?? this.clock.now, events: this.pending.events, choice: this.pending.choice ?? { slot: -1, addr: 0, size: 0 }, error: rc === 0 ? null : rest.slice(rest.indexOf(" ") + 1) });
        if (this.announced !== null) this.note("boot", "version", `the image's native code says it is ${this.announced}`);
        this.announced = null;
        break;
      }
      case "V":
        this.versions.push(unescape(rest));
        this.announced = unescape(rest);
        break;
      case "P":
        this.firstPollTicks.push(num(0));
        break;
      case "L":
        this.showLcd(unescape(rest));
        break;
      case "G":
        this.firmwareLog(num(0), unescape(rest.slice(rest.indexOf(" ") + 1)));
        break;
      case "C":
        if (this.running) this.running.values = rest.split(" ").slice(1).map(Number);
        break;
      case "K":
        this.note("boot", "link", rest === "1" ? "the PHY reports link up" : "the PHY reports link down");
        break;
      case "R":
        this.resetReason = num(0);
        break;
      case "X":
        this.note(this.stage, "trap", `the board's firmware stopped: ${rest}`);
        break;
    }
  }

  /** A start the console reported: the first is the power-on, the next ones follow a reset. */
  private startBoot(boot: BoardBoot): void {
    this.starting = boot;
    this.console.replayAt = boot.at;
    if (!this.started) {
      this.started = true;
      this.powerOn();
    } else if (this.firmware) {
      this.reset(this.resetReason ?? 0);
    } else {
      this.powerOn();
    }
    this.console.replayAt = null;
    this.resetReason = null;
    this.pending = { events: [], choice: boot.choice };
  }

  protected runBootloader(event: FirmwareEvent): BootChoice {
    const boot = this.starting;
    if (!boot) return { slot: -1, addr: 0, size: 0 };
    for (const e of boot.events) {
      this.console.replayAt = e.at;
      event(e.code, e.a, e.b, (p, n) => (e.text !== null && p === e.a && n === e.b ? e.text : ""));
    }
    this.console.replayAt = null; // the start is now: the #S line
    return boot.choice;
  }

  protected startImage(): BoardFirmware | string {
    const boot = this.starting;
    this.starting = null;
    if (!boot || boot.error !== null) return boot?.error ?? "the board did not say";
    this.running = new BoardFirmware();
    return this.running;
  }
}

export interface BoardRun {
  board: Board;
  flashFile: string;
  tap: string | null;
  icount?: boolean;
  /** QEMU's monitor on this unix socket (set_link lan9118.0 off pulls the cable). */
  monitor?: string;
  timeoutMs: number;
  /** Called for each console line (after the phone took it). */
  onLine?: (line: string) => void;
  /** True when the run has reached its goal. */
  done: (phone: BoardPhone) => boolean;
}

/** Runs QEMU until `done` or the timeout; QEMU is stopped by its PID either way. */
export async function runBoard(phone: BoardPhone, o: BoardRun): Promise<{ reached: boolean; qemuExit: string | null; stderr: string }> {
  const child: ChildProcess = spawn("qemu-system-arm", qemuArgs(o.board, o.flashFile, o.tap, o.icount, o.monitor), { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  let partial = "";
  let finish: (how: boolean) => void = () => {};
  const ended = new Promise<boolean>((resolve) => (finish = resolve));
  let exit: string | null = null;
  child.stderr?.on("data", (d) => (stderr += d));
  child.stdout?.on("data", (d: Buffer) => {
    partial += d.toString("latin1");
    let nl: number;
    while ((nl = partial.indexOf("\n")) >= 0) {
      const l = partial.slice(0, nl);
      partial = partial.slice(nl + 1);
      phone.line(l);
      o.onLine?.(l);
      if (o.done(phone)) finish(true);
    }
  });
  child.on("exit", (code, signal) => {
    exit = signal ?? String(code);
    finish(false);
  });
  const timer = setTimeout(() => finish(false), o.timeoutMs);
  const reached = await ended;
  clearTimeout(timer);
  await stopByPid(child);
  return { reached, qemuExit: exit, stderr };
}

async function stopByPid(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  process.kill(child.pid, "SIGTERM");
  const t = setTimeout(() => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) process.kill(child.pid, "SIGKILL");
  }, 3000);
  await gone;
  clearTimeout(t);
}
