/** UniWorld-V2's low-variance group rule and its resumable state. */
import { describe, expect, it } from "vitest";
import { GroupBanTracker, uniworldV2ConfigSchema } from "../../src/rl/uniworld-v2.js";

describe("GroupBanTracker", () => {
  const groups = ["hi", "hi", "hi", "lo", "lo", "lo", "ok", "ok", "ok", "one", "one"];
  const rewards = [0.95, 0.96, 0.95, 0.1, 0.12, 0.11, 0.1, 0.9, 0.5, 0.97, Number.NaN];

  it("masks low-variance groups this epoch and bans the ones that are also high-mean", () => {
    const t = new GroupBanTracker(0.05, 0.9);
    const u = t.update(groups, rewards);
    // hi: std 0.0047 < 0.05, mean 0.953 > 0.9 → masked and banned
    // lo: std 0.0082 < 0.05, mean 0.11 → masked only;  ok: std 0.33 → kept
    // one: a single valid reward → neither (the advantage recipe drops it); its NaN sample is invalid
    expect(u.valid).toEqual([0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 0]);
    expect(u.lowVariance.sort()).toEqual(["hi", "lo"]);
    expect(u.newlyBanned).toEqual(["hi"]);
    expect(t.isBanned("hi")).toBe(true);
    expect(t.isBanned("lo")).toBe(false);
    // a second epoch does not ban it again
    expect(t.update(["hi", "hi"], [0.95, 0.95]).newlyBanned).toEqual([]);
    expect(t.excludedCount).toBe(1);
  });

  it("serialises for resume and rejects a malformed state", () => {
    const t = new GroupBanTracker(0.05, 0.9, ["b", "a"]);
    t.update(groups, rewards);
    const back = GroupBanTracker.restore(JSON.parse(JSON.stringify(t.state())));
    expect(back.state()).toEqual({ kind: "group-ban-tracker", stdThreshold: 0.05, meanThreshold: 0.9, banned: ["a", "b", "hi"] });
    expect(() => GroupBanTracker.restore({ kind: "group-ban-tracker", stdThreshold: -1, meanThreshold: 0.9, banned: [] })).toThrow();
  });

  it("config: DiffusionNFT's defaults plus the ban thresholds", () => {
    expect(uniworldV2ConfigSchema.parse({})).toEqual({ beta: 1, klWeight: 1e-4, advClipMax: 5, space: "x0", decayType: 1, stdThreshold: 0.05, meanThreshold: 0.9, banGroups: true });
  });
});
