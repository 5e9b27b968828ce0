/**
 * Validation at the boundary: zod schemas for config documents and option objects, and one
 * formatter that turns zod's issues into a {@link ConfigError} naming each field's path,
 * what was expected, what was found and, for an unknown key or name, the closest allowed one.
 */
import type * as z from 'zod';
import { ConfigError } from '../errors/index.js';
import { didYouMean, unknownKeyMessage } from './suggest.js';

/** `where` joined with a field path: `train.optimizer` + `stepsize.initial`; a `where` ending in ':' (a file) is followed by a space. */
export function fieldPath(where: string, path: readonly PropertyKey[]): string {
  let out = where;
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : out.endsWith(':') ? ` ${String(key)}` : `.${String(key)}`;
  }
  return out;
}

/** A value for messages: JSON, cut to 80 characters. */
export function show(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

const ARTICLES: Readonly<Record<string, string>> = {
  number: 'a number',
  int: 'an integer',
  string: 'a string',
  boolean: 'true or false',
  object: 'an object',
  array: 'an array',
  record: 'an object',
};

function comparison(inclusive: boolean | undefined, low: boolean): string {
  if (low) return inclusive ? '≥' : '>';
  return inclusive ? '≤' : '<';
}

function sizeMessage(issue: z.core.$ZodRawIssue, low: boolean): string {
  const bound = Number(low ? (issue as { minimum: unknown }).minimum : (issue as { maximum: unknown }).maximum);
  const inclusive = (issue as { inclusive?: boolean }).inclusive;
  const origin = (issue as { origin?: string }).origin;
  if (origin === 'array') return `expected ${low ? 'at least' : 'at most'} ${bound} entries, got ${show(issue.input)}`;
  if (origin === 'string')
    return `expected ${low ? 'at least' : 'at most'} ${bound} characters, got ${show(issue.input)}`;
  const expected =
    low && bound === 0
      ? inclusive
        ? 'a non-negative number'
        : 'a positive number'
      : `a number ${comparison(inclusive, low)} ${bound}`;
  return `expected ${expected}, got ${show(issue.input)}`;
}

function quoted(values: readonly unknown[]): string {
  return values.map((v) => (typeof v === 'string' ? `'${v}'` : show(v))).join(', ');
}

/** `expected one of 'a', 'b', got "x"` (and a suggestion for a near miss): a value outside a list of choices. */
export function choiceMessage(choices: readonly unknown[], value: unknown): string {
  return `expected one of ${quoted(choices)}, got ${show(value)}${didYouMean(value, choices.map(String))}`;
}

/** `value`, when it is one of `choices`. @throws ConfigError `where: ` and the {@link choiceMessage} */
export function checkChoice<T>(value: unknown, choices: readonly T[], where: string): T {
  if (choices.includes(value as T)) return value as T;
  throw new ConfigError(`${where}: ${choiceMessage(choices, value)}`);
}

/** The message of one issue, computed while zod still has the schema (`inst`) at hand. */
function issueMessage(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type': {
      const expected = ARTICLES[issue.expected] ?? issue.expected;
      return issue.input === undefined
        ? `required: expected ${expected}`
        : `expected ${expected}, got ${show(issue.input)}`;
    }
    case 'too_small':
      return sizeMessage(issue, true);
    case 'too_big':
      return sizeMessage(issue, false);
    case 'invalid_value':
      return choiceMessage(issue.values, issue.input);
    case 'unrecognized_keys': {
      const schema = issue.inst as z.ZodObject | undefined;
      const shape = (schema?.shape ?? {}) as Record<string, z.ZodType>;
      const allowed = Object.keys(shape);
      const required = allowed.filter((name) => !shape[name]?.safeParse(undefined).success);
      const object = issue.input as Record<string, unknown>;
      // One line per key; formatIssues splits them and puts each key on its path.
      return issue.keys.map((key) => unknownKeyMessage(key, object, allowed, required)).join('\n');
    }
    case 'invalid_union': {
      const options = (issue as { options?: readonly unknown[] }).options;
      if (options === undefined) return undefined;
      const input = issue.input as Record<string, unknown> | undefined;
      const found = (issue as { discriminator?: string }).discriminator;
      const value = input && found ? input[found] : issue.input;
      return choiceMessage(options, value);
    }
    case 'custom':
      return issue.message;
    default:
      return undefined;
  }
}

type Issue = z.core.$ZodIssue;

/** The issues worth reporting from a union: those of the branch that accepted the input's type. */
function unionIssues(issue: Issue & { errors: Issue[][] }): Issue[] {
  const typeMismatch = (branch: Issue[]) =>
    branch.length === 1 && branch[0]?.code === 'invalid_type' && branch[0].path.length === 0;
  const matched = issue.errors.filter((branch) => !typeMismatch(branch));
  if (matched.length === 0) {
    const expected = issue.errors.map((branch) => {
      const first = branch[0] as { expected?: string };
      return ARTICLES[first.expected ?? ''] ?? String(first.expected);
    });
    const found = (issue.errors[0]?.[0] as { input?: unknown } | undefined)?.input;
    return [
      { ...issue, code: 'custom', message: `expected ${[...new Set(expected)].join(' or ')}, got ${show(found)}` },
    ];
  }
  const best = matched.reduce((a, b) => (b.length < a.length ? b : a));
  return best.map((inner) => ({ ...inner, path: [...issue.path, ...inner.path] }));
}

/** One line per problem: `path: message`. */
function formatIssues(issues: readonly Issue[], where: string): string[] {
  const lines: string[] = [];
  // An unknown key first: it usually explains a required one that is missing.
  const unknownFirst = [...issues].sort(
    (a, b) => Number(b.code === 'unrecognized_keys') - Number(a.code === 'unrecognized_keys'),
  );
  for (const issue of unknownFirst) {
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      lines.push(...formatIssues(unionIssues(issue as Issue & { errors: Issue[][] }), where));
    } else if (issue.code === 'unrecognized_keys') {
      const messages = issue.message.split('\n');
      issue.keys.forEach((key, i) => {
        lines.push(`${fieldPath(where, [...issue.path, key])}: ${messages[i] ?? 'unknown key'}`);
      });
    } else {
      const path = fieldPath(where, issue.path);
      lines.push(`${path.endsWith(':') ? path.slice(0, -1) : path}: ${issue.message}`);
    }
  }
  return lines;
}

/**
 * Parses an untrusted value with a schema.
 * @param where - names the value in errors (a field path such as `train.optimizer`, or a file followed by ':')
 * @throws ConfigError listing every problem, one per line
 */
export function parseWith<T extends z.ZodType>(schema: T, value: unknown, where: string): z.output<T> {
  const result = schema.safeParse(value, { reportInput: true, error: issueMessage });
  if (result.success) return result.data;
  throw new ConfigError(formatIssues(result.error.issues, where).join('\n'));
}

/** Exactly the keys of an options type, each `true`: the compiler checks that none is missing or extra. */
export type OptionKeys<T> = { readonly [K in keyof Required<T>]: true };

/**
 * Rejects an option object with keys its type does not have (JavaScript callers and casts
 * get past the compiler): `SGD.train: unknown key 'epoch'; did you mean …`.
 * @param where - names the function or constructor
 * @throws ConfigError naming the key, the closest allowed one and all allowed ones
 */
export function checkOptions<T>(options: T | undefined, allowed: OptionKeys<T>, where: string): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new ConfigError(`${where}: expected an options object, got ${show(options)}`);
  }
  const names = Object.keys(allowed);
  const unknown = Object.keys(options).filter((key) => !Object.hasOwn(allowed, key));
  if (unknown.length > 0) {
    throw new ConfigError(
      unknown
        .map(
          (key) => `${fieldPath(where, [key])}: ${unknownKeyMessage(key, options as Record<string, unknown>, names)}`,
        )
        .join('\n'),
    );
  }
}

/** Deepest nesting of arrays and objects accepted in a config document. */
export const MAX_JSON_DEPTH = 64;

/**
 * Refuses a parsed JSON value nested deeper than `maxDepth` (checked without recursion, so
 * that no later recursive step — validation, messages — can overflow the stack).
 * @throws ConfigError naming the depth
 */
export function checkJsonDepth(value: unknown, where: string, maxDepth = MAX_JSON_DEPTH): void {
  const pending: [unknown, number][] = [[value, 0]];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [item, depth] = next;
    if (typeof item !== 'object' || item === null) continue;
    if (depth >= maxDepth) throw new ConfigError(`${where}: nested deeper than ${maxDepth} levels`);
    for (const child of Object.values(item)) pending.push([child, depth + 1]);
  }
}

/**
 * Parses JSON text. @param where - names the document
 * @throws ConfigError with the parser's reason, the line and column where it stopped and that
 *   line with a caret under the column; or for nesting beyond {@link MAX_JSON_DEPTH}
 */
export function parseJsonText(text: string, where: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new ConfigError(`${where}: not valid JSON ${jsonSyntaxMessage(text, (cause as Error).message)}`, { cause });
  }
  checkJsonDepth(value, where);
  return value;
}

/** Characters of the offending line shown either side of the column in a JSON syntax error. */
const JSON_LINE_CONTEXT = 60;

/**
 * `at line L, column C: <reason>` and the line with a caret under column C, where `reason` is
 * JSON.parse's message without its position or its excerpt of the text.
 */
function jsonSyntaxMessage(text: string, parserMessage: string): string {
  const reason = parserMessage.replace(/ in JSON at position \d+.*$/s, '').replace(/, ".*" is not valid JSON$/s, '');
  const offset = jsonErrorOffset(text);
  const before = text.slice(0, offset);
  const lineStart = before.lastIndexOf('\n') + 1;
  const next = text.indexOf('\n', offset);
  const lineEnd = next === -1 ? text.length : next;
  const line = (before.match(/\n/g)?.length ?? 0) + 1;
  const column = offset - lineStart + 1;
  const from = Math.max(lineStart, offset - JSON_LINE_CONTEXT);
  const to = Math.min(lineEnd, offset + JSON_LINE_CONTEXT);
  const shown = `${from > lineStart ? '…' : ''}${text.slice(from, to).replace(/\r$/, '')}${to < lineEnd ? '…' : ''}`;
  // Tabs stay tabs under the caret, so it lines up however wide the terminal draws them.
  const pad = `${from > lineStart ? ' ' : ''}${text.slice(from, offset).replace(/[^\t]/g, ' ')}`;
  return `at line ${line}, column ${column}: ${reason}\n  ${shown}\n  ${pad}^`;
}

/** A JSON literal: true, false, null or a number. */
const JSON_LITERAL = /true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
/** The characters and escapes of a string between its quotes. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: JSON strings may not hold raw control characters
const JSON_STRING_BODY = /(?:[^"\\\u0000-\u001f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*/y;

/**
 * The offset of the first character of `text` that breaks the JSON grammar (`text.length`
 * when it ends too soon), found without recursion. JSON.parse names the offset in some
 * messages only.
 */
function jsonErrorOffset(text: string): number {
  const open: string[] = [];
  let i = 0;
  const skipSpace = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i] as string)) i++;
  };
  const match = (pattern: RegExp): boolean => {
    pattern.lastIndex = i;
    if (!pattern.test(text)) return false;
    i = pattern.lastIndex;
    return true;
  };
  /** A string from its opening quote at i, leaving i after it, or at the character that ends it wrongly. */
  const string = (): boolean => {
    i++;
    match(JSON_STRING_BODY);
    if (text[i] !== '"') return false;
    i++;
    return true;
  };
  const key = (): boolean => {
    skipSpace();
    if (text[i] !== '"' || !string()) return false;
    skipSpace();
    if (text[i] !== ':') return false;
    i++;
    return true;
  };
  for (;;) {
    // A value.
    skipSpace();
    const c = text[i];
    if (c === '{' || c === '[') {
      i++;
      skipSpace();
      if (text[i] === (c === '{' ? '}' : ']')) i++;
      else {
        open.push(c);
        if (c === '{' && !key()) return i;
        continue;
      }
    } else if (c === '"') {
      if (!string()) return i;
    } else if (!match(JSON_LITERAL)) return i;
    // After a value: close containers, or a comma and the next value.
    for (;;) {
      skipSpace();
      const container = open.at(-1);
      if (container === undefined) return i;
      if (text[i] === (container === '{' ? '}' : ']')) {
        open.pop();
        i++;
        continue;
      }
      if (text[i] !== ',') return i;
      i++;
      if (container === '{' && !key()) return i;
      break;
    }
  }
}
