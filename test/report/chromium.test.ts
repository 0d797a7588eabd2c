/**
 * The report opens in headless Chromium (Debian's `chromium`, driven by playwright-core) with no console
 * error, no failed image, no request leaving the page; a full-page screenshot is taken. Set
 * PORTRAITRL_REPORT_SCREENSHOT=path to keep the screenshot (docs/report.png was made that way).
 */
import { existsSync } from "node:fs";
import { copyFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeReport } from "../../src/report/build.js";
import { makeCompareFolder, makeRunFolder } from "../eval/fixtures.js";

const CHROMIUM = process.env.PORTRAITRL_CHROMIUM ?? "/usr/bin/chromium";

describe.skipIf(!existsSync(CHROMIUM))(`report in headless Chromium (${CHROMIUM})`, () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "prl-chromium-"));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("opens without errors or network requests, and renders", async () => {
    const cmp = await makeCompareFolder(join(root, "cmp"), ["sft", "flow-grpo", "naspo"], [0, 1], { n: 4, rewards: ["ours"] });
    const reports = [await writeReport(cmp, { maxSamples: 3 }), await writeReport(await makeRunFolder(join(root, "run"), { epochs: 8, groups: 2, g: 6 }))];
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu"] });
    try {
      for (const [k, report] of reports.entries()) {
        const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
        const problems: string[] = [];
        page.on("console", (m) => {
          if (m.type() === "error" || m.type() === "warning") problems.push(`console ${m.type()}: ${m.text()}`);
        });
        page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
        page.on("request", (r) => {
          if (!r.url().startsWith("file:") && !r.url().startsWith("data:")) problems.push(`request: ${r.url()}`);
        });
        page.on("requestfailed", (r) => problems.push(`failed: ${r.url().slice(0, 80)}`));
        await page.goto(pathToFileURL(report).href, { waitUntil: "load" });
        // Runs in the page (a string, since this project's TypeScript has no DOM types).
        const state = (await page.evaluate(`({
          images: document.images.length,
          broken: [...document.images].filter((i) => !i.complete || i.naturalWidth === 0).length,
          svgs: document.querySelectorAll("svg.chart g.mark-line path").length,
          sections: [...document.querySelectorAll("section")].map((s) => s.id),
          tableRows: document.querySelectorAll("table.results tbody tr").length,
        })`)) as { images: number; broken: number; svgs: number; sections: string[]; tableRows: number };
        expect(problems).toEqual([]);
        expect(state.images).toBeGreaterThan(10);
        expect(state.broken).toBe(0);
        expect(state.svgs).toBeGreaterThan(5);
        if (k === 0) {
          expect(state.sections).toEqual(["tables", "curves", "samples", "groups"]);
          // Table 1 (3 rows), Table 3 (SFT, Ours), then the paired differences: Table 1 against SFT and
          // against NaSPO (the two other rows each), Table 3 against SFT and against Ours (one row each)
          expect(state.tableRows).toBe(3 + 2 + (2 + 2) + (1 + 1));
        }
        const shot = join(root, `report-${k}.png`);
        await page.screenshot({ path: shot, fullPage: true });
        const meta = await sharp(shot).metadata();
        expect(meta.width).toBe(1400);
        expect(meta.height).toBeGreaterThan(900);
        const stats = await sharp(shot).stats();
        expect(stats.channels[0]!.stdev).toBeGreaterThan(5);
        if (k === 0 && process.env.PORTRAITRL_REPORT_SCREENSHOT) await copyFile(shot, process.env.PORTRAITRL_REPORT_SCREENSHOT);
        await page.close();
      }
    } finally {
      await browser.close();
    }
  });
});
