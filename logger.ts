/** One pino configuration shared by the api, the worker and the start script. */
import pino, { type Logger, type LoggerOptions } from 'pino';
import pretty from 'pino-pretty';

export function loggerOptions(level: string, name?: string): LoggerOptions {
  return {
    level,
    name,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['req.headers.authorization', 'headers.authorization'], censor: '[redacted]' },
  };
}

export type LogFormat = 'pretty' | 'json';

/**
 * Pretty, coloured lines for a person at a terminal; JSON lines, one object each, for everything
 * else (a pipe, a file, a container's log collector, the tests that read a child's output).
 */
export function chooseLogFormat(stdout: { isTTY?: boolean }): LogFormat {
  return stdout.isTTY === true ? 'pretty' : 'json';
}

export function createLogger(level: string, name?: string): Logger {
  const options = loggerOptions(level, name);
  if (chooseLogFormat(process.stdout) === 'json') return pino(options);
  // In this thread and synchronous, like pino's default destination: a line logged just before
  // process.exit is still written. Redaction happens before the line reaches the prettifier.
  return pino(options, pretty({ colorize: true, sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' }));
}
