/** Tiny SVG charts with every number printed as text, so a chart reads without hovering. */
import type { FC } from "hono/jsx";

/** One bar. */
export interface Bar {
  label: string;
  value: number;
}

const fmt = (n: number) => (Number.isInteger(n) ? n.toLocaleString("en-US") : n.toLocaleString("en-US", { maximumFractionDigits: 2 }));

/** Horizontal bars: label, bar, value. */
export const BarChart: FC<{ title: string; bars: Bar[]; unit?: string; color?: string }> = ({ title, bars, unit = "", color = "#2f5bd3" }) => {
  const max = Math.max(1, ...bars.map((b) => b.value));
  const row = 24;
  const labelW = 170;
  const barW = 240;
  const height = Math.max(1, bars.length) * row + 8;
  return (
    <figure style="margin:0">
      <figcaption>
        <strong>{title}</strong>
      </figcaption>
      <svg role="img" aria-label={`${title}: ${bars.map((b) => `${b.label} ${fmt(b.value)}${unit}`).join(", ") || "no data"}`} viewBox={`0 0 ${labelW + barW + 80} ${height}`} width="100%" style={`max-width:${labelW + barW + 80}px`}>
        {bars.length ? null : (
          <text x="0" y="18">
            No data yet
          </text>
        )}
        {bars.map((b, i) => {
          const w = Math.round((b.value / max) * barW);
          const y = i * row + 4;
          return (
            <g>
              <text x={labelW - 6} y={y + 15} text-anchor="end">
                {b.label.length > 26 ? `${b.label.slice(0, 25)}…` : b.label}
              </text>
              <rect x={labelW} y={y + 3} width={Math.max(w, b.value > 0 ? 2 : 0)} height={row - 8} fill={color} rx="2" />
              <text x={labelW + w + 6} y={y + 15}>
                {fmt(b.value)}
                {unit}
              </text>
            </g>
          );
        })}
      </svg>
    </figure>
  );
};

/** One column of a stacked chart: a day and its parts by series. */
export interface StackColumn {
  label: string;
  parts: Record<string, number>;
}

const PALETTE: Record<string, string> = { sent: "#1f8a4c", delivered: "#1f8a4c", deferred: "#d08a00", skipped: "#c0362c", failed: "#7a1f17", queued: "#8a94a6" };

/** Vertical stacked columns (e.g. messages per day by outcome), each total printed above its column, with a legend. */
export const StackedColumns: FC<{ title: string; columns: StackColumn[]; series: string[] }> = ({ title, columns, series }) => {
  const totals = columns.map((c) => series.reduce((a, s) => a + (c.parts[s] ?? 0), 0));
  const max = Math.max(1, ...totals);
  const colW = 34;
  const gap = 8;
  const chartH = 140;
  const width = Math.max(200, columns.length * (colW + gap) + 10);
  const colors = series.map((s, i) => PALETTE[s] ?? ["#2f5bd3", "#8a5bd3", "#3aa0b5", "#b55b3a"][i % 4]!);
  return (
    <figure style="margin:0">
      <figcaption>
        <strong>{title}</strong>
      </figcaption>
      <svg
        role="img"
        aria-label={`${title}: ${columns.map((c, i) => `${c.label}: ${series.map((s) => `${s} ${c.parts[s] ?? 0}`).join(", ")} (total ${totals[i]})`).join("; ") || "no data"}`}
        viewBox={`0 0 ${width} ${chartH + 60}`}
        width="100%"
        style={`max-width:${width}px`}
      >
        {columns.length ? null : (
          <text x="0" y="18">
            No data yet
          </text>
        )}
        {columns.map((c, i) => {
          const x = 5 + i * (colW + gap);
          let y = chartH + 16;
          return (
            <g>
              {series.map((s, si) => {
                const h = Math.round(((c.parts[s] ?? 0) / max) * chartH);
                y -= h;
                return h ? <rect x={x} y={y} width={colW} height={h} fill={colors[si]} /> : null;
              })}
              <text x={x + colW / 2} y={y - 3} text-anchor="middle">
                {fmt(totals[i]!)}
              </text>
              <text x={x + colW / 2} y={chartH + 30} text-anchor="middle">
                {c.label}
              </text>
            </g>
          );
        })}
        {series.map((s, si) => (
          <g>
            <rect x={5 + si * 90} y={chartH + 42} width="10" height="10" fill={colors[si]} />
            <text x={19 + si * 90} y={chartH + 51}>
              {s}
            </text>
          </g>
        ))}
      </svg>
    </figure>
  );
};
