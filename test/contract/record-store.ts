import assert from 'node:assert/strict'
import { describe, test, type TestContext } from 'node:test'
import type { RecordLevel, RequestRecord } from '../../src/records/record.js'
import type { RecordStore } from '../../src/storage/types.js'

/**
 * What every RecordStore backend must do (STYLE.md §6.3), as test/contract/counter-store.ts: each
 * backend's test file calls recordStoreContract(name, create), and `create` must return a store on
 * an empty table of its own (a fresh file, a fresh schema), so that counts and orders are exact.
 */

const T0 = 1_700_000_000_000

export function minimalRecord(id: string, time: number, overrides: Partial<RequestRecord> = {}): RequestRecord {
  return { id, time, method: 'POST', path: '/v1/chat/completions', stream: false, attempts: [], status: 200, totalMs: 12.5, level: 'none', ...overrides }
}

/** A record with every field set, content included. */
export function fullRecord(id: string, time: number): RequestRecord {
  return {
    id,
    time,
    route: '/v1',
    method: 'POST',
    path: '/v1/chat/completions?x=1',
    clientId: 'key:team-a',
    clientIp: '2001:db8::1',
    userAgent: 'OpenAI/Python 1.52.0',
    model: 'gpt-4o-mini',
    stream: true,
    upstream: 'backup',
    provider: 'anthropic',
    upstreamModel: 'claude-sonnet-4-5',
    attempts: [
      { upstream: 'primary', error: 'connect-timeout', durationMs: 1000.25 },
      { upstream: 'flaky', status: 503, durationMs: 40 },
      { upstream: 'backup', status: 200, durationMs: 812.5 },
    ],
    status: 200,
    headersMs: 1050.75,
    firstByteMs: 1101.5,
    totalMs: 1890.125,
    promptTokens: 21,
    completionTokens: 345,
    totalTokens: 366,
    tokensSource: 'counted',
    cache: 'MISS',
    error: 'upstream primary: connect timeout',
    level: 'full',
    content: {
      request: { model: 'gpt-4o-mini', stream: true, temperature: 0.7, messages: [{ role: 'user', content: 'Hi' }], n: null, nested: { a: [1, 2.5, true] } },
      response: 'Hello! How can I help?',
      toolCalls: [{ id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{"q":"x"}' } }],
      headers: { 'content-type': 'application/json', authorization: '[redacted]' },
    },
  }
}

export function recordStoreContract(name: string, create: () => Promise<RecordStore> | RecordStore): void {
  describe(`RecordStore contract: ${name}`, () => {
    async function open(t: TestContext, records: RequestRecord[] = []): Promise<RecordStore> {
      const store = await create()
      t.after(() => store.close())
      if (records.length > 0) await store.write(records)
      return store
    }

    const ids = (records: RequestRecord[]) => records.map((record) => record.id)

    test('a full record comes back exactly, attempts and content included', async (t) => {
      const record = fullRecord('req-full', T0)
      const store = await open(t, [record])
      assert.deepEqual(await store.query({}), [record])
    })

    test('issue 13.4: content that cannot be serialised is stored without that part, saying so, and the rest of its batch with it', async (t) => {
      let deep: unknown = 'bottom'
      for (let level = 0; level < 20_000; level++) deep = [deep]
      const hostile = minimalRecord('deep', T0 + 1, { level: 'full', content: { request: deep, response: 'the answer survives', headers: { 'user-agent': 'x' } } })
      const before = fullRecord('before', T0)
      const after = minimalRecord('after', T0 + 2, { level: 'full', content: { response: 'fine too' } })
      const store = await open(t, [before, hostile, after])
      const stored = new Map((await store.query({})).map((record) => [record.id, record]))
      assert.deepEqual([...stored.keys()].sort(), ['after', 'before', 'deep'])
      assert.deepEqual(stored.get('before'), before)
      assert.deepEqual(stored.get('after'), after)
      const content = stored.get('deep')?.content
      assert.equal(content?.request, undefined)
      assert.equal(content?.response, 'the answer survives')
      assert.deepEqual(content?.headers, { 'user-agent': 'x' })
      assert.match(content?.omitted ?? '', /^request not stored: Maximum call stack size exceeded/)
    })

    test('a minimal record comes back without fields it did not have', async (t) => {
      const record = minimalRecord('req-min', T0)
      const store = await open(t, [record])
      const [read] = await store.query({})
      assert.deepEqual(read, record)
      assert.deepEqual(Object.keys(read ?? {}).sort(), Object.keys(record).sort())
    })

    test('every level, cache status and token source survives', async (t) => {
      const levels: RecordLevel[] = ['none', 'meta', 'full']
      const records = levels.map((level, i) =>
        minimalRecord(`lvl-${level}`, T0 + i, { level, cache: (['HIT', 'MISS', 'BYPASS'] as const)[i], tokensSource: (['upstream', 'counted', 'estimate'] as const)[i] }),
      )
      const store = await open(t, records)
      assert.deepEqual(await store.query({}), [...records].reverse())
    })

    test('strings with quotes, escapes, unicode and binary-looking text round-trip unchanged', async (t) => {
      const nasty = [
        `it's "quoted" \`ticked\``,
        `'); DROP TABLE request_records; --`,
        'back\\slash \\u0000 \\\\u0000 \\ud800 (escape-looking text, not escapes)',
        'Grüße, 你好, مرحبا, שלום, 🦊👩🏽‍💻, e\u0301, \u200b zero width',
        Array.from({ length: 31 }, (_, i) => String.fromCharCode(i + 1)).join('') + '\u007f\u0080\u00ff',
        '%_ LIKE wildcards %% and $1 ? :name @p placeholders',
        'x'.repeat(100_000),
      ]
      const records = nasty.map((text, i) =>
        minimalRecord(`nasty-${i}-${text.slice(0, 8)}`, T0 + i, {
          model: text,
          route: text,
          clientId: text,
          userAgent: text,
          error: text,
          level: 'full',
          attempts: [{ upstream: text, error: text, durationMs: 1 }],
          content: { request: { [text.slice(0, 40)]: text, messages: [{ role: 'user', content: text }] }, response: text, headers: { 'x-note': text } },
        }),
      )
      const store = await open(t, records)
      assert.deepEqual(await store.query({}), [...records].reverse())
      for (const record of records) {
        assert.deepEqual(await store.query({ model: record.model, client: record.clientId, route: record.route }), [record], 'found by its own strings')
      }
    })

    test('an empty batch is written without error and stores nothing', async (t) => {
      const store = await open(t)
      await store.write([])
      assert.deepEqual(await store.query({}), [])
    })

    test('a batch is one transaction: one bad record stores none of the batch', async (t) => {
      const store = await open(t, [minimalRecord('before', T0)])
      // 1 200 records: PostgreSQL writes this in two INSERT statements, which must still be one transaction.
      const batch = Array.from({ length: 1200 }, (_, i) => minimalRecord(`batch-${i}`, T0 + 1 + i))
      batch[1100] = { ...minimalRecord('bad', T0), method: null as unknown as string }
      await assert.rejects(store.write(batch))
      assert.deepEqual(ids(await store.query({})), ['before'])
      assert.equal(await store.prune({ keepRows: 1, batchSize: 10 }), 0, 'the failed batch did not count towards keepRows')
      batch[1100] = minimalRecord('good', T0 + 5000)
      await store.write(batch)
      assert.equal((await store.query({})).length, 1201)
    })

    test('newest first; records of the same ms in reverse order of writing; ids need not be unique', async (t) => {
      const store = await open(t)
      await store.write([minimalRecord('b', T0 + 20), minimalRecord('a', T0 + 10), minimalRecord('d', T0 + 40)])
      await store.write([minimalRecord('c1', T0 + 30), minimalRecord('c2', T0 + 30)])
      await store.write([minimalRecord('c3', T0 + 30), minimalRecord('a', T0 + 50, { status: 201 })])
      const read = await store.query({})
      assert.deepEqual(ids(read), ['a', 'd', 'c3', 'c2', 'c1', 'b', 'a'])
      assert.deepEqual(read.map((record) => record.status), [201, 200, 200, 200, 200, 200, 200])
    })

    test('limit keeps the newest', async (t) => {
      const store = await open(t, Array.from({ length: 20 }, (_, i) => minimalRecord(`r${i}`, T0 + i)))
      assert.deepEqual(ids(await store.query({ limit: 3 })), ['r19', 'r18', 'r17'])
      assert.deepEqual(ids(await store.query({ limit: 1, status: 200, until: T0 + 5 })), ['r4'])
      assert.equal((await store.query({ limit: 100 })).length, 20)
    })

    describe('filters', () => {
      const records = [
        minimalRecord('ok-a', T0 + 1000, { model: 'gpt-4o', route: '/v1', clientId: 'alice' }),
        minimalRecord('ok-b', T0 + 2000, { model: 'gpt-4o-mini', route: '/v1', clientId: 'bob' }),
        minimalRecord('redirect', T0 + 3000, { status: 399, model: 'gpt-4o', route: '/azure', clientId: 'alice' }),
        minimalRecord('bad-request', T0 + 4000, { status: 400, model: 'gpt-4o', route: '/v1', clientId: 'bob' }),
        minimalRecord('limited', T0 + 5000, { status: 429, route: '/azure' }),
        minimalRecord('chat', T0 + 6000, { level: 'full', model: 'gpt-4o', content: { request: { messages: [] }, response: 'hi' } }),
        minimalRecord('tools', T0 + 7000, { level: 'full', content: { request: { messages: [] }, toolCalls: [{ id: 'c' }] } }),
        minimalRecord('headers-only', T0 + 8000, { level: 'meta', content: { headers: { 'user-agent': 'x' } } }),
        minimalRecord('failed', T0 + 9000, { status: 502, model: 'gpt-4o-mini', route: '/v1', clientId: 'alice', error: 'all upstreams failed', upstream: 'backup' }),
        minimalRecord('Req_%1', T0 + 10_000, { upstream: 'main', cache: 'HIT' }),
        minimalRecord('req_%2', T0 + 11_000, { upstream: 'main', cache: 'MISS' }),
      ]

      const cases: [string, Parameters<RecordStore['query']>[0], string[]][] = [
        ['none', {}, ['req_%2', 'Req_%1', 'failed', 'headers-only', 'tools', 'chat', 'limited', 'bad-request', 'redirect', 'ok-b', 'ok-a']],
        ['since is inclusive', { since: T0 + 7000, until: T0 + 10_000 }, ['failed', 'headers-only', 'tools']],
        ['until is exclusive', { until: T0 + 3000 }, ['ok-b', 'ok-a']],
        ['since and until', { since: T0 + 2000, until: T0 + 4000 }, ['redirect', 'ok-b']],
        ['afterTime is exclusive (follow)', { afterTime: T0 + 7000, until: T0 + 10_000 }, ['failed', 'headers-only']],
        ['fractional times', { since: T0 + 6999.5, until: T0 + 8000.5 }, ['headers-only', 'tools']],
        ['one status', { status: 429 }, ['limited']],
        ["status 'error' is every status >= 400", { status: 'error' }, ['failed', 'limited', 'bad-request']],
        ['model', { model: 'gpt-4o' }, ['chat', 'bad-request', 'redirect', 'ok-a']],
        ['route', { route: '/azure' }, ['limited', 'redirect']],
        ['client', { client: 'alice' }, ['failed', 'redirect', 'ok-a']],
        ['chatOnly: a request, answer or tool calls, not headers alone', { chatOnly: true }, ['tools', 'chat']],
        ['filters combine', { client: 'alice', status: 'error', model: 'gpt-4o-mini', route: '/v1', since: T0 }, ['failed']],
        ['nothing matches', { model: 'gpt-4o', route: '/azure', status: 200 }, []],
        ['values are compared, not matched', { model: 'gpt-4o%' }, []],
        ['a status class', { status: '4xx' }, ['limited', 'bad-request']],
        ['another class', { status: '3xx' }, ['redirect']],
        ['upstream', { upstream: 'main' }, ['req_%2', 'Req_%1']],
        ['cache status', { cache: 'HIT' }, ['Req_%1']],
        ['an id prefix, case and wildcards as written', { idPrefix: 'req_%' }, ['req_%2']],
        ['an id prefix that is a whole id', { idPrefix: 'Req_%1' }, ['Req_%1']],
        ['wildcards are no wildcards', { idPrefix: '%' }, []],
      ]

      for (const [label, filter, expected] of cases) {
        test(label, async (t) => {
          const store = await open(t, records)
          assert.deepEqual(ids(await store.query(filter)), expected)
        })
      }

      test('keyset pages: newest first, each page after the last record of the one before, by time then seq', async (t) => {
        // Three records in one ms: the seq orders them.
        const same = [minimalRecord('same-1', T0 + 9000), minimalRecord('same-2', T0 + 9000)]
        const store = await open(t, [...records, ...same])
        const seen: string[] = []
        let before: { time: number; seq: number } | undefined
        for (let page = 0; page < 10; page++) {
          const found = await store.query({ limit: 4, withSeq: true, ...(before !== undefined && { before }) })
          seen.push(...ids(found))
          if (found.length < 4) break
          const last = found.at(-1)!
          assert.ok(typeof last.seq === 'number')
          before = { time: last.time, seq: last.seq }
        }
        assert.deepEqual(seen, ['req_%2', 'Req_%1', 'same-2', 'same-1', 'failed', 'headers-only', 'tools', 'chat', 'limited', 'bad-request', 'redirect', 'ok-b', 'ok-a'])
        assert.equal((await store.query({ limit: 1 }))[0]!.seq, undefined, 'no seq unless asked')
      })

      test('afterSeq follows writes: only records written after that seq, the last written first, whatever their times', async (t) => {
        const store = await open(t, records)
        const [last] = await store.query({ afterSeq: 0, limit: 1, withSeq: true })
        assert.equal(last?.id, 'req_%2', 'afterSeq 0 and limit 1 read the last written')
        const seen = last!.seq!
        // A long request's record is written after those of shorter ones that arrived later: its time is older.
        await store.write([minimalRecord('late-old', T0 + 500, { model: 'gpt-4o' }), minimalRecord('late-new', T0 + 20_000)])
        await store.write([minimalRecord('later', T0 + 1, { model: 'gpt-4o' })])
        const after = await store.query({ afterSeq: seen, withSeq: true })
        assert.deepEqual(ids(after), ['later', 'late-new', 'late-old'])
        assert.ok(after.every((record) => record.seq! > seen))
        assert.deepEqual(ids(await store.query({ afterSeq: seen, limit: 2 })), ['later', 'late-new'], 'limit keeps the latest writes')
        assert.deepEqual(ids(await store.query({ afterSeq: seen, model: 'gpt-4o' })), ['later', 'late-old'], 'with the other filters')
        assert.deepEqual(await store.query({ afterSeq: after[0]!.seq! }), [], 'nothing written since')
      })

      test('a bad filter is refused naming it', async (t) => {
        const store = await open(t)
        await assert.rejects(store.query({ before: { time: T0, seq: 1.5 } }), /filter\.before/)
        await assert.rejects(store.query({ limit: 0 }), /filter\.limit/)
        await assert.rejects(store.query({ since: Number.NaN }), /filter\.since/)
        await assert.rejects(store.query({ status: 20.5 }), /filter\.status/)
        await assert.rejects(store.query({ afterSeq: -1 }), /filter\.afterSeq/)
      })
    })

    describe('prune', () => {
      test('by age: oldest first, at most batchSize per call', async (t) => {
        const old = Array.from({ length: 25 }, (_, i) => minimalRecord(`old-${i}`, T0 + i))
        const recent = Array.from({ length: 5 }, (_, i) => minimalRecord(`new-${i}`, T0 + 1000 + i))
        // Written newest first, so that deleting "oldest first" cannot be mistaken for "first written".
        const store = await open(t, [...recent, ...old].reverse())
        assert.equal(await store.prune({ olderThan: T0 + 1000, batchSize: 10 }), 10)
        const left = await store.query({})
        assert.equal(left.length, 20)
        assert.equal(left.at(-1)?.id, 'old-10', 'the ten oldest went first')
        assert.equal(await store.prune({ olderThan: T0 + 1000, batchSize: 10 }), 10)
        assert.equal(await store.prune({ olderThan: T0 + 1000, batchSize: 10 }), 5)
        assert.equal(await store.prune({ olderThan: T0 + 1000, batchSize: 10 }), 0)
        assert.deepEqual(ids(await store.query({})), ['new-4', 'new-3', 'new-2', 'new-1', 'new-0'])
      })

      test('by row count: keeps the newest keepRows, in steps', async (t) => {
        const store = await open(t, Array.from({ length: 30 }, (_, i) => minimalRecord(`r${i}`, T0 + i * 10)))
        const steps: number[] = []
        for (let step = await store.prune({ keepRows: 12, batchSize: 7 }); step > 0; step = await store.prune({ keepRows: 12, batchSize: 7 })) steps.push(step)
        assert.deepEqual(steps, [7, 7, 4])
        assert.deepEqual(ids(await store.query({})), Array.from({ length: 12 }, (_, i) => `r${29 - i}`))
        await store.write([minimalRecord('late', T0 + 1000)])
        assert.equal(await store.prune({ keepRows: 12, batchSize: 7 }), 1, 'the count follows writes')
        assert.equal((await store.query({})).at(-1)?.id, 'r19')
        assert.equal(await store.prune({ keepRows: 0, batchSize: 100 }), 12, 'keepRows 0 empties the table')
      })

      test('by age and row count at once: one batchSize for both', async (t) => {
        const store = await open(t, Array.from({ length: 20 }, (_, i) => minimalRecord(`r${i}`, T0 + i)))
        assert.equal(await store.prune({ olderThan: T0 + 4, keepRows: 10, batchSize: 6 }), 6, '4 by age, then 2 by count')
        assert.equal(await store.prune({ olderThan: T0 + 4, keepRows: 10, batchSize: 6 }), 4)
        assert.equal(await store.prune({ olderThan: T0 + 4, keepRows: 10, batchSize: 6 }), 0)
        assert.deepEqual(ids(await store.query({})), Array.from({ length: 10 }, (_, i) => `r${19 - i}`))
      })

      test('nothing to prune, and bad options refused naming them', async (t) => {
        const store = await open(t, [minimalRecord('only', T0)])
        assert.equal(await store.prune({ olderThan: T0, keepRows: 1, batchSize: 10 }), 0)
        assert.equal(await store.prune({ batchSize: 10 }), 0)
        await assert.rejects(store.prune({ batchSize: 0 }), /options\.batchSize/)
        await assert.rejects(store.prune({ keepRows: -1, batchSize: 1 }), /options\.keepRows/)
        assert.equal((await store.query({})).length, 1)
      })
    })

    test('after close, calls reject and close again resolves', async () => {
      const store = await create()
      await store.write([minimalRecord('x', T0)])
      await store.close()
      await store.close()
      await assert.rejects(store.query({}), /closed/)
      await assert.rejects(store.write([minimalRecord('y', T0)]), /closed/)
    })
  })
}
