// `ipphone device`: the phone on an emulated board (QEMU), with its flash in a file.
import { statSync } from "node:fs";
import { DEFAULT_PHONE_MAC } from "../sim/network.js";
import { timelinePrinter } from "../events.js";
import { readImageFile, readKeyHash, setupFlash, SetupError, type PhoneSetup } from "../phone-setup.js";
import { BOARD_FLASH_BYTES, BOARDS, BoardPhone, boardToolsMissing, buildBoard, runBoard, writeBoardFlash, type Board } from "../device/board-phone.js";
import { boardImage } from "../device/board-image.js";
import { DEFAULT_LOAD_NAME, parseImage, TARGETS, targetName } from "../image.js";
import { checkInputFile, checkMac, checkOutputFile, parseCommandArgs, parseIntArg, UsageError } from "./args.js";
import { EXIT_CODES, exitCodeOf, failureOf, finish } from "./boot.js";

export const DEVICE_HELP = `usage: ipphone device flash --board mps2-an386 [--mac M] [--image FILE] [--key FILE] --out FLASH
       ipphone device run --board mps2-an386 --flash FLASH --tap IFNAME [--until bound|registered]
                          [--timeout S] [--monitor SOCKET] [--json] [--verbose]

  flash   write the board's NOR flash as a file (16 MiB): factory data (--mac, default
          ${DEFAULT_PHONE_MAC}; the hash of --key, default the development key) and the signed
          board image --image in slot A (ipphone image build --target mps2-an386; default
          build/phone.wasm built so, load ${DEFAULT_LOAD_NAME}, signed with the development key)
  run     boot the board under qemu-system-arm (-M mps2-an386, its LAN9118 on the tap IFNAME,
          the flash file as its PSRAM: what the firmware writes stays in the file) and print
          the timeline and report of 'ipphone boot' from its console
          --until G    bound, or registered (default)
          --timeout S  give up after S seconds (default 120); QEMU is stopped either way
          --monitor SOCKET  QEMU's monitor on this unix socket: 'set_link lan9118.0 off' pulls
                       the cable (the PHY reports it, the firmware sees the link go down)
          --verbose    the firmware's log lines and the board's own lines too

exit status: 0 reached --until; 13 dhcp, 14 tftp, 15 register...: the stage that failed (as boot);
2 bad usage; 1 any other failure (QEMU or the toolchain missing, the board did not build).`;

const OPTIONS = {
  board: { type: "string" },
  mac: { type: "string" },
  image: { type: "string" },
  key: { type: "string" },
  out: { type: "string" },
  flash: { type: "string" },
  tap: { type: "string" },
  until: { type: "string" },
  timeout: { type: "string" },
  monitor: { type: "string" },
  json: { type: "boolean", default: false },
  verbose: { type: "boolean", default: false },
} as const;

function boardOf(text: string | undefined): Board {
  if (text === undefined) throw new UsageError(`--board is required (${BOARDS.join(", ")})`);
  if (!(BOARDS as readonly string[]).includes(text)) throw new UsageError(`--board must be ${BOARDS.join(" or ")}, got '${text}'`);
  return text as Board;
}

function setupOf(board: Board, image: string | undefined, key: string | undefined): PhoneSetup {
  try {
    const bytes = image !== undefined ? readImageFile(image) : null;
    if (bytes && parseImage(bytes).header.target !== TARGETS.indexOf(board)) {
      throw new SetupError(`${image} is an image for ${targetName(parseImage(bytes).header.target)}, not ${board}; build one with ipphone image build --target ${board}`);
    }
    return { ...(bytes ? { image: bytes } : {}), ...(key !== undefined ? { keyHash: readKeyHash(key) } : {}) };
  } catch (e) {
    if (e instanceof SetupError) throw new UsageError(e.message);
    throw e;
  }
}

export async function deviceCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== "flash" && sub !== "run") throw new UsageError(`'device' needs a subcommand: flash or run${sub ? `, got '${sub}'` : ""}`);
  const { values } = parseCommandArgs(rest, OPTIONS);
  const board = boardOf(values.board);
  if (sub === "flash") {
    for (const o of ["flash", "tap", "until", "timeout", "monitor"] as const) if (values[o] !== undefined) throw new UsageError(`--${o} goes with 'device run'`);
    const out = checkOutputFile("--out", values.out);
    if (out === undefined) throw new UsageError("--out FLASH is required");
    const mac = checkMac(values.mac, DEFAULT_PHONE_MAC);
    const setup = setupOf(board, values.image, values.key);
    if (!setup.image) {
      const why = boardToolsMissing();
      if (why) {
        console.error(`ipphone device flash: ${why}`);
        return 1;
      }
      setup.image = boardImage();
    }
    writeBoardFlash(setupFlash(mac, setup), out);
    console.log(`${out}: ${board} flash for ${mac} (16 MiB: factory data, slot A)`);
    return 0;
  }
  for (const o of ["mac", "image", "key", "out"] as const) if (values[o] !== undefined) throw new UsageError(`--${o} goes with 'device flash'`);
  const flashFile = checkInputFile("--flash", values.flash);
  if (flashFile === undefined) throw new UsageError("--flash FLASH is required (write one with ipphone device flash)");
  if (statSync(flashFile).size !== BOARD_FLASH_BYTES) throw new UsageError(`--flash ${flashFile} is not a 16 MiB flash file (write one with ipphone device flash)`);
  if (!values.tap) throw new UsageError("--tap IFNAME is required (a tap interface, e.g. in a bridge)");
  const until = values.until ?? "registered";
  if (until !== "bound" && until !== "registered") throw new UsageError(`--until must be 'bound' or 'registered', got '${until}'`);
  const timeoutS = parseIntArg("--timeout", values.timeout, 1, 86400, 120);
  const why = buildBoard();
  if (why) {
    console.error(`ipphone device run: ${why}`);
    return 1;
  }
  const json = values.json ?? false;
  const verbose = values.verbose ?? false;
  const print = json ? undefined : timelinePrinter((line) => console.log(line));
  let boundAtMs: number | null = null;
  let registeredAtMs: number | null = null;
  const phone: BoardPhone = new BoardPhone({
    mac: "00:00:00:00:00:00",
    seed: 0,
    firmwareLogs: verbose,
    onEvent: (e) => {
      print?.(e);
      if (boundAtMs === null && phone.isBound) boundAtMs = e.t_ms;
      if (registeredAtMs === null && phone.isRegistered) registeredAtMs = e.t_ms;
    },
  });
  const started = Date.now();
  const run = await runBoard(phone, {
    board,
    flashFile,
    tap: values.tap,
    monitor: checkOutputFile("--monitor", values.monitor),
    timeoutMs: timeoutS * 1000,
    onLine: verbose && !json ? (l) => { if (!l.startsWith("#")) console.log(`  board: ${l}`); } : undefined,
    // Registered on a new image also means confirmed: stopping between the two would revert it at the next power-on.
    done: (p) => (until === "bound" ? p.isBound : p.isRegistered && !p.awaitingConfirm),
  });
  const report = phone.report();
  const reached = until === "bound" ? report.bound : report.registered;
  const failure = reached ? null : failureOf(report);
  const exitCode = failure ? EXIT_CODES[failure.stage] : until === "registered" ? exitCodeOf(report, null) : 0;
  finish({
    seed: 0, ...report, mac: phone.boardMac ?? report.mac, bound_at_ms: boundAtMs, registered_at_ms: registeredAtMs, failure, exit_code: exitCode, until,
    board: { name: board, boots: phone.boardBoots, notes: phone.notes, qemu_exit: run.qemuExit, qemu_stderr: run.stderr.trim(), wall_ms: Date.now() - started },
  }, json, undefined, "real time");
  return exitCode;
}
