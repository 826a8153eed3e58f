import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import OpenAI from 'openai'
import type { Page, Response } from 'playwright-core'
import { request } from 'undici'
import { launchBrowser, openPage, screenshot, type PageWatch } from '../helpers/browser.js'
import { startMock } from '../helpers/mock.js'
import { startRelay } from '../helpers/relay.js'

// Issue 15 in a real browser (Debian's chromium, driven by playwright-core): a person logs in, adds an
// upstream and sees the relay use it, watches a request arrive and opens it, sees the Overview's
// charts carry the numbers /metrics has, sends a Playground chat, and no page, script or answer ever
// holds a secret. Screenshots of every page, light and dark, go to test-results/screenshots.

const ADMIN = 'admin-ui-password-canary-3f7a'
const VIEWER = 'viewer-ui-password-canary-81c2'
const CLIENT_TOKEN = 'tok-ui-client-canary-5d0e'
const UPSTREAM_KEY = 'sk-ui-upstream-canary-a41b'
const ENV_KEY = 'sk-ui-env-canary-77d3'
const NEW_KEY = 'sk-ui-added-canary-9c6e'
const secrets = [ADMIN, VIEWER, CLIENT_TOKEN, UPSTREAM_KEY, ENV_KEY, NEW_KEY]

const configText = (mockUrl: string) => `# The browser test's gateway: comments and \${VAR} references must survive every edit.
admin:
  port: 0
  password: ${ADMIN}
  viewerPassword: ${VIEWER}
records:
  level: full
  flushInterval: 100ms
access:
  clientTokens: [${CLIENT_TOKEN}]
routes:
  - path: /
    cache: opt-in
    upstreams:
      - name: first # the original upstream
        url: ${mockUrl}
        keys: [${UPSTREAM_KEY}, '\${ENV_UPSTREAM_KEY}']
`

/** Every answer of the admin origin the page read, as text, to look for secrets in. */
function collectBodies(page: Page, into: string[]): void {
  page.on('response', (response: Response) => {
    const type = response.headers()['content-type'] ?? ''
    // An event stream never ends while the page is open; the API tests check its events for secrets.
    if (type.includes('event-stream')) return
    void response.text().then(
      (text) => into.push(text),
      () => undefined,
    )
  })
}

async function login(page: Page, url: string, password: string): Promise<void> {
  await page.goto(url)
  await page.getByLabel('Password').fill(password)
  await page.getByRole('button', { name: 'Log in' }).click()
  await page.getByRole('navigation', { name: 'Pages' }).waitFor()
}

/** Distinct pixel rows where a chart drew its first series: a flat line at zero covers one or two. */
async function seriesRows(page: Page, chart: string): Promise<number> {
  return page.evaluate((title) => {
    const canvas = document.querySelector<HTMLCanvasElement>(`figure[aria-label="${title}"] canvas`)
    if (canvas === null) return 0
    const hex = getComputedStyle(document.documentElement).getPropertyValue('--chart-1').trim()
    const [r, g, b] = [1, 3, 5].map((at) => parseInt(hex.slice(at, at + 2), 16))
    const { data, width, height } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height)
    const rows = new Set<number>()
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const at = (y * width + x) * 4
        if (Math.abs(data[at]! - r!) < 24 && Math.abs(data[at + 1]! - g!) < 24 && Math.abs(data[at + 2]! - b!) < 24 && data[at + 3]! > 200) {
          rows.add(y)
          break
        }
      }
    }
    return rows.size
  }, chart)
}

/** Controls on the page without an accessible name (a label, aria-label or their text): a screen reader could not say what they do. */
async function unnamedControls(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>('input, select, textarea, button, a[href]')]
      .filter((element) => {
        if (element instanceof HTMLInputElement && element.type === 'hidden') return false
        const labels = 'labels' in element ? [...((element as HTMLInputElement).labels ?? [])] : []
        const name = element.getAttribute('aria-label') ?? element.getAttribute('aria-labelledby') ?? labels.map((label) => label.textContent ?? '').join('') ?? ''
        const text = element instanceof HTMLButtonElement || element instanceof HTMLAnchorElement ? (element.textContent ?? '') : ''
        return `${name}${text}${element.title}`.trim() === ''
      })
      .map((element) => element.outerHTML.slice(0, 120)),
  )
}

function assertClean(watch: PageWatch, origin: string): void {
  assert.deepEqual(watch.problems, [], 'no script error, no refused resource, no CSP violation')
  const elsewhere = watch.requested.filter((url) => !url.startsWith(origin))
  assert.deepEqual(elsewhere, [], 'the UI loads nothing from another origin')
}

test('issue 15: the admin UI in a browser: log in, edit, watch, try, and never a secret', async (t) => {
  const browser = await launchBrowser(t)
  if (browser === undefined) return
  const first = await startMock(t)
  const second = await startMock(t)
  const relay = await startRelay(t, configText(first.url), { env: { ENV_UPSTREAM_KEY: ENV_KEY } })
  const adminUrl = relay.admin!.url
  const client = new OpenAI({ apiKey: CLIENT_TOKEN, baseURL: `${relay.url}/v1`, maxRetries: 0 })
  const bodies: string[] = []
  const pages: string[] = []

  const { page, watch, context } = await openPage(browser)
  collectBodies(page, bodies)

  await t.test('a wrong password is refused; the right one logs in with an HttpOnly, SameSite=Strict session', async () => {
    await page.goto(adminUrl)
    await screenshot(page, 'login-light')
    await page.getByLabel('Password').fill('not-the-password')
    await page.getByRole('button', { name: 'Log in' }).click()
    await page.getByRole('alert').filter({ hasText: 'Wrong password.' }).waitFor()
    assert.deepEqual(await context.cookies(), [])
    await page.getByLabel('Password').fill(ADMIN)
    await page.getByRole('button', { name: 'Log in' }).click()
    await page.getByRole('navigation', { name: 'Pages' }).waitFor()
    const [cookie] = await context.cookies()
    assert.equal(cookie?.httpOnly, true)
    assert.equal(cookie?.sameSite, 'Strict')
  })

  await t.test('an upstream added in the UI, moved first, is the one the relay uses for the next request; the file keeps its comments and ${VAR}', async () => {
    await page.goto(`${adminUrl}/#/routes`)
    await page.getByRole('button', { name: 'Add an upstream to /' }).click()
    const dialog = page.getByRole('dialog', { name: 'Add an upstream to /' })
    await dialog.getByLabel('Name').fill('second')
    await dialog.getByLabel('URL').fill(second.url)
    await dialog.getByLabel('New api keys').fill(NEW_KEY)
    await dialog.getByRole('button', { name: 'Add to api keys' }).click()
    await dialog.getByRole('button', { name: 'Add upstream' }).click()
    await page.getByRole('status').filter({ hasText: 'Saved and applied' }).waitFor()
    await page.getByRole('button', { name: 'Move second up' }).click()
    await page.getByRole('table', { name: 'Upstreams of /, in failover order' }).getByRole('row').nth(1).filter({ hasText: 'second' }).waitFor()

    await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'to the new upstream' }] })
    assert.equal(second.requests.length, 1, 'the new upstream answered')
    assert.equal(second.requests[0]!.headers.authorization, `Bearer ${NEW_KEY}`)
    assert.equal(first.requests.length, 0)
    const written = readFileSync(relay.configFile, 'utf8')
    assert.match(written, /# The browser test's gateway/)
    assert.match(written, /name: first # the original upstream/)
    assert.match(written, /'\$\{ENV_UPSTREAM_KEY\}'/)
    assert.ok(written.indexOf('name: second') < written.indexOf('name: first'), 'second is first in the file')
  })

  await t.test('a request made with the SDK appears in Requests by the live tail, and its detail shows attempts and the conversation', async () => {
    await page.goto(`${adminUrl}/#/requests`)
    await page.getByRole('table', { name: 'Requests, newest first' }).waitFor()
    await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'a question for the live tail' }] }, { headers: { 'x-request-id': 'ui-live-tail-1' } })
    const link = page.getByRole('link', { name: 'Request ui-live-tail-1' })
    await link.waitFor()
    await link.click()
    const detail = page.getByRole('dialog', { name: 'Request ui-live-tail-1' })
    await detail.getByRole('table', { name: 'Attempts, in order' }).getByRole('cell', { name: 'second' }).waitFor()
    await detail.getByRole('list', { name: 'Messages' }).filter({ hasText: 'a question for the live tail' }).waitFor()
    pages.push(await page.content())
    await screenshot(page, 'request-detail-light')
    await detail.getByRole('button', { name: 'Close' }).click()
  })

  await t.test('the Overview charts carry the traffic, and its totals are the counters /metrics serves', async () => {
    for (let index = 0; index < 6; index++) await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: `traffic ${index}` }] })
    await page.goto(`${adminUrl}/#/overview`)
    const scraped = await (await request(`${relay.url}/metrics`)).body.text()
    const total = [...scraped.matchAll(/^llm_relay_requests_total\{[^}]*\} (\d+)/gm)].reduce((sum, match) => sum + Number(match[1]), 0)
    assert.ok(total >= 8)
    await page.getByRole('group', { name: 'Requests per second' }).filter({ hasText: `${total} since start` }).waitFor()
    let rows = 0
    for (let tries = 0; tries < 100 && rows < 4; tries++) {
      rows = await seriesRows(page, 'Requests and errors per second')
      if (rows < 4) await page.waitForTimeout(100)
    }
    assert.ok(rows >= 4, `the requests line rises off zero (${rows} pixel rows)`)
  })

  await t.test('a Playground chat shows its answer beside the routing decision', async () => {
    await page.goto(`${adminUrl}/#/playground`)
    await page.locator('option', { hasText: 'client token' }).waitFor({ state: 'attached' })
    await page.getByLabel('Client', { exact: true }).selectOption({ label: 'client token ********5d0e (every route)' })
    await page.getByRole('button', { name: 'Dry run' }).click()
    await page.getByRole('list', { name: 'Upstreams in the order they would be tried' }).filter({ hasText: /second[\s\S]*first/ }).waitFor()
    await page.getByRole('button', { name: 'Send' }).click()
    const decision = page.getByRole('region', { name: 'Routing decision' })
    await decision.filter({ hasText: 'second (openai)' }).waitFor()
    await page.getByRole('region', { name: 'Answer' }).filter({ hasText: 'tok0' }).waitFor()
    pages.push(await page.content())
  })

  await t.test('a change made against a stale version is refused (412) and the UI shows what changed meanwhile', async () => {
    await page.goto(`${adminUrl}/#/settings`)
    await page.getByLabel('Log level').selectOption('debug')
    // Someone edits the file on disk after this page read it.
    relay.writeConfig(`${readFileSync(relay.configFile, 'utf8')}# changed on disk by someone else\n`)
    await page.getByRole('button', { name: 'Save logging' }).click()
    const conflict = page.getByRole('dialog', { name: 'The config changed meanwhile' })
    await conflict.getByLabel('Changes made meanwhile').filter({ hasText: '# changed on disk by someone else' }).waitFor()
    await conflict.getByRole('button', { name: 'Continue' }).click()
    // The browser reports the refused PUT in its console: that one was meant.
    const refused = watch.problems.findIndex((problem) => problem.includes('status of 412'))
    assert.ok(refused >= 0)
    watch.problems.splice(refused, 1)
    assert.doesNotMatch(readFileSync(relay.configFile, 'utf8'), /level: debug/)
  })

  await t.test('the YAML editor: a broken document is refused as you type, with the loader’s message', async () => {
    await page.goto(`${adminUrl}/#/settings/yaml`)
    const editor = page.getByLabel('Config document')
    await editor.waitFor()
    await page.waitForFunction(() => (document.querySelector('#yaml-source') as HTMLTextAreaElement | null)?.value.includes('routes:') === true)
    const text = await editor.inputValue()
    await editor.fill(text.replace(/cache: opt-in/, 'cache: sometimes'))
    await page.getByRole('alert').filter({ hasText: 'The loader would refuse it' }).filter({ hasText: 'routes.0.cache' }).waitFor()
    assert.equal(await page.getByRole('button', { name: 'Review changes' }).isDisabled(), true)
  })

  await t.test('screenshots of every page, light and dark', async () => {
    for (const scheme of ['light', 'dark'] as const) {
      const view: { page: Page; watch: PageWatch } = scheme === 'light' ? { page, watch } : await openPage(browser, { colorScheme: 'dark' })
      if (scheme === 'dark') {
        collectBodies(view.page, bodies)
        await login(view.page, adminUrl, ADMIN)
      }
      for (const name of ['overview', 'requests', 'routes', 'access', 'limits', 'settings', 'settings/yaml', 'audit', 'playground']) {
        await view.page.goto(`${adminUrl}/#/${name}`)
        await view.page.getByRole('heading', { level: 1 }).first().waitFor()
        // Pages show what the API and the live stream bring: wait until none is still loading.
        await view.page.waitForLoadState('networkidle').catch(() => undefined)
        if (name === 'overview') await view.page.locator('.tile').first().waitFor()
        if (name === 'requests') await view.page.getByRole('link', { name: /^Request / }).first().waitFor()
        if (name === 'audit') await view.page.getByText('What changed').first().click()
        pages.push(await view.page.content())
        assert.deepEqual(await unnamedControls(view.page), [], `every control of ${name} has an accessible name`)
        await screenshot(view.page, `${name.replace('/', '-')}-${scheme}`)
      }
      assertClean(view.watch, adminUrl)
    }
  })

  await t.test('a viewer sees the pages but no button that changes anything', async () => {
    const view = await openPage(browser)
    collectBodies(view.page, bodies)
    await login(view.page, adminUrl, VIEWER)
    await view.page.goto(`${adminUrl}/#/routes`)
    await view.page.getByRole('table', { name: 'Upstreams of /, in failover order' }).waitFor()
    assert.equal(await view.page.getByRole('button', { name: 'Add route' }).count(), 0)
    assert.equal(await view.page.getByRole('button', { name: /^Edit route/ }).count(), 0)
    pages.push(await view.page.content())
    assertClean(view.watch, adminUrl)
  })

  await t.test('no page, script or answer holds a secret (canary)', async () => {
    const assets = await Promise.all(
      [...new Set(watch.requested.filter((url) => url.includes('/assets/')))].map(async (url) => (await request(url)).body.text()),
    )
    assert.ok(assets.length >= 2, 'the script and the stylesheet were read')
    assert.ok(bodies.length > 20, `answers were collected (${bodies.length})`)
    for (const text of [...bodies, ...pages, ...assets]) {
      for (const secret of secrets) assert.ok(!text.includes(secret), `a secret ending ${secret.slice(-4)} leaked`)
    }
    assertClean(watch, adminUrl)
  })
})
