import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { uiFolder } from '../../src/admin/ui-files.js'

// Issue 15: the whole admin UI under 150 KB gzipped, loading nothing from elsewhere and running no
// inline script (its CSP is default-src 'self'). `npm test` builds it first (npm run build:ui).

test('issue 15: the built admin UI is under 150 KB gzipped, with no inline script or style and nothing from another origin', (t) => {
  if (!existsSync(join(uiFolder, 'size.json'))) {
    if (process.env.LLM_RELAY_REQUIRE_SERVICES === '1') assert.fail('dist/ui is not built: run npm run build:ui')
    t.skip('dist/ui is not built (npm run build:ui): skipped')
    return
  }
  const size = JSON.parse(readFileSync(join(uiFolder, 'size.json'), 'utf8')) as { totalGzip: number; files: { file: string; gzip: number }[] }
  assert.ok(size.totalGzip < 150 * 1024, `${size.totalGzip} bytes gzipped`)
  t.diagnostic(`admin UI: ${(size.totalGzip / 1024).toFixed(1)} KB gzipped in all`)
  const html = readFileSync(join(uiFolder, 'index.html'), 'utf8')
  assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'every script has a src')
  assert.doesNotMatch(html, /<style|style=/, 'no inline style')
  assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//, 'nothing from another origin')
  for (const { file } of size.files) {
    const text = readFileSync(join(uiFolder, file), 'utf8')
    assert.doesNotMatch(text, /https?:\/\/(?!www\.w3\.org\/)[a-z0-9.-]+\.[a-z]{2,}\//i, `${file} names no other origin to load from`)
  }
})
