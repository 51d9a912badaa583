/**
 * Who hears about a lifecycle event (动态提醒): pure, so the workflow derives the same outbox rows
 * in every replay. Ids combine the project, the event's sequence number and the recipient, so a
 * retried activity never writes a notification twice.
 */
import type { NotificationInput } from '../activities/projects';
import { PROJECT_TYPE_LABELS, type CycleConfig, type LifecycleEvent, type ProjectState } from './lifecycle';

interface Note {
  recipientId: string;
  kind: string;
  message: string;
}

export function notificationsForEvent(
  before: ProjectState | null,
  after: ProjectState,
  event: LifecycleEvent,
  seq: number,
  cycle: CycleConfig,
): NotificationInput[] {
  const title = `《${after.proposal.title}》`;
  const notes: Note[] = [];
  const secretary = after.leadSecretaryId;
  switch (event.type) {
    case 'submit':
      notes.push({ recipientId: after.reviewerId, kind: 'review_requested', message: `${PROJECT_TYPE_LABELS[after.proposal.type]}项目${title}已提交，请审核把关。` });
      break;
    case 'withdraw':
      notes.push({ recipientId: before?.reviewerId ?? after.reviewerId, kind: 'proposal_withdrawn', message: `项目${title}已由申报人拿回。` });
      break;
    case 'approve':
      notes.push({ recipientId: secretary, kind: 'proposal_approved', message: `项目${title}已通过审核，请签订责任书。` });
      break;
    case 'return':
      notes.push({ recipientId: secretary, kind: 'proposal_returned', message: `项目${title}被退回修改：${event.comments}` });
      break;
    case 'reject':
      notes.push({ recipientId: secretary, kind: 'proposal_rejected', message: `项目${title}未予立项：${event.reason}` });
      break;
    case 'transferReview':
      notes.push({ recipientId: event.to.userId, kind: 'review_transferred', message: `项目${title}的审核已转办给您。` });
      break;
    case 'delegateReview':
      notes.push({ recipientId: event.to.userId, kind: 'review_delegated', message: `请对项目${title}提出审核意见（委派）。` });
      break;
    case 'delegateOpinion':
      notes.push({ recipientId: after.reviewerId, kind: 'delegate_opinion', message: `项目${title}的委派意见已返回，请审核。` });
      break;
    case 'remindReview':
      notes.push({ recipientId: after.reviewerId, kind: 'review_reminder', message: `催办：项目${title}等待您审核。` });
      break;
    case 'reviewTimeoutReminder':
      notes.push({ recipientId: after.reviewerId, kind: 'review_timeout_reminder', message: `项目${title}审核已超时，请尽快处理。` });
      break;
    case 'reviewEscalated':
      notes.push({ recipientId: cycle.committee.userId, kind: 'review_escalated', message: `项目${title}审核超时未办，已上报工委。` });
      break;
    case 'inspectionDue': {
      const inspection = after.inspections.find((i) => i.quarter === event.quarter);
      if (inspection?.missingEvidence) {
        notes.push({ recipientId: secretary, kind: 'evidence_missing', message: `项目${title}第${event.quarter}季度未按时报送佐证材料，已计入督查问题。` });
      }
      break;
    }
    case 'recordInspection':
      for (const problem of event.problems) {
        notes.push({ recipientId: problem.responsiblePersonId, kind: 'rectification_assigned', message: `项目${title}第${event.quarter}季度督查发现问题，请于 ${problem.deadline} 前整改：${problem.problem}` });
      }
      break;
    case 'sendBackRectification': {
      const entry = after.ledger.find((e) => e.id === event.entryId);
      if (entry) notes.push({ recipientId: entry.responsiblePersonId, kind: 'rectification_sent_back', message: `项目${title}整改事项被退回：${event.reason}` });
      break;
    }
    case 'ledgerOverdueWarning': {
      const entry = after.ledger.find((e) => e.id === event.entryId);
      if (entry) notes.push({ recipientId: entry.responsiblePersonId, kind: 'ledger_warning', message: `预警：项目${title}整改事项将于 ${entry.deadline} 到期。` });
      break;
    }
    case 'ledgerEscalated': {
      const entry = after.ledger.find((e) => e.id === event.entryId);
      if (entry) notes.push({ recipientId: cycle.committee.userId, kind: 'ledger_escalated', message: `项目${title}整改事项逾期未完成，已上报工委：${entry.problem}` });
      break;
    }
    case 'dispatch':
      notes.push({ recipientId: secretary, kind: `dispatch_${event.decision}`, message: `年中调度：项目${title}${event.decision === 'terminate' ? '已终止' : event.decision === 'adjust' ? '已调整' : '继续实施'}。` });
      break;
    case 'cancelSubProject':
      notes.push({ recipientId: secretary, kind: 'sub_project_cancelled', message: `子项目${title}已在年中调度中撤销：${event.reason}` });
      break;
    case 'reassignSubProject':
      notes.push({ recipientId: event.leadSecretaryId, kind: 'sub_project_assigned', message: `子项目${title}已调整由您负责：${event.reason}` });
      break;
    case 'handOver': {
      const record = after.handovers?.[after.handovers.length - 1];
      if (record) {
        const what = [record.lead ? '领办' : null, record.review ? '审核' : null, record.childIds.length > 0 ? '子项目' : null, record.ledgerEntryIds.length > 0 ? '整改事项' : null].filter(Boolean).join('、');
        notes.push({ recipientId: event.toUserId, kind: 'handed_over', message: `书记换届交接：项目${title}的${what}已由您接任。` });
      }
      break;
    }
    case 'accept':
      if (after.acceptance) {
        notes.push({ recipientId: secretary, kind: 'accepted', message: `项目${title}验收完成，得分 ${after.acceptance.finalScore}。` });
      }
      break;
    default:
      break;
  }
  return notes.map((note) => ({
    id: `${after.id}:${seq}:${note.kind}:${note.recipientId}`,
    projectId: after.id,
    cycleId: after.cycleId,
    recipientId: note.recipientId,
    kind: note.kind,
    message: note.message,
    at: event.at,
  }));
}
