/**
 * The built-in word vocabulary for instructions: English words for pose, layout and camera edits
 * of portraits (the synthetic benchmark's grammar and its paraphrases), sorted and deduplicated so
 * ids are stable. A config may carry its own list instead (`ModelConfig.vocabulary`).
 */
const WORDS = `
a about above across all an and angle another arm arms around as at away back backward backwards
behind bend bent below body both bottom bring by camera center centre change chest chin close
closer close-up crop cross crossed distance down downward drop elbow extend extended face facing
far farther feet figure for forward frame framing from front full further gaze hand hands
head her hip hips his hold horizontal in into is it its keep knee knees leg legs left length
level lift look looking low lower make medium mid middle more move moved near of off on one
open out outward over pan pose position profile put raise raised rest right rotate rotated same
screen seen shift shot shoulder shoulders show side sideways sit slightly so spread stand
standing step straight subject sway swing the their them then they this three-quarter tilt to
toward towards torso turn turned turning up upper upward view viewer waist walk wide wider
with without zoom zoomed
`;

export const BUILTIN_VOCABULARY: readonly string[] = Object.freeze([...new Set(WORDS.split(/\s+/).filter((w) => w.length > 0))].sort());

export const PAD_ID = 0;
export const UNK_ID = 1;
