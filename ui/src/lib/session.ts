import { signal } from '@preact/signals'
import { api, get, whenSignedOut } from './api'

export interface Me {
  role: 'admin' | 'viewer'
  via: 'session' | 'bearer'
}

/** Who is logged in: undefined while asking, null when nobody. */
export const me = signal<Me | null | undefined>(undefined)
export const isAdmin = () => me.value?.role === 'admin'

whenSignedOut(() => (me.value = null))

export async function checkSession(): Promise<void> {
  try {
    me.value = await get<Me>('/admin/api/me')
  } catch {
    me.value = null
  }
}

export async function login(password: string): Promise<void> {
  await api('POST', '/admin/api/login', { password })
  await checkSession()
}

export async function logout(): Promise<void> {
  await api('POST', '/admin/api/logout', {}).catch(() => undefined)
  me.value = null
}
