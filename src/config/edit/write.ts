import { closeSync, fsyncSync, openSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'

/**
 * Writes the config atomically (issue 15 point 5): a temporary file in the same folder, fsynced, then
 * renamed over the old one, so a reader (the gateway's own watcher, an editor) sees the old file or the
 * new one, never half of one. The file keeps its mode. Hand-written rather than write-file-atomic:
 * these dozen lines are all of it, and the config is written by one process at a time.
 */
export function writeAtomically(file: string, text: string): void {
  const mode = statSync(file).mode & 0o777
  const temporary = join(dirname(file), `.${basename(file)}.${process.pid}.${Date.now()}.tmp`)
  const fd = openSync(temporary, 'wx', mode)
  try {
    writeSync(fd, text)
    fsyncSync(fd)
  } catch (error) {
    closeSync(fd)
    unlinkSync(temporary)
    throw error
  }
  closeSync(fd)
  try {
    renameSync(temporary, file)
  } catch (error) {
    unlinkSync(temporary)
    throw error
  }
  // The rename itself is made durable by syncing the folder.
  const folder = openSync(dirname(file), 'r')
  try {
    fsyncSync(folder)
  } finally {
    closeSync(folder)
  }
}
