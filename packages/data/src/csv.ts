/** CSV files of numbers: one row per sample, an optional header line. */
import type { HostMatrix } from 'relief/batch';
import { DataError } from 'relief/errors';
import { checkOptions } from 'relief/validation';
import { readBytes } from './files.js';

/** Options of {@link parseCsv}. */
export interface CsvOptions {
  /** Field separator (default ','). */
  readonly delimiter?: string;
  /** Whether the first line is a header: true, false, or 'auto' (default: a first line that is not numeric). */
  readonly header?: boolean | 'auto';
}

/**
 * Parses CSV text into a matrix. Blank lines are skipped.
 * @throws DataError naming the line and column of a non-numeric, NaN or infinite value,
 *   or of a row whose width differs from the first
 */
export function parseCsv(text: string, where: string, options: CsvOptions = {}): HostMatrix & { header?: string[] } {
  checkOptions(options, { delimiter: true, header: true }, 'parseCsv');
  const delimiter = options.delimiter ?? ',';
  const lines = text
    .split(/\r?\n/)
    .map((line, index) => ({ line, number: index + 1 }))
    .filter(({ line }) => line.trim() !== '');
  const first = lines[0];
  if (!first) throw new DataError(`${where}: no rows`);
  const split = (line: string) => line.split(delimiter).map((field) => field.trim());
  const looksNumeric = split(first.line).every((field) => field !== '' && Number.isFinite(Number(field)));
  const hasHeader = options.header === 'auto' || options.header === undefined ? !looksNumeric : options.header;
  const header = hasHeader ? split(first.line) : undefined;
  const body = hasHeader ? lines.slice(1) : lines;
  const columns = header?.length ?? split(first.line).length;
  const values = new Float32Array(body.length * columns);
  body.forEach(({ line, number }, row) => {
    const fields = split(line);
    if (fields.length !== columns) {
      throw new DataError(`${where}: line ${number} has ${fields.length} fields, expected ${columns}`);
    }
    fields.forEach((field, column) => {
      const value = field === '' ? Number.NaN : Number(field);
      if (!Number.isFinite(value)) {
        throw new DataError(
          `${where}: line ${number}, column ${column + 1} holds ${JSON.stringify(field)}, not a finite number`,
        );
      }
      values[row * columns + column] = value;
    });
  });
  return { rows: body.length, columns, values, ...(header && { header }) };
}

/** Reads a CSV file. @throws DataError when missing or malformed */
export function readCsv(path: string, options: CsvOptions = {}): HostMatrix & { header?: string[] } {
  return parseCsv(new TextDecoder().decode(readBytes(path)), path, options);
}
