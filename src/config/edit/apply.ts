import { basename } from 'node:path'
import { createPatch } from 'diff'
import { Document, parseDocument } from 'yaml'
import { RelayError } from '../../errors.js'
import { ConfigError } from '../errors.js'
import { loadConfig, type LoadOptions } from '../load.js'
import type { ConfigInput } from '../schema.js'
import { applyEdits, type ConfigEdit } from './edits.js'
import { maskSecrets, restoreSecrets } from './secrets.js'
import { etagOf, readSource, type ConfigSource } from './source.js'
import { writeAtomically } from './write.js'

/** The config file as an admin sees it: masked, with what decides whether it can be changed. */
export interface ConfigView {
  file: string
  etag: string
  /** The YAML as written, each secret as its `${VAR}` reference or a mask of its last 4 characters. */
  source: string
  /** `source` as plain data (secrets masked, `${VAR}` as written): what the UI's forms show and edit by path. */
  document: unknown
  readOnly: string | undefined
}

export interface ConfigChange {
  /** The whole document, as the raw editor sends it (masks where secrets were left alone)... */
  source?: string
  /** ...or edits to the document on disk, as the forms make them. */
  edits?: readonly ConfigEdit[]
}

/**
 * The config-editing logic of the admin API (issue 15 point 5), apart from the API and the UI: read
 * the file with its ETag, apply a change to the YAML document (comments, key order and `${VAR}` kept),
 * put the secrets the admin could not see back, validate the result with the loader a start uses, and
 * write it atomically. The caller reloads.
 */
export class ConfigEditor {
  constructor(
    private readonly file: string,
    private readonly nativeFormat: boolean,
    private readonly loadOptions: LoadOptions,
  ) {}

  /** A seed format is shown as its native equivalent (its own secrets sit at paths of its own format). */
  view(): ConfigView {
    const source = readSource(this.file, this.nativeFormat)
    const text = this.nativeFormat ? masked(source.text) : nativeYaml(loadConfig({ ...this.loadOptions, file: this.file }).native, false)
    return { file: source.file, etag: source.etag, source: text, document: parseDocument(text).toJS(), readOnly: source.readOnly }
  }

  /**
   * The config as native YAML to download: the file as written (a seed format translated), secrets
   * masked unless `withSecrets` (then `${VAR}` references stay references; literal secrets are whole).
   */
  exportYaml(withSecrets: boolean): string {
    if (!this.nativeFormat) return nativeYaml(loadConfig({ ...this.loadOptions, file: this.file }).native, withSecrets)
    const { text } = readSource(this.file, true)
    return withSecrets ? text : masked(text)
  }

  /** The issues the loader finds in a change, without writing anything (the raw editor's "validate as you type"). */
  check(change: ConfigChange): { path: string; problem: string }[] {
    const source = readSource(this.file, this.nativeFormat)
    try {
      this.validate(this.changed(source, change))
      return []
    } catch (error) {
      return issuesOf(error)
    }
  }

  /**
   * Applies a change made against the version `ifMatch` names: 428 without one, 412 when the file
   * changed since (on disk, by anyone), 409 when it cannot be written, 422 with the loader's issues
   * when the result would not load. Returns the new text and ETag once written.
   */
  apply(change: ConfigChange, ifMatch: string | undefined): { text: string; etag: string; diff: string } {
    const source = readSource(this.file, this.nativeFormat)
    if (source.readOnly !== undefined) throw new RelayError('RELAY_ERR_CONFIG_READ_ONLY', `The config cannot be changed here: ${source.readOnly}.`)
    if (ifMatch === undefined) throw new RelayError('RELAY_ERR_PRECONDITION_REQUIRED', 'A change must say which version it was made against: send If-Match with the ETag the config was read with.')
    if (ifMatch !== source.etag) throw new RelayError('RELAY_ERR_CONFIG_CONFLICT', 'The config changed since it was read (another admin, or an edit on disk): read it again and redo the change.', { headers: { etag: source.etag } })
    const text = this.changed(source, change)
    try {
      this.validate(text)
    } catch (error) {
      throw new RelayError('RELAY_ERR_CONFIG_INVALID', 'The change was refused: the config would not load. Nothing was written.', { issues: issuesOf(error) })
    }
    writeAtomically(this.file, text)
    return { text, etag: etagOf(text), diff: maskedDiff(this.file, source.text, text) }
  }

  /** The document after the change, secrets restored, as text. */
  private changed(source: ConfigSource, change: ConfigChange): string {
    const original = parse(source.text)
    let doc: Document
    if (change.source !== undefined) {
      doc = parse(change.source)
    } else {
      doc = parse(source.text)
      try {
        applyEdits(doc, change.edits ?? [])
      } catch (error) {
        throw new RelayError('RELAY_ERR_CONFIG_INVALID', 'The change cannot be applied to the config.', { issues: [{ path: 'edits', problem: (error as Error).message }] })
      }
    }
    const unmatched = restoreSecrets(doc, original)
    if (unmatched.length > 0) {
      throw new RelayError('RELAY_ERR_CONFIG_INVALID', 'A masked secret was moved or changed: type the new secret, or leave the mask where it was.', {
        issues: unmatched.map((path) => ({ path, problem: 'a mask that stands for no secret at this place' })),
      })
    }
    return doc.toString(yamlStyle)
  }

  private validate(text: string): void {
    loadConfig({ ...this.loadOptions, file: this.file, text })
  }
}

function parse(text: string): Document {
  const doc = parseDocument(text)
  if (doc.errors.length > 0) {
    const error = doc.errors[0]!
    throw new RelayError('RELAY_ERR_CONFIG_INVALID', 'The config is not valid YAML.', { issues: [{ path: error.linePos ? `line ${error.linePos[0].line}` : '(file)', problem: error.message.split('\n')[0]! }] })
  }
  return doc
}

/** What a change did, as a unified diff of the document before and after, secrets masked on both sides: what the audit log keeps. */
export function maskedDiff(file: string, before: string, after: string): string {
  return createPatch(basename(file), masked(before), masked(after), '', '', { context: 2 })
}

function masked(text: string): string {
  const doc = parseDocument(text)
  maskSecrets(doc)
  return doc.toString(yamlStyle)
}

/**
 * A config as native YAML (a seed format's translation, for `check --print-native` and the read-only
 * view), secrets masked unless asked for: they are the environment's values by now, not references.
 */
export function nativeYaml(config: ConfigInput, withSecrets: boolean): string {
  const doc = new Document(config)
  if (!withSecrets) maskSecrets(doc)
  return doc.toString(yamlStyle)
}

/** How documents are written back: as close to how people write them as the yaml library allows (no padding inside [ ], no folding). */
const yamlStyle = { flowCollectionPadding: false, lineWidth: 0 } as const

function issuesOf(error: unknown): { path: string; problem: string }[] {
  if (error instanceof ConfigError) return error.issues.map((issue) => ({ path: issue.path, problem: issue.problem }))
  if (error instanceof RelayError && error.issues !== undefined) return error.issues
  return [{ path: '(config)', problem: (error as Error).message }]
}
