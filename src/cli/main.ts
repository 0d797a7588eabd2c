#!/usr/bin/env node
/** The `portraitrl` command line: parses, validates, then calls into the library. */
import { Command, CommanderError } from "commander";
import { ownVersion } from "../runtime/versions.js";
import { registerCommands } from "./commands/index.js";
import { exitWithParent } from "../runtime/lifeline.js";
import { UserError } from "../runtime/errors.js";


export function buildProgram(): Command {
  const program = new Command("portraitrl")
    .description("RL post-training of flow-matching image-editing models (PortraitRL / NaSPO)")
    .version(ownVersion())
    .showHelpAfterError()
    .exitOverride();
  registerCommands(program);
  return program;
}

async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (err instanceof UserError) {
      process.stderr.write(`portraitrl: ${err.message}\n`);
      return err.exitCode;
    }
    throw err;
  }
}

exitWithParent();
main(process.argv).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`portraitrl: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
