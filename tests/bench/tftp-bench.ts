// Bench figure of the firmware's TFTP client (issue 7): an 8 MiB image over
// the simulated 100 Mbit/s port with a 1 ms round trip, as a fraction of the
// line rate (target >= 90 %), and RFC 1350 lockstep (windowsize 1, blksize
// 512) beside it. The client runs in the test-only harness of
// tests/helpers/tftp-harness.ts (assembly/testing/tftp-harness.ts, built by
// `npm run build`);
// the times are virtual, so the figure does not depend on the machine.
import { harnessModule, rate } from "../helpers/tftp-harness.js";

const TARGET = 0.9;

export function tftpBench(): string[] {
  harnessModule();
  const windowed = rate({});
  const lockstep = rate({ options: "ignore" });
  const pct = (f: number) => (f * 100).toFixed(1);
  return [
    `TFTP 8 MiB image, 100 Mbit/s, 1 ms RTT (windowsize ${windowed.window}, blksize ${windowed.blksize}): ` +
      `${pct(windowed.fraction)} % of the link (target >= ${TARGET * 100} %): ${windowed.fraction >= TARGET ? "PASS" : "MISS"}, ${windowed.ms} ms virtual`,
    `TFTP 8 MiB image, same link, lockstep (windowsize 1, blksize ${lockstep.blksize}): ${pct(lockstep.fraction)} % of the link, ${lockstep.ms} ms virtual`,
  ];
}
