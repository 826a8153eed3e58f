import { z } from 'zod'
import { upstreamSchema } from '../config/schema.js'

/** A setting an upstream of one provider has beyond those every upstream has, as a form shows it. */
export interface ProviderField {
  name: string
  /** string, number, integer, boolean, list (of strings) or map (string to string). */
  kind: 'string' | 'number' | 'integer' | 'boolean' | 'list' | 'map'
  default?: unknown
  options?: string[]
}

export interface ProviderForm {
  name: string
  /** The URL an upstream of this provider goes to when none is given; absent: a URL is required. */
  defaultUrl?: string
  fields: ProviderField[]
}

type JsonSchema = { type?: string; const?: unknown; default?: unknown; enum?: unknown[]; properties?: Record<string, JsonSchema>; items?: JsonSchema; anyOf?: JsonSchema[] }

/**
 * The providers an upstream may have and each one's own settings, read from the upstream schema
 * itself (its discriminated union), so the UI's upstream form names no provider and follows the
 * registry (providers/index.ts) as it grows.
 */
export function providerForms(): ProviderForm[] {
  const schema = z.toJSONSchema(upstreamSchema, { io: 'input', unrepresentable: 'any' }) as { oneOf?: JsonSchema[]; anyOf?: JsonSchema[] }
  const branches = schema.oneOf ?? schema.anyOf ?? []
  const common = new Set(Object.keys(branches[0]?.properties ?? {}))
  for (const branch of branches) for (const name of [...common]) if (!(name in (branch.properties ?? {}))) common.delete(name)
  return branches.map((branch) => {
    const properties = branch.properties ?? {}
    const provider = properties['provider']!
    const url = properties['url']
    const fields = Object.entries(properties)
      .filter(([name]) => !common.has(name))
      .map(([name, property]) => fieldOf(name, property))
    return { name: String(provider.const ?? provider.default), ...(typeof url?.default === 'string' && { defaultUrl: url.default }), fields }
  })
}

function fieldOf(name: string, property: JsonSchema): ProviderField {
  const field: ProviderField = { name, kind: kindOf(property) }
  if (property.default !== undefined) field.default = property.default
  if (property.enum !== undefined) field.options = property.enum.map(String)
  return field
}

function kindOf(property: JsonSchema): ProviderField['kind'] {
  // Durations are a number of ms or a string such as 30s: a text field takes both.
  if (property.anyOf !== undefined) return 'string'
  switch (property.type) {
    case 'number':
    case 'integer':
    case 'boolean':
      return property.type
    case 'array':
      return 'list'
    case 'object':
      return 'map'
    default:
      return 'string'
  }
}
