// `ipphone storm --report FILE.html`: one self-contained page (inline CSS
// and SVG, no script, no fonts or files fetched), readable offline: how
// many phones were powered, bound, configured and registered as virtual time
// went by, the servers' load second by second, a histogram per stage, and
// the summary's tables.
import { STAGES } from "../events.js";
import { M } from "./cell.js";
import type { StormRun } from "./engine.js";
import { phoneTable, serverWaits, stageDurations, type RealSection, type StormSummary } from "./summary.js";

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

const COLORS = { powered: "#8c6d31", bound: "#1f77b4", configured: "#9467bd", registered: "#2ca02c", drops: "#d62728", other: "#7f7f7f" };

/** 1, 2, 5 x 10^k steps: about `count` ticks from 0 to max. */
function ticks(max: number, count = 6): number[] {
  if (!(max > 0)) return [0];
  const raw = max / count;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = 0; v <= max * 1.0001; v += step) out.push(Math.round(v / step) * step);
  return out;
}

const num = (v: number) => (Math.abs(v) >= 1000 ? v.toLocaleString("en-US") : String(Math.round(v * 1000) / 1000));

interface Series {
  name: string;
  color: string;
  points: Array<[number, number]>;
  step?: boolean;
  /** Bars this wide (x units) centred on each point, instead of a line. */
  bars?: number;
}

/** A line/step/bar chart in SVG with axes, grid and a legend. */
function chart(title: string, series: Series[], xLabel: string, yLabel: string, opts: { width?: number; height?: number; yMax?: number; id: string }): string {
  const W = opts.width ?? 900, H = opts.height ?? 320;
  const L = 64, R = 16, T = 48, B = 44;
  const xMax = Math.max(1e-9, ...series.flatMap((s) => s.points.map((p) => p[0])));
  const yMax = Math.max(1, opts.yMax ?? Math.max(...series.flatMap((s) => s.points.map((p) => p[1]))));
  const xt = ticks(xMax), yt = ticks(yMax, 5);
  const xs = (x: number) => L + (x / Math.max(xt[xt.length - 1], xMax)) * (W - L - R);
  const ys = (y: number) => H - B - (y / Math.max(yt[yt.length - 1], yMax)) * (H - T - B);
  const parts: string[] = [];
  parts.push(`<svg id="${opts.id}" class="chart" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(title)}">`);
  parts.push(`<text x="${L}" y="18" class="title">${esc(title)}</text>`);
  for (const v of yt) parts.push(`<line x1="${L}" x2="${W - R}" y1="${ys(v).toFixed(1)}" y2="${ys(v).toFixed(1)}" class="grid"/><text x="${L - 6}" y="${(ys(v) + 4).toFixed(1)}" class="tick" text-anchor="end">${num(v)}</text>`);
  for (const v of xt) parts.push(`<line x1="${xs(v).toFixed(1)}" x2="${xs(v).toFixed(1)}" y1="${T}" y2="${H - B}" class="grid"/><text x="${xs(v).toFixed(1)}" y="${H - B + 16}" class="tick" text-anchor="middle">${num(v)}</text>`);
  parts.push(`<line x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}" class="axis"/><line x1="${L}" x2="${L}" y1="${T}" y2="${H - B}" class="axis"/>`);
  parts.push(`<text x="${(L + W - R) / 2}" y="${H - 8}" class="label" text-anchor="middle">${esc(xLabel)}</text>`);
  parts.push(`<text transform="translate(14 ${(T + H - B) / 2}) rotate(-90)" class="label" text-anchor="middle">${esc(yLabel)}</text>`);
  for (const s of series) {
    if (s.points.length === 0) continue;
    if (s.bars) {
      const bw = Math.max(1, (xs(s.bars) - xs(0)) * 0.9);
      const rects = s.points.filter((p) => p[1] > 0).map(([x, y]) => `<rect x="${(xs(x) - bw / 2).toFixed(1)}" y="${ys(y).toFixed(1)}" width="${bw.toFixed(1)}" height="${(H - B - ys(y)).toFixed(1)}" fill="${s.color}" fill-opacity="0.75"><title>${esc(`${s.name}: ${num(y)} at ${num(x)}`)}</title></rect>`);
      parts.push(`<g class="series" data-name="${esc(s.name)}">${rects.join("")}</g>`);
      continue;
    }
    let d = "";
    s.points.forEach(([x, y], i) => {
      const X = xs(x).toFixed(1), Y = ys(y).toFixed(1);
      if (i === 0) d += `M${X},${Y}`;
      else d += s.step ? `H${X}V${Y}` : `L${X},${Y}`;
    });
    parts.push(`<path class="series" data-name="${esc(s.name)}" d="${d}" fill="none" stroke="${s.color}" stroke-width="2"><title>${esc(s.name)}</title></path>`);
  }
  series.forEach((s, i) => {
    const x = L + 12 + i * 150;
    parts.push(`<rect x="${x}" y="26" width="12" height="12" fill="${s.color}"/><text x="${x + 16}" y="36" class="legend">${esc(s.name)}</text>`);
  });
  parts.push("</svg>");
  return parts.join("\n");
}

/** Phones that reached a milestone by each time: a step curve through at most ~600 points. */
function cumulative(valuesUs: Float64Array, endS: number): Array<[number, number]> {
  const v = Float64Array.from(valuesUs.filter((x) => !Number.isNaN(x))).sort();
  const pts: Array<[number, number]> = [[0, 0]];
  const bins = 600;
  const dt = endS / bins;
  let j = 0;
  for (let b = 1; b <= bins; b++) {
    const t = b * dt;
    while (j < v.length && v[j] / 1e6 <= t) j++;
    pts.push([t, j]);
  }
  return pts;
}

function histogram(title: string, valuesUs: number[], id: string): string {
  const v = valuesUs.filter((x) => Number.isFinite(x)).map((x) => x / 1e6);
  if (v.length === 0) return `<div class="hist"><p class="muted">${esc(title)}: no phone got through this stage</p></div>`;
  let max = 0;
  for (const x of v) if (x > max) max = x;
  const bins = 30;
  const width = max > 0 ? max / bins : 0.001;
  const counts = new Array<number>(bins).fill(0);
  for (const x of v) counts[Math.min(bins - 1, Math.floor(x / width))]++;
  const points: Array<[number, number]> = counts.map((c, i) => [(i + 0.5) * width, c]);
  points.push([bins * width, 0]);
  const svg = chart(`${title} (n = ${v.length})`, [{ name: "phones", color: COLORS.bound, points, bars: width }],
    `seconds (${bins} bins of ${width < 0.01 ? (width * 1000).toFixed(3) + " ms" : width.toFixed(3) + " s"})`, "phones",
    { width: 440, height: 220, id });
  return `<div class="hist">${svg}</div>`;
}

function table(head: string[], rows: Array<Array<string | number>>): string {
  return `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join("")}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${esc(String(c))}</td>`).join("")}</tr>`).join("")}</tbody></table>`;
}

const s3 = (v: number | null) => (v === null ? "-" : (v / 1000).toFixed(3));

/** Storm --link vxlan: the real servers as the phones saw them, and the harness's own load. */
function realSection(r: RealSection): string {
  const h = r.harness;
  return `<h2>Real servers, as the phones saw them</h2>
${table(["server", "address", "requests", "answers", "refusals", "retries", "timeouts", "failures"], r.servers.map((v) => [
    v.role === "callmanager" ? v.name : v.role.toUpperCase(), v.ip, v.requests, v.answers, v.refusals, v.retries, v.timeouts,
    [...Object.entries(v.failures ?? {}).map(([w, n]) => `${n} ${w}`), ...(v.lost_registered ? [`${v.lost_registered} registered phones lost it`] : [])].join(", "),
  ]))}
<p>Harness: ${h.cpu_s.toFixed(1)} CPU seconds in ${h.wall_s.toFixed(1)} s; event-loop lag p99 ${h.event_loop_lag_ms.p99} ms (max ${h.event_loop_lag_ms.max} ms); deadlines run late p99 ${h.deadline_lateness_ms.p99 ?? 0} ms over ${h.ticks} ticks; frames up ${h.frames_up}, down ${h.frames_down}. Registered at the end: ${r.registered_at_end}.</p>`;
}

export function renderReport(summary: StormSummary, run: StormRun): string {
  const t = phoneTable(run);
  const endS = Math.max(1, (summary.time_to_all_registered_ms ?? summary.simulation.end_ms) / 1000 * 1.05);
  const timeline = chart("Phones over time since the power came back", [
    { name: "powered", color: COLORS.powered, points: cumulative(t.col(M.powered), endS), step: true },
    { name: "bound (DHCP)", color: COLORS.bound, points: cumulative(t.col(M.bound), endS), step: true },
    { name: "configured (TFTP)", color: COLORS.configured, points: cumulative(t.col(M.register), endS), step: true },
    { name: "registered", color: COLORS.registered, points: cumulative(t.col(M.registered), endS), step: true },
  ], "seconds of virtual time", "phones", { id: "timeline", yMax: summary.phones });

  const core = run.core;
  // Per-second counts as steps over [i, i + 1), zero where nothing happened, up to the end of the chart.
  const perSecond = (a: number[]): Array<[number, number]> => {
    const pts: Array<[number, number]> = [];
    const n = Math.ceil(endS);
    for (let i = 0; i <= n; i++) pts.push([i, a[i] ?? 0]);
    return pts;
  };
  const cmTotal: number[] = [];
  for (const c of core.callManagers) c.perSecond.forEach((v, i) => { cmTotal[i] = (cmTotal[i] ?? 0) + v; });
  const load = chart("Server load, second by second", [
    { name: "DHCP answers/s", color: COLORS.bound, points: perSecond(core.dhcp.answersPerSecond), step: true },
    { name: "DHCP drops/s", color: COLORS.drops, points: perSecond(core.dhcp.dropsPerSecond), step: true },
    { name: "registrations/s", color: COLORS.registered, points: perSecond(Array.from(cmTotal, (v) => v ?? 0)), step: true },
    { name: "TFTP transfers at once", color: COLORS.configured, points: perSecond(core.tftp.concurrentPerSecond), step: true },
  ], "seconds of virtual time", "per second", { id: "load" });

  const durations = stageDurations(t);
  const waits = serverWaits(t);
  const regTimes = Array.from(t.col(M.registered));
  const hists = [
    histogram("Power back to registered", regTimes, "hist-registered"),
    ...STAGES.map((s) => histogram(`Stage ${s}`, durations[s], `hist-${s}`)),
    histogram("Waiting on DHCP (DISCOVER to ACK)", waits.dhcp, "hist-wait-dhcp"),
    histogram("Waiting on TFTP (transfers)", waits.tftp, "hist-wait-tftp"),
    histogram("Waiting on a CallManager", waits.callmanager, "hist-wait-cm"),
  ];

  const s = summary;
  const d = s.servers.dhcp, tf = s.servers.tftp;
  const stageRows = [["power back to registered", s.time_to_registered_ms] as const, ...Object.entries(s.stages_ms)]
    .map(([name, p]) => [name, p.count, s3(p.p50), s3(p.p90), s3(p.p99), s3(p.max)]);
  const waitRows = Object.entries(s.server_wait_ms).map(([name, p]) => [name, p.count, s3(p.p50), s3(p.p90), s3(p.p99), s3(p.max), p.total_phone_s.toFixed(1)]);
  const serverRows: Array<Array<string | number>> = [
    [`DHCP ${d.ip}`, `${d.answers_per_second_limit || "unlimited"} answers/s, backlog ${d.backlog}`, `${d.answers} answers (${d.offers} OFFER, ${d.acks} ACK, ${d.naks} NAK)`, `${d.dropped} dropped, peak backlog ${d.peak_backlog}, queue mean ${d.mean_queue_ms} ms, max ${d.max_queue_ms} ms, ${d.seconds_at_limit} s at the limit`],
    [`TFTP ${tf.ip}`, tf.bytes_per_second_limit ? `${(tf.bytes_per_second_limit * 8 / 1e6).toFixed(1)} Mbit/s shared` : "unlimited", `${tf.completed}/${tf.transfers} transfers, ${tf.bytes} bytes`, `peak ${tf.peak_concurrent} at once, ${tf.retransmitted_packets} packets again, ${tf.timeouts} timeouts`],
    ...s.servers.callmanagers.map((c) => [`${c.name} ${c.ip}${c.state === "up" ? "" : ` (${c.state === "refuse" ? "down, refusing" : c.state === "silent" ? "down, silent" : c.state})`}`, `${c.registrations_per_second_limit || "unlimited"} registrations/s`, `${c.registrations} registrations`, `${c.throttled} throttled, peak queue ${c.peak_queue}, ${c.rejects} rejected`]),
  ];
  const r = s.refusals;
  const darkRows = s.dark_phones.slice(0, 500).map((p) => [p.switch, p.port, p.mac, p.priority, p.log.join(" | ") || "no power"]);
  const headline = s.time_to_all_registered_ms !== null
    ? `Every powered phone registered <b>${(s.time_to_all_registered_ms / 1000).toFixed(3)} s</b> after the power came back.`
    : `Not every powered phone registered: the run stopped (${esc(s.stopped_by)}) at ${(s.simulation.end_ms / 1000).toFixed(3)} s.`;

  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Boot storm: ${s.phones} phones, seed ${s.seed}</title>
<style>
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px auto; max-width: 960px; color: #222; padding: 0 12px; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 17px; margin-top: 28px; border-bottom: 1px solid #ddd; }
.muted { color: #777; } .big { font-size: 16px; }
table { border-collapse: collapse; margin: 8px 0; font-size: 13px; } th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f4f4f4; } td:nth-child(n+2) { font-variant-numeric: tabular-nums; }
svg.chart { display: block; margin: 8px 0; background: #fff; max-width: 100%; height: auto; }
svg .grid { stroke: #eee; } svg .axis { stroke: #444; } svg .tick { font-size: 11px; fill: #555; }
svg .label { font-size: 12px; fill: #333; } svg .title { font-size: 13px; font-weight: 600; fill: #222; } svg .legend { font-size: 12px; fill: #333; }
.hists { display: flex; flex-wrap: wrap; gap: 8px; } .hist { flex: 0 0 440px; }
.bottleneck { background: #fff6e5; border-left: 4px solid #e69500; padding: 8px 12px; }
</style>
</head>
<body>
<h1>Boot storm: ${s.phones} phones on ${s.switches} access switch${s.switches === 1 ? "" : "es"}</h1>
<p class="muted">ipphone storm, seed ${s.seed}${s.loss ? `, uplink loss ${s.loss}` : ""}. ${s.real ? `Real servers through VXLAN to ${esc(s.real.link.remote)} (VNI ${s.real.link.vni}); times are real` : "Times are virtual"}, from the instant the power came back.</p>
<p class="big">${headline} Powered ${s.powered}, registered ${s.registered}, dark ${s.dark}.</p>
<p class="bottleneck"><b>Bottleneck: ${esc(s.bottleneck.name ?? "none")}</b> &mdash; ${esc(s.bottleneck.reason)}</p>
<h2>Phones over time</h2>
${timeline}
<h2>Server load</h2>
${load}
${s.real ? realSection(s.real) : ""}
<h2>Stages (seconds)</h2>
${table(["stage", "phones", "p50", "p90", "p99", "max"], stageRows)}
<p class="muted">power: PoE detection, classification and power-up; boot: the bootloader and the firmware's start; vlan: until CDP gave the voice VLAN; dhcp: DISCOVER to bound, with the RFC 5227 address check; tftp: the configuration file (and a new load with its reset); register: SCCP registration.</p>
<h2>Waiting on servers (seconds)</h2>
${table(["server", "phones", "p50", "p90", "p99", "max", "phone-seconds"], waitRows)}
<h2>Servers</h2>
${table(["server", "limit", "work", "queueing"], serverRows)}
<h2>Histograms</h2>
<div class="hists">
${hists.join("\n")}
</div>
<h2>Refusals</h2>
${table(["what", "count"], [
    ["PoE: ports left dark", r.poe_denied_ports], ["PoE: %ILPOWER denial log lines", r.poe_denial_log_lines],
    ["DHCP: requests dropped (backlog full)", r.dhcp_dropped], ["DHCP: NAKs", r.dhcp_naks],
    ["CallManagers: registrations throttled", r.callmanager_throttled], ["CallManagers: rejected", r.callmanager_rejects],
    ["phones: registration failures", r.registration_failures], ["phones: failovers to another CallManager", r.failovers],
    ["TFTP: transfers timed out", r.tftp_timeouts],
    ["uplinks: frames lost up / down", `${s.uplinks.lost_up} / ${s.uplinks.lost_down}`], ["uplinks: DHCP messages lost (no server saw them)", s.uplinks.dhcp_lost],
  ])}
${s.failure_causes.length ? `<h2>Not registered, by cause</h2>${table(["phones", "stage", "cause"], s.failure_causes.slice(0, 100).map((c) => [c.phones, c.stage, c.cause]))}` : ""}
${s.upgrade ? `<h2>Upgrade to ${esc(s.upgrade.load)}</h2>${table(["outcome", "phones"], Object.entries(s.upgrade_outcomes).map(([o, n]) => [o, n ?? 0]))}${s.upgrade_reasons.length ? table(["outcome", "reason", "phones"], s.upgrade_reasons.map((u) => [u.outcome, u.reason, u.phones])) : ""}` : ""}
${darkRows.length ? `<h2>Dark phones (${s.dark_phones.length})</h2>${table(["switch", "port", "MAC", "priority", "switch log"], darkRows)}` : ""}
<h2>Network</h2>
<p>Servers on ${esc(s.network.servers)} (documentation range). Voice VLAN ${s.network.voice_vlan} on every phone port, announced by CDP;
each access switch's voice VLAN is its own subnet (${esc(s.network.voice_subnets)}, RFC 1918 space: the simulation sends nothing outside the process),
routed by the distribution switch, which relays DHCP. Uplinks ${s.network.uplink_bits_per_second / 1e9} Gbit/s, ${s.network.uplink_latency_us} µs one way.
${s.upgrade ? `Configuration names load ${esc(s.upgrade.load)}: ${s.upgrade.upgraded} phones fetched it and reset into it.` : ""}</p>
<p class="muted">Simulation: ${s.simulation.windows} synchronisation windows of ${s.simulation.window_us} µs, ${s.simulation.events} events, ${s.simulation.uplink_messages} frames across uplinks.</p>
</body>
</html>
`;
}
