#!/usr/bin/env node
// The `ipphone` command; the code is compiled from host/cli.ts into dist/.
import { main } from "../dist/host/cli.js";

process.exitCode = await main(process.argv.slice(2));
