/**
 * The deepest arrays and objects may nest in a JSON body the gateway reads. Parsing is iterative, but
 * re-serialising (the cache key, the body with usage asked for, token counts, full records) recurses,
 * and a 10,000-deep array overflows the stack there (issue 13, point 3). Real requests, JSON schemas of
 * tools included, stay far below this; every step that recurses stays far below the stack's limit.
 */
export const maxJsonDepth = 128

/** Whether `value` nests arrays and objects more than `limit` levels deep; stops at the first that does. */
export function nestsDeeperThan(value: unknown, limit = maxJsonDepth): boolean {
  // Recursion is safe here: it goes at most limit + 1 calls deep before it answers.
  return exceeds(value, limit)
}

function exceeds(value: unknown, levelsLeft: number): boolean {
  if (value === null || typeof value !== 'object') return false
  if (levelsLeft === 0) return true
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      const item: unknown = value[index]
      if (item !== null && typeof item === 'object' && exceeds(item, levelsLeft - 1)) return true
    }
    return false
  }
  for (const key in value) {
    const item = (value as Record<string, unknown>)[key]
    if (item !== null && typeof item === 'object' && exceeds(item, levelsLeft - 1)) return true
  }
  return false
}
