import { describe, expect, it } from 'vitest';
import { chooseLogFormat } from '../../logger';

describe('log format', () => {
  it('is pretty, coloured lines only when stdout is a terminal', () => {
    expect(chooseLogFormat({ isTTY: true })).toBe('pretty');
  });

  it('is JSON lines when stdout is a pipe or a file (no isTTY) or not a terminal', () => {
    expect(chooseLogFormat({})).toBe('json');
    expect(chooseLogFormat({ isTTY: false })).toBe('json');
  });
});
