/** Every CLI command registers itself here: one `register…(program)` per command file. */
import type { Command } from "commander";

export function registerCommands(_program: Command): void {}
