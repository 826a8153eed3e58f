import { Command, Option } from 'commander'
import { config as loadDotenv } from 'dotenv'
import { ConfigError } from '../config/errors.js'
import { checkCommand } from './check.js'
import { mockCommand } from './mock.js'
import { runCommand } from './run.js'
import { version } from './version.js'

/** openai-api-route spells its flag `-config`; commander wants `--config`. */
export function normaliseArgv(argv: readonly string[]): string[] {
  return argv.map((arg) => (arg === '-config' ? '--config' : arg.startsWith('-config=') ? `-${arg}` : arg))
}

export function buildProgram(): Command {
  const program = new Command('llm-relay').version(version).description('A self-hosted LLM API gateway for OpenAI-compatible APIs.')
  program
    .command('run', { isDefault: true })
    .description('Serve the gateway (embedded defaults when no config is found: route / → https://api.openai.com).')
    .option('-c, --config <file>', 'config file: native llm-relay YAML, openai-api-route config.yaml or openai-forward-config.yaml (env LLM_RELAY_CONFIG)')
    .option('--host <host>', 'address to listen on (default 0.0.0.0)')
    .addOption(new Option('-p, --port <port>', 'port to listen on (default 8000)').env('PORT'))
    .addOption(new Option('--data-dir <dir>', 'where the gateway writes its files (default ./data)').env('LLM_RELAY_DATA_DIR'))
    .action(runCommand)
  program
    .command('check')
    .description('Validate a config and list every problem as "path: problem (got value)"; exit code 1 when invalid.')
    .option('-c, --config <file>', 'config file to check')
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
