// A storm worker thread: owns a partition (access switches and their phones),
// runs one window each time the main thread says so, and hands back the
// frames that crossed uplinks through shared memory (exchange.ts).
import { parentPort, workerData } from "node:worker_threads";
import { performance } from "node:perf_hooks";
import { Partition } from "./partition.js";
import { CTRL, decodeMessages, encodeMessages, writeProgress, type WorkerInit } from "./exchange.js";
import { signal, Waiter } from "./engine.js";

const init = workerData as WorkerInit;
const ctrl = new Int32Array(init.ctrl);
const f64 = new Float64Array(init.f64);
const progress = new Int32Array(init.progress);
const inbox = new Uint8Array(init.inbox);
const outbox = new Uint8Array(init.outbox);

const go = new Waiter(ctrl, CTRL.go, CTRL.goSleeper, init.spin);
const part = new Partition(init.plan, init.spec);
part.start();
parentPort!.postMessage({ type: "ready" });

let round = 0;
let waitedMs = 0;
let roundMs = 0;
for (;;) {
  round++;
  // Wait for the main thread's next command.
  const w0 = performance.now();
  go.wait(round);
  const r0 = performance.now();
  waitedMs += r0 - w0;
  if (ctrl[CTRL.cmd] === 2) {
    if (process.env.STORM_TRACE) console.error(`storm worker: ${round - 1} windows, ${roundMs.toFixed(0)} ms in them, ${waitedMs.toFixed(0)} ms waiting`);
    const result = part.result();
    parentPort!.postMessage({ type: "result", result });
    break;
  }
  try {
    part.inject(decodeMessages(inbox));
    encodeMessages(part.runWindow(f64[0]), outbox);
    const next = part.nextEventUs();
    f64[1] = next === null ? NaN : next;
    writeProgress(part.progress(), progress);
  } catch (e) {
    ctrl[CTRL.error] = 1;
    console.error(`storm worker: ${(e as Error).stack ?? e}`);
  }
  roundMs += performance.now() - r0;
  signal(ctrl, CTRL.done, CTRL.doneSleeper, round);
}
