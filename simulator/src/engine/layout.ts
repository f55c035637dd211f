/** The JSON of a data model as the engine describes it: GetTablesAndKeys (TableRecord, SourceKeyRecord) and GetAppLayout (NxAppLayout). */
import type { DataModel, EngineApp, TableData } from './apps.js'

/** qtr and qk: the tables with their fields, and the keys (fields that more than one table has). */
export function tablesAndKeys(model: DataModel): { qtr: unknown[]; qk: unknown[] } {
  const tablesOf = new Map<string, string[]>()
  for (const t of model.tables) for (const f of t.fields) tablesOf.set(f, [...(tablesOf.get(f) ?? []), t.name])
  const isKey = (field: string): boolean => (tablesOf.get(field)?.length ?? 0) > 1
  const qtr = model.tables.map((t) => ({
    qName: t.name,
    qLoose: false,
    qNoOfRows: t.rows,
    qFields: t.fields.map((f) => fieldInTable(f, t, isKey(f))),
    qPos: { qx: 0, qy: 0 },
    qComment: '',
    qIsDirectDiscovery: false,
    qIsSynthetic: false
  }))
  const qk = [...tablesOf].filter(([f]) => isKey(f)).map(([f, tables]) => ({ qKeyFields: [f], qTables: tables }))
  return { qtr, qk }
}

/** FieldInTableData: every value distinct and present (the simulator knows row counts, not values). */
function fieldInTable(name: string, table: TableData, key: boolean): Record<string, unknown> {
  return {
    qName: name,
    qOriginalFields: [],
    qPresent: true,
    qHasNull: false,
    qHasWild: false,
    qHasDuplicates: false,
    qIsSynthetic: false,
    qInformationDensity: 1,
    qnNonNulls: table.rows,
    qnRows: table.rows,
    qSubsetRatio: 1,
    qnTotalDistinctValues: table.rows,
    qnPresentDistinctValues: table.rows,
    qKeyType: key ? 'ANY_KEY' : 'NOT_KEY',
    qComment: '',
    qTags: []
  }
}

export interface LayoutFacts {
  app: EngineApp
  model: DataModel
  noData: boolean
  modified: boolean
  readOnly: boolean
}

export function appLayout(f: LayoutFacts): Record<string, unknown> {
  return {
    qTitle: f.app.qrs.name,
    qFileName: f.app.id,
    qLastReloadTime: f.model.lastReloadTime,
    qModified: f.modified,
    qHasScript: f.app.config.hasScript ?? true,
    qStateNames: [],
    qMeta: {},
    qHasData: !f.noData && f.model.tables.length > 0,
    qReadOnly: f.readOnly,
    qIsOpenedWithoutData: f.noData,
    qThumbnail: { qUrl: '' }
  }
}
