/** The text a command prints for its result: `key: value` lines, or JSON with --json. */

/** Significant digits of a non-integer in the text report (JSON keeps every digit). */
const SIGNIFICANT_DIGITS = 5;

/** A value as the text report shows it: integers whole, other numbers to 5 significant digits. */
export function formatValue(value: unknown): string {
  if (typeof value !== 'number' || Number.isInteger(value) || !Number.isFinite(value)) return String(value);
  return String(Number(value.toPrecision(SIGNIFICANT_DIGITS)));
}

/** A line printed under a figure of `relief evaluate` that needs explaining, when `applies` to the result. */
interface Note {
  readonly key: string;
  readonly applies: (result: Readonly<Record<string, unknown>>) => boolean;
  readonly text: string;
}

const NOTES: readonly Note[] = [
  {
    key: 'ReverseKLDivergence',
    applies: (result) => (result.ReverseKLDivergence as number) < 0,
    text:
      'below 0, which no KL(model ‖ data) can be: it is a k-nearest-neighbour estimate from batches of fantasy ' +
      'particles and data rows, mean ln(ν/ρ) + ln(m/(n−1)), which comes out negative when the particles lie nearer ' +
      'their k-th nearest data row (ν) than their k-th nearest fellow particle (ρ); the divergence is smaller than ' +
      "the estimate's error at these sample sizes",
  },
  {
    key: 'ReverseLogLikelihood',
    applies: (result) => (result.ReverseLogLikelihood as number) > (result.LogLikelihood as number),
    text:
      'above the AIS figure: reverse AIS (RAISE) overestimates ln Z in expectation only for q, the distribution ' +
      'its annealing ends in, not for the model itself; q had not quite reached the model at this many steps, ' +
      'and more --ais and --reverse-ais steps narrow the gap',
  },
];

/** The text report of a result: one `key: value` line per entry, a note beneath a figure that needs one. */
export function textReport(result: Readonly<Record<string, unknown>>): string[] {
  return Object.entries(result).flatMap(([key, value]) => [
    `${key}: ${formatValue(value)}`,
    ...NOTES.filter((note) => note.key === key && note.applies(result)).map((note) => `  note: ${note.text}`),
  ]);
}

/** Prints a command's result: JSON (every digit) with `json`, else its {@link textReport}. */
export function printResult(result: object, json: boolean): void {
  if (json) console.log(JSON.stringify(result, null, 2));
  else for (const line of textReport(result as Record<string, unknown>)) console.log(line);
}
