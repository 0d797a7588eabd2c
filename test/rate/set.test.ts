import { mkdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { UserError } from "../../src/runtime/errors.js";
import { buildRateSet, prepareRateSet, raterOrder, readRateSet } from "../../src/report/rate/set.js";
import { loadSampleSources } from "../../src/report/rate/sources.js";
import { samplesFor, tempDir, writeCompareFolder, writeEvalFolder } from "./fixtures.js";

async function twoMethods(root: string): Promise<string[]> {
  return [
    await writeEvalFolder(join(root, "a"), "sft-hidden", samplesFor(0)),
    await writeEvalFolder(join(root, "b"), "naspo-secret", samplesFor(1)),
  ];
}

describe("sample sources", () => {
  it("reads eval folders, and the lowest seed of each method of a compare folder", async () => {
    const root = await tempDir();
    const dirs = await twoMethods(root);
    const cmp = await writeCompareFolder(join(root, "cmp"), ["flowgrpo-x", "nft-y"]);
    const sources = await loadSampleSources([...dirs, cmp]);
    expect(sources.map((s) => s.method)).toEqual(["sft-hidden", "naspo-secret", "flowgrpo-x", "nft-y"]);
    expect(sources[2]!.dir).toBe(join(cmp, "flowgrpo-x", "seed0", "eval"));
    expect(sources[0]!.samples).toHaveLength(4);
    expect(sources[2]!.samples).toHaveLength(3);
    expect(sources[0]!.samples[0]!.generated_image).toBe(join(dirs[0]!, "images", "rec0.png"));
    expect(sources[0]!.samples_sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("bad input: one clear line each", async () => {
    const root = await tempDir();
    const noImages = await writeEvalFolder(join(root, "noimg"), "m", samplesFor(0), { images: false });
    await expect(loadSampleSources([noImages])).rejects.toThrow(/samples\.jsonl:1: reference_image: refs\/rec0\.png does not exist/);

    const empty = await writeEvalFolder(join(root, "empty"), "m", []);
    await expect(loadSampleSources([empty])).rejects.toThrow(/samples\.jsonl: no samples/);

    await mkdir(join(root, "plain"));
    await expect(loadSampleSources([join(root, "plain")])).rejects.toThrow(/neither an eval folder .* nor a compare folder/);

    const [a] = await twoMethods(join(root, "dup"));
    const again = await writeEvalFolder(join(root, "dup2"), "sft-hidden", samplesFor(3));
    await expect(loadSampleSources([a!, again])).rejects.toThrow(/method "sft-hidden" is also the label of/);

    const escape = await writeEvalFolder(join(root, "escape"), "m", samplesFor(0));
    const text = await readFile(join(escape, "samples.jsonl"), "utf8");
    await writeFile(join(escape, "samples.jsonl"), text.replace('"images/rec2.png"', '"../a/images/rec2.png"'));
    await expect(loadSampleSources([escape])).rejects.toThrow(/samples\.jsonl:3: generated_image: path "\.\.\/a\/images\/rec2\.png" leaves the folder/);

    const linked = await writeEvalFolder(join(root, "linked"), "m", samplesFor(0));
    await rm(join(linked, "images", "rec1.png"));
    await writeFile(join(root, "outside.png"), await readFile(join(linked, "images", "rec0.png")));
    await symlink(join(root, "outside.png"), join(linked, "images", "rec1.png"));
    await expect(loadSampleSources([linked])).rejects.toThrow(/sample "rec1": generated_image: images\/rec1\.png is not a file inside the folder/);

    const notPng = await writeEvalFolder(join(root, "notpng"), "m", samplesFor(0));
    await writeFile(join(notPng, "images", "rec3.png"), "not an image");
    await expect(loadSampleSources([notPng])).rejects.toThrow(/sample "rec3": generated_image: images\/rec3\.png is not a readable image/);

    await expect(loadSampleSources([noImages])).rejects.toBeInstanceOf(UserError);
  });
});

describe("the blinded set", () => {
  it("is seeded: same seed, same ids and order; another seed, another order", async () => {
    const sources = await loadSampleSources(await twoMethods(await tempDir()));
    const a = buildRateSet(sources, { seed: 1, limit: null });
    const b = buildRateSet(sources, { seed: 1, limit: null });
    const c = buildRateSet(sources, { seed: 2, limit: null });
    expect(a.items).toEqual(b.items);
    expect(a.items).toHaveLength(8);
    expect(c.items.map((i) => `${i.method}/${i.sample_id}`)).not.toEqual(a.items.map((i) => `${i.method}/${i.sample_id}`));
    expect(new Set(a.items.map((i) => `${i.method}/${i.sample_id}`)).size).toBe(8);
    for (const item of a.items) {
      expect(item.id).toMatch(/^[0-9a-f]{16}$/);
      expect(item.id).not.toContain(item.sample_id);
    }
    expect(new Set(a.items.map((i) => i.id)).size).toBe(8);
  });

  it("--limit picks the same sample ids for every method", async () => {
    const sources = await loadSampleSources(await twoMethods(await tempDir()));
    const set = buildRateSet(sources, { seed: 0, limit: 2 });
    expect(set.items).toHaveLength(4);
    const ids = (m: string): string[] => set.items.filter((i) => i.method === m).map((i) => i.sample_id).sort();
    expect(ids("sft-hidden")).toEqual(ids("naspo-secret"));
    expect(() => buildRateSet(sources, { seed: 0, limit: 5 })).toThrow(/only 4 sample ids are present in every method/);
  });

  it("each rater gets a fixed permutation of all items", async () => {
    const sources = await loadSampleSources(await twoMethods(await tempDir()));
    const set = buildRateSet(sources, { seed: 0, limit: null });
    const alice = raterOrder(set, "alice");
    expect(raterOrder(set, "alice")).toEqual(alice);
    expect([...alice].sort()).toEqual(set.items.map((i) => i.id).sort());
    expect(raterOrder(set, "bob")).not.toEqual(alice);
  });

  it("set.json is reused for the same samples and refused for others", async () => {
    const root = await tempDir();
    const dirs = await twoMethods(root);
    const out = join(root, "ratings");
    const sources = await loadSampleSources(dirs);
    const first = await prepareRateSet(out, sources, { seed: 0, limit: null });
    expect(first.reused).toBe(false);
    const second = await prepareRateSet(out, sources, { seed: 0, limit: null });
    expect(second.reused).toBe(true);
    expect(second.set.items).toEqual(first.set.items);
    expect((await readRateSet(out)).items).toEqual(first.set.items);
    await expect(prepareRateSet(out, sources, { seed: 1, limit: null })).rejects.toThrow(/set\.json: prepared from other samples/);
    await expect(prepareRateSet(out, sources.slice(0, 1), { seed: 0, limit: null })).rejects.toThrow(/prepared from other samples/);
    await writeFile(join(out, "set.json"), "{");
    await expect(readRateSet(out)).rejects.toThrow(/set\.json: malformed JSON/);
  });
});
