import { useRef, useState } from 'react';
import { useGenerators } from '../hooks/useSyntheticData';
import { Sparkline, fmt } from '../components/charts';
import { Empty, ErrorBanner, StatusBadge } from '../components/common';
import { STATUSES, type Metrics } from '../types/synthetic-data.types';

/** Rows/s seen per generator at each poll, for the sparklines. */
function useRateHistory(list: { id: string; metrics?: unknown }[] | undefined) {
  const history = useRef(new Map<string, number[]>());
  const seen = useRef<unknown>(null);
  if (list && list !== seen.current) {
    seen.current = list;
    for (const g of list) {
      const m = g.metrics as Metrics | null | undefined;
      const h = history.current.get(g.id) ?? [];
      h.push(m?.rows_per_sec ?? 0);
      history.current.set(g.id, h.slice(-30));
    }
  }
  return history.current;
}

export function GeneratorList() {
  const { data, error, isLoading } = useGenerators();
  const [filter, setFilter] = useState('');
  const history = useRateHistory(data);
  const shown = (data ?? []).filter((g) => !filter || g.status === filter);
  return (
    <section>
      <header className="page-head">
        <h1>Generators</h1>
        <label>
          Status{' '}
          <select aria-label="Filter by status" value={filter} onChange={(e) => setFilter(e.target.value)}>
            <option value="">all</option>
            {STATUSES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <a className="button" href="#/new">
          New generator
        </a>
      </header>
      <ErrorBanner error={error} />
      {isLoading ? (
        <Empty>Loading…</Empty>
      ) : shown.length === 0 ? (
        <Empty>{filter ? `No ${filter} generators.` : 'No generators yet: create one.'}</Empty>
      ) : (
        <table className="list" data-testid="generator-list">
          <thead>
            <tr>
              <th>Name</th>
              <th>Status</th>
              <th>Mode</th>
              <th className="num">Rows/s</th>
              <th>Last 2.5 min</th>
              <th className="num">Delivered</th>
              <th className="num">Errors</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((g) => {
              const m = g.metrics as Metrics | null | undefined;
              return (
                <tr key={g.id}>
                  <td>
                    <a href={`#/generators/${g.id}`}>{g.name}</a>
                    {g.universe && <small> (universe)</small>}
                  </td>
                  <td>
                    <StatusBadge status={g.status} />
                  </td>
                  <td>{String(g.definition.mode ?? 'BATCH')}</td>
                  <td className="num">{fmt(m?.rows_per_sec ?? 0)}</td>
                  <td>
                    <Sparkline values={history.get(g.id) ?? []} label={`rows per second of ${g.name}`} />
                  </td>
                  <td className="num">{fmt(m?.rows_delivered ?? 0)}</td>
                  <td className="num">{m?.errors ?? 0}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
