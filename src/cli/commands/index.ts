/** Every CLI command registers itself here: one `register…(program)` per command file. */
import type { Command } from "commander";
import { registerDemo } from "./demo.js";
import { registerData } from "./data.js";
import { registerRate } from "./rate.js";
import { registerReport } from "./report.js";
import { registerGrid } from "./grid.js";
import { registerJudge } from "./judge.js";
import { registerModel } from "./model.js";
import { registerEval } from "./eval.js";
import { registerSft } from "./sft.js";
import { registerSample } from "./sample.js";
import { registerTrain } from "./train.js";
import { registerCompare } from "./compare.js";
import { registerSweep } from "./sweep.js";
import { registerServeReward } from "./serve-reward.js";

export function registerCommands(program: Command): void {
  registerDemo(program);
  registerData(program);
  registerJudge(program);
  registerModel(program);
  registerEval(program);
  registerSft(program);
  registerSample(program);
  registerTrain(program);
  registerCompare(program);
  registerSweep(program);
  registerRate(program);
  registerReport(program);
  registerGrid(program);
  registerServeReward(program);
}
