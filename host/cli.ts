// The `ipphone` command: one file per command under host/commands/.
import { BOOT_USAGE, bootCommand } from "./commands/boot.js";
import { UsageError } from "./commands/args.js";
import { IMAGE_USAGE, imageCommand } from "./commands/image.js";
import { CALLMANAGER_USAGE, callmanagerCommand } from "./callmanager/cli.js";

const USAGE = `usage: ipphone <command> [options]

commands:
${BOOT_USAGE}
${IMAGE_USAGE}
${CALLMANAGER_USAGE}
  help    this text

exit status: 0 when the command did what it was asked (boot: the phone got an address),
1 when it could not, 2 on bad usage.`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "boot": return await bootCommand(rest);
      case "image": return imageCommand(rest);
      case "callmanager": return await callmanagerCommand(rest);
      case undefined: case "help": case "--help": case "-h":
        console.log(USAGE);
        return command === undefined ? 2 : 0;
      default: throw new UsageError(`unknown command "${command}"`);
    }
  } catch (e) {
    const err = e as Error & { code?: string };
    if (e instanceof UsageError || err.code?.startsWith("ERR_PARSE_ARGS")) {
      console.error(`ipphone: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    throw e;
  }
}
