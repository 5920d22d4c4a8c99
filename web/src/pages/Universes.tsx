import { useUniverses } from '../hooks/useSyntheticData';
import { Empty, ErrorBanner, StatusBadge } from '../components/common';
import { fmt } from '../components/charts';
import type { UniverseMember } from '../types/synthetic-data.types';

/** Members by depth: roots in column 0, a child one column right of its deepest parent. */
export function layers(members: UniverseMember[]): UniverseMember[][] {
  const depth = new Map<string, number>();
  const by = new Map(members.map((m) => [m.name, m]));
  const visit = (m: UniverseMember, seen: Set<string>): number => {
    if (depth.has(m.name)) return depth.get(m.name)!;
    if (seen.has(m.name)) return 0;
    seen.add(m.name);
    const d = Math.max(-1, ...m.parents.map((p) => (by.has(p) ? visit(by.get(p)!, seen) : -1))) + 1;
    depth.set(m.name, d);
    return d;
  };
  members.forEach((m) => visit(m, new Set()));
  const out: UniverseMember[][] = [];
  for (const m of members) (out[depth.get(m.name)!] ??= []).push(m);
  return out;
}

function Graph({ members }: { members: UniverseMember[] }) {
  const cols = layers(members);
  const w = 170;
  const h = 56;
  const pos = new Map<string, { x: number; y: number }>();
  cols.forEach((col, i) => col.forEach((m, j) => pos.set(m.name, { x: 10 + i * (w + 50), y: 10 + j * (h + 20) })));
  const width = 20 + cols.length * (w + 50);
  const height = 20 + Math.max(...cols.map((c) => c.length)) * (h + 20);
  return (
    <svg className="graph" viewBox={`0 0 ${width} ${height}`} width={width} height={height} role="img" aria-label="members and their parents">
      {members.flatMap((m) =>
        m.parents
          .filter((p) => pos.has(p))
          .map((p) => {
            const a = pos.get(p)!;
            const b = pos.get(m.name)!;
            return <line key={`${p}-${m.name}`} x1={a.x + w} y1={a.y + h / 2} x2={b.x} y2={b.y + h / 2} className="edge" markerEnd="url(#arrow)" />;
          }),
      )}
      <defs>
        <marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto">
          <path d="M0,0 L10,5 L0,10 z" />
        </marker>
      </defs>
      {members.map((m) => {
        const p = pos.get(m.name)!;
        return (
          <g key={m.name} transform={`translate(${p.x},${p.y})`} className={`node status-${m.status.toLowerCase()}`}>
            <rect width={w} height={h} rx="6" />
            <text x="8" y="20">
              {m.name}
            </text>
            <text x="8" y="40" className="small">
              {m.status} · {fmt(m.rows_delivered)} rows
            </text>
          </g>
        );
      })}
    </svg>
  );
}

export function Universes() {
  const { data, error } = useUniverses();
  return (
    <section>
      <header className="page-head">
        <h1>Universes</h1>
      </header>
      <ErrorBanner error={error} />
      {data && data.length === 0 && <Empty>No universes: POST /api/v1/universes with a universe file (docs/API.md).</Empty>}
      <div data-testid="universe-list">
        {data?.map((u) => (
          <article key={u.id} className="universe">
            <h2>
              {u.name} <StatusBadge status={u.status} />
            </h2>
            <Graph members={u.members} />
            <ul>
              {u.members.map((m) => (
                <li key={m.name}>
                  <a href={`#/generators/${m.generator_id}`}>{m.name}</a> <StatusBadge status={m.status} />
                  {m.parents.length > 0 && <small> ← {m.parents.join(', ')}</small>}
                  {m.status_reason && <small className="reason"> {m.status_reason}</small>}
                </li>
              ))}
            </ul>
          </article>
        ))}
      </div>
    </section>
  );
}
