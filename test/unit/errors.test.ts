import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { errorCatalogue, RelayError } from '../../src/errors.js'

test('docs/errors.md lists exactly the codes of src/errors.ts, with their status and type', () => {
  const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8')
  const rows = [...doc.matchAll(/^\| `(RELAY_ERR_[A-Z_]+)` \| (\d+) \| (\w+) \|/gm)].map((match) => [match[1], Number(match[2]), match[3]])
  const catalogue = Object.entries(errorCatalogue).map(([code, entry]) => [code, entry.status, entry.type])
  assert.deepEqual(rows.sort(), catalogue.sort())
})

test('a RelayError renders the OpenAI error body', () => {
  const error = new RelayError('RELAY_ERR_BAD_FIELD', "'model' must be a string.", { param: 'model' })
  assert.equal(error.status, 400)
  assert.deepEqual(error.toBody(), { error: { message: "'model' must be a string.", type: 'invalid_request_error', param: 'model', code: 'RELAY_ERR_BAD_FIELD' } })
})
