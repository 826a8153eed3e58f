import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseDocument } from 'yaml'
import { applyEdits } from '../../src/config/edit/edits.js'

const source = `routes:
  - path: /
    upstreams:
      - name: a # first
        url: http://a
      - name: b # second
        url: http://b
      - name: c
        url: http://c
`

test('issue 15: a move takes a list item, its comment with it, to another place in the same list (the failover order)', () => {
  const doc = parseDocument(source)
  applyEdits(doc, [{ op: 'move', path: ['routes', 0, 'upstreams', 1], to: 0 }])
  const text = doc.toString()
  assert.ok(text.indexOf('name: b # second') < text.indexOf('name: a # first'), text)
  applyEdits(doc, [{ op: 'move', path: ['routes', 0, 'upstreams', '0'], to: 2 }])
  assert.deepEqual((doc.toJS() as { routes: { upstreams: { name: string }[] }[] }).routes[0]!.upstreams.map((upstream) => upstream.name), ['a', 'c', 'b'])
})

test('issue 15: a move from or to outside the list is refused, naming the edit', () => {
  assert.throws(() => applyEdits(parseDocument(source), [{ op: 'move', path: ['routes', 0, 'upstreams', 3], to: 0 }]), /edits\[0\] \(move routes\.0\.upstreams\.3\): no list item there to move/)
  assert.throws(() => applyEdits(parseDocument(source), [{ op: 'move', path: ['routes', 0, 'upstreams', 0], to: 5 }]), /index 5 is outside the list/)
  assert.throws(() => applyEdits(parseDocument(source), [{ op: 'move', path: ['routes', 0, 'path'], to: 0 }]), /not a mapping or a list|no list item/)
})
