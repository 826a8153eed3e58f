import assert from 'node:assert/strict'
import { test } from 'node:test'
import { runSoakItem } from '../../soak/harness.js'
import { soakItems } from '../../soak/items/index.js'

// Issue 18: the short form of `npm run soak` (the same items at sizes of seconds), on the built
// package's gateway in processes of their own. Each figure must keep its bound.

for (const item of soakItems) {
  test(`soak, short: ${item.name}`, async () => {
    const figures = await runSoakItem(item, 'short', () => {})
    assert.ok(figures.length > 0)
    const out = figures.filter((figure) => !figure.ok)
    assert.deepEqual(
      out.map((figure) => `${figure.item}: ${figure.figure} (bound ${figure.bound})${figure.detail === undefined ? '' : `; ${figure.detail}`}`),
      [],
    )
  })
}
