import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { z } from 'zod'
import { loadConfig } from '../../src/config/load.js'
import { configSchema } from '../../src/config/schema.js'

const root = new URL('../../', import.meta.url).pathname

/** Every leaf field of the schema, as a dotted path (arrays contribute their item's fields). */
function fieldPaths(schema: z.ZodType, prefix = ''): string[] {
  const def = schema._zod.def as { type: string; innerType?: z.ZodType; shape?: Record<string, z.ZodType>; element?: z.ZodType; options?: z.ZodType[]; in?: z.ZodType; out?: z.ZodType; valueType?: z.ZodType }
  switch (def.type) {
    case 'optional':
    case 'default':
    case 'prefault':
    case 'nullable':
      return fieldPaths(def.innerType!, prefix)
    // z.preprocess and transforms: the fields are on whichever side is an object.
    case 'pipe':
      return [...new Set([...fieldPaths(def.in!, prefix), ...fieldPaths(def.out!, prefix)])]
    // Unions (a provider's upstream settings, the forms of routes.cache and notify.matrix): every option's fields.
    case 'union':
      return [...new Set(def.options!.flatMap((option) => fieldPaths(option, prefix)))]
    case 'array':
      return fieldPaths(def.element!, prefix)
    case 'object': {
      const shape = (schema as z.ZodObject).shape as Record<string, z.ZodType>
      return Object.entries(shape).flatMap(([key, child]) => {
        const nested = fieldPaths(child, prefix === '' ? key : `${prefix}.${key}`)
        return nested.length > 0 ? nested : [prefix === '' ? key : `${prefix}.${key}`]
      })
    }
    default:
      return []
  }
}

test('docs/config.md names every field of the config schema', () => {
  const doc = readFileSync(join(root, 'docs/config.md'), 'utf8')
  const missing = fieldPaths(configSchema).filter((path) => {
    const leaf = path.split('.').at(-1)!
    const lastTwo = path.split('.').slice(-2).join('.')
    return !doc.includes(`\`${leaf}\``) && !doc.includes(`\`${lastTwo}\``) && !doc.includes(`\`${path}\``)
  })
  assert.deepEqual(missing, [])
})

test('config.example.yaml is a valid config', () => {
  const loaded = loadConfig({ file: join(root, 'config.example.yaml'), env: {} })
  assert.equal(loaded.format, 'native')
  assert.equal(loaded.config.routes.length, 2)
})
