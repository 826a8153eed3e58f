import { Command, Option } from 'commander'
import { config as loadDotenv } from 'dotenv'
import { ConfigError } from '../config/errors.js'
import { checkCommand } from './check.js'
import { convertCommand, defaultConvertOut } from './convert.js'
import { logsCommand } from './logs.js'
import { mockCommand } from './mock.js'
import { runCommand } from './run.js'
import { version } from './version.js'

/** openai-api-route spells its flag `-config`; commander wants `--config`. */
export function normaliseArgv(argv: readonly string[]): string[] {
  return argv.map((arg) => (arg === '-config' ? '--config' : arg.startsWith('-config=') ? `-${arg}` : arg))
}

const recordsConfigHelp = 'config file of the gateway whose records to read (env LLM_RELAY_CONFIG)'
const sinceHelp = 'only requests from this time on: 2024-01-01, "2024-01-01 12:00:00" (local time), 2024-01-01T12:00:00Z, or 30m, 1h, 2d ago'

export function buildProgram(): Command {
  const program = new Command('llm-relay').version(version).description('A self-hosted LLM API gateway for OpenAI-compatible APIs.')
  program
    .command('run', { isDefault: true })
    .description('Serve the gateway (embedded defaults when no config is found: route / → https://api.openai.com).')
    .option('-c, --config <file>', 'config file: native llm-relay YAML, openai-api-route config.yaml or openai-forward-config.yaml (env LLM_RELAY_CONFIG)')
    .option('--host <host>', 'address to listen on (default 0.0.0.0)')
    .addOption(new Option('-p, --port <port>', 'port to listen on (default 8000)').env('PORT'))
    .addOption(new Option('--data-dir <dir>', 'where the gateway writes its files (default ./data)').env('LLM_RELAY_DATA_DIR'))
    .option('--webui', 'serve the admin web UI and API on their own listener (default 127.0.0.1:8001; the config\'s admin section sets it)')
    .option('--admin-port <port>', 'port of the admin UI and API (default 8001)')
    .addOption(new Option('-w, --workers <n>', 'worker processes on the one port: a number, or auto for one per core (default 1; server.workers)').env('LLM_RELAY_WORKERS'))
    .action(runCommand)
  program
    .command('check')
    .description('Validate a config and list every problem as "path: problem (got value)"; exit code 1 when invalid.')
    .option('-c, --config <file>', 'config file to check')
    .option('--print-native', 'print the config as native llm-relay YAML (a seed format translated), secrets masked')
    .option('--with-secrets', 'with --print-native: print the secrets too')
    .action(checkCommand)
  program
    .command('mock')
    .description('Start the shipped OpenAI-compatible mock upstream (for trying the gateway, tests and benchmarks).')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('-p, --port <port>', 'port to listen on', '9000')
    .option('--status <code>', 'answer every request with this HTTP status')
    .addOption(new Option('--fault <kind>', 'inject a fault in every answer').choices(['none', 'reset', 'hang', 'truncate']))
    .option('--chunks <n>', 'SSE chunks per streamed answer')
    .option('--chunk-delay-ms <ms>', 'gap between SSE chunks')
    .option('--headers-delay-ms <ms>', 'wait before sending response headers')
    .option('--retry-after <value>', 'send this Retry-After header')
    .action(mockCommand)
  program
    .command('convert')
    .description("Write the recorded chat exchanges as OpenAI-Forward's chat_openai.json (a JSON array, oldest first).")
    .option('-c, --config <file>', recordsConfigHelp)
    .addOption(new Option('--data-dir <dir>', 'the data dir the gateway ran with (default ./data)').env('LLM_RELAY_DATA_DIR'))
    .option('-o, --out <file>', 'output file, or - for stdout', defaultConvertOut)
    .option('--route <path>', 'only this route, e.g. /v1')
    .option('--since <time>', sinceHelp)
    .action(convertCommand)
  program
    .command('logs')
    .description('List recent request records as a table, newest last (or JSON lines).')
    .option('-c, --config <file>', recordsConfigHelp)
    .addOption(new Option('--data-dir <dir>', 'the data dir the gateway ran with (default ./data)').env('LLM_RELAY_DATA_DIR'))
    .option('--since <time>', sinceHelp)
    .option('--status <status>', 'only this final status, or error for every status >= 400')
    .option('--model <model>', 'only this model')
    .option('--route <path>', 'only this route, e.g. /v1')
    .option('--client <id>', 'only this client id, as the records hold it (forward-key:NAME, client-token:FINGERPRINT, unknown-token:..., ip:...)')
    .option('-n, --limit <n>', 'how many of the newest records to list', '50')
    .option('--json', 'one JSON record per line instead of a table')
    .option('-f, --follow', 'keep polling every second and print new records until Ctrl-C')
    .action(logsCommand)
  return program
}

export async function main(argv: readonly string[] = process.argv): Promise<void> {
  // A .env in the working directory fills variables that are not already set (OpenAI-Forward does the same).
  loadDotenv({ quiet: true })
  try {
    await buildProgram().parseAsync(normaliseArgv(argv))
  } catch (error) {
    // The CLI is the one place that prints to the terminal directly.
    console.error(error instanceof ConfigError ? error.message : `llm-relay: ${(error as Error).message}`)
    process.exitCode = 1
  }
}
