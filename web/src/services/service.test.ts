// The service against a real sdg serve (src/test/global-setup.ts).
import { describe, expect, it } from 'vitest';
import * as api from './synthetic-data.service';
import { ApiError } from './synthetic-data.service';
import { paced } from '../test/fixtures';

describe('synthetic-data.service', () => {
  it('turns the error body into an ApiError with every problem', async () => {
    const bad = { ...paced('bad'), fields: [{ name: 'x', type: 'NUMERIC_RANGE', params: { min: 10, max: 5 } }] };
    const err = await api.generators.create(bad).catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(400);
    expect(err.body.errors[0].path).toBe('fields[0].params');
    const v = await api.generators.validate(bad);
    expect(v.valid).toBe(false);
  });

  it('runs a generator through its lifecycle and streams its metrics', async () => {
    const g = await api.generators.create(paced('svc'));
    expect(g.status).toBe('CREATED');
    expect((await api.generators.list()).some((x) => x.id === g.id)).toBe(true);
    expect((await api.generators.lifecycle(g.id, 'start')).status).toBe('RUNNING');
    const seen: number[] = [];
    const abort = new AbortController();
    await Promise.race([
      api.streamMetrics(g.id, (m) => {
        seen.push(m.rows_delivered);
        if (seen.length >= 3) abort.abort();
      }, abort.signal).catch(() => undefined),
      new Promise((r) => setTimeout(r, 10_000)),
    ]);
    expect(seen.length).toBeGreaterThanOrEqual(3);
    expect(seen[2]).toBeGreaterThan(seen[0]);
    expect((await api.generators.lifecycle(g.id, 'pause')).status).toBe('PAUSED');
    const refused = await api.generators.lifecycle(g.id, 'pause').catch((e) => e);
    expect(refused).toBeInstanceOf(ApiError);
    expect(refused.status).toBe(409);
    expect((await api.generators.lifecycle(g.id, 'stop')).status).toBe('STOPPED');
    await api.generators.remove(g.id);
    expect((await api.generators.get(g.id).catch((e) => e)).status).toBe(404);
  });

  it('lists the server pools and validates with a preview', async () => {
    const pools = await api.pools.list();
    expect(pools.map((p) => p.name)).toContain('countries');
    const v = await api.generators.validate(paced('p'), 3);
    expect(v.valid).toBe(true);
    expect((v as { preview?: unknown[] }).preview).toHaveLength(3);
  });
});
