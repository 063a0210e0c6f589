#!/usr/bin/env node
// @ts-check
// threat-exchange-agent: follows the feed for one ISP (README.md). Exit codes: 0 done (or
// stopped by SIGTERM/SIGINT), 1 a --once pass failed, 2 a bad option.
import { Agent, ConfigError, loadConfig, usage } from '../lib/agent.js';
import { Logger, errorMessage } from '../lib/util.js';

/** @type {import('../lib/config.js').Config | 'help'} */
let config;
try {
  config = loadConfig(process.argv.slice(2), process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`threat-exchange-agent: ${error.message}\n(--help lists the options)\n`);
  process.exit(2);
}
if (config === 'help') {
  process.stdout.write(usage());
  process.exit(0);
}

const log = new Logger(config.logLevel);
const controller = new AbortController();
for (const signal of /** @type {const} */ (['SIGTERM', 'SIGINT'])) {
  process.on(signal, () => {
    log.info('stopping', { signal });
    controller.abort();
  });
}

const agent = new Agent(config, { log, signal: controller.signal });
try {
  await agent.start();
  const health = config.healthPort === null ? null : await agent.serveHealth();
  if (health) log.info('health endpoint', { address: health.address() });
  process.exitCode = await agent.run();
  health?.close();
} catch (error) {
  log.error('failed', { error: errorMessage(error) });
  process.exitCode = 1;
}
