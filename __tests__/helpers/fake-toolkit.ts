import type { AnnotationProperties, Toolkit } from '../../src/toolkit/toolkit.js'

export interface Annotation {
  level: 'error' | 'warning'
  message: string
  title?: string
}

/** A toolkit that records what the step did: the runner's view of it, in memory. */
export class FakeToolkit implements Toolkit {
  readonly outputs: Record<string, string> = {}
  readonly state: Record<string, string> = {}
  readonly log: string[] = []
  readonly annotations: Annotation[] = []
  readonly secrets: string[] = []
  readonly groups: string[] = []
  summary = ''
  failed = false

  constructor(private readonly inputs: Record<string, string> = {}) {}

  getInput = (name: string, options?: { trim?: boolean }): string => {
    const value = this.inputs[name] ?? ''
    return options?.trim === false ? value : value.trim()
  }
  setOutput = (name: string, value: string): void => void (this.outputs[name] = value)
  saveState = (name: string, value: string): void => void (this.state[name] = value)
  getState = (name: string): string => this.state[name] ?? ''
  info = (message: string): void => void this.log.push(message)
  debug = (message: string): void => void this.log.push(`debug: ${message}`)
  warning = (message: string, properties?: AnnotationProperties): void => void this.annotations.push({ level: 'warning', message, title: properties?.title })
  error = (message: string, properties?: AnnotationProperties): void => void this.annotations.push({ level: 'error', message, title: properties?.title })
  group = async <T>(title: string, fn: () => Promise<T>): Promise<T> => {
    this.groups.push(title)
    return fn()
  }
  setSecret = (secret: string): void => void this.secrets.push(secret)
  writeSummary = async (html: string): Promise<void> => void (this.summary = html)
  fail = (): void => void (this.failed = true)

  errors(): Annotation[] {
    return this.annotations.filter(a => a.level === 'error')
  }
}
