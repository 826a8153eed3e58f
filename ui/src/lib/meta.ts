import { signal } from '@preact/signals'
import { get } from './api'

export interface ProviderField {
  name: string
  kind: 'string' | 'number' | 'integer' | 'boolean' | 'list' | 'map'
  default?: unknown
  options?: string[]
}

export interface Meta {
  version: string
  providers: { name: string; defaultUrl?: string; fields: ProviderField[] }[]
}

/** The gateway's version and the providers an upstream may have (GET /admin/api/meta), read once. */
export const meta = signal<Meta | undefined>(undefined)

export async function loadMeta(): Promise<void> {
  meta.value = await get<Meta>('/admin/api/meta')
}
