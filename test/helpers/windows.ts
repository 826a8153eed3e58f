import { setTimeout as sleep } from 'node:timers/promises'

/**
 * Fixed windows start on the wall clock (a 1-minute window at every whole minute, as the `limits`
 * library counts). A test that expects its few requests in one window waits, when the current
 * window ends within `needMs`, for the next one: otherwise crossing a minute boundary mid-test
 * resets the count and a request that must be refused is admitted (seen once in CI).
 */
export async function withinOneWindow(windowMs = 60_000, needMs = 5_000): Promise<void> {
  const left = windowMs - (Date.now() % windowMs)
  if (left < needMs) await sleep(left + 20)
}
