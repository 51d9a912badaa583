/**
 * Custom search attributes of project workflows. The committee filters a cycle's thousands
 * of workflows by these in the Temporal UI and through visibility queries.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const cycleIdKey = defineSearchAttributeKey('CycleId', SearchAttributeType.KEYWORD);
export const orgIdKey = defineSearchAttributeKey('OrgId', SearchAttributeType.KEYWORD);
export const projectStageKey = defineSearchAttributeKey('ProjectStage', SearchAttributeType.KEYWORD);
export const projectTypeKey = defineSearchAttributeKey('ProjectType', SearchAttributeType.KEYWORD);
export const parentProjectIdKey = defineSearchAttributeKey('ParentProjectId', SearchAttributeType.KEYWORD);

export const SEARCH_ATTRIBUTE_KEYS = [cycleIdKey, orgIdKey, projectStageKey, projectTypeKey, parentProjectIdKey];

/** `Name=Type` pairs as the temporal CLI's `--search-attribute` flag takes them. */
export function searchAttributeCliArgs(): string[] {
  return SEARCH_ATTRIBUTE_KEYS.flatMap((key) => ['--search-attribute', `${key.name}=Keyword`]);
}
