// The `ipphone` command: one file per command under host/commands/.
import { BOOT_USAGE, bootCommand } from "./commands/boot.js";
import { UsageError } from "./commands/args.js";
import { ScenarioError } from "./scenario.js";
import { IMAGE_USAGE, imageCommand } from "./commands/image.js";
import { CALLMANAGER_USAGE, callmanagerCommand } from "./callmanager/cli.js";
import { SOAK_USAGE, soakCommand } from "./commands/soak.js";
import { FUZZ_USAGE, fuzzCommand } from "./commands/fuzz.js";
import { STORM_USAGE, stormCommand } from "./commands/storm.js";

const USAGE = `usage: ipphone <command> [options]

commands:
${BOOT_USAGE}
${IMAGE_USAGE}
${CALLMANAGER_USAGE}
${SOAK_USAGE}
${FUZZ_USAGE}
${STORM_USAGE}
  help    this text

exit status: 0 when the command did what it was asked (boot: the phone registered), 2 on bad
usage; boot on the simulated network: 10 power, 11 boot, 12 vlan, 13 dhcp, 14 tftp, 15 register
(the stage that failed); 1 for any other failure.`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "boot": return await bootCommand(rest);
      case "image": return imageCommand(rest);
      case "callmanager": return await callmanagerCommand(rest);
      case "soak": return soakCommand(rest);
      case "fuzz": return await fuzzCommand(rest);
      case "storm": return await stormCommand(rest);
      case undefined: case "help": case "--help": case "-h":
        console.log(USAGE);
        return command === undefined ? 2 : 0;
      default: throw new UsageError(`unknown command "${command}"`);
    }
  } catch (e) {
    const err = e as Error & { code?: string };
    if (e instanceof UsageError || e instanceof ScenarioError || err.code?.startsWith("ERR_PARSE_ARGS")) {
      console.error(`ipphone: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    throw e;
  }
}
