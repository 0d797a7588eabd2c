/** Every CLI command registers itself here: one `register…(program)` per command file. */
import type { Command } from "commander";
import { registerRate } from "./rate.js";
import { registerReport } from "./report.js";
import { registerJudge } from "./judge.js";
import { registerModel } from "./model.js";

export function registerCommands(program: Command): void {
  registerJudge(program);
  registerModel(program);
  registerRate(program);
  registerReport(program);
}
