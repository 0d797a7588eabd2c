/**
 * The built-in defaults of the main job (`portraitrl demo`) and of the script that trains the
 * shipped cold-start checkpoint (`npm run train:sft`): one place, so both see the same benchmark.
 */
import { fileURLToPath } from "node:url";
import { join } from "node:path";

/** The synthetic benchmark the shipped SFT checkpoint was trained on (DESIGN §6). */
export const DEMO_BENCHMARK = { identities: 300, perIdentity: 3, testIdentities: 200, size: 32, seed: 0 } as const;

/** Cold-start SFT of the `small` preset: DESIGN §9 defaults, stopped inside the headroom window. */
export const DEMO_SFT = { preset: "small", seed: 0, steps: 2000 } as const;

/** The repository root (this file is src/demo/settings.ts or dist/demo/settings.js). */
export const PACKAGE_ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** Where the shipped checkpoint lives, and the checksum file that guards it. */
export const SHIPPED_SFT_DIR = join(PACKAGE_ROOT, "checkpoints", "sft-small");
export const SHIPPED_SFT_SUMS = join(PACKAGE_ROOT, "checkpoints", "sft-small.sha256");

/**
 * NaSPO on the CPU preset with the synthetic judge (the paper's reward: DP + PF, standardized), with
 * the overrides in configs/cpu/naspo.yaml (that file says why); the committed compare uses the same folder.
 */
export const DEMO_RL = { algorithm: "naspo", preset: "cpu", seed: 0, epochs: 40 } as const;
export const DEMO_RL_CONFIG = join(PACKAGE_ROOT, "configs", "cpu", "naspo.yaml");
