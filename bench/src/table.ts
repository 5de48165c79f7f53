/** One measured value; `text` is what the table prints, `value` what the JSON keeps. */
export interface Cell {
  value: number
  unit: string
  text: string
  /** Every run's value, when the cell is a median. */
  samples?: number[]
  /** Side figures (latency percentiles, sizes) kept in the JSON file. */
  extra?: Record<string, number>
}

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
  /** ours / baseline, or ours / reference for goals stated otherwise. */
  ratio?: number
  goal?: string
  met?: boolean
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

export const cell = (
  value: number,
  unit: string,
  extra?: { samples?: number[]; text?: string },
): Cell => {
  const c: Cell = { value, unit, text: extra?.text ?? `${fmt(value)} ${unit}` }
  if (extra?.samples) c.samples = extra.samples
  return c
}

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
  const header = ['measure', 'ours', 'baseline', 'ratio', 'goal', 'met?']
  const lines = [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`]
  for (const row of rows) {
    const measure = row.note ? `${row.measure} (${row.note})` : row.measure
    const baseline =
      row.baselineName && row.baseline
        ? `${show(row.baseline)} — ${row.baselineName}`
        : show(row.baseline)
    const ratio =
      row.ratio === undefined || !Number.isFinite(row.ratio) ? '—' : `${fmt(row.ratio)}×`
    const met = row.met === undefined ? '—' : row.met ? 'met' : '**missed**'
    const cells = [measure, show(row.ours), baseline, ratio, row.goal ?? '—', met]
    lines.push(`| ${cells.map(escapeCell).join(' | ')} |`)
  }
  return lines.join('\n')
}
