/** JSON syntax errors in config files point at the line and column, with the line and a caret. */
import { ConfigError } from 'relief/errors';
import { describe, expect, it } from 'vitest';
import { parseJsonText } from '../../validation/index.js';

/** The message parseJsonText throws for `text`. */
function syntaxError(text: string): string {
  try {
    parseJsonText(text, 'run.json');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a syntax error');
}

describe('parseJsonText', () => {
  it('names the line and column of a syntax error and shows that line with a caret under it', () => {
    const message = syntaxError('{\n  "seed": 1,\n  data: {}\n}\n');
    expect(message).toBe(
      'run.json: not valid JSON at line 3, column 3: Expected double-quoted property name\n    data: {}\n    ^',
    );
  });

  it('points past the last character when the text ends too soon', () => {
    const message = syntaxError('{\n  "seed": 1');
    expect(message).toMatch(/^run\.json: not valid JSON at line 2, column 12: /);
    expect(message.split('\n').slice(1)).toEqual(['    "seed": 1', '             ^']);
  });

  it('keeps tabs under the caret and cuts a long line around the column', () => {
    const tabbed = syntaxError('{\t"a": x}');
    expect(tabbed.split('\n')).toEqual([
      "run.json: not valid JSON at line 1, column 8: Unexpected token 'x'",
      '  {\t"a": x}',
      '   \t     ^',
    ]);
    const long = `[${'1,'.repeat(100)}x]`;
    const [, shown, caret] = syntaxError(long).split('\n');
    expect(shown?.length).toBeLessThan(130);
    expect(shown?.[(caret as string).indexOf('^')]).toBe('x');
  });

  it('finds the place JSON.parse names, in every kind of syntax error', () => {
    for (const [text, column] of [
      ['{"a": 1,}', 9],
      ['[1, 2', 6],
      ['{"a": "x\ny"}', 9],
      ['{"a": [1, {"b": tru}]}', 17],
      ['{} {}', 4],
      ['{"a" 1}', 6],
    ] as const) {
      expect(syntaxError(text), text).toContain(`, column ${column}: `);
    }
  });

  it('still parses valid JSON', () => {
    expect(parseJsonText('{"a": [1, 2]}', 'x')).toEqual({ a: [1, 2] });
  });
});
