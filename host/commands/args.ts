// Argument checks shared by the commands: each bad value is a UsageError
// with a sentence saying what was expected.
import { parseMac } from "../wire/address.js";

export class UsageError extends Error {}

export function parseSeed(text: string | undefined): number {
  if (text === undefined) return 1;
  if (!/^\d+$/.test(text) || Number(text) > 0xffffffff) throw new UsageError(`--seed must be an integer 0..4294967295, got "${text}"`);
  return Number(text);
}

export function checkMac(text: string | undefined, fallback: string): string {
  if (text === undefined) return fallback;
  try {
    parseMac(text);
  } catch {
    throw new UsageError(`--mac must look like 00:1b:54:c2:a7:10, got "${text}"`);
  }
  return text;
}

export function parseIntArg(name: string, text: string | undefined, min: number, max: number, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) throw new UsageError(`${name} must be an integer ${min}..${max}, got "${text}"`);
  return Number(text);
}

export function parseIpv4Arg(name: string, text: string | undefined): string {
  const ok = text !== undefined && /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(text) && text.split(".").every((p) => Number(p) <= 255);
  if (!ok) throw new UsageError(`${name} must be an IPv4 address like 198.51.100.2, got "${text ?? ""}"`);
  return text;
}
