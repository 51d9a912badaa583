/** Chinese names of the directory's org kinds and how kinds nest (工委 → 单位 → 机关党委 → 党支部), as the API's rules have them. */
export type OrgKind = 'committee' | 'unit' | 'organ_committee' | 'branch';

export const ORG_KIND_LABELS: Readonly<Record<OrgKind, string>> = {
  committee: '工委',
  unit: '单位党组（党委）',
  organ_committee: '机关党委',
  branch: '党支部',
};

/** The kind of an org's children (a branch has none). */
export const CHILD_KIND: Readonly<Record<OrgKind, OrgKind | null>> = { committee: 'unit', unit: 'organ_committee', organ_committee: 'branch', branch: null };

/** The kind an org's parent must have (a committee is a root). */
export const PARENT_KIND: Readonly<Record<OrgKind, OrgKind | null>> = { committee: null, unit: 'committee', organ_committee: 'unit', branch: 'organ_committee' };

/** Roles as the directory pages name them (the lifecycle's labels say 党组织书记; the roster says 书记). */
export const USER_ROLE_LABELS = { committee: '工委工作人员', secretary: '书记', inspector: '督查员', auditor: '审计人员', member: '党员' } as const;
export type UserRole = keyof typeof USER_ROLE_LABELS;
