/** The first line of a message: for one-line log lines and headings. */
export function firstLine(text: string): string {
  return text.split('\n')[0]
}
