/**
 * The built-in defaults of the main job (`portraitrl demo`) and of the script that trains the
 * shipped cold-start checkpoint (`npm run train:sft`): one place, so both see the same benchmark.
 */
import { fileURLToPath } from "node:url";
import { join } from "node:path";

/**
 * The synthetic benchmark the shipped SFT checkpoint was trained on (DESIGN §6): 16 px for the `tiny`
 * model, and 3000 training identities so that SFT sees each triplet about 5 times instead of memorising a
 * small set (RL then learns on prompts the editor has not memorised); 600 held-out test identities.
 */
export const DEMO_BENCHMARK = { identities: 3000, perIdentity: 3, testIdentities: 600, size: 16, seed: 0 } as const;

/** Cold-start SFT of the `tiny` preset (DESIGN §9 defaults), stopped inside the headroom window. */
export const DEMO_SFT = { preset: "tiny", seed: 0, steps: 1500 } as const;

/** The repository root (this file is src/demo/settings.ts or dist/demo/settings.js). */
export const PACKAGE_ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** Where the shipped checkpoint lives, and the checksum file that guards it. */
export const SHIPPED_SFT_DIR = join(PACKAGE_ROOT, "checkpoints", `sft-${DEMO_SFT.preset}`);
export const SHIPPED_SFT_SUMS = `${SHIPPED_SFT_DIR}.sha256`;

/**
 * NaSPO on the `cpu-tiny` preset with the synthetic judge (the paper's reward: DP + PF, standardized),
 * with the overrides in configs/cpu-tiny/naspo.yaml (that file says why).
 */
export const DEMO_RL = { algorithm: "naspo", preset: "cpu-tiny", seed: 0, epochs: 70 } as const;
export const DEMO_RL_CONFIG = join(PACKAGE_ROOT, "configs", DEMO_RL.preset, "naspo.yaml");
