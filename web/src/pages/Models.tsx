import { useModels } from '../hooks/useSyntheticData';
import { ApiError } from '../services/synthetic-data.service';
import { Empty, ErrorBanner, StatusBadge } from '../components/common';
import { fmt } from '../components/charts';

interface Fidelity {
  quality?: number;
  columns?: { name: string; ks?: number; tv?: number }[];
  [k: string]: unknown;
}

export function Models() {
  const { data, error } = useModels();
  if (error instanceof ApiError && error.status === 404) {
    return <Empty>This server has no model routes ({error.message}).</Empty>;
  }
  return (
    <section>
      <header className="page-head">
        <h1>Models</h1>
      </header>
      <ErrorBanner error={error} />
      {data && data.items.length === 0 && <Empty>No models: upload a dataset and POST /api/v1/models (docs/API.md).</Empty>}
      {data?.items.map((m) => {
        const f = (m.fidelity ?? null) as Fidelity | null;
        return (
          <article key={m.id} className="model">
            <h2>
              {m.name} <StatusBadge status={m.status.toUpperCase()} /> <small>{m.model_type}</small>
            </h2>
            <p>
              Dataset {m.dataset_name} (version {m.dataset_version}), {m.source_rows ? fmt(m.source_rows) : '–'} rows, {m.columns.length} columns.
              {m.status_reason && <span className="reason"> {m.status_reason}</span>}
            </p>
            {f && (
              <details open>
                <summary>Fidelity{typeof f.quality === 'number' ? `: quality ${f.quality.toFixed(3)}` : ''}</summary>
                <pre>{JSON.stringify(f, null, 2)}</pre>
              </details>
            )}
          </article>
        );
      })}
    </section>
  );
}
