/**
 * End to end in headless Chromium (Debian's `chromium`, driven by playwright-core): the CLI serves the
 * page, a rater rates with the keyboard, undoes, reloads and continues; the JSONL and the summary agree.
 * Set PORTRAITRL_RATE_SCREENSHOT=path to keep the page screenshot (docs/rate-page.png was made so).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, appendFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { samplesFor, tempDir, writeEvalFolder } from "./fixtures.js";

const CHROMIUM = process.env.PORTRAITRL_CHROMIUM ?? "/usr/bin/chromium";
const ROOT = resolve(import.meta.dirname, "../..");
const METHODS = ["sft-hidden", "naspo-secret"];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[]): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", join(ROOT, "src/cli/main.ts"), ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
}

function finished(child: ChildProcess): Promise<Run> {
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
  return new Promise((done) => child.on("close", (code) => done({ code, stdout, stderr })));
}

const runCli = (args: string[]): Promise<Run> => finished(cli(args));

function rawGet(port: number, path: string): Promise<number> {
  return new Promise((done, fail) => {
    const req = request({ host: "127.0.0.1", port, path, headers: { Host: `127.0.0.1:${port}` } }, (res) => {
      res.resume();
      res.on("end", () => done(res.statusCode ?? 0));
    });
    req.on("error", fail);
    req.end();
  });
}

interface Event {
  type: string;
  item: string;
  dp?: number;
  pf?: number;
  rater: string;
}

describe("rate: the page in headless Chromium", () => {
  let root: string;
  let out: string;
  let dirs: string[];
  let server: ChildProcess;
  let serverDone: Promise<Run>;
  let url: string;
  let port: number;
  let context: BrowserContext;
  let page: Page;
  const fetched: { url: string; type: string; body: Buffer }[] = [];
  const pending: Promise<void>[] = [];
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: npm test installs it (scripts/test-setup.ts)`);
    root = await tempDir("rate-e2e-");
    dirs = [
      await writeEvalFolder(join(root, METHODS[0]!), METHODS[0]!, samplesFor(0, 3)),
      await writeEvalFolder(join(root, METHODS[1]!), METHODS[1]!, samplesFor(1, 3)),
    ];
    out = join(root, "ratings");
    server = cli(["rate", "--samples", ...dirs, "--rater", "alice", "--port", "0", "--out", out, "--seed", "3"]);
    serverDone = finished(server);
    url = await new Promise<string>((done, fail) => {
      let text = "";
      server.stdout!.on("data", (c: Buffer) => {
        text += c.toString();
        const m = /rate: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(text);
        if (m) done(m[1]!);
      });
      server.on("close", () => fail(new Error(`server exited early: ${text}`)));
    });
    port = Number(new URL(url).port);
    context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), "rate-chromium-")), {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1100, height: 860 },
      args: [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
      ],
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on("console", (msg) => {
      if (msg.type() === "error" || msg.type() === "warning") consoleErrors.push(msg.text());
    });
    page.on("pageerror", (err) => consoleErrors.push(err.message));
    page.on("response", (resp) => {
      pending.push(
        resp.body().then(
          (body) => void fetched.push({ url: resp.url(), type: resp.headers()["content-type"] ?? "", body }),
          () => undefined,
        ),
      );
    });
  });

  afterAll(async () => {
    await context?.close();
    if (server && server.exitCode === null) server.kill("SIGINT");
  });

  const count = (): Promise<string | null> => page.textContent("#count");
  const shownItem = async (): Promise<string> => (await page.getAttribute("body", "data-item")) ?? "";
  async function waitFor(done: number): Promise<void> {
    // locators, not page functions: the page's CSP forbids evaluating strings in it
    await page.locator("#count", { hasText: new RegExp(`^${done} / 6 rated$`) }).waitFor();
    if (done < 6) await page.locator('body[data-ready="1"]').waitFor();
  }
  async function rate(dp: number, pf: number, done: number): Promise<string> {
    const item = await shownItem();
    await page.keyboard.press(String(dp));
    await page.keyboard.press(String(pf));
    await waitFor(done);
    return item;
  }

  it("rates with the keyboard, undoes, reloads, continues; JSONL, blinding and summary check out", async () => {
    await page.goto(url);
    await waitFor(0);
    const given: Record<string, [number, number]> = {};
    const first = await rate(3, 2, 1);
    given[first] = [3, 2];
    const second = await rate(4, 1, 2);
    given[second] = [4, 1];
    // a DP given then withdrawn with Backspace, then the sample rated; then undo with U and rate again
    const third = await shownItem();
    await page.keyboard.press("1");
    expect(await page.getAttribute("#pf-box", "class")).toContain("active");
    await page.keyboard.press("Backspace");
    expect(await page.getAttribute("#dp-box", "class")).toContain("active");
    await rate(2, 2, 3);
    await page.keyboard.press("u");
    await waitFor(2);
    expect(await shownItem()).toBe(third);
    await rate(0, 4, 3);
    given[third] = [0, 4];

    await page.reload();
    await waitFor(3);
    const fourth = await shownItem();
    expect([first, second, third]).not.toContain(fourth);
    given[fourth] = [1, 3];
    await rate(1, 3, 4);
    expect(await count()).toBe("4 / 6 rated");

    // the page as a rater sees it, DP chosen and PF awaited
    await page.keyboard.press("3");
    const shot = join(root, "rate-page.png");
    await page.screenshot({ path: shot, fullPage: true });
    const meta = await sharp(shot).metadata();
    expect(meta.width).toBe(1100);
    if (process.env.PORTRAITRL_RATE_SCREENSHOT) copyFileSync(shot, process.env.PORTRAITRL_RATE_SCREENSHOT);
    await page.keyboard.press("Backspace");
    const fifth = await rate(3, 0, 5);
    given[fifth] = [3, 0];
    const sixth = await rate(2, 4, 6);
    expect(await page.isVisible("#done")).toBe(true);
    expect(await page.isVisible("#main")).toBe(false);
    await page.keyboard.press("u");
    await waitFor(5);
    expect(await shownItem()).toBe(sixth);
    expect(await page.isVisible("#main")).toBe(true);
    await rate(4, 4, 6);
    given[sixth] = [4, 4];
    expect(await page.isVisible("#done")).toBe(true);

    // method names and sample paths never reach the page: not in any URL or any body it fetched
    await Promise.all(pending);
    expect(fetched.some((f) => f.url.endsWith("/api/state"))).toBe(true);
    expect(fetched.some((f) => f.url.endsWith("/api/rate"))).toBe(true);
    expect(fetched.some((f) => f.url.endsWith("/api/undo"))).toBe(true);
    expect(fetched.filter((f) => f.type.startsWith("image/png")).length).toBeGreaterThanOrEqual(8);
    for (const f of fetched) {
      const text = f.body.toString("latin1");
      for (const m of [...METHODS, root, "samples.jsonl", "rec0", "images/"]) {
        expect(f.url).not.toContain(m);
        expect(text, `${f.url} leaks ${m}`).not.toContain(m);
      }
    }
    expect(consoleErrors).toEqual([]);
    const html = await page.content();
    for (const m of METHODS) expect(html).not.toContain(m);

    // path traversal against the live server
    for (const p of ["/../set.json", `/img/${first}/../../set.json`, "/img/%2e%2e/%2e%2e/alice.jsonl", "/ratings/set.json"]) {
      expect([403, 404]).toContain(await rawGet(port, p));
    }

    // a second live session for the same rater is refused; nothing is lost
    const twin = await runCli(["rate", "--samples", ...dirs, "--rater", "alice", "--port", "0", "--out", out, "--seed", "3"]);
    expect(twin.code).toBe(2);
    expect(twin.stderr).toMatch(/rater "alice" already has a live session/);

    server.kill("SIGINT");
    const end = await serverDone;
    expect(end.code).toBe(130);
    expect(existsSync(join(out, "alice.lock"))).toBe(false);

    // the JSONL holds exactly what was given, in order, with the undo
    const file = join(out, "alice.jsonl");
    const events = readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l) as Event);
    expect(events.map((e) => e.type)).toEqual(["session", "rating", "rating", "rating", "undo", "rating", "rating", "rating", "rating", "undo", "rating"]);
    expect(events.filter((e) => e.type === "rating").map((e) => [e.item, e.dp, e.pf])).toEqual([
      [first, 3, 2], [second, 4, 1], [third, 2, 2], [third, 0, 4], [fourth, 1, 3], [fifth, 3, 0], [sixth, 2, 4], [sixth, 4, 4],
    ]);
    expect(events[4]).toMatchObject({ type: "undo", item: third, rater: "alice" });

    // the summary: per-method means from the blinding key and the ratings given above
    const set = JSON.parse(readFileSync(join(out, "set.json"), "utf8")) as { items: { id: string; method: string }[] };
    const expected = (method: string, k: 0 | 1): number => {
      const vals = Object.entries(given).filter(([id]) => set.items.find((i) => i.id === id)!.method === method).map(([, v]) => v[k] / 4);
      return vals.reduce((a, b) => a + b, 0) / vals.length;
    };
    const sum = await runCli(["rate", "--summary", out, "--resamples", "200"]);
    expect(sum.code).toBe(0);
    expect(sum.stdout).toMatch(/^Method\s+Human-DP\s+Human-PF/m);
    const summary = JSON.parse(readFileSync(join(out, "summary.json"), "utf8")) as {
      methods: { method: string; n_ratings: number; human_dp: { value: number | null }; human_pf: { value: number | null } }[];
      raters: { name: string; rated: number; total: number }[];
    };
    expect(summary.raters).toEqual([{ name: "alice", rated: 6, total: 6, skipped_lines: [] }]);
    for (const m of summary.methods) {
      expect(METHODS).toContain(m.method);
      expect(m.n_ratings).toBe(3);
      expect(m.human_dp.value).toBeCloseTo(expected(m.method, 0), 12);
      expect(m.human_pf.value).toBeCloseTo(expected(m.method, 1), 12);
      expect(sum.stdout).toContain(`${m.method} `);
    }
    expect(summary.methods.map((m) => m.method).sort()).toEqual([...METHODS].sort());

    // a corrupt line: reported with its line number, skipped, the file left as it was
    appendFileSync(file, "{garbage\n");
    const before = readFileSync(file);
    const again = await runCli(["rate", "--summary", out, "--resamples", "50"]);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain(`${file}:12: not JSON`);
    expect(readFileSync(file).equals(before)).toBe(true);

    // restart: the rater continues where they were, despite the corrupt line
    const restart = cli(["rate", "--samples", ...dirs, "--rater", "alice", "--port", "0", "--out", out, "--seed", "3"]);
    const restartDone = finished(restart);
    await new Promise<void>((done) => restart.stdout!.on("data", (c: Buffer) => c.toString().includes("has rated 6/6") && done()));
    restart.kill("SIGINT");
    const r = await restartDone;
    expect(r.code).toBe(130);
    expect(r.stderr).toContain(`${file}:12: not JSON`);
  });

  it("bad input: one line and a non-zero exit", async () => {
    const noImages = await writeEvalFolder(join(root, "noimg"), "m", samplesFor(0, 2), { images: false });
    const a = await runCli(["rate", "--samples", noImages, "--rater", "bob", "--out", join(root, "r2")]);
    expect(a.code).toBe(1);
    expect(a.stderr.trim().split("\n")).toHaveLength(1);
    expect(a.stderr).toMatch(/samples\.jsonl:1: reference_image: refs\/rec0\.png does not exist/);
    expect(existsSync(join(root, "r2"))).toBe(false);
    const b = await runCli(["rate", "--samples", dirs[0]!, "--out", join(root, "r3")]);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/--rater NAME is required/);
    const c = await runCli(["rate", "--summary", join(root, "nowhere")]);
    expect(c.code).toBe(1);
    expect(c.stderr).toMatch(/set\.json: not found/);
    const d = await runCli(["rate", "--samples", dirs[0]!, "--rater", "../x", "--out", join(root, "r4")]);
    expect(d.code).toBe(2);
  });
});
