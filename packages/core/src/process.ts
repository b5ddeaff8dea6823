// Process lifecycle shared by every main: read the config once, start, and on SIGINT/SIGTERM stop
// taking work, let active work finish within the grace period, close connections and exit 0.
import { type Config, ConfigError, loadConfig } from './config.js';
import { createLogger, type Logger } from './logger.js';

export interface Started {
  /** Stops everything this process started; called once, on the first signal. */
  stop(): Promise<void>;
}

export type Main = (config: Config, logger: Logger) => Promise<Started>;

/** Prints one line and exits non-zero on bad configuration or a failed start. */
export async function runMain(name: string, main: Main): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`faceshot ${name}: configuration error: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config.log, { service: name });
  let started: Started;
  try {
    started = await main(config, logger);
  } catch (error) {
    // Some settings are only checked by the role that uses them (API_KEYS by the API).
    if (error instanceof ConfigError) {
      process.stderr.write(`faceshot ${name}: configuration error: ${error.message}\n`);
      process.exit(2);
    }
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`faceshot ${name}: could not start: ${message}\n`);
    process.exit(1);
  }

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(130);
    }
    stopping = true;
    logger.info({ signal, graceMs: config.shutdownGraceMs }, 'shutting down');
    // Hard deadline: grace for active jobs plus time to close connections.
    const deadline = setTimeout(() => {
      logger.error('shutdown took too long: exiting');
      process.exit(1);
    }, config.shutdownGraceMs + 5_000);
    deadline.unref();
    started.stop().then(
      () => {
        logger.info('stopped');
        logger.flush();
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error instanceof Error ? error.message : String(error) }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}
