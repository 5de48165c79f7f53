import type { Cell, Verdict } from './table.js'

/**
 * A goal judged on the spread, not on one lucky number: "met" when even the least favourable
 * pairing of samples clears it (our worst sample against the baseline's best), "within noise"
 * when the medians clear it but that pairing does not, "missed" when the medians do not.
 */
export interface Goal {
  text: string
  judge(ours: Cell, baseline: Cell | null): Verdict | undefined
}

const verdict = (worstClears: boolean, medianClears: boolean): Verdict =>
  worstClears ? 'met' : medianClears ? 'within noise' : 'missed'

const ORDER: readonly Verdict[] = ['missed', 'within noise', 'met']

/** The less favourable of two verdicts (a goal of two conditions is met when both are). */
export const worse = (a: Verdict, b: Verdict): Verdict =>
  ORDER[Math.min(ORDER.indexOf(a), ORDER.indexOf(b))] as Verdict

/**
 * The range of ours ÷ baseline over every pairing of samples: [smallest ours ÷ largest
 * baseline, largest ours ÷ smallest baseline]. Null when the baseline can be zero.
 */
export const ratioRange = (ours: Cell, baseline: Cell): [number, number] | null =>
  baseline.min > 0 ? [ours.min / baseline.max, ours.max / baseline.min] : null

/** ours ÷ baseline must reach `min` (throughputs): our slowest run against its fastest. */
export const ratioAtLeast = (min: number, text: string): Goal => ({
  text,
  judge: (ours, baseline) => {
    const range = baseline && ratioRange(ours, baseline)
    if (!baseline || !range) return undefined
    return verdict(range[0] >= min, ours.value / baseline.value >= min)
  },
})

/** ours ÷ baseline must stay under `max` (costs): our slowest run against its fastest. */
export const ratioAtMost = (max: number, text: string): Goal => ({
  text,
  judge: (ours, baseline) => {
    const range = baseline && ratioRange(ours, baseline)
    if (!baseline || !range) return undefined
    return verdict(range[1] <= max, ours.value / baseline.value <= max)
  },
})

/** ours alone must stay under `max` in its own unit: every sample, or only the median. */
export const atMost = (max: number, text: string): Goal => ({
  text,
  judge: (ours) => verdict(ours.max <= max, ours.value <= max),
})
