/**
 * A horizontal bar chart in SVG: one labelled bar per row, scaled to the
 * largest value. Attributes only (no inline style), so it fits the
 * console's Content-Security-Policy.
 */

/** One bar. */
export interface Bar {
  readonly label: string;
  readonly value: number;
  /** The value as shown beside the bar. */
  readonly text: string;
}

const ROW_HEIGHT_PX = 18;
const LABEL_WIDTH_PX = 70;
const BAR_WIDTH_PX = 180;
const TEXT_WIDTH_PX = 80;

/** Draws `bars` under `title`, with `labelWidthPx` for the labels. */
export function BarChart({ title, bars, labelWidthPx = LABEL_WIDTH_PX }: { title: string; bars: readonly Bar[]; labelWidthPx?: number }) {
  const max = Math.max(0, ...bars.map((b) => b.value));
  const width = labelWidthPx + BAR_WIDTH_PX + TEXT_WIDTH_PX;
  return (
    <figure class="chart">
      <figcaption>{title}</figcaption>
      <svg width={width} height={bars.length * ROW_HEIGHT_PX} role="img" aria-label={title}>
        {bars.map((b, i) => {
          const y = i * ROW_HEIGHT_PX;
          const barWidth = max === 0 ? 0 : (BAR_WIDTH_PX * b.value) / max;
          return (
            <g key={b.label}>
              <text x={0} y={y + ROW_HEIGHT_PX - 5} class="chart-label">
                {b.label}
              </text>
              <rect x={labelWidthPx} y={y + 3} width={barWidth} height={ROW_HEIGHT_PX - 6} class="chart-bar" />
              <text x={labelWidthPx + barWidth + 4} y={y + ROW_HEIGHT_PX - 5} class="chart-value">
                {b.text}
              </text>
            </g>
          );
        })}
      </svg>
    </figure>
  );
}
