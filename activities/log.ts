/**
 * The running activity's logger: Temporal's own (`Context.current().log`), which stamps every line
 * with the workflow id, run id, workflow and activity type, activity id and attempt, and hands it
 * to the worker's runtime logger (worker/index.ts routes that into pino).
 */
import { Context } from '@temporalio/activity';
import type { Logger } from '@temporalio/common';

const silent: Logger = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

/** Temporal's activity logger; outside an activity (tests call the functions directly) a silent one. */
export function activityLog(): Logger {
  try {
    return Context.current().log;
  } catch {
    return silent;
  }
}
