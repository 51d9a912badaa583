/**
 * Lengths of names and titles count characters (code points), as the API's schemas do, and a
 * title made only of invisible characters is blank.
 */
import { describe, expect, it } from 'vitest';
import { charCount, isBlank, isText, TITLE_MAX } from '../../workflows/lifecycle/validation';
import { createEvent, proposalInput, Sim } from './lifecycle.fixtures';

// U+20000 (𠀀), a CJK Extension B ideograph: one character, two UTF-16 units.
const WIDE = '\u{20000}';

describe('text lengths and blank text in the lifecycle core', () => {
  it('a title of 200 characters outside the BMP is accepted (counted in characters, not UTF-16 units)', () => {
    expect(WIDE.length).toBe(2);
    expect(charCount(WIDE.repeat(TITLE_MAX))).toBe(TITLE_MAX);
    const sim = new Sim();
    const state = sim.ok(createEvent({ proposal: proposalInput({ title: WIDE.repeat(TITLE_MAX) }) }));
    expect(state.proposal.title).toBe(WIDE.repeat(TITLE_MAX));
  });

  it('a title of 201 characters outside the BMP is still refused', () => {
    expect(new Sim().refused(createEvent({ proposal: proposalInput({ title: WIDE.repeat(TITLE_MAX + 1) }) }))).toMatchObject({ rule: 'payload.title_length', status: 400 });
  });

  it('an indicator name of 200 characters outside the BMP is accepted', () => {
    const indicators = proposalInput().indicators.map((i, n) => (n === 0 ? { ...i, name: WIDE.repeat(TITLE_MAX) } : i));
    expect(new Sim().ok(createEvent({ proposal: proposalInput({ indicators }) })).proposal.indicators[0].name).toBe(WIDE.repeat(TITLE_MAX));
  });

  it.each([
    ['zero-width spaces', '\u200B\u200B'],
    ['a zero-width joiner and non-joiner', '\u200C\u200D'],
    ['a word joiner', '\u2060'],
    ['a byte-order mark', '\uFEFF'],
    ['invisible characters mixed with spaces', ' \u200B\u3000\u2060 '],
  ])('a title made only of %s is refused with a Chinese message', (_label, title) => {
    const refusal = new Sim().refused(createEvent({ proposal: proposalInput({ title }) }));
    expect(refusal).toMatchObject({ rule: 'payload.title_length', status: 400 });
    expect(refusal.messageZh).toMatch(/不可见/);
  });

  it('a title with visible characters around invisible ones is accepted', () => {
    expect(new Sim().ok(createEvent({ proposal: proposalInput({ title: '\u200B党建\u200B' }) })).proposal.title).toBe('\u200B党建\u200B');
  });

  it('any required text made only of invisible characters is blank', () => {
    expect(isBlank('\u200B \u2060')).toBe(true);
    expect(isText('\u200B\u200D')).toBe(false);
    expect(isText('x\u200B')).toBe(true);
  });
});
