import { describe, expect, it } from 'vitest';
import {
  changes,
  mobileError,
  nestingError,
  nestTree,
  normaliseMobile,
  normaliseUsername,
  roleOrgError,
  secretaryRoles,
  treeDepth,
  usernameError,
} from '../../services/directory-rules';

describe('the directory rules (组织与人员的校验规则)', () => {
  it('org kinds nest 工委 → 单位 → 机关党委 → 党支部, and only a committee is a root', () => {
    expect(nestingError('committee', null)).toBeNull();
    expect(nestingError('unit', 'committee')).toBeNull();
    expect(nestingError('organ_committee', 'unit')).toBeNull();
    expect(nestingError('branch', 'organ_committee')).toBeNull();
    expect(nestingError('committee', 'committee')).toMatch(/根/);
    expect(nestingError('unit', null)).toMatch(/必须有上级组织/);
    expect(nestingError('branch', null)).toMatch(/必须有上级组织/);
    expect(nestingError('branch', 'unit')).toMatch(/上级组织须为机关党委/);
    expect(nestingError('branch', 'branch')).toMatch(/不能是党支部/);
    expect(nestingError('unit', 'organ_committee')).toMatch(/上级组织须为工委/);
    expect(nestingError('organ_committee', 'committee')).toMatch(/上级组织须为单位/);
  });

  it('a committee org may be led by committee staff (the test cast does so); every other org by a secretary', () => {
    expect(secretaryRoles('committee')).toEqual(['secretary', 'committee']);
    for (const kind of ['unit', 'organ_committee', 'branch'] as const) expect(secretaryRoles(kind)).toEqual(['secretary']);
  });

  it('committee staff, inspectors and auditors belong to a committee org; secretaries and members anywhere', () => {
    for (const role of ['committee', 'inspector', 'auditor'] as const) {
      expect(roleOrgError(role, 'committee')).toBeNull();
      expect(roleOrgError(role, 'branch')).toMatch(/须属于工委组织/);
    }
    for (const role of ['secretary', 'member'] as const) for (const kind of ['committee', 'unit', 'organ_committee', 'branch'] as const) expect(roleOrgError(role, kind)).toBeNull();
  });

  it('mobile numbers: full-width digits, spaces and hyphens are normalised, then 11 digits 1[3-9]…', () => {
    expect(normaliseMobile(' １３８ ０013-8000 ')).toBe('13800138000');
    expect(mobileError('13800138000')).toBeNull();
    expect(mobileError('19912345678')).toBeNull();
    for (const bad of ['12800138000', '1380013800', '138001380000', '+8613800138000', 'abcdefghijk', '']) expect(mobileError(normaliseMobile(bad)), bad).toMatch(/11 位/);
  });

  it('usernames are stored lower-case with full-width letters folded; spaces and odd characters are refused', () => {
    expect(normaliseUsername(' ＺｈａｎｇＳａｎ ')).toBe('zhangsan');
    expect(usernameError('zhangsan')).toBeNull();
    expect(usernameError('张三.finance-01@city')).toBeNull();
    for (const bad of ['a', 'zhang san', 'x'.repeat(65), 'name;drop', '']) expect(usernameError(normaliseUsername(bad)), bad).not.toBeNull();
  });

  it('changes lists only what differs, old → new (fields not sent are no change)', () => {
    expect(changes({ name: 'a', parentId: 'p', secretaryId: null as string | null }, { name: 'b', parentId: undefined, secretaryId: null })).toEqual({ name: { from: 'a', to: 'b' } });
    expect(changes({ username: 'x' as string | null }, { username: null })).toEqual({ username: { from: 'x', to: null } });
    expect(changes({ name: 'a' }, {})).toEqual({});
  });

  it('nestTree nests a subtree listed parents first, and treeDepth counts its levels', () => {
    const row = (id: string, parentId: string | null, kind: 'committee' | 'unit' | 'organ_committee' | 'branch') => ({ id, parentId, kind, name: id, secretaryId: null, secretaryName: null, closedAt: null });
    const tree = nestTree([row('c', null, 'committee'), row('u1', 'c', 'unit'), row('u2', 'c', 'unit'), row('oc1', 'u1', 'organ_committee'), row('b1', 'oc1', 'branch')]);
    expect(tree?.children.map((c) => c.id)).toEqual(['u1', 'u2']);
    expect(tree?.children[0].children[0].children[0].id).toBe('b1');
    expect(treeDepth(tree!)).toBe(4);
    expect(nestTree([])).toBeNull();
  });
});
