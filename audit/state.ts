/**
 * A project's state as of any moment (an event number or a date), reconstructed by replaying its
 * event log through the same pure lifecycle core (`apply`) the workflow runs, so it is exactly what
 * the workflow reported at that point.
 */
import type { Client } from '@temporalio/client';
import type { Db } from '../db';
import { apply, CYCLE_UTC_OFFSET, isIsoDate, isIsoDateTime, type CycleConfig, type ProjectState } from '../workflows/lifecycle';
import { loadAuditSet, loadCycleConfig } from './events';
import { AuditError, type AuditProject, type LoggedEvent } from './types';

export interface ReplayStep {
  logged: LoggedEvent;
  before: ProjectState | null;
  after: ProjectState;
}

export interface LoggedReplay {
  steps: ReplayStep[];
  /** The state after the last event that applied. */
  state: ProjectState | null;
  /** The first event the lifecycle refused (a log that does not replay was tampered with or is broken). */
  failure: { seq: number; message: string; rule?: string } | null;
}

/** Replays logged events in seq order, stopping at the first one the lifecycle refuses. */
export function replayLogged(events: readonly LoggedEvent[], cycle: CycleConfig): LoggedReplay {
  const steps: ReplayStep[] = [];
  let state: ProjectState | null = null;
  for (const logged of [...events].sort((a, b) => a.seq - b.seq)) {
    let result: ReturnType<typeof apply>;
    try {
      result = apply(state, logged.event, cycle);
    } catch (error) {
      return { steps, state, failure: { seq: logged.seq, message: `第 ${logged.seq} 条事件无法回放：${(error as Error).message}` } };
    }
    if (!result.ok) {
      return {
        steps,
        state,
        failure: { seq: logged.seq, rule: result.refusal.rule, message: `第 ${logged.seq} 条事件（${String(logged.event?.type)}）被生命周期规则拒绝：${result.refusal.messageZh}（${result.refusal.rule}）` },
      };
    }
    steps.push({ logged, before: state, after: result.state });
    state = result.state;
  }
  return { steps, state, failure: null };
}

/** An event number, or an instant (a date means the end of that day, Beijing time). */
export type Moment = { seq: number } | { at: string };

/** Reads `?at=`: a positive integer is an event number, otherwise an ISO date or date-time. */
export function parseMoment(raw: string | number): Moment {
  const text = String(raw).trim();
  if (/^\d+$/.test(text)) {
    const seq = Number(text);
    if (seq >= 1 && Number.isSafeInteger(seq)) return { seq };
  } else if (isIsoDateTime(text) || isIsoDate(text)) {
    return { at: text };
  }
  throw new AuditError(400, `"${text}" is neither an event number (1, 2, ...) nor an ISO date or date-time`, `“${text}”既不是事件序号（1、2…），也不是 ISO 日期或日期时间`);
}

/** The instant a moment stands for, in epoch ms (a date lasts until 23:59:59.999 Beijing time). */
export function momentInstantMs(at: string): number {
  return isIsoDate(at) ? Date.parse(`${at}T23:59:59.999${CYCLE_UTC_OFFSET}`) : Date.parse(at);
}

export interface ProjectSnapshot {
  projectId: string;
  /** The last event applied (0 before the project existed). */
  seq: number;
  /** When that event happened. */
  at: string | null;
  state: ProjectState | null;
}

export interface StateSnapshot extends ProjectSnapshot {
  moment: { seq?: number; at?: string };
  /** The sub-projects as of the same instant (the time of the event, for an event number). */
  subProjects: (ProjectSnapshot & { parentId: string | null })[];
}

function snapshotUntil(projectId: string, events: readonly LoggedEvent[], cycle: CycleConfig, include: (e: LoggedEvent) => boolean): ProjectSnapshot {
  const sorted = [...events].sort((a, b) => a.seq - b.seq);
  const upTo: LoggedEvent[] = [];
  for (const e of sorted) {
    if (!include(e)) break;
    upTo.push(e);
  }
  const replayed = replayLogged(upTo, cycle);
  if (replayed.failure) throw new AuditError(409, `the event log of ${projectId} does not replay`, `项目 ${projectId} 的事件日志无法回放：${replayed.failure.message}`);
  const last = upTo.at(-1);
  return { projectId, seq: last?.seq ?? 0, at: last?.at ?? null, state: replayed.state };
}

/** Pure: the state of the project (and its sub-projects) at the moment. */
export function snapshotAt(projects: readonly AuditProject[], events: ReadonlyMap<string, readonly LoggedEvent[]>, cycle: CycleConfig, moment: Moment): StateSnapshot {
  const [root, ...subs] = projects;
  const rootEvents = events.get(root.projectId) ?? [];
  let main: ProjectSnapshot;
  let instantMs: number;
  if ('seq' in moment) {
    const target = rootEvents.find((e) => e.seq === moment.seq);
    if (!target) {
      const last = rootEvents.at(-1)?.seq ?? 0;
      throw new AuditError(404, `project ${root.projectId} has no event ${moment.seq} (it has ${last})`, `项目 ${root.projectId} 没有第 ${moment.seq} 条事件（共 ${last} 条）`);
    }
    main = snapshotUntil(root.projectId, rootEvents, cycle, (e) => e.seq <= moment.seq);
    instantMs = Date.parse(target.at);
  } else {
    instantMs = momentInstantMs(moment.at);
    main = snapshotUntil(root.projectId, rootEvents, cycle, (e) => Date.parse(e.at) <= instantMs);
  }
  const subProjects = subs.map((p) => ({
    ...snapshotUntil(p.projectId, events.get(p.projectId) ?? [], cycle, (e) => Date.parse(e.at) <= instantMs),
    parentId: p.parentId,
  }));
  return { ...main, moment: 'seq' in moment ? { seq: moment.seq } : { at: moment.at }, subProjects };
}

/** The project's full state as of an event number or a date, replayed from the event log in PostgreSQL. */
export async function projectStateAt(deps: { db: Db; temporal?: Client | null }, projectId: string, moment: Moment | string | number): Promise<StateSnapshot> {
  const parsed = typeof moment === 'object' ? moment : parseMoment(moment);
  const { projects, events } = await loadAuditSet(deps.db, projectId);
  const cycle = await loadCycleConfig(deps.db, deps.temporal, projects[0], events.get(projectId) ?? []);
  return snapshotAt(projects, events, cycle, parsed);
}
