/**
 * The benchmarks' result records: one JSON file per reported row, `bench/results/<id>.json`,
 * from which `npm run results` generates docs/results.md. A benchmark calls
 * {@link writeResult} with what it measured; {@link readResults} reads and validates them all.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { arch, cpus, totalmem, type } from 'node:os';
import { join } from 'node:path';
import * as z from 'zod';
import { ConfigError } from '../errors/index.js';
import { parseJsonText, parseWith, show } from '../validation/index.js';

/** Where the records live. */
export const RESULTS_DIRECTORY = join(import.meta.dirname, 'results');

/** The sections of docs/results.md, in their order there. */
export const RESULT_SECTIONS = [
  'likelihood',
  'unit-types',
  'classification',
  'speed-cpu',
  'speed-gpu',
  'kernels',
] as const;

/** One section of docs/results.md. */
export type ResultSection = (typeof RESULT_SECTIONS)[number];

/** Sections whose figures are log-likelihoods, so that each record names its data protocol. */
const LIKELIHOOD_SECTIONS: readonly ResultSection[] = ['likelihood', 'unit-types'];

const ID_PATTERN = /^[a-z0-9][a-z0-9.-]*$/;
const DATE_PATTERN = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;

const figureSchema = z.strictObject({
  label: z.string().min(1),
  value: z.number(),
  error: z.number().min(0).optional(),
  unit: z.string().min(1).optional(),
});

/** A record as stored: validated with path-naming messages by {@link parseResult}. */
export const resultRecordSchema = z
  .strictObject({
    id: z.string().regex(ID_PATTERN, {
      error: (issue) => `expected lowercase letters, digits, '.' and '-', got ${show(issue.input)}`,
    }),
    section: z.enum(RESULT_SECTIONS),
    row: z.string().min(1),
    figures: z.array(figureSchema).min(1),
    protocol: z.string().min(1).optional(),
    command: z.string().min(1),
    date: z.string().regex(DATE_PATTERN, {
      error: (issue) => `expected a date YYYY-MM-DD, got ${show(issue.input)}`,
    }),
    machine: z.string().min(1),
    provenance: z.enum(['measured', 'transcribed']),
    note: z.string().min(1).optional(),
  })
  .superRefine((record, context) => {
    if (LIKELIHOOD_SECTIONS.includes(record.section) && record.protocol === undefined) {
      context.addIssue({
        code: 'custom',
        path: ['protocol'],
        message: `required in section '${record.section}': expected a string naming the data protocol, got undefined`,
      });
    }
  });

/** One figure of a row: `AIS −68.02 ± 0.12 nats`. */
export type ResultFigure = z.output<typeof figureSchema>;

/**
 * One row of docs/results.md: what was measured (`figures`), on which data (`protocol`, for
 * likelihoods), how to measure it again (`command`), when and where; `provenance` says whether a
 * benchmark wrote it or it was copied from an earlier document.
 */
export type ResultRecord = z.output<typeof resultRecordSchema>;

/**
 * Validates one record read from JSON.
 * @param where - names the record in errors (a file followed by ':')
 * @throws ConfigError naming each bad field, what was expected and what was found
 */
export function parseResult(value: unknown, where: string): ResultRecord {
  return parseWith(resultRecordSchema, value, where);
}

/**
 * Writes `record` to `<directory>/<id>.json` atomically (a temporary file renamed over it), so
 * that a reader never sees half a record; a rerun of the same row replaces it.
 * @throws ConfigError when the record is invalid
 */
export function writeResult(record: ResultRecord, directory = RESULTS_DIRECTORY): string {
  const valid = parseResult(record, `result '${record.id}':`);
  mkdirSync(directory, { recursive: true });
  const path = join(directory, `${valid.id}.json`);
  const temporary = join(directory, `.${valid.id}.json.${process.pid}.tmp`);
  writeFileSync(temporary, `${JSON.stringify(valid, null, 2)}\n`);
  renameSync(temporary, path);
  return path;
}

/**
 * Every record in `directory` (its `*.json` files, by file name), each validated, and its `id`
 * checked against its file name.
 * @throws ConfigError naming the file and the field
 */
export function readResults(directory = RESULTS_DIRECTORY): ResultRecord[] {
  const names = readdirSync(directory)
    .filter((name) => name.endsWith('.json'))
    .sort();
  return names.map((name) => {
    const file = join(directory, name);
    const record = parseResult(parseJsonText(readFileSync(file, 'utf8'), file), `${file}:`);
    const expectedId = name.slice(0, -'.json'.length);
    if (record.id !== expectedId) {
      throw new ConfigError(`${file}: id: expected ${show(expectedId)} (the file's name), got ${show(record.id)}`);
    }
    return record;
  });
}

/** This machine in words: `2 × AMD EPYC, 24 GiB, Linux x64`, and `gpu` when the benchmark knows one. */
export function describeMachine(gpu?: string): string {
  const processors = cpus();
  const model = processors[0]?.model.trim().replace(/\s+/g, ' ') || 'unknown cpu';
  const memory = `${Math.round(totalmem() / 2 ** 30)} GiB`;
  return [`${processors.length} × ${model}`, memory, `${type()} ${arch()}`, ...(gpu ? [gpu] : [])].join(', ');
}

/** The first NVIDIA GPU's name as `nvidia-smi` gives it (`NVIDIA H100 80GB HBM3`), or undefined without one. */
export function nvidiaGpuName(): string | undefined {
  try {
    const names = execFileSync('nvidia-smi', ['--query-gpu=name', '--format=csv,noheader'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return names.split('\n')[0]?.trim() || undefined;
  } catch {
    return undefined;
  }
}

/** `text` as part of a record id: `784-200 (ADAM)` → `784-200-adam`. */
export function idPart(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9.]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** Today in UTC as YYYY-MM-DD. */
export function today(): string {
  return new Date().toISOString().slice(0, 10);
}

/** `word` quoted for a POSIX shell when it needs to be. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * The command that reruns this process's npm script with the same arguments and environment:
 * `KINDS=cb E=5 npm run bench:units`, `npm run bench -- --only cpu`.
 * @param script - the package.json script
 * @param environment - the variables the script reads, shown when set
 * @param prefix - what goes first in place of a machine-specific setting (`PAYSAGE_DIR=<checkout>`)
 */
export function rerunCommand(script: string, environment: readonly string[] = [], prefix?: string): string {
  const assignments = environment
    .filter((name) => process.env[name] !== undefined)
    .map((name) => `${name}=${shellWord(process.env[name] as string)}`);
  const args = process.argv.slice(2).map(shellWord);
  return [
    ...(prefix ? [prefix] : []),
    ...assignments,
    `npm run ${script}`,
    ...(args.length > 0 ? ['--', ...args] : []),
  ].join(' ');
}

/** A measured number rounded to `digits` decimals for a record. */
export function rounded(value: number, digits = 2): number {
  return Number(value.toFixed(digits));
}
