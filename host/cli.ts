// The `ipphone` command: one file per command under host/commands/.
// Every command has its own --help (exit 0, that command's text only); bad
// usage is one line on stderr naming the command, a pointer to its --help,
// and exit status 2, before any work.
import { BOOT_HELP, bootCommand } from "./commands/boot.js";
import { UsageError, wantsHelp } from "./commands/args.js";
import { ScenarioError } from "./scenario.js";
import { IMAGE_HELP, IMAGE_SUBCOMMANDS, imageCommand, imageHelp } from "./commands/image.js";
import { CALLMANAGER_USAGE, callmanagerCommand } from "./callmanager/cli.js";
import { SOAK_HELP, soakCommand } from "./commands/soak.js";
import { FUZZ_HELP, fuzzCommand } from "./commands/fuzz.js";
import { STORM_HELP, stormCommand } from "./commands/storm.js";
import { LAB_HELP, labCommand } from "./commands/lab.js";
import { DEVICE_HELP, deviceCommand } from "./commands/device.js";

export const USAGE = `usage: ipphone <command> [options]
       ipphone <command> --help    that command's options and exit status

commands:
  boot         boot one phone on the built-in simulated network (or a real one) and print its timeline
  image        firmware images for the bootloader: keygen, build, sign, inspect, verify
  callmanager  the CallManager side of SCCP registration on real TCP
  soak         boot many seeds through the upgrade on lossy, corrupting links, with power cuts
  fuzz         fuzz the firmware's parsers
  storm        boot a building of phones at once after a power cut and find the bottleneck
  lab          up, status, down: a namespace lab of real DHCP, DNS, TFTP servers and CallManagers (root)
  device       the phone on an emulated board (QEMU mps2-an386): write its flash, run it on a tap
  help [CMD]   this text, or CMD's help

exit status: 0 when the command did what it was asked (boot: the phone registered on the load its
configuration names), 2 on bad usage (one line on stderr, nothing run), 1 for any other failure;
boot and storm have more (ipphone boot --help, ipphone storm --help).`;

const CALLMANAGER_HELP = `usage: ipphone callmanager [--listen ADDR:PORT] [--keepalive S] [--reject NAME[=WHY]] [--rate N] [--name NAME] [--json]

${CALLMANAGER_USAGE}

exit status: 0 when stopped by SIGINT or SIGTERM; 1 when it cannot listen; 2 bad usage.`;

const HELP: Record<string, string> = {
  boot: BOOT_HELP,
  image: IMAGE_HELP,
  callmanager: CALLMANAGER_HELP,
  soak: SOAK_HELP,
  fuzz: FUZZ_HELP,
  storm: STORM_HELP,
  lab: LAB_HELP,
  device: DEVICE_HELP,
  help: USAGE,
};

/** "boot", or "image build": the command a usage error belongs to. */
function commandName(command: string | undefined, rest: string[]): string {
  if (command === "image" && IMAGE_SUBCOMMANDS.includes(rest[0])) return `image ${rest[0]}`;
  return command && command in HELP && command !== "help" ? command : "";
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const name = commandName(command, rest);
  try {
    if (command !== undefined && command in HELP && command !== "help" && wantsHelp(rest)) {
      console.log(command === "image" ? imageHelp(rest[0]) : HELP[command]);
      return 0;
    }
    switch (command) {
      case "boot": return await bootCommand(rest);
      case "image": return imageCommand(rest);
      case "callmanager": return await callmanagerCommand(rest);
      case "soak": return soakCommand(rest);
      case "fuzz": return await fuzzCommand(rest);
      case "storm": return await stormCommand(rest);
      case "lab": return await labCommand(rest);
      case "device": return await deviceCommand(rest);
      case "help": case "--help": case "-h": {
        const topic = rest[0];
        if (topic === undefined || topic === "help" || topic === "--help" || topic === "-h") {
          console.log(USAGE);
          return 0;
        }
        if (topic === "image" && rest[1] !== undefined) {
          if (!IMAGE_SUBCOMMANDS.includes(rest[1])) throw new UsageError(`no help for "image ${rest[1]}": image's subcommands are ${IMAGE_SUBCOMMANDS.join(", ")}`);
          console.log(imageHelp(rest[1]));
          return 0;
        }
        if (!(topic in HELP)) throw new UsageError(`no help for "${topic}": the commands are ${Object.keys(HELP).join(", ")}`);
        console.log(HELP[topic]);
        return 0;
      }
      case undefined:
        console.error(USAGE);
        return 2;
      default: throw new UsageError(`unknown command '${command}' (the commands are ${Object.keys(HELP).join(", ")})`);
    }
  } catch (e) {
    if (e instanceof UsageError || e instanceof ScenarioError) {
      const who = name ? `ipphone ${name}` : "ipphone";
      console.error(`${who}: ${e.message}`);
      console.error(`run '${name ? `ipphone ${name} --help` : "ipphone help"}' for usage`);
      return 2;
    }
    throw e;
  }
}
