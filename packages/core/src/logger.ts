import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino';
import type { Config } from './config.js';

export type { Logger } from 'pino';

/**
 * JSON lines by default; human-readable when LOG_FORMAT=pretty, or =auto and stdout is a terminal.
 * `destination` replaces stdout for JSON lines (tests read what was logged).
 */
export function createLogger(
  log: Config['log'],
  bindings: Record<string, string> = {},
  isTerminal: boolean = process.stdout.isTTY === true,
  destination?: DestinationStream,
): Logger {
  const pretty = log.format === 'pretty' || (log.format === 'auto' && isTerminal);
  const options: LoggerOptions = {
    level: log.level,
    base: { pid: process.pid, ...bindings },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Secrets never reach a log line, whichever logged object carries headers.
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'headers.authorization',
        'headers.cookie',
        '*.headers.authorization',
        '*.headers.cookie',
        'authorization',
      ],
      censor: '[redacted]',
    },
    ...(pretty
      ? {
          transport: {
            target: 'pino-pretty',
            options: { colorize: isTerminal, translateTime: 'SYS:HH:MM:ss' },
          },
        }
      : {}),
  };
  return destination === undefined || pretty ? pino(options) : pino(options, destination);
}

/** What a job log line names so a run can be followed across processes. */
export interface JobLogContext {
  queue: string;
  jobId: string | undefined;
  datasetId?: string | undefined;
  modelId?: string | undefined;
}

export function jobLogger(logger: Logger, context: JobLogContext): Logger {
  const bindings: Record<string, string> = { queue: context.queue, jobId: context.jobId ?? 'unknown' };
  if (context.datasetId !== undefined) bindings.datasetId = context.datasetId;
  if (context.modelId !== undefined) bindings.modelId = context.modelId;
  return logger.child(bindings);
}
