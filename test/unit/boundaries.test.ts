import assert from 'node:assert/strict'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { test } from 'node:test'

const src = new URL('../../src/', import.meta.url).pathname

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : []
  })
}

test('the core never reaches into a provider folder: providers are named only in src/providers/', () => {
  const offenders = sourceFiles(src)
    .filter((file) => !relative(src, file).startsWith('providers/'))
    .filter((file) => /from '[./]*providers\/(?!index\.js')/.test(readFileSync(file, 'utf8')))
  assert.deepEqual(offenders.map((file) => relative(src, file)), [])
})

test('nothing in providers/ imports Fastify', () => {
  const offenders = sourceFiles(join(src, 'providers')).filter((file) => readFileSync(file, 'utf8').includes("from 'fastify'"))
  assert.deepEqual(offenders, [])
})

test('no console output outside the CLI and the mock upstream: one logger', () => {
  const offenders = sourceFiles(src)
    .filter((file) => !/^(cli|mock-upstream)\//.test(relative(src, file)))
    .filter((file) => /console\.(log|error|warn|info)/.test(readFileSync(file, 'utf8')))
  assert.deepEqual(offenders.map((file) => relative(src, file)), [])
})
