import { createHash } from 'node:crypto'
import { accessSync, constants, readFileSync } from 'node:fs'
import { dirname } from 'node:path'

/** The config file as the admin API edits it: its text, the ETag of its bytes, and whether it may be written. */
export interface ConfigSource {
  file: string
  text: string
  etag: string
  /** Why it may not be written (a seed format, a read-only file or folder); undefined when it may. */
  readOnly: string | undefined
}

/** A strong ETag of a file's bytes (RFC 9110 §8.8.3): the SHA-256, so any change, also one made outside the UI, is a conflict. */
export function etagOf(text: string): string {
  return `"${createHash('sha256').update(text, 'utf8').digest('base64url')}"`
}

/** Reads the file now (an edit always compares with the bytes on disk, not with what the gateway loaded). */
export function readSource(file: string, nativeFormat: boolean): ConfigSource {
  const text = readFileSync(file, 'utf8')
  return { file, text, etag: etagOf(text), readOnly: nativeFormat ? unwritable(file) : 'the config is in a seed format (openai-api-route or OpenAI-Forward); download its native YAML to edit it' }
}

function unwritable(file: string): string | undefined {
  try {
    accessSync(file, constants.W_OK)
  } catch {
    return 'the config file is not writable by the gateway'
  }
  try {
    // A new file is written beside it and renamed over it: the folder must take one.
    accessSync(dirname(file), constants.W_OK)
  } catch {
    return "the config file's folder is not writable by the gateway (it writes a new file and renames it)"
  }
  return undefined
}
