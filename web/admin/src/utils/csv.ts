/** A CSV file Excel opens with the Chinese intact (UTF-8 with a BOM), cells quoted where they need it. */
export function csvBlob(header: string[], rows: (string | number | null | undefined)[][]): Blob {
  const cell = (value: string | number | null | undefined): string => {
    const text = value == null ? '' : String(value)
    return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
  }
  const lines = [header, ...rows].map((row) => row.map(cell).join(','))
  return new Blob(['\ufeff', lines.join('\r\n'), '\r\n'], { type: 'text/csv;charset=utf-8' })
}
