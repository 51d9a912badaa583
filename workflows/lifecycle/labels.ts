/** Chinese labels of the lifecycle's domain values, for reports, exports and the UI. */
import type {
  ChildStatus,
  Grade,
  LedgerStatus,
  LifecycleEventType,
  Orientation,
  ProjectType,
  Rating,
  Role,
  Stage,
} from './types';

export const PROJECT_TYPE_LABELS: Readonly<Record<ProjectType, string>> = {
  service: '服务型',
  improvement: '提升型',
  breakthrough: '破题型',
};

export const ORIENTATION_LABELS: Readonly<Record<Orientation, string>> = {
  goal: '目标导向',
  problem: '问题导向',
};

export const STAGE_LABELS: Readonly<Record<Stage, string>> = {
  draft: '草稿',
  in_review: '审核中',
  approved: '已立项',
  rejected: '未通过',
  in_progress: '实施中',
  self_assessed: '已自评',
  accepted: '已验收',
  failed: '验收不合格',
  terminated: '已终止',
  cancelled: '已撤销',
};

export const GRADE_LABELS: Readonly<Record<Grade, string>> = {
  excellent: '优秀',
  good: '良好',
  pass: '合格',
  fail: '不合格',
};

export const RATING_LABELS: Readonly<Record<Rating, string>> = {
  on_track: '按期推进',
  lagging: '进度滞后',
  stalled: '停滞',
};

export const ROLE_LABELS: Readonly<Record<Role | 'system', string>> = {
  committee: '工委',
  secretary: '党组织书记',
  inspector: '督查员',
  auditor: '审计员',
  member: '党员',
  system: '系统',
};

export const CHILD_STATUS_LABELS: Readonly<Record<ChildStatus, string>> = {
  active: '推进中',
  cancelled: '已撤销',
  settled: '已办结',
};

export const LEDGER_STATUS_LABELS: Readonly<Record<LedgerStatus, string>> = {
  open: '待整改',
  reported: '已报整改',
  closed: '已销号',
};

export const EVENT_LABELS: Readonly<Record<LifecycleEventType, string>> = {
  create: '创建项目',
  editDraft: '修改草稿',
  submit: '提交审核',
  withdraw: '拿回',
  approve: '审核通过',
  return: '退回修改',
  reject: '不予通过',
  transferReview: '转办',
  delegateReview: '委派',
  delegateOpinion: '委派意见',
  remindReview: '催办',
  reviewTimeoutReminder: '审核超时提醒',
  reviewEscalated: '审核超时上报工委',
  signLetter: '签订责任书',
  decompose: '1+N分解',
  childUpdated: '子项目进展同步',
  addMemberItem: '添加党员事项',
  updateMemberItemActual: '更新党员事项完成值',
  submitEvidence: '提交佐证材料',
  correctEvidence: '更正佐证材料',
  inspectionDue: '季度督查到期',
  recordInspection: '记录季度督查',
  reportRectification: '报送整改',
  verifyRectification: '整改验收销号',
  sendBackRectification: '整改退回',
  ledgerOverdueWarning: '整改逾期预警',
  ledgerEscalated: '整改逾期上报工委',
  dispatch: '年中调度',
  cancelSubProject: '撤销子项目',
  reassignSubProject: '调整子项目承接单位',
  handOver: '书记换届交接',
  selfAssess: '自评',
  accept: '年底验收',
};
