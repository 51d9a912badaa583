/** The mid-year dispatch form's rows (年中调度) and the body of POST /projects/:id/dispatch they make. */
import type { RequestBody } from '../../api/client';

export type ChangeRow =
  | { kind: 'indicatorTarget'; indicatorId: string; target: number | undefined; reason: string }
  | { kind: 'addMilestone'; id: string; title: string; due: string; reason: string }
  | { kind: 'addChild'; orgId: string; secretaryId: string; title: string; reason: string }
  | { kind: 'reassignChild'; childId: string; orgId: string; secretaryId: string; reason: string }
  | { kind: 'cancelChild'; childId: string; reason: string };

export interface DispatchInput {
  decision: 'continue' | 'adjust' | 'terminate';
  reason: string;
  changes: ChangeRow[];
}

export const DISPATCH_DECISION_LABELS: Record<string, string> = { continue: '继续实施', adjust: '调整', terminate: '终止' };
export const CHANGE_LABELS: Record<ChangeRow['kind'], string> = {
  indicatorTarget: '调整指标目标值',
  addMilestone: '增加里程碑',
  addChild: '增加子项目',
  reassignChild: '调整子项目承接组织',
  cancelChild: '撤销子项目',
};

export function emptyDispatch(): DispatchInput {
  return { decision: 'continue', reason: '', changes: [] };
}

/** Only an adjustment carries changes; an unset target is sent as is, for the server to refuse in Chinese. */
export function dispatchBody(value: DispatchInput): RequestBody<'/projects/{id}/dispatch'> {
  const reason = value.reason.trim();
  const changes = value.decision !== 'adjust'
    ? []
    : value.changes.map((c) => {
        if (c.kind === 'indicatorTarget') return { kind: c.kind, indicatorId: c.indicatorId, target: c.target as number, reason: c.reason.trim() };
        if (c.kind === 'addMilestone') return { kind: c.kind, milestone: { id: c.id, title: c.title.trim(), due: c.due }, reason: c.reason.trim() };
        if (c.kind === 'addChild') return { kind: c.kind, child: { orgId: c.orgId, secretaryId: c.secretaryId, title: c.title.trim() }, reason: c.reason.trim() };
        if (c.kind === 'reassignChild') return { kind: c.kind, childId: c.childId, orgId: c.orgId, secretaryId: c.secretaryId, reason: c.reason.trim() };
        return { kind: c.kind, childId: c.childId, reason: c.reason.trim() };
      });
  return { decision: value.decision, ...(reason ? { reason } : {}), changes };
}
