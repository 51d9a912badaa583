/** One pino configuration shared by the api, the worker and the start script. */
import pino, { type Logger, type LoggerOptions } from 'pino';

export function loggerOptions(level: string, name?: string): LoggerOptions {
  return {
    level,
    name,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['req.headers.authorization', 'headers.authorization'], censor: '[redacted]' },
  };
}

export function createLogger(level: string, name?: string): Logger {
  return pino(loggerOptions(level, name));
}
