import { useState } from 'react';
import { usePool, usePools, useRefreshPool } from '../hooks/useSyntheticData';
import { Empty, ErrorBanner, StatusBadge } from '../components/common';
import { fmt } from '../components/charts';

const bytes = (n: number) => (n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`);

export function Pools() {
  const { data, error } = usePools();
  const refresh = useRefreshPool();
  const [open, setOpen] = useState<string | null>(null);
  return (
    <section>
      <header className="page-head">
        <h1>Pools</h1>
      </header>
      <ErrorBanner error={error ?? refresh.error} />
      {data && data.length === 0 && <Empty>No pools: start sdg serve with --pools DIR, or declare pools in a generator.</Empty>}
      {data && data.length > 0 && (
        <table className="list" data-testid="pool-list">
          <thead>
            <tr>
              <th>Name</th>
              <th>Strategy</th>
              <th>Status</th>
              <th className="num">Rows</th>
              <th className="num">Memory</th>
              <th>Origin</th>
              <th>Loaded</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {data.map((p) => (
              <tr key={p.name}>
                <td>
                  <button className="link" onClick={() => setOpen(open === p.name ? null : p.name)}>
                    {p.name}
                  </button>
                </td>
                <td>{p.load_strategy}</td>
                <td>
                  <StatusBadge status={p.status} />
                  {p.last_error && <small className="reason"> {p.last_error}</small>}
                </td>
                <td className="num">{fmt(p.rows)}</td>
                <td className="num">{bytes(p.memory_bytes + p.mapped_bytes)}</td>
                <td>{p.origin}</td>
                <td>{p.loaded_at ?? '–'}</td>
                <td>
                  <button onClick={() => refresh.mutate(p.name)} disabled={refresh.isPending}>
                    Refresh
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {open && <PoolHead name={open} />}
    </section>
  );
}

function PoolHead({ name }: { name: string }) {
  const { data, error } = usePool(name);
  if (error) return <ErrorBanner error={error} />;
  if (!data) return <Empty>Loading…</Empty>;
  const rows = data.head as Record<string, unknown>[];
  return (
    <table className="list preview">
      <caption>
        {name}: first rows of {fmt(data.rows)} ({data.columns.map((c) => `${c.name} ${c.type}`).join(', ')})
      </caption>
      <thead>
        <tr>
          {data.columns.map((c) => (
            <th key={c.name}>{c.name}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((r, i) => (
          <tr key={i}>
            {data.columns.map((c) => (
              <td key={c.name}>{r[c.name] === null ? <i>null</i> : String(r[c.name])}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
