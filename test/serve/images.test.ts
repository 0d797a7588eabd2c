import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { RequestImages, decodeBase64 } from "../../src/serve/images.js";
import { parseFlowFactory } from "../../src/serve/flow-factory.js";
import { RequestError } from "../../src/serve/request-error.js";

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof RequestError) return `${e.status} ${e.message}`;
    throw e;
  }
  throw new Error("expected a RequestError");
}

const opaque = (): Promise<Buffer> => sharp({ create: { width: 5, height: 4, channels: 3, background: { r: 9, g: 99, b: 199 } } }).png().toBuffer();

describe("request images", () => {
  it("strict base64: an optional data-URI prefix; anything outside the alphabet, bad padding or length is refused", () => {
    expect(Buffer.from(decodeBase64("aGVsbG8=", "x")).toString()).toBe("hello");
    expect(Buffer.from(decodeBase64("data:image/png;base64,aGVsbA==", "x")).toString()).toBe("hell");
    for (const bad of ["aGV$bG8=", "aGVsbG8", "", "aG=sbG8=", "a===", "aGVsbG8=\n"]) expect(() => decodeBase64(bad, "image[3]")).toThrow("image[3]: not valid base64");
    expect(() => decodeBase64(7, "image[0]")).toThrow("image[0]: expected a base64 string, got number");
  });

  it("passes an opaque PNG through as it came, re-encodes JPEG and alpha as opaque PNG, and reads identical bytes once", async () => {
    const png = await opaque();
    const images = new RequestImages();
    const a = await images.decode(png, "a");
    expect(a).toEqual({ kind: "png", bytes: png });
    expect(await images.decode(Buffer.from(png), "b")).toBe(a);
    const jpeg = await sharp(png).jpeg().toBuffer();
    const fromJpeg = await images.decode(jpeg, "c");
    const meta = await sharp((fromJpeg as { bytes: Uint8Array }).bytes).metadata();
    expect([meta.format, meta.width, meta.height, meta.hasAlpha]).toEqual(["png", 5, 4, false]);
    const rgba = await sharp(png).ensureAlpha().png().toBuffer();
    const flat = await sharp((await images.decode(rgba, "d") as { bytes: Uint8Array }).bytes).raw().toBuffer({ resolveWithObject: true });
    expect(flat.info.channels).toBe(3);
    expect([...flat.data.subarray(0, 3)]).toEqual([9, 99, 199]);
  });

  it("refuses a truncated PNG and bytes that are no image, naming the field", async () => {
    const png = await opaque();
    expect(await refusal(new RequestImages().decode(png.subarray(0, png.length - 5), "image[2]"))).toBe("400 image[2]: not a decodable image (truncated: no IEND chunk at the end)");
    expect(await refusal(new RequestImages().decode(Buffer.from("not an image"), "ref_images[0]"))).toMatch(/^400 ref_images\[0\]: not a decodable image \(/);
  });
});

describe("Flow-Factory request parsing", () => {
  it("reads the example server's plural names too, pairs by position, and gives each pointwise sample its own group", async () => {
    const png = (await opaque()).toString("base64");
    const items = await parseFlowFactory({ prompts: ["a", "b"], images: [png, png], condition_images: [[png], [png, png]] }, false);
    expect(items.map((i) => [i.instruction, i.groupKey])).toEqual([["a", "sample-0"], ["b", "sample-1"]]);
  });

  it("refuses malformed requests with one line", async () => {
    const png = (await opaque()).toString("base64");
    expect(await refusal(parseFlowFactory([1], false))).toBe("400 body: expected a JSON object with prompt, image and condition_images");
    expect(await refusal(parseFlowFactory({ prompt: [], image: [] }, false))).toBe("400 prompt: empty list");
    expect(await refusal(parseFlowFactory({ prompt: ["a", 3], image: [png, png] }, false))).toBe("400 prompt[1]: expected a string");
    expect(await refusal(parseFlowFactory({ prompt: ["a"], image: [png, png], condition_images: [[png]] }, false))).toBe("400 image: 2 entries for 1 prompts");
    expect(await refusal(parseFlowFactory({ prompt: ["a"], image: [png] }, false))).toBe(
      "400 condition_images: missing; the judges compare each edit with its reference image, so list condition_images in the reward class's required_fields",
    );
    expect(await refusal(parseFlowFactory({ prompt: ["a"], image: [png], condition_images: [[]] }, false))).toBe("400 condition_images[0]: empty; the first condition image is the reference");
  });
});
