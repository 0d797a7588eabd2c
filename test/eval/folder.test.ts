import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readEvalFolder, writeEvalFolder } from "../../src/eval/folder.js";
import { fileStem } from "../../src/eval/paths.js";
import { summarizeSamples } from "../../src/eval/summary.js";
import { UserError } from "../../src/runtime/errors.js";
import { evalMeta, evalSamples, makeEvalFolder } from "./fixtures.js";

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "prl-evalfolder-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function expectUserError(p: Promise<unknown>, pattern: RegExp, exitCode = 1): Promise<void> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(UserError);
  expect((err as UserError).message).toMatch(pattern);
  expect((err as UserError).message).not.toContain("\n");
  expect((err as UserError).exitCode).toBe(exitCode);
}

describe("eval folders", () => {
  it("round-trips: what is written is read back, with metrics from the rows", async () => {
    const dir = join(root, "rt");
    const samples = await evalSamples("naspo", 5, 1);
    samples[4]!.judge_dp = Number.NaN; // a failed judgement
    const written = await writeEvalFolder(dir, { meta: evalMeta("naspo", 1), samples });
    const read = await readEvalFolder(dir);
    expect(read.eval).toEqual(written.eval);
    expect(read.samples).toEqual(written.samples);
    expect(read.eval.kind).toBe("portraitrl-eval");
    expect(read.eval.metrics).toEqual(summarizeSamples(read.samples, 1));
    expect(read.samples[2]!.generated_image).toBe("images/rec-002.png");
    expect(Buffer.from(await readFile(join(dir, "images/rec-002.png")))).toEqual(Buffer.from(samples[2]!.generated_png));
    expect(read.eval.metrics.clip_i).toEqual({ mean: null, ci95: null, n: 0 });
    expect(read.samples[4]!.judge_dp).toBeNull();
    expect(read.eval.metrics.judge_dp.n).toBe(4);
    expect((await readdir(root)).filter((n) => n.includes(".tmp-"))).toEqual([]);
  });

  it("refuses to overwrite unless asked, and replaces atomically when asked", async () => {
    const dir = await makeEvalFolder(join(root, "ow"), "sft", 3);
    await expectUserError(makeEvalFolder(dir, "naspo", 3), /already exists/, 2);
    await writeEvalFolder(dir, { meta: evalMeta("naspo", 0), samples: await evalSamples("naspo", 2) }, { overwrite: true });
    const read = await readEvalFolder(dir);
    expect(read.eval.method).toBe("naspo");
    expect(read.samples).toHaveLength(2);
    expect(await readdir(join(dir, "images"))).toHaveLength(2);
    expect((await readdir(root)).filter((n) => n.startsWith("."))).toEqual([]);
  });

  it("names files safely for any id and rejects duplicate ids", async () => {
    expect(fileStem("rec-001")).toBe("rec-001");
    expect(fileStem("../etc/passwd")).toMatch(/^_etc_passwd-[0-9a-f]{10}$/);
    expect(fileStem("..")).toMatch(/^-[0-9a-f]{10}$/);
    expect(fileStem("a b")).not.toBe(fileStem("a_b"));
    const s = await evalSamples("sft", 2);
    s[1]!.id = s[0]!.id;
    await expectUserError(writeEvalFolder(join(root, "dup"), { meta: evalMeta("sft", 0), samples: s }), /duplicate sample id/);
  });

  describe("bad input: one line naming file:line and field", () => {
    let dir: string;
    beforeAll(async () => {
      dir = await makeEvalFolder(join(root, "bad"), "sft", 3);
    });
    const withSamples = async (mutate: (lines: string[]) => string[]) => {
      const d = join(root, `bad-${Math.random().toString(36).slice(2)}`);
      await makeEvalFolder(d, "sft", 3);
      const lines = (await readFile(join(d, "samples.jsonl"), "utf8")).trim().split("\n");
      await writeFile(join(d, "samples.jsonl"), mutate(lines).join("\n") + "\n");
      return d;
    };

    it("a missing folder or eval.json", async () => {
      await expectUserError(readEvalFolder(join(root, "nope")), /eval\.json: not found/);
    });
    it("a malformed samples line", async () => {
      const d = await withSamples((l) => [l[0]!, "{not json", l[2]!]);
      await expectUserError(readEvalFolder(d), /samples\.jsonl:2: malformed JSON/);
    });
    it("a field of the wrong type", async () => {
      const d = await withSamples((l) => [l[0]!, l[1]!.replace(/"judge_dp":[^,]+/, '"judge_dp":"high"'), l[2]!]);
      await expectUserError(readEvalFolder(d), /samples\.jsonl:2: judge_dp: /);
    });
    it("an image path that leaves the folder, or a missing image", async () => {
      const d = await withSamples((l) => [l[0]!, l[1]!, l[2]!.replace("images/rec-002.png", "../../x.png")]);
      await expectUserError(readEvalFolder(d), /samples\.jsonl:3: generated_image: path "\.\.\/\.\.\/x\.png" leaves the folder/);
      const d2 = await withSamples((l) => [l[0]!.replace("refs/rec-000.png", "refs/gone.png"), l[1]!, l[2]!]);
      await expectUserError(readEvalFolder(d2), /samples\.jsonl:1: reference_image: refs\/gone\.png does not exist/);
    });
    it("a duplicated id", async () => {
      const d = await withSamples((l) => [l[0]!, l[1]!, l[0]!]);
      await expectUserError(readEvalFolder(d), /samples\.jsonl:3: id: duplicate "rec-000" \(first on line 1\)/);
    });
    it("a bad eval.json", async () => {
      const j = JSON.parse(await readFile(join(dir, "eval.json"), "utf8"));
      j.metrics.judge_dp.n = -1;
      await writeFile(join(dir, "eval.json"), JSON.stringify(j));
      await expectUserError(readEvalFolder(dir), /eval\.json: metrics\.judge_dp\.n: /);
      await writeFile(join(dir, "eval.json"), "{");
      await expectUserError(readEvalFolder(dir), /eval\.json: malformed JSON/);
    });
  });
});
