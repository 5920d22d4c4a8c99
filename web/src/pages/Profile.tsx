import { useMutation } from '@tanstack/react-query';
import * as api from '../services/synthetic-data.service';
import { ApiError } from '../services/synthetic-data.service';
import { ErrorBanner } from '../components/common';
import { fmt } from '../components/charts';

interface Bin {
  lower: number;
  upper: number;
  count: number;
}
interface FieldProfile {
  name: string;
  data_type: string;
  count: number;
  nulls: number;
  null_ratio: number;
  distinct: number;
  distinct_exact: boolean;
  min?: string;
  max?: string;
  mean?: number;
  stddev?: number;
  top: { value: string; count: number }[];
  histogram: Bin[];
}
interface Profiled {
  rows: number;
  seed: number;
  elapsed_ms: number;
  fields: FieldProfile[];
}

/** Per-field histograms, top values and null rates of the generator's first rows. */
export function Profile({ id }: { id: string }) {
  const run = useMutation({ mutationFn: () => api.generators.profile(id, 10000) as Promise<unknown> as Promise<Profiled> });
  const lacking = run.error instanceof ApiError && run.error.status === 501;
  return (
    <section className="profile">
      <h2>
        Profile{' '}
        <button onClick={() => run.mutate()} disabled={run.isPending}>
          {run.data ? 'Again' : 'Profile 10 000 rows'}
        </button>
      </h2>
      {lacking ? (
        <p className="lacking">This server has no profiling (a build without the `profiling` feature): {run.error?.message}</p>
      ) : (
        <ErrorBanner error={run.error} />
      )}
      {run.data && (
        <>
          <p>
            {run.data.rows} rows, seed {run.data.seed}, {run.data.elapsed_ms} ms.
          </p>
          <div className="profiles" data-testid="profiles">
            {run.data.fields.map((f) => (
              <article key={f.name} className="field-profile">
                <h3>
                  {f.name} <small>{f.data_type}</small>
                </h3>
                <p>
                  nulls {(f.null_ratio * 100).toFixed(1)} % · distinct {f.distinct_exact ? '' : '≈'}
                  {fmt(f.distinct)}
                  {f.mean !== undefined && ` · mean ${fmt(f.mean)} ± ${fmt(f.stddev ?? 0)}`}
                </p>
                {f.histogram.length > 0 && <Histogram bins={f.histogram} />}
                {f.histogram.length === 0 && f.top.length > 0 && (
                  <ol className="top">
                    {f.top.slice(0, 5).map((t) => (
                      <li key={t.value}>
                        <code>{t.value}</code> {t.count}
                      </li>
                    ))}
                  </ol>
                )}
              </article>
            ))}
          </div>
        </>
      )}
    </section>
  );
}

function Histogram({ bins }: { bins: Bin[] }) {
  const max = Math.max(1, ...bins.map((b) => b.count));
  return (
    <svg className="histogram" viewBox={`0 0 ${bins.length * 10} 40`} preserveAspectRatio="none" role="img" aria-label="histogram">
      {bins.map((b, i) => (
        <rect key={i} x={i * 10 + 1} width={8} y={40 - (b.count / max) * 40} height={(b.count / max) * 40}>
          <title>
            {fmt(b.lower)} – {fmt(b.upper)}: {b.count}
          </title>
        </rect>
      ))}
    </svg>
  );
}
