// Percentiles over raw samples (milliseconds), nearest-rank; NaN marks a request with no answer.

export function summarise(values) {
  const sorted = Float64Array.from(values)
    .filter((v) => !Number.isNaN(v))
    .sort();
  const count = sorted.length;
  if (count === 0)
    return { count: 0, mean: null, p50: null, p90: null, p99: null, p999: null, max: null };
  const at = (q) => sorted[Math.min(count - 1, Math.max(0, Math.ceil((q / 100) * count) - 1))];
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    count,
    mean: sum / count,
    p50: at(50),
    p90: at(90),
    p99: at(99),
    p999: at(99.9),
    max: sorted[count - 1],
  };
}
