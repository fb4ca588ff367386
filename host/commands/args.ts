// Argument checks shared by the commands: each bad value is a UsageError
// with a sentence saying what was expected. The command line turns it into
// one line on stderr, a pointer to the command's --help, and exit status 2,
// before any work is done (README "The `ipphone` command").
import { parseArgs, type ParseArgsConfig } from "node:util";
import { accessSync, constants, existsSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parseMac } from "../wire/address.js";

export class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig["options"]>;

/** True when the arguments ask for the command's help (`--help` or `-h` anywhere). */
export function wantsHelp(args: string[]): boolean {
  const end = args.indexOf("--");
  return (end < 0 ? args : args.slice(0, end)).some((a) => a === "--help" || a === "-h");
}

/**
 * node:util's parseArgs with messages of our own: one line, in the words of
 * this command line, and never Node's "argument is ambiguous" for a negative
 * number given to an option that takes a value (`--seed -1` is then the
 * value '-1', which the option's own check refuses with its reason).
 */
export function parseCommandArgs<O extends Options>(args: string[], options: O, allowPositionals = false) {
  const fixed: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const name = a.startsWith("--") ? a.slice(2) : null;
    const next = args[i + 1];
    if (name !== null && options[name]?.type === "string" && next !== undefined && /^-[\d.]/.test(next)) {
      fixed.push(`${a}=${next}`);
      i++;
    } else {
      fixed.push(a);
    }
  }
  try {
    return parseArgs({ args: fixed, options, strict: true, allowPositionals });
  } catch (e) {
    throw new UsageError(parseArgsMessage(e as Error & { code?: string }, options));
  }
}

function parseArgsMessage(e: Error & { code?: string }, options: Options): string {
  const quoted = /'([^']*)'/.exec(e.message)?.[1] ?? "";
  switch (e.code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return `unknown option '${quoted}'`;
    case "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL":
      return `unexpected argument '${quoted}'`;
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE": {
      const option = quoted.split(" ")[0];
      const name = option.replace(/^-+/, "");
      if (options[name]?.type === "boolean" || / does not take an argument/.test(e.message)) return `${option} takes no value`;
      return `${option} needs a value`;
    }
    default:
      return e.message.split("\n")[0];
  }
}

export function parseSeed(text: string | undefined, name = "--seed"): number {
  if (text === undefined) return 1;
  if (!/^\d+$/.test(text) || Number(text) > 0xffffffff) throw new UsageError(`${name} must be a non-negative integer 0..4294967295, got '${text}'`);
  return Number(text);
}

export function checkMac(text: string | undefined, fallback: string): string {
  if (text === undefined) return fallback;
  try {
    parseMac(text);
  } catch {
    throw new UsageError(`--mac must look like 00:1b:54:c2:a7:10, got '${text}'`);
  }
  return text;
}

export function parseIntArg(name: string, text: string | undefined, min: number, max: number, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) throw new UsageError(`${name} must be an integer ${min}..${max}, got '${text}'`);
  return Number(text);
}

export function parseIpv4Arg(name: string, text: string | undefined): string {
  const ok = text !== undefined && /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(text) && text.split(".").every((p) => Number(p) <= 255);
  if (!ok) throw new UsageError(`${name} must be an IPv4 address like 198.51.100.2, got '${text ?? ""}'`);
  return text;
}

/**
 * A file the command will write: its directory must exist and be writable,
 * and the path must not be a directory. Checked before any work, so a long
 * run never ends in a stack trace for a typo in an output path.
 */
export function checkOutputFile(option: string, path: string | undefined): string | undefined {
  if (path === undefined) return undefined;
  if (path === "") throw new UsageError(`${option} needs a file name`);
  const dir = dirname(resolve(path));
  if (!existsSync(dir)) throw new UsageError(`${option} ${path}: directory ${dir} does not exist`);
  if (!statSync(dir).isDirectory()) throw new UsageError(`${option} ${path}: ${dir} is not a directory`);
  if (existsSync(path) && statSync(path).isDirectory()) throw new UsageError(`${option} ${path} is a directory, not a file`);
  try {
    accessSync(existsSync(path) ? path : dir, constants.W_OK);
  } catch {
    throw new UsageError(`${option} ${path}: ${existsSync(path) ? "the file" : `directory ${dir}`} is not writable`);
  }
  return path;
}

/** A directory the command will create if needed: its nearest existing ancestor must be a writable directory. */
export function checkOutputDir(option: string, path: string | undefined): string | undefined {
  if (path === undefined) return undefined;
  if (path === "") throw new UsageError(`${option} needs a directory name`);
  let p = resolve(path);
  while (!existsSync(p)) p = dirname(p);
  if (!statSync(p).isDirectory()) throw new UsageError(`${option} ${path}: ${p} is not a directory`);
  try {
    accessSync(p, constants.W_OK);
  } catch {
    throw new UsageError(`${option} ${path}: ${p} is not writable`);
  }
  return path;
}

/** A file the command will read: it must exist and be a file. */
export function checkInputFile(option: string, path: string | undefined): string | undefined {
  if (path === undefined) return undefined;
  if (!existsSync(path)) throw new UsageError(`${option} ${path}: no such file`);
  if (!statSync(path).isFile()) throw new UsageError(`${option} ${path} is not a file`);
  try {
    accessSync(path, constants.R_OK);
  } catch {
    throw new UsageError(`${option} ${path}: not readable`);
  }
  return path;
}
