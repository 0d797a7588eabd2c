/**
 * A report page as a full-page PNG, in headless Chromium (Debian's `chromium`, or $PORTRAITRL_CHROMIUM,
 * driven by playwright-core, as test/report/chromium.test.ts opens it): the way to check a results
 * folder's report.html in a real browser and keep what it showed.
 *
 *   npx tsx scripts/screenshot-report.ts REPORT.html OUT.png [--width 1400]
 *
 * Exits non-zero, writing nothing, when the page logs an error, an image fails or a request leaves the page.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";

const [report, out] = process.argv.slice(2).filter((a, i, all) => !a.startsWith("--") && all[i - 1] !== "--width");
const wi = process.argv.indexOf("--width");
const width = wi >= 0 ? Number(process.argv[wi + 1]) : 1400;
const executablePath = process.env.PORTRAITRL_CHROMIUM ?? "/usr/bin/chromium";
if (!report || !out || !existsSync(report) || !Number.isInteger(width) || width < 200) {
  process.stderr.write("usage: screenshot-report REPORT.html OUT.png [--width PIXELS >= 200] (REPORT.html must exist)\n");
  process.exit(2);
}
if (!existsSync(executablePath)) {
  process.stderr.write(`screenshot-report: no Chromium at ${executablePath} (apt-get install chromium, or set PORTRAITRL_CHROMIUM)\n`);
  process.exit(1);
}
const browser = await chromium.launch({ executablePath, args: ["--no-sandbox", "--disable-gpu"] });
const problems: string[] = [];
try {
  const page = await browser.newPage({ viewport: { width, height: 900 } });
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console error: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("request", (r) => {
    if (!r.url().startsWith("file:") && !r.url().startsWith("data:")) problems.push(`request: ${r.url()}`);
  });
  await page.goto(pathToFileURL(resolve(report)).href, { waitUntil: "load" });
  const broken = (await page.evaluate(`[...document.images].filter((i) => !i.complete || i.naturalWidth === 0).length`)) as number;
  if (broken > 0) problems.push(`${broken} images did not load`);
  if (problems.length === 0) await page.screenshot({ path: out, fullPage: true });
} finally {
  await browser.close();
}
if (problems.length > 0) {
  process.stderr.write(`screenshot-report: ${report}: ${problems.join("; ")}\n`);
  process.exit(1);
}
process.stderr.write(`screenshot-report: ${out}\n`);
