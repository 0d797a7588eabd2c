/** `portraitrl grid EVAL_DIR... --out PNG`: reference | target | each eval's output, at a zoom where pixels show. */
import type { Command } from "commander";
import { readEvalFolder } from "../../eval/folder.js";
import { writeEditGridPng } from "../../report/grid-png.js";
import { requiredInt } from "../int-flag.js";

interface GridCliOptions {
  out: string;
  records: string;
  zoom: string;
}

export function registerGrid(program: Command): void {
  program
    .command("grid")
    .description("one PNG of edits: a row per record (the first ids the eval folders share), columns reference | target | each eval folder's output, scaled up with nearest-neighbour")
    .argument("<evalDirs...>", "eval folders of the same split, one column each, in this order")
    .requiredOption("--out <png>", "the PNG file to write")
    .option("--records <n>", "rows", "16")
    .option("--zoom <k>", "integer scale factor", "5")
    .action(async (dirs: string[], o: GridCliOptions) => {
      const records = requiredInt("--records", o.records, 1);
      const zoom = requiredInt("--zoom", o.zoom, 1);
      const folders = [];
      for (const d of dirs) folders.push(await readEvalFolder(d));
      const ids = await writeEditGridPng(folders, o.out, { records, zoom });
      process.stdout.write(`${JSON.stringify({ out: o.out, rows: ids, columns: ["reference", "target", ...dirs] })}\n`);
    });
}
