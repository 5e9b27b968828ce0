/** The text report: numbers to 5 significant digits, and a note under a figure that needs explaining. */
import { describe, expect, it } from 'vitest';
import { formatValue, textReport } from '../src/report.js';

describe('the text report', () => {
  it('prints integers whole and other numbers to 5 significant digits', () => {
    expect(formatValue(2000)).toBe('2000');
    expect(formatValue(-115.701234567)).toBe('-115.7');
    expect(formatValue(0.123456789)).toBe('0.12346');
    expect(formatValue(1.23456789e-7)).toBe('1.2346e-7');
    expect(formatValue(Number.NaN)).toBe('NaN');
    expect(formatValue('test: 10 held-out rows')).toBe('test: 10 held-out rows');
    expect(textReport({ samples: 300, LogZ: 412.34567890123 })).toEqual(['samples: 300', 'LogZ: 412.35']);
  });

  it('explains a negative ReverseKLDivergence beneath it, and nothing when it is positive', () => {
    const lines = textReport({ ReverseKLDivergence: -0.0312, FrechetScore: 1.5 });
    expect(lines[0]).toBe('ReverseKLDivergence: -0.0312');
    expect(lines[1]).toMatch(
      /^ {2}note: below 0, which no KL\(model ‖ data\) can be: it is a k-nearest-neighbour estimate/,
    );
    expect(lines[2]).toBe('FrechetScore: 1.5');
    expect(textReport({ ReverseKLDivergence: 0.2 })).toEqual(['ReverseKLDivergence: 0.2']);
  });

  it('explains a reverse AIS log-likelihood above the AIS one beneath it', () => {
    const above = textReport({ LogLikelihood: -88.5, ReverseLogLikelihood: -88.2 });
    expect(above).toHaveLength(3);
    expect(above[2]).toMatch(
      /^ {2}note: above the AIS figure: reverse AIS \(RAISE\) overestimates ln Z in expectation only for q/,
    );
    expect(textReport({ LogLikelihood: -88.2, ReverseLogLikelihood: -88.5 })).toHaveLength(2);
    expect(textReport({ ReverseLogLikelihood: -88.5 })).toHaveLength(1);
  });
});
