import { median } from './stats.js'
/**
 * One measured value: the median of its samples (`value`) and their spread (`min`, `max`);
 * `text` is what the table prints. A published figure has one value and no samples.
 */
export interface Cell {
  value: number
  min: number
  max: number
  unit: string
  text: string
  /** Every kept run's value (warm-ups excluded), when the cell was measured. */
  samples?: number[]
  /** Side figures (latency percentiles per run, sizes) kept in the JSON file. */
  extra?: Record<string, number | number[]>
}

/** How a goal fared on the spread (see goals.ts). */
export type Verdict = 'met' | 'within noise' | 'missed'

/** A cell that could not be measured, with the reason shown in the table. */
export interface Missing {
  error: string
}

const isMissing = (cell: Cell | Missing | null): cell is Missing => cell !== null && 'error' in cell

/** One line per row with a cell that could not be measured: `measure: reason`. */
export const failures = (rows: readonly Row[]): string[] =>
  rows.flatMap((row) =>
    [row.ours, row.baseline].filter(isMissing).map((cell) => `${row.measure}: ${cell.error}`),
  )

/** One line of the results table: ours beside its baseline, and the goal when there is one. */
export interface Row {
  bench: string
  measure: string
  ours: Cell | Missing | null
  baseline: Cell | Missing | null
  baselineName?: string
  /** median(ours) / median(baseline). */
  ratio?: number
  /** ours / baseline over every pairing of samples: [min(ours)/max(base), max(ours)/min(base)]. */
  ratioRange?: [number, number]
  goal?: string
  verdict?: Verdict
  note?: string
}

export const isCell = (cell: Cell | Missing | null | undefined): cell is Cell =>
  cell != null && 'value' in cell

const group = (n: number, digits = 0): string =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })

/** Significant-enough digits: 1,234 / 12.3 / 1.23 / 0.123. */
export const fmt = (n: number): string => {
  if (!Number.isFinite(n)) return String(n)
  const abs = Math.abs(n)
  if (abs >= 100) return group(n)
  if (abs >= 10) return group(n, 1)
  if (abs >= 1) return group(n, 2)
  return group(n, 3)
}

/** `median [min–max] unit`, or `value unit` when there is no spread to show. */
export const spreadText = (value: number, min: number, max: number, unit: string): string =>
  min === max && value === min
    ? `${fmt(value)} ${unit}`
    : `${fmt(value)} [${fmt(min)}–${fmt(max)}] ${unit}`

/** A single figure with no samples (a published number, a constant). */
export const cell = (value: number, unit: string, text?: string): Cell => ({
  value,
  min: value,
  max: value,
  unit,
  text: text ?? `${fmt(value)} ${unit}`,
})

/**
 * The median of `samples` with their min–max spread; `text` may add to the printed
 * `median [min–max] unit` (it receives that string).
 */
export const sampled = (
  samples: readonly number[],
  unit: string,
  text: (spread: string) => string = (spread) => spread,
): Cell => {
  if (samples.length === 0) throw new Error(`no samples of ${unit}`)
  const value = median(samples)
  const min = Math.min(...samples)
  const max = Math.max(...samples)
  return {
    value,
    min,
    max,
    unit,
    text: text(spreadText(value, min, max, unit)),
    samples: [...samples],
  }
}

/** The cell of one side of `interleave`: its samples, or the error that stopped it. */
export const sampledOrMissing = (
  result: number[] | { error: unknown },
  unit: string,
): Cell | Missing => (Array.isArray(result) ? sampled(result, unit) : missing(result.error))

export const missing = (error: unknown): Missing => ({
  error:
    error instanceof Error
      ? `${error.name === 'Error' ? '' : `${error.name}: `}${error.message}`
      : String(error),
})

const show = (c: Cell | Missing | null): string => {
  if (c === null) return '—'
  if (isCell(c)) return c.text
  return `**error:** ${c.error.split('\n')[0]?.slice(0, 160) ?? ''}`
}

const escapeCell = (text: string): string => text.replaceAll('|', '\\|').replaceAll('\n', ' ')

/** The results as one Markdown table. */
export const renderTable = (rows: readonly Row[]): string => {
  const header = ['measure', 'ours', 'baseline', 'ratio', 'goal', 'verdict']
  const lines = [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`]
  for (const row of rows) {
    const measure = row.note ? `${row.measure} (${row.note})` : row.measure
    const baseline =
      row.baselineName && row.baseline
        ? `${show(row.baseline)} — ${row.baselineName}`
        : show(row.baseline)
    const ratio =
      row.ratio === undefined || !Number.isFinite(row.ratio)
        ? '—'
        : row.ratioRange && row.ratioRange[0] !== row.ratioRange[1]
          ? `${fmt(row.ratio)}× [${fmt(row.ratioRange[0])}–${fmt(row.ratioRange[1])}]`
          : `${fmt(row.ratio)}×`
    const verdict =
      row.verdict === undefined ? '—' : row.verdict === 'missed' ? '**missed**' : row.verdict
    const cells = [measure, show(row.ours), baseline, ratio, row.goal ?? '—', verdict]
    lines.push(`| ${cells.map(escapeCell).join(' | ')} |`)
  }
  return lines.join('\n')
}
