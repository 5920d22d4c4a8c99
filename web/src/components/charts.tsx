// Small SVG charts: no chart library, no canvas; they scale with their box.

export function Sparkline({ values, width = 120, height = 28, label }: { values: number[]; width?: number; height?: number; label: string }) {
  const max = Math.max(1, ...values);
  const step = values.length > 1 ? width / (values.length - 1) : width;
  const points = values.map((v, i) => `${(i * step).toFixed(1)},${(height - (v / max) * (height - 2) - 1).toFixed(1)}`).join(' ');
  return (
    <svg className="sparkline" width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img" aria-label={label}>
      {values.length > 1 && <polyline points={points} fill="none" stroke="currentColor" strokeWidth="1.5" />}
    </svg>
  );
}

export interface Series {
  name: string;
  values: (number | null)[];
  className: string;
}

/** A line chart of series over the same samples, with a y axis from 0. */
export function LineChart({ title, series, unit, testId }: { title: string; series: Series[]; unit: string; testId?: string }) {
  const width = 560;
  const height = 160;
  const pad = { l: 56, r: 8, t: 8, b: 18 };
  const all = series.flatMap((s) => s.values.filter((v): v is number => v !== null && Number.isFinite(v)));
  const max = Math.max(1, ...all) * 1.1;
  const n = Math.max(...series.map((s) => s.values.length), 2);
  const x = (i: number) => pad.l + (i / (n - 1)) * (width - pad.l - pad.r);
  const y = (v: number) => pad.t + (1 - v / max) * (height - pad.t - pad.b);
  const last = (s: Series) => [...s.values].reverse().find((v) => v !== null);
  return (
    <figure className="chart" data-testid={testId}>
      <figcaption>
        {title}
        {series.map((s) => (
          <span key={s.name} className={`legend ${s.className}`}>
            {s.name}: <b>{fmt(last(s) ?? null)}</b> {unit}
          </span>
        ))}
      </figcaption>
      <svg viewBox={`0 0 ${width} ${height}`} preserveAspectRatio="none" role="img" aria-label={title}>
        {[0, 0.5, 1].map((f) => (
          <g key={f}>
            <line x1={pad.l} x2={width - pad.r} y1={y(max * f)} y2={y(max * f)} className="grid" />
            <text x={pad.l - 4} y={y(max * f) + 4} textAnchor="end" className="axis">
              {fmt(max * f)}
            </text>
          </g>
        ))}
        {series.map((s) => {
          const pts = s.values
            .map((v, i) => (v === null ? null : `${x(i).toFixed(1)},${y(v).toFixed(1)}`))
            .filter(Boolean)
            .join(' ');
          return <polyline key={s.name} points={pts} className={`line ${s.className}`} fill="none" />;
        })}
      </svg>
    </figure>
  );
}

/** 1234567 → "1.23 M". */
export function fmt(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  if (a >= 1e9) return (v / 1e9).toFixed(2) + ' G';
  if (a >= 1e6) return (v / 1e6).toFixed(2) + ' M';
  if (a >= 1e4) return (v / 1e3).toFixed(1) + ' k';
  if (a >= 100 || Number.isInteger(v)) return v.toFixed(0);
  return v.toFixed(2);
}
