/**
 * The figures one bench run measures for one bundle, as JSON: `bench/measure.ts` writes them,
 * `bench/run.ts` prints two of them side by side (bench/baseline.json is today's baseline).
 */
import { readFileSync } from 'node:fs'

/** The bench's sections, in the order they run (`--only` picks some). */
export const SECTIONS = ['startup', 'push', 'targets', 'fleet', 'rss', 'ntlm', 'lag'] as const

export interface Meta {
  /** ISO date of the run's start. */
  date: string
  bundle: string
  /** sha256 of the bundle, first 16 hex digits. */
  sha: string
  bytes: number
  node: string
  cpus: number
  /** The execution steps of the simulated site: `site` (Triggered, Queued, Started, log reference, end) or `direct`. */
  steps: 'site' | 'direct'
  quick: boolean
  uptimeStart: string
  uptimeEnd: string
  seconds: number
  /** Runs that failed, with why. */
  failures: string[]
}

/** One push run: lag from the server's end (stopTime) to the step's first read after it and to its exit. */
export interface PushRun {
  ok: boolean
  decisionLagMs: number
  exitLagMs: number
  requests: number
  callbacks: number
  /** Forged callbacks the listener answered 200 (the registered path) and 404 (others); 0 without the flood. */
  forged200: number
  forged404: number
  mix: string
}

export interface TargetsRun {
  targets: number
  ok: boolean
  requests: number
  perSecond: number
  peak: number
  /** Per target: its end (stopTime) to the first request after it that names its execution. */
  lagsMs: number[]
  mix: string
}

export interface FleetRun {
  ok: boolean
  requests: number
  perSecond: number
  peak: number
  lagP50Ms: number
}

export interface LagSample {
  strategy: string
  seconds: number
  lagMs: number
  requests: number
  ok: boolean
  note?: string
}

export interface Figures {
  meta: Meta
  push?: { seconds: number; quiet: PushRun[]; flood: PushRun[] }
  targets?: { seconds: number; runs: TargetsRun[] }
  fleet?: { jobs: number; seconds: number; ours: FleetRun; fixed: FleetRun }
  startup?: { firstRequestMs: number[]; inputErrorMs: number[]; bareMs: number[]; inputErrorNamed: boolean }
  rss?: { bytes: number; logBytes: number; ok: boolean; note: string }
  ntlm?: { handshakes: number; requests: number; ok: boolean; note: string }
  lag?: { samples: LagSample[]; pushNotOn: number }
}

export function readFigures(path: string): Figures {
  return JSON.parse(readFileSync(path, 'utf8')) as Figures
}
