import assert from 'node:assert/strict'
import { test } from 'node:test'
import { REDACTED, redactHeaders, type RecordAttempt } from '../../src/records/record.js'
import { attemptsJson } from '../../src/storage/record-row.js'

test('redactHeaders hides credentials and cookies, whatever their case, and keeps the rest', () => {
  const headers = {
    Authorization: 'Bearer sk-live-123',
    'proxy-authorization': 'Basic dXNlcjpwYXNz',
    'api-key': 'azure-key',
    'X-API-KEY': 'k',
    cookie: 'session=abc',
    'set-cookie': ['a=1', 'b=2'],
    'x-goog-api-key': 'g',
    'x-amz-security-token': 't',
    'x-client-secret': 's',
    'openai-organization': 'org-1',
    'content-type': 'application/json',
    'user-agent': 'OpenAI/Python 1.52.0',
    'x-forwarded-for': '10.0.0.1',
    accept: ['text/event-stream', 'application/json'],
    'x-absent': undefined,
  }
  const safe = redactHeaders(headers)
  assert.deepEqual(safe, {
    Authorization: REDACTED,
    'proxy-authorization': REDACTED,
    'api-key': REDACTED,
    'X-API-KEY': REDACTED,
    cookie: REDACTED,
    'set-cookie': REDACTED,
    'x-goog-api-key': REDACTED,
    'x-amz-security-token': REDACTED,
    'x-client-secret': REDACTED,
    'openai-organization': 'org-1',
    'content-type': 'application/json',
    'user-agent': 'OpenAI/Python 1.52.0',
    'x-forwarded-for': '10.0.0.1',
    accept: 'text/event-stream, application/json',
  })
  assert.equal(headers.Authorization, 'Bearer sk-live-123', 'the input is not changed')
  for (const secret of ['sk-live-123', 'dXNlcjpwYXNz', 'azure-key', 'session=abc', 'a=1']) {
    assert.equal(JSON.stringify(safe).includes(secret), false, `${secret} is gone`)
  }
})

test('attemptsJson writes the same text as JSON.stringify for every shape of attempt', () => {
  const cases: RecordAttempt[][] = [
    [],
    [{ upstream: 'mock', status: 200, durationMs: 1.2 }],
    [
      { upstream: 'first "quoted" \\ name\n', error: 'connect-timeout', durationMs: 1000 },
      { upstream: 'ünïcode ✓', status: 429, durationMs: 0 },
      { upstream: 'third', status: 503, durationMs: -0 },
    ],
    [{ upstream: 'odd', durationMs: 1e21 }],
  ]
  for (const attempts of cases) {
    assert.equal(attemptsJson(attempts), JSON.stringify(attempts))
    assert.deepEqual(JSON.parse(attemptsJson(attempts)), JSON.parse(JSON.stringify(attempts)))
  }
  // JSON has no NaN or Infinity: both become null, as JSON.stringify writes them.
  assert.equal(attemptsJson([{ upstream: 'x', status: Number.NaN, durationMs: Number.POSITIVE_INFINITY }]), '[{"upstream":"x","status":null,"durationMs":null}]')
})
