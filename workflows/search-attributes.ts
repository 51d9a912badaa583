/**
 * Custom search attributes of project workflows. The committee filters a cycle's thousands
 * of workflows by these in the Temporal UI and through visibility queries.
 */
import { defineSearchAttributeKey, SearchAttributeType, type SearchAttributePair } from '@temporalio/common';

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

/** The search attributes of a project workflow (used at start, by the launcher and the API, and on every stage change). */
export function projectSearchAttributes(cycleId: string, orgId: string, stage: string, type: string, parentId: string | null = null): SearchAttributePair[] {
  const pairs: SearchAttributePair[] = [
    { key: cycleIdKey, value: cycleId },
    { key: orgIdKey, value: orgId },
    { key: projectStageKey, value: stage },
    { key: projectTypeKey, value: type },
  ];
  if (parentId) pairs.push({ key: parentProjectIdKey, value: parentId });
  return pairs;
}
