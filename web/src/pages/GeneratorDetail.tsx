import { useState } from 'react';
import { useDeleteGenerator, useGenerator, useLifecycle, useLiveMetrics, useRetune } from '../hooks/useSyntheticData';
import { LineChart, fmt } from '../components/charts';
import { Empty, ErrorBanner, StatusBadge } from '../components/common';
import { allowedActions, type Metrics } from '../types/synthetic-data.types';
import { Profile } from './Profile';

export function GeneratorDetail({ id }: { id: string }) {
  const { data: g, error } = useGenerator(id);
  const lifecycle = useLifecycle(id);
  const remove = useDeleteGenerator();
  const running = g?.status === 'RUNNING' || g?.status === 'PAUSED';
  const { samples, source } = useLiveMetrics(id, running);
  if (error) return <ErrorBanner error={error} />;
  if (!g) return <Empty>Loading…</Empty>;
  // Live samples while running; the generator's own (final) snapshot after.
  const m = ((running ? samples.at(-1)?.m : undefined) ?? g.metrics) as Metrics | null | undefined;
  const actions = g.universe ? [] : allowedActions(g.status, g.resumable === true);
  const series = (f: (m: Metrics) => number | null | undefined) => samples.map((s) => f(s.m) ?? null);
  return (
    <section>
      <header className="page-head">
        <h1>{g.name}</h1>
        <StatusBadge status={g.status} />
        {g.shard && <span className="badge">shard {g.shard}</span>}
        <div className="actions" role="group" aria-label="Lifecycle">
          {actions.map((a) => (
            <button key={a} onClick={() => lifecycle.mutate(a)} disabled={lifecycle.isPending}>
              {a[0].toUpperCase() + a.slice(1)}
            </button>
          ))}
          {!g.universe && (
            <button
              className="danger"
              onClick={() => {
                if (confirm(`Delete ${g.name}? A running generator is stopped first.`)) {
                  remove.mutate(id, { onSuccess: () => (location.hash = '#/generators') });
                }
              }}
            >
              Delete
            </button>
          )}
          {!g.universe && !running && (
            <a className="button ghost" href={`#/generators/${id}/edit`}>
              Edit
            </a>
          )}
        </div>
      </header>
      {g.universe && (
        <p>
          A member of <a href={`#/universes`}>a universe</a>: start and stop it with the universe.
        </p>
      )}
      <ErrorBanner error={lifecycle.error ?? remove.error} />
      {g.status_reason && <p className="reason">{g.status_reason}</p>}
      {m?.last_error && (
        <div className="error" role="status">
          Last error: {m.last_error}
        </div>
      )}
      {running && <Retune id={id} rate={g.definition.rate} />}
      <dl className="stats" data-testid="stats">
        <dt>Delivered</dt>
        <dd data-testid="rows-delivered">{m?.rows_delivered ?? 0}</dd>
        <dt>Rows/s</dt>
        <dd>{fmt(m?.rows_per_sec ?? 0)}</dd>
        <dt>Target</dt>
        <dd>{fmt(m?.target_rows_per_sec ?? null)}</dd>
        <dt>Failed</dt>
        <dd>{m?.rows_failed ?? 0}</dd>
        <dt>Errors</dt>
        <dd>{m?.errors ?? 0}</dd>
        <dt>Queue</dt>
        <dd>{m?.queue_depth ?? 0}</dd>
        <dt>Live</dt>
        <dd>{source}</dd>
      </dl>
      {samples.length > 0 && (
        <div className="charts">
          <LineChart
            title="Rows per second"
            unit="rows/s"
            testId="chart-rate"
            series={[
              { name: 'achieved', className: 's1', values: series((m) => m.rows_per_sec) },
              { name: 'target', className: 's2', values: series((m) => m.target_rows_per_sec ?? null) },
            ]}
          />
          <LineChart
            title="Rows delivered"
            unit="rows"
            testId="chart-delivered"
            series={[{ name: 'delivered', className: 's1', values: series((m) => m.rows_delivered) }]}
          />
          <LineChart
            title="Latency per batch"
            unit="µs"
            series={[
              { name: 'generate p50', className: 's1', values: series((m) => m.gen_latency_us.p50) },
              { name: 'generate p99', className: 's3', values: series((m) => m.gen_latency_us.p99) },
              { name: 'sink p50', className: 's2', values: series((m) => m.sink_latency_us.p50) },
              { name: 'sink p99', className: 's4', values: series((m) => m.sink_latency_us.p99) },
            ]}
          />
          <LineChart
            title="Queue depth (backpressure)"
            unit="batches"
            series={[{ name: 'queued', className: 's2', values: series((m) => m.queue_depth) }]}
          />
        </div>
      )}
      <Profile id={id} />
      <details>
        <summary>Definition</summary>
        <pre>{JSON.stringify(g.definition, null, 2)}</pre>
      </details>
    </section>
  );
}

/** The rate of a running generator (PATCH; a profile is shown, not edited here). */
function Retune({ id, rate }: { id: string; rate: unknown }) {
  const retune = useRetune(id);
  const [value, setValue] = useState(typeof rate === 'number' ? String(rate) : '');
  if (rate !== undefined && rate !== null && typeof rate !== 'number') {
    return <p>Rate: a profile ({JSON.stringify(rate)}); edit it with PATCH or the editor.</p>;
  }
  return (
    <form
      className="retune"
      onSubmit={(e) => {
        e.preventDefault();
        const n = Number(value);
        retune.mutate({ rate: value === '' ? null : n });
      }}
    >
      <label>
        Rate (rows/s){' '}
        <input aria-label="Rate" type="number" min="0" step="any" value={value} onChange={(e) => setValue(e.target.value)} placeholder="unpaced" />
      </label>
      <button type="submit" disabled={retune.isPending}>
        Retune
      </button>
      {retune.data?.applied_from_row !== undefined && retune.data?.applied_from_row !== null && (
        <span> applied from row {retune.data.applied_from_row}</span>
      )}
      <ErrorBanner error={retune.error} />
    </form>
  );
}
