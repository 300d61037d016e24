/**
 * A sparkline: a small SVG line of the last values of one series, scaled to
 * `maxValue` so lines side by side compare. Attributes only, for the CSP.
 */

const WIDTH_PX = 120;
const HEIGHT_PX = 20;

/** Draws `values` (oldest first) against `maxValue`; nothing until there are two. */
export function Sparkline({ values, maxValue, label }: { values: readonly number[]; maxValue: number; label: string }) {
  if (values.length < 2) return <svg class="sparkline" width={WIDTH_PX} height={HEIGHT_PX} role="img" aria-label={label} />;
  const step = WIDTH_PX / (values.length - 1);
  const top = maxValue > 0 ? maxValue : 1;
  const points = values.map((v, i) => `${(i * step).toFixed(1)},${(HEIGHT_PX - 1 - ((HEIGHT_PX - 2) * v) / top).toFixed(1)}`).join(" ");
  return (
    <svg class="sparkline" width={WIDTH_PX} height={HEIGHT_PX} role="img" aria-label={label}>
      <polyline points={points} />
    </svg>
  );
}
