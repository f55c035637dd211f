/** One table, printed aligned for the terminal and as markdown. */
export type Row = string[]

export function aligned(header: Row, rows: Row[]): string {
  const width = header.map((_, i) => Math.max(...[header, ...rows].map(r => [...(r[i] ?? '')].length)))
  const line = (r: Row) => r.map((cell, i) => cell + ' '.repeat(width[i] - [...cell].length)).join(' | ')
  return [line(header), width.map(w => '-'.repeat(w)).join('-+-'), ...rows.map(line)].join('\n')
}

export function markdown(header: Row, rows: Row[]): string {
  const esc = (cell: string) => cell.replace(/\|/g, '\\|')
  const line = (r: Row) => `| ${r.map(esc).join(' | ')} |`
  return [line(header), `|${header.map(() => '---').join('|')}|`, ...rows.map(line)].join('\n')
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b)
  if (s.length === 0) return NaN
  const mid = Math.floor(s.length / 2)
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2
}

export function ms(value: number): string {
  if (!Number.isFinite(value)) return 'n/a'
  return Math.abs(value) < 1000 ? `${Math.round(value)} ms` : `${(value / 1000).toFixed(2)} s`
}

export function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`
}
