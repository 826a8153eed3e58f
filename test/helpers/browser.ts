import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'

/** Debian's chromium (`apt-get install -y chromium`; .ci/run installs it): no browser is downloaded here. */
const executable = process.env.LLM_RELAY_CHROMIUM ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((path) => existsSync(path))

/** Where the browser tests put their screenshots (docs/ui.md shows copies of them). */
export const screenshotDir = process.env.LLM_RELAY_SCREENSHOTS ?? join(import.meta.dirname, '..', '..', 'test-results', 'screenshots')

/**
 * Headless Chromium for the UI tests, closed after the test. Without a browser the test skips with
 * one clear line, and fails instead when LLM_RELAY_REQUIRE_SERVICES=1 (as in CI).
 */
export async function launchBrowser(t: TestContext): Promise<Browser | undefined> {
  if (executable === undefined) {
    const message = 'Chromium is not installed (apt-get install -y chromium)'
    if (process.env.LLM_RELAY_REQUIRE_SERVICES === '1') throw new Error(`${message} (LLM_RELAY_REQUIRE_SERVICES=1)`)
    t.skip(`${message}: skipped`)
    return undefined
  }
  // Without the background-networking flags Chromium keeps calling home, which this closed network refuses.
  const browser = await chromium.launch({
    executablePath: executable,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  })
  t.after(() => browser.close())
  return browser
}

/** What a page did that a test must see: errors, CSP violations, and every address it asked for. */
export interface PageWatch {
  problems: string[]
  requested: string[]
}

export async function openPage(browser: Browser, options: { colorScheme?: 'light' | 'dark' } = {}): Promise<{ context: BrowserContext; page: Page; watch: PageWatch }> {
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 }, colorScheme: options.colorScheme ?? 'light' })
  const page = await context.newPage()
  const watch: PageWatch = { problems: [], requested: [] }
  page.on('pageerror', (error) => watch.problems.push(`page error: ${error.message}`))
  page.on('console', (message) => {
    // A 401 before login and the refused wrong password are expected answers; everything else the console reports is a problem.
    if (message.type() === 'error' && !/status of 40[13]/.test(message.text())) watch.problems.push(`console: ${message.text()}`)
  })
  page.on('request', (request) => watch.requested.push(request.url()))
  return { context, page, watch }
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(screenshotDir, { recursive: true })
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true })
}
