/** Sample means with their standard errors, for the estimators that average importance weights. */

/** The mean of `values` and its standard error. */
export function meanWithError(values: Float64Array): { mean: number; error: number } {
  const mean = values.reduce((a, x) => a + x, 0) / values.length;
  const variance = values.reduce((a, x) => a + (x - mean) ** 2, 0) / Math.max(1, values.length - 1);
  return { mean, error: Math.sqrt(variance / values.length) };
}

/** ln mean(exp(x)) over `logValues`, with the delta-method standard error of that logarithm. */
export function logMeanExpWithError(logValues: Float64Array): { logMean: number; error: number } {
  const peak = Math.max(...logValues);
  const { mean, error } = meanWithError(logValues.map((x) => Math.exp(x - peak)));
  return { logMean: peak + Math.log(mean), error: error / mean };
}
