import { EOL } from 'node:os'

/**
 * The job summary's HTML, block by block, in the shapes GitHub's own summary builder writes (each block
 * on a line of its own). It only joins: every text put in must be escaped already (`escape`).
 */
export class Html {
  private html = ''

  heading(text: string, level = 3): this {
    return this.raw(`<h${level}>${text}</h${level}>`)
  }

  /** A collapsed section. */
  details(label: string, content: string): this {
    return this.raw(`<details><summary>${label}</summary>${content}</details>`)
  }

  code(text: string): this {
    return this.raw(`<pre><code>${text}</code></pre>`)
  }

  raw(html: string): this {
    this.html += `${html}${EOL}`
    return this
  }

  toString(): string {
    return this.html
  }
}

/**
 * Server text as HTML text: task names and log lines are text, not HTML. Line breaks become character
 * references, so server text never puts a line break into the summary's Markdown: a blank line would
 * end the HTML block and turn the rest into Markdown (links, images).
 */
export function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/\r/g, '&#13;').replace(/\n/g, '&#10;')
}
