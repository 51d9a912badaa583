/**
 * Text PostgreSQL could never store is refused by the lifecycle core itself, in every text field of
 * every command type, so the API and an Update sent straight to Temporal refuse it alike and no
 * accepted event can freeze a project's event log.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { apply, checkStorableText, unstorableCharacter, type LifecycleEvent } from '../../workflows/lifecycle';
import type { PersonEventType } from '../../workflows/messages';
import { SAMPLE_COMMANDS, stringPaths, UNSTORABLE, withString } from '../fixtures/commands';
import { at, inProgressProject, makeCycle } from './lifecycle.fixtures';

const ENUM_PATHS = new Set(['type', 'actor.role', 'recommendation', 'rating', 'decision', 'changes.0.kind', 'item.kind']);
const cycle = makeCycle();
const state = inProgressProject(cycle).state;

const fields = (Object.entries(SAMPLE_COMMANDS) as [PersonEventType, object][]).flatMap(([type, command]) =>
  stringPaths(command)
    .filter((p) => !ENUM_PATHS.has(p.join('.')))
    .map((path) => ({ type, command, path })),
);

describe('unstorable text is refused by the lifecycle core', () => {
  it('the sample commands themselves hold only storable text', () => {
    for (const command of Object.values(SAMPLE_COMMANDS)) expect(checkStorableText(command)).toBeNull();
    expect(fields.length).toBeGreaterThan(40);
  });

  it.each(fields.map((f) => [`${f.type}.${f.path.join('.')}`, f] as const))('refuses U+0000 in %s', (_name, { command, path }) => {
    const event = { ...withString(command, path, (old) => `${old}\u0000`), at: at('2025-03-01') } as LifecycleEvent;
    const result = apply(state, event, cycle);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.refusal).toMatchObject({ rule: 'payload.unstorable_character', status: 400 });
      expect(result.refusal.messageZh).toContain(path.join('.').replace(/\.(\d+)/g, '[$1]'));
    }
  });

  it('refuses any control character, NUL or lone surrogate anywhere in any text field of any command', () => {
    fc.assert(
      fc.property(fc.constantFrom(...fields), fc.constantFrom(...UNSTORABLE), fc.nat(), ({ command, path }, bad, position) => {
        const event = {
          ...withString(command, path, (old) => {
            const at = position % (old.length + 1);
            return old.slice(0, at) + bad + old.slice(at);
          }),
          at: at('2025-03-01'),
        } as LifecycleEvent;
        const result = apply(state, event, cycle);
        return !result.ok && result.refusal.rule === 'payload.unstorable_character';
      }),
      { numRuns: 500 },
    );
  });

  it('keeps tab, newline, carriage return, Chinese and characters beyond the BMP (emoji) as storable', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (text) => {
        const cleaned = [...text].filter((ch) => unstorableCharacter(ch) === null).join('');
        return unstorableCharacter(`${cleaned}\t\n\r党建😀𠀀`) === null;
      }),
    );
    expect(unstorableCharacter('a\u0000b')).toBe('U+0000');
    expect(unstorableCharacter('\ud83d')).toBe('lone surrogate');
    expect(unstorableCharacter('\ude00x')).toBe('lone surrogate');
    expect(unstorableCharacter('\u007f')).toBeNull();
  });

  it('refuses an unstorable object key as well as a value', () => {
    const event = { ...SAMPLE_COMMANDS.editDraft, changes: { ['bad\u0000key']: 'x' }, at: at('2025-03-01') } as unknown as LifecycleEvent;
    const result = apply(state, event, cycle);
    expect(result.ok ? null : result.refusal.rule).toBe('payload.unstorable_character');
  });
});
