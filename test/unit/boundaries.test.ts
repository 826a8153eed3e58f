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

test('the core never names a provider: no provider name as a string and no comparison of provider names outside providers/ (STYLE.md §6.7-2)', () => {
  // The mock upstream speaks each provider's API, and config/compat reads the seeds' own formats (type: replicate).
  const exempt = /^(providers|mock-upstream|config\/compat)\//
  // `openai` is also the canonical dialect (route type openai): only the providers that are translated count.
  const namesAProvider = /['"`](azure|anthropic|gemini|replicate)['"`]|\bprovider(\.name)?\s*[!=]==\s*['"`]/
  const offenders = sourceFiles(src)
    .filter((file) => !exempt.test(relative(src, file)))
    .flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .map((line, index) => ({ line, index }))
        .filter(({ line }) => !line.trim().startsWith('//') && !line.trim().startsWith('*') && namesAProvider.test(line))
        .map(({ index }) => `${relative(src, file)}:${index + 1}`),
    )
  assert.deepEqual(offenders, [])
})
