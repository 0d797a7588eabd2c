/** Every CLI command registers itself here: one `register…(program)` per command file. */
import type { Command } from "commander";
import { registerData } from "./data.js";
import { registerRate } from "./rate.js";
import { registerReport } from "./report.js";
import { registerJudge } from "./judge.js";
import { registerModel } from "./model.js";
import { registerEval } from "./eval.js";

export function registerCommands(program: Command): void {
  registerData(program);
  registerJudge(program);
  registerModel(program);
  registerEval(program);
  registerRate(program);
  registerReport(program);
}
