import assert from 'node:assert/strict'
import { test } from 'node:test'
import { describeLimit, LimitSyntaxError, parseLimits } from '../../src/limits/limit-string.js'

const SECOND = 1_000
const MINUTE = 60_000
const HOUR = 3_600_000
const DAY = 86_400_000

const one = (text: string) => {
  const limits = parseLimits(text)
  assert.equal(limits.length, 1, text)
  return limits[0]!
}

test('the forms OpenAI-Forward users write', () => {
  assert.deepEqual(parseLimits('60/minute'), [{ amount: 60, windowMs: MINUTE, text: '60 per 1 minute' }])
  assert.deepEqual(parseLimits('100/2minutes'), [{ amount: 100, windowMs: 2 * MINUTE, text: '100 per 2 minute' }])
  assert.deepEqual(parseLimits('10 per second'), [{ amount: 10, windowMs: SECOND, text: '10 per 1 second' }])
  assert.deepEqual(parseLimits('5/hours'), [{ amount: 5, windowMs: HOUR, text: '5 per 1 hour' }])
  assert.deepEqual(parseLimits('3 per 1 minute'), [{ amount: 3, windowMs: MINUTE, text: '3 per 1 minute' }])
})

test('every unit, singular and plural; a month is 30 days and a year 365', () => {
  const cases: [string, number][] = [
    ['1/second', SECOND],
    ['1/seconds', SECOND],
    ['1/minute', MINUTE],
    ['1/hour', HOUR],
    ['1/day', DAY],
    ['1/days', DAY],
    ['1/month', 30 * DAY],
    ['1/months', 30 * DAY],
    ['1/year', 365 * DAY],
    ['1/years', 365 * DAY],
    ['1/3days', 3 * DAY],
  ]
  for (const [text, windowMs] of cases) assert.equal(one(text).windowMs, windowMs, text)
})

test('whitespace and case do not matter', () => {
  for (const text of ['  60 / minute ', '60/MINUTE', '60 PER minute', '60per minute', '60 Per  1  Minutes', '\t60/minute\n']) {
    assert.deepEqual(one(text), { amount: 60, windowMs: MINUTE, text: '60 per 1 minute' }, JSON.stringify(text))
  }
  assert.equal(one('100 / 2 minutes').windowMs, 2 * MINUTE)
})

test('several limits separated by , ; or |, in order', () => {
  const expected = [
    { amount: 60, windowMs: MINUTE, text: '60 per 1 minute' },
    { amount: 600, windowMs: HOUR, text: '600 per 1 hour' },
  ]
  for (const text of ['60/minute;600/hour', '60/minute, 600/hour', '60/minute | 600 per hour']) assert.deepEqual(parseLimits(text), expected, text)
  assert.equal(parseLimits('1/second,10/minute;100/hour|1000/day').length, 4)
})

test('inf means no limit, in any case', () => {
  assert.deepEqual(parseLimits('inf'), [])
  assert.deepEqual(parseLimits(' INF '), [])
})

test('the canonical text uses the largest whole unit', () => {
  assert.equal(one('5/60seconds').text, '5 per 1 minute')
  assert.equal(one('60/24hours').text, '60 per 1 day')
  assert.equal(one('1/12months').text, '1 per 12 month')
  assert.equal(one('1/90minutes').text, '1 per 90 minute')
  assert.equal(describeLimit({ amount: 3, windowMs: MINUTE }), '3 per 1 minute')
  assert.equal(describeLimit({ amount: 7, windowMs: 1_500 }), '7 per 1500 millisecond')
})

test('errors name the bad part and the expected form', () => {
  const cases: [string, RegExp][] = [
    ['', /empty limit/],
    ['   ', /empty limit/],
    ['abc', /cannot read "abc"/],
    ['60/week', /cannot read "60\/week"/],
    ['60', /cannot read "60"/],
    ['/minute', /cannot read/],
    ['1.5/minute', /cannot read "1.5\/minute"/],
    ['-1/minute', /cannot read/],
    ['60/minute;600/hours;x', /cannot read "x"/],
    ['60/minute;', /empty limit between separators/],
    ['60/minute;;600/hour', /empty limit between separators/],
    ['0/minute', /count 0 in "0\/minute" is not a positive integer/],
    ['60/0minutes', /window length 0 in "60\/0minutes" is not a positive integer/],
    ['99999999999999999999/minute', /count .* is not a positive integer/],
    ['1/99999999999999years', /window length .* is not a positive integer/],
    ['inf;60/minute', /"inf" cannot be combined/],
    ['unlimited', /cannot read "unlimited"/],
  ]
  for (const [text, message] of cases) {
    assert.throws(
      () => parseLimits(text),
      (error: unknown) => {
        assert.ok(error instanceof LimitSyntaxError, `${JSON.stringify(text)} throws a LimitSyntaxError`)
        assert.equal(error.name, 'LimitSyntaxError')
        assert.equal(error.input, text)
        assert.match(error.message, message)
        assert.match(error.message, /expected "<count>\/<unit>" or "<count> per <n> <unit>".*or "inf" for no limit/)
        return true
      },
      JSON.stringify(text),
    )
  }
})

test('the error carries the part at fault', () => {
  try {
    parseLimits('60/minute; 10/fortnight ;600/hour')
    assert.fail('expected a LimitSyntaxError')
  } catch (error) {
    assert.ok(error instanceof LimitSyntaxError)
    assert.equal(error.part, '10/fortnight')
    assert.match(error.message, /^cannot read "10\/fortnight" in rate limit "60\/minute; 10\/fortnight ;600\/hour": expected/)
  }
})
