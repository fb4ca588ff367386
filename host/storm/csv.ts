// `ipphone storm --csv FILE`: the run phone by phone (FILE) and switch by
// switch (FILE with "-switches" before its extension), for a spreadsheet or
// a script. RFC 4180: a header line, comma-separated, fields quoted when they
// hold a comma, a quote or a line break; times in ms of virtual time, empty
// when the phone did not get there.
import { STAGES } from "../events.js";
import { M } from "./cell.js";
import type { StormRun } from "./engine.js";
import { phoneMac } from "./plan.js";
import { causeKind, phoneTable, stageDurations } from "./summary.js";

export const PHONE_COLUMNS = [
  "switch", "port", "mac", "ip", "callmanager", "load", "upgrade", "failure_stage", "failure_cause",
  ...STAGES.map((s) => `${s}_ms`), "registered_ms",
] as const;

export const SWITCH_COLUMNS = [
  "switch", "phones", "powered", "dark", "registered", "not_registered", "upgraded", "upgrade_failed",
  "frames_lost_up", "frames_lost_down", "registered_p50_ms", "registered_max_ms",
] as const;

/** The per-switch file beside FILE: "run.csv" -> "run-switches.csv". */
export function switchCsvPath(path: string): string {
  const m = /^(.*?)(\.[^./\\]*)?$/.exec(path)!;
  return `${m[1]}-switches${m[2] ?? ".csv"}`;
}

function field(v: string | number | null): string {
  if (v === null) return "";
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const line = (values: Array<string | number | null>) => values.map(field).join(",");
const msOrNull = (us: number) => (Number.isFinite(us) ? Math.round(us) / 1000 : null);

export function phoneCsv(run: StormRun): string {
  const t = phoneTable(run);
  const d = stageDurations(t);
  const reg = t.col(M.registered), on = t.col(M.powered);
  const out = [PHONE_COLUMNS.join(",")];
  for (const c of run.cells) {
    for (let p = 0; p < c.phones; p++) {
      const i = c.firstPhone + p;
      const info = t.info[i];
      const powered = !Number.isNaN(on[i]);
      out.push(line([
        c.name, `Fa0/${p + 1}`, phoneMac(i, run.plan.macBase), info.ip, info.callmanager, info.load, powered ? info.upgrade : null,
        info.failure?.stage ?? (powered ? null : "power"), info.failure ? causeKind(info.failure.reason) : powered ? null : "no power",
        ...STAGES.map((s) => msOrNull(d[s][i])), msOrNull(reg[i]),
      ]));
    }
  }
  return out.join("\n") + "\n";
}

export function switchCsv(run: StormRun): string {
  const t = phoneTable(run);
  const reg = t.col(M.registered), on = t.col(M.powered);
  const out = [SWITCH_COLUMNS.join(",")];
  for (const c of run.cells) {
    const times: number[] = [];
    let powered = 0, upgraded = 0, failed = 0;
    for (let p = 0; p < c.phones; p++) {
      const i = c.firstPhone + p;
      const info = t.info[i];
      if (!Number.isNaN(on[i])) powered++;
      if (Number.isFinite(reg[i])) times.push(reg[i]);
      if (info.upgrade === "upgraded") upgraded++;
      if (["download_failed", "refused", "reverted", "skipped"].includes(info.upgrade)) failed++;
    }
    times.sort((a, b) => a - b);
    const p50 = times.length ? times[Math.ceil(times.length / 2) - 1] : NaN;
    out.push(line([
      c.name, c.phones, powered, c.phones - powered, times.length, powered - times.length, upgraded, failed,
      c.lostUp, run.core.lostDownByCell[c.index], msOrNull(p50), msOrNull(times.length ? times[times.length - 1] : NaN),
    ]));
  }
  return out.join("\n") + "\n";
}
