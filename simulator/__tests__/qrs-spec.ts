/**
 * Qlik's QRS API definition (Swagger 2.0, read from the path in QRS_SPEC) as a checker: requests
 * against its paths and parameters, JSON answers against its schemas with ajv (draft-04, the
 * dialect Swagger 2 schemas are a subset of).
 *
 * What the definition cannot say, and how it is read here (each one on purpose):
 * - Primitive answers (start/synchronous, count, script log references, notification handles) are
 *   typed as a bare string or integer, but live servers wrap them as {"value": ...}: a primitive
 *   response schema is checked as {value: <that schema>} unless the caller asks for the bare form.
 * - .NET serializes a missing reference or list as null (`privileges: null` unless ?privileges=true,
 *   `stream: null`, the two unused task slots of an ExecutionSession): properties that are objects,
 *   references or arrays accept null; strings, numbers and booleans do not.
 * - "No invented fields": every schema that lists properties gets additionalProperties false.
 * - Formats: uuid and date-time are checked (ajv-formats); Qlik's own (milliseconds, minutes,
 *   file-size, host, ...) are annotations only.
 * - xrfkey is on every request (Qlik: "Using Xrfkey headers") but in no path's parameters.
 */
import { readFileSync } from 'node:fs'
import ajvDraft04 from 'ajv-draft-04'
import ajvFormats from 'ajv-formats'
import type { ValidateFunction } from 'ajv'

// CommonJS packages seen from ESM: the class and the plugin are their `default` exports.
const Ajv = ajvDraft04.default
const addFormats = ajvFormats.default

type Schema = Record<string, any>

interface Parameter {
  name: string
  in: 'path' | 'query' | 'body' | 'header'
  required?: boolean
  type?: string
  format?: string
  enum?: unknown[]
  schema?: Schema
}

interface Operation {
  parameters?: Parameter[]
  responses: Record<string, { schema?: Schema }>
}

export interface RouteMatch {
  /** The path as the definition writes it, e.g. /reloadtask/{reloadtaskid}/scriptlog. */
  template: string
  operation: Operation
  pathParams: Record<string, string>
}

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** Keys of Swagger that are not JSON Schema, dropped before ajv sees a schema. */
const swaggerOnly = new Set(['discriminator', 'readOnly', 'xml', 'externalDocs', 'example'])

function isPrimitive(schema: Schema | undefined): boolean {
  return !!schema && !schema.$ref && ['string', 'integer', 'number', 'boolean'].includes(schema.type)
}

function nullable(schema: Schema): Schema {
  if (schema.$ref || schema.type === 'object' || schema.type === 'array') return { anyOf: [{ type: 'null' }, schema] }
  return schema
}

/** The definition's schema as strict JSON Schema draft-04 (see the notes at the top). */
function strict(schema: unknown): any {
  if (Array.isArray(schema)) return schema.map(strict)
  if (schema === null || typeof schema !== 'object') return schema
  const out: Schema = {}
  for (const [key, value] of Object.entries(schema)) {
    if (key.startsWith('x-') || swaggerOnly.has(key)) continue
    if (key === 'properties') {
      out.properties = Object.fromEntries(Object.entries(value as Schema).map(([name, prop]) => [name, nullable(strict(prop))]))
    } else if (key === '$ref' && typeof value === 'string') {
      out.$ref = value
    } else {
      out[key] = strict(value)
    }
  }
  // A $ref's siblings (description) are ignored by draft-04 anyway; keep the reference alone.
  if (out.$ref) return { $ref: out.$ref }
  if (out.properties && out.additionalProperties === undefined) out.additionalProperties = false
  return out
}

export class QrsSpec {
  readonly version: string
  private readonly ajv: InstanceType<typeof Ajv>
  private readonly routes: { template: string; segments: string[]; operations: Record<string, Operation> }[]
  private readonly validators = new Map<string, ValidateFunction>()

  constructor(file: string) {
    const doc = JSON.parse(readFileSync(file, 'utf8')) as {
      swagger: string
      info: { version: string }
      paths: Record<string, Record<string, Operation>>
      definitions: Record<string, Schema>
    }
    if (doc.swagger !== '2.0') throw new Error(`${file}: not a Swagger 2.0 definition`)
    this.version = doc.info.version
    this.ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false })
    addFormats(this.ajv)
    for (const format of collectFormats(doc)) if (!this.ajv.formats[format]) this.ajv.addFormat(format, true)
    this.ajv.addSchema({ id: 'qrs', definitions: strict(doc.definitions) })
    this.routes = Object.entries(doc.paths).map(([template, operations]) => ({ template, segments: template.split('/').slice(1), operations }))
  }

  /** The declared path for a request path under /qrs (case-insensitive; literal segments beat {params}). */
  match(method: string, qrsPath: string): RouteMatch | undefined {
    const parts = qrsPath
      .replace(/\/+$/, '')
      .split('/')
      .slice(1)
      .map((p) => decodeURIComponent(p))
    let best: { score: number; match: RouteMatch } | undefined
    for (const route of this.routes) {
      if (route.segments.length !== parts.length) continue
      const operation = route.operations[method.toLowerCase()]
      if (!operation) continue
      const pathParams: Record<string, string> = {}
      let score = 0
      const ok = route.segments.every((segment, i) => {
        const param = /^\{(.+)\}$/.exec(segment)
        if (param) {
          pathParams[param[1]] = parts[i]
          return true
        }
        score++
        return segment.toLowerCase() === parts[i].toLowerCase()
      })
      if (ok && (!best || score > best.score)) best = { score, match: { template: route.template, operation, pathParams } }
    }
    return best?.match
  }

  /** What is wrong with a request (path, method, query parameters, body presence); [] when it is declared. */
  checkRequest(method: string, path: string, rawQuery: string, hasBody: boolean): string[] {
    const qrsPath = stripToQrs(path)
    if (qrsPath === undefined) return [`${method} ${path}: not a /qrs path`]
    const match = this.match(method, qrsPath)
    if (!match) return [`${method} ${qrsPath}: no such path and method in the definition`]
    const where = `${method} ${match.template}`
    const problems: string[] = []
    const declared = match.operation.parameters ?? []
    const query = new URLSearchParams(rawQuery)
    const names = [...new Set([...query.keys()])]
    for (const name of names) {
      if (name.toLowerCase() === 'xrfkey') continue
      const param = declared.find((p) => p.in === 'query' && p.name.toLowerCase() === name.toLowerCase())
      if (!param) {
        problems.push(`${where}: query parameter '${name}' is not declared`)
        continue
      }
      problems.push(...checkValue(where, `query parameter '${name}'`, query.get(name) ?? '', param))
    }
    for (const param of declared) {
      if (param.in === 'query' && param.required && !names.some((n) => n.toLowerCase() === param.name.toLowerCase())) {
        problems.push(`${where}: required query parameter '${param.name}' is missing`)
      }
      if (param.in === 'path') problems.push(...checkValue(where, `path parameter '${param.name}'`, match.pathParams[param.name] ?? '', param))
      if (param.in === 'body' && param.required && !hasBody) problems.push(`${where}: the body '${param.name}' is required`)
    }
    if (!declared.some((p) => p.in === 'body') && hasBody) problems.push(`${where}: sends a body the definition does not take`)
    return problems
  }

  /**
   * What is wrong with an answer: a 2xx status the definition does not declare, or a JSON body
   * its schema for that status refuses. `primitive: 'bare'` checks a primitive answer unwrapped.
   */
  checkAnswer(method: string, path: string, status: number, body: unknown, options: { primitive?: 'value' | 'bare' } = {}): string[] {
    const qrsPath = stripToQrs(path)
    const match = qrsPath === undefined ? undefined : this.match(method, qrsPath)
    if (!match) return [`${method} ${path}: no such path and method in the definition`]
    const where = `${method} ${match.template} ${status}`
    const response = match.operation.responses[String(status)]
    if (!response) return [`${where}: the definition declares only ${Object.keys(match.operation.responses).join(', ')}`]
    if (!response.schema) return body === undefined ? [] : [`${where}: the definition declares no body`]
    // A file download (the script log): not JSON.
    if (response.schema.format === 'binary') return body === undefined ? [] : [`${where}: a file download answered JSON`]
    if (body === undefined) return [`${where}: no JSON body`]
    const validate = this.validator(response.schema, isPrimitive(response.schema) && options.primitive !== 'bare')
    if (validate(body)) return []
    return (validate.errors ?? []).map(
      (e) => `${where}: ${e.instancePath || '(answer)'} ${e.message}${e.params && Object.keys(e.params).length ? ` ${JSON.stringify(e.params)}` : ''}`
    )
  }

  private validator(schema: Schema, wrap: boolean): ValidateFunction {
    const key = `${wrap}:${JSON.stringify(schema)}`
    const known = this.validators.get(key)
    if (known) return known
    {
      const local = retarget(strict(schema))
      const root = wrap ? { type: 'object', properties: { value: local }, required: ['value'], additionalProperties: false } : local
      const validate = this.ajv.compile(root)
      this.validators.set(key, validate)
      return validate
    }
  }
}

/** `#/definitions/X` inside a response schema points into the schema registered as 'qrs'. */
function retarget(schema: any): any {
  if (Array.isArray(schema)) return schema.map(retarget)
  if (schema === null || typeof schema !== 'object') return schema
  return Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, k === '$ref' && typeof v === 'string' ? v.replace(/^#/, 'qrs#') : retarget(v)]))
}

function collectFormats(value: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(value)) value.forEach((v) => collectFormats(v, found))
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'format' && typeof v === 'string') found.add(v)
      else collectFormats(v, found)
    }
  }
  return found
}

function checkValue(where: string, what: string, value: string, param: Parameter): string[] {
  const problems: string[] = []
  if (param.format === 'uuid' && !uuid.test(value)) problems.push(`${where}: ${what} '${value}' is not a uuid`)
  if (param.type === 'integer' && !/^-?\d+$/.test(value)) problems.push(`${where}: ${what} '${value}' is not an integer`)
  if (param.type === 'boolean' && !/^(true|false)$/i.test(value)) problems.push(`${where}: ${what} '${value}' is not a boolean`)
  if (param.enum && !param.enum.map(String).includes(value)) problems.push(`${where}: ${what} '${value}' is not one of ${param.enum.join(', ')}`)
  return problems
}

/** The part after /qrs (a virtual proxy prefix before it is dropped), or undefined. */
function stripToQrs(path: string): string | undefined {
  const at = path.toLowerCase().indexOf('/qrs/')
  return at < 0 ? undefined : path.slice(at + 4)
}

/** The definition at QRS_SPEC, or undefined (with the reason) when it is not there. */
export function loadQrsSpec(): { spec?: QrsSpec; reason?: string } {
  const file = process.env.QRS_SPEC
  if (!file) return { reason: 'QRS_SPEC is not set (CI sets it to ../shared/specs/qrs-repository-38.22.json)' }
  try {
    return { spec: new QrsSpec(file) }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { reason: `QRS_SPEC=${file} does not exist` }
    throw error
  }
}
