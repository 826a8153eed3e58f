/**
 * Builds the admin UI (ui/src) into dist/ui: one content-hashed script and stylesheet, index.html,
 * and a .gz beside each file (served when the browser accepts it). Writes dist/ui/size.json, the
 * bundle's size gzipped, which the tests hold under the 150 KB that issue 15 allows.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'

const root = fileURLToPath(new URL('..', import.meta.url))
const out = join(root, 'dist', 'ui')

rmSync(out, { recursive: true, force: true })
mkdirSync(out, { recursive: true })
const result = await build({
  entryPoints: [join(root, 'ui', 'src', 'main.tsx')],
  bundle: true,
  minify: true,
  format: 'esm',
  target: 'es2022',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  define: { 'process.env.NODE_ENV': '"production"' },
  entryNames: 'assets/[name]-[hash]',
  outdir: out,
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
})

const outputs = Object.keys(result.metafile.outputs).map((file) => join(root, file))
const script = outputs.find((file) => file.endsWith('.js'))
const style = outputs.find((file) => file.endsWith('.css'))
if (script === undefined || style === undefined) throw new Error('esbuild wrote no script or no stylesheet')
writeFileSync(join(out, 'favicon.svg'), readFileSync(join(root, 'ui', 'favicon.svg')))
// No inline script or style: the Content-Security-Policy (default-src 'self') would refuse them.
writeFileSync(
  join(out, 'index.html'),
  `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>llm-relay admin</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/assets/${basename(style)}">
<script type="module" src="/assets/${basename(script)}"></script>
</head>
<body>
<div id="app"></div>
<noscript>The llm-relay admin UI needs JavaScript; the admin API is at /admin/api/.</noscript>
</body>
</html>
`,
)

const files = [join(out, 'index.html'), join(out, 'favicon.svg'), script, style]
const sizes = files.map((file) => {
  const bytes = readFileSync(file)
  const gzipped = gzipSync(bytes, { level: 9 })
  writeFileSync(`${file}.gz`, gzipped)
  return { file: file.slice(out.length + 1), bytes: bytes.length, gzip: gzipped.length }
})
const totalGzip = sizes.reduce((sum, entry) => sum + entry.gzip, 0)
writeFileSync(join(out, 'size.json'), `${JSON.stringify({ files: sizes, totalGzip }, null, 2)}\n`)
for (const entry of sizes) console.log(`${entry.file.padEnd(34)} ${(entry.bytes / 1024).toFixed(1).padStart(7)} KB  ${(entry.gzip / 1024).toFixed(1).padStart(6)} KB gzip`)
console.log(`${'the admin UI, in all'.padEnd(34)} ${''.padStart(10)}  ${(totalGzip / 1024).toFixed(1).padStart(6)} KB gzip (issue 15: under 150)`)
