import { signal } from '@preact/signals'

export type Theme = 'light' | 'dark'
const stored = localStorage.getItem('llm-relay-theme')
const system = (): Theme => (window.matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light')

/** The theme: the one chosen with the toggle, else the system's. */
export const theme = signal<Theme>(stored === 'light' || stored === 'dark' ? stored : system())
document.documentElement.dataset['theme'] = theme.value

export function toggleTheme(): void {
  theme.value = theme.value === 'dark' ? 'light' : 'dark'
  localStorage.setItem('llm-relay-theme', theme.value)
  document.documentElement.dataset['theme'] = theme.value
}
