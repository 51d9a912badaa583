/**
 * The orgs below a project's org, from the managed org tree (GET /orgs/:id/tree, with each org's
 * secretary and their name): what a sub-project may be assigned to (1+N 分解, 年中调度 adding one).
 */
import { ref } from 'vue';
import { api, messageOf, type Answer } from '../../api/client';

type TreeNode = Answer<'/orgs/{id}/tree'>;
export interface LowerOrg {
  id: string;
  name: string;
  depth: number;
  secretaryId: string | null;
  secretaryName: string | null;
}

function flatten(node: TreeNode, depth: number, into: LowerOrg[]): void {
  for (const child of (node.children ?? []) as TreeNode[]) {
    if (child.closedAt) continue;
    into.push({ id: child.id, name: child.name, depth, secretaryId: child.secretaryId, secretaryName: child.secretaryName });
    flatten(child, depth + 1, into);
  }
}

export function useLowerOrgs() {
  const orgs = ref<LowerOrg[]>([]);
  const error = ref('');
  const loading = ref(false);
  async function load(orgId: string) {
    loading.value = true;
    try {
      const tree = await api.get('/orgs/{id}/tree', { params: { id: orgId } });
      const found: LowerOrg[] = [];
      flatten(tree, 0, found);
      orgs.value = found;
      error.value = '';
    } catch (e) {
      error.value = messageOf(e);
    } finally {
      loading.value = false;
    }
  }
  return { orgs, error, loading, load };
}
