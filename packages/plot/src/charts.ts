/**
 * Line charts (learning curves) as SVG through Vega-Lite, in Node and in browsers (PNG:
 * `raster.ts`). Vega is loaded on first use: its module graph has a top-level await, so a static import
 * would stop `require('@relief/plot')` (tslab's compiled cells) from working.
 */
import { ConfigError } from 'relief/errors';
import { checkOptions } from 'relief/validation';

/** One line of a chart: `y` against `x` (default 1, 2, …). */
export interface Series {
  readonly name: string;
  readonly y: readonly number[];
  readonly x?: readonly number[];
}

/** Options of {@link lineChartSvg}. */
export interface ChartOptions {
  readonly title?: string;
  /** Axis titles (default 'epoch' and 'value'). */
  readonly xLabel?: string;
  readonly yLabel?: string;
  /** Plot area in pixels (default 420 × 260). */
  readonly width?: number;
  readonly height?: number;
  /** A logarithmic y axis (default false). */
  readonly logScale?: boolean;
}

/** A training run's per-epoch records (`History.toJSON()`, or `history.json`), named for the legend. */
export interface NamedHistory {
  readonly name: string;
  readonly records: readonly Readonly<Record<string, unknown>>[];
}

/** Options of {@link learningCurvesSvg}. */
export interface LearningCurveOptions {
  /** The metrics to draw, one panel each (default: every numeric field but `epoch` and `seconds`; `seconds` when there is nothing else). */
  readonly metrics?: readonly string[];
  /** Panels per row (default 3). */
  readonly columns?: number;
  /** One panel's plot area in pixels (default 220 × 150). */
  readonly width?: number;
  readonly height?: number;
}

interface Point {
  readonly series: string;
  readonly x: number;
  readonly y: number;
}

/** A line chart with axes, ticks, grid and a legend (one colour per series), as SVG text. */
export async function lineChartSvg(series: readonly Series[], options: ChartOptions = {}): Promise<string> {
  checkOptions(
    options,
    { title: true, xLabel: true, yLabel: true, width: true, height: true, logScale: true },
    'lineChartSvg',
  );
  const points = series.flatMap(({ name, x, y }) => {
    if (x !== undefined && x.length !== y.length) {
      throw new ConfigError(`lineChartSvg: series '${name}' has ${x.length} x values but ${y.length} y values`);
    }
    return y.map((value, i) => ({ series: name, x: x?.[i] ?? i + 1, y: value }));
  });
  return render({
    ...(options.title === undefined ? {} : { title: options.title }),
    width: options.width ?? 420,
    height: options.height ?? 260,
    data: { values: finite(points, options.logScale) },
    mark: { type: 'line', point: true },
    encoding: {
      x: {
        field: 'x',
        type: 'quantitative',
        title: options.xLabel ?? 'epoch',
        // Whole-number x values (epochs) get whole-number ticks.
        ...(points.every((p) => Number.isInteger(p.x)) && { axis: { tickMinStep: 1 } }),
      },
      y: {
        field: 'y',
        type: 'quantitative',
        title: options.yLabel ?? 'value',
        scale: { zero: false, ...(options.logScale ? { type: 'log' } : {}) },
      },
      color: { field: 'series', type: 'nominal', title: null },
    },
  });
}

/**
 * Learning curves: one panel per metric (its own y scale, ticks and title), epoch on x, one
 * colour per run — e.g. several models of a study side by side.
 */
export async function learningCurvesSvg(
  histories: NamedHistory | readonly NamedHistory[],
  options: LearningCurveOptions = {},
): Promise<string> {
  checkOptions(options, { metrics: true, columns: true, width: true, height: true }, 'learningCurvesSvg');
  const runs = Array.isArray(histories) ? (histories as readonly NamedHistory[]) : [histories as NamedHistory];
  const available = new Set(numericFields(runs));
  const measured = [...available].filter((field) => field !== 'seconds');
  const metrics = options.metrics ?? (measured.length > 0 ? measured : [...available]);
  const missing = metrics.filter((metric) => !available.has(metric));
  if (metrics.length === 0 || missing.length > 0) {
    throw new ConfigError(
      `learningCurvesSvg: expected metrics recorded per epoch (${[...available].join(', ') || 'none'}), ` +
        `got ${missing.length > 0 ? `unknown ${missing.join(', ')}` : 'none'}`,
    );
  }
  const points = runs.flatMap(({ name, records }) =>
    records.flatMap((record, i) =>
      metrics.map((metric) => ({
        series: name,
        metric,
        x: Number(record.epoch ?? i + 1),
        y: record[metric] as number,
      })),
    ),
  );
  return render({
    data: { values: finite(points) },
    facet: { field: 'metric', type: 'nominal', title: null, sort: [...metrics] },
    columns: options.columns ?? 3,
    spec: {
      width: options.width ?? 220,
      height: options.height ?? 150,
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'x', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1 } },
        y: { field: 'y', type: 'quantitative', title: null, scale: { zero: false } },
        color: { field: 'series', type: 'nominal', title: null },
      },
    },
    resolve: { scale: { y: 'independent' }, axis: { x: 'independent' } },
  });
}

/** The numeric fields of the records, but `epoch`, in first-seen order. */
function numericFields(runs: readonly NamedHistory[]): string[] {
  const fields = new Set<string>();
  for (const { records } of runs) {
    for (const record of records) {
      for (const [key, value] of Object.entries(record)) {
        if (typeof value === 'number' && key !== 'epoch') fields.add(key);
      }
    }
  }
  return [...fields];
}

/** Drops points a chart cannot place (NaN, ±∞; ≤ 0 on a log scale). */
function finite<P extends Point>(points: readonly P[], logScale = false): P[] {
  return points.filter(({ x, y }) => Number.isFinite(x) && Number.isFinite(y) && (!logScale || y > 0));
}

/** Compiles a Vega-Lite spec and renders it headless to SVG. */
async function render(spec: Record<string, unknown>): Promise<string> {
  const [vega, vegaLite] = await Promise.all([import('vega'), import('vega-lite')]);
  const compiled = vegaLite.compile({ ...spec, background: 'white', config: { font: 'DejaVu Sans' } } as never).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
