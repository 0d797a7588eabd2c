/** The synthetic benchmark and dataset I/O (DESIGN §6–7): what other modules may import from data/. */
export * from "./attributes.js";
export { loadDataset, validateDataset, recordToJson, splitFile, formatProblem, DatasetError, MAX_IMAGE_SIDE, SPLITS } from "./dataset.js";
export type { DatasetRecord, Problem, Split, DatasetFormat, ValidatedDataset } from "./dataset.js";
export { readImage, writePng, encodePng, toBytes } from "./image-io.js";
export type { ReadImageOptions } from "./image-io.js";
export { renderPortrait, keypoints, figureMask, type Keypoint } from "./render.js";
export { writeInstruction } from "./instructions.js";
export { parseInstruction } from "./parser.js";
export { synthesizeDataset, type SynthOptions, type SynthSummary } from "./synthesize.js";
export { Rng } from "./rng.js";
export { recognize, recognizeDetailed, type Recognition } from "./recognizer.js";
export { posteriors, type AttributeDistributions } from "./recognizer-posterior.js";
export { scoreEdit, scoreRecognized, type EditScores } from "./ground-truth.js";
export { oks, COCO_SIGMAS, keypointBoxArea, type OksOptions } from "./oks.js";
export { isVisible, visibleAttributes } from "./visibility.js";
export { degrade, gaussianBlur, addNoise } from "./degrade.js";
export { NO_DEFECTS, type DefectRates } from "./defects.js";
