/** A fuzz test's seed and number of runs: fixed for `npm test`; LLM_RELAY_FUZZ_SEED and LLM_RELAY_FUZZ_RUNS explore further by hand. */
export function fuzzSettings(defaultSeed: number): { seed: number; numRuns: number } {
  return { seed: Number(process.env.LLM_RELAY_FUZZ_SEED ?? defaultSeed), numRuns: Number(process.env.LLM_RELAY_FUZZ_RUNS ?? 400) }
}

/**
 * Text that tries to leave an SQL string or a LIKE pattern: injections, quotes, wildcards,
 * backslashes, NUL, placeholders and comments. Every record filter must take it as plain text.
 */
export const sqlInjectionText: readonly string[] = [
  "' OR 1=1 --",
  "' OR '1'='1",
  "'; DROP TABLE request_records; --",
  '1; DROP TABLE request_records',
  "' UNION SELECT id, model FROM request_records --",
  "') UNION SELECT NULL--",
  '" OR ""="',
  '%',
  '_',
  '%_%',
  '\\',
  "\\'",
  '\u0000',
  'a\u0000b',
  '$1',
  '?',
  '*/ SELECT 1 /*',
]
