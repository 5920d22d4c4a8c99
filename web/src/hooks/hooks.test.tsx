// The React Query hooks against a real sdg serve.
import { describe, expect, it } from 'vitest';
import { renderHook, waitFor } from '@testing-library/react';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import * as api from '../services/synthetic-data.service';
import { GENERATORS_POLL_MS, useGenerators, useLiveMetrics } from './useSyntheticData';
import { paced } from '../test/fixtures';

const wrapper = ({ children }: { children: ReactNode }) => (
  <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>{children}</QueryClientProvider>
);

describe('hooks', () => {
  it('polls generators every 5 s, as seed 001 says', async () => {
    expect(GENERATORS_POLL_MS).toBe(5000);
    const g = await api.generators.create(paced('hook-list'));
    const { result } = renderHook(() => useGenerators(), { wrapper });
    await waitFor(() => expect(result.current.data?.some((x) => x.id === g.id)).toBe(true));
    await api.generators.remove(g.id);
  });

  it('follows a running generator live from the stream', async () => {
    const g = await api.generators.create(paced('hook-live'));
    await api.generators.lifecycle(g.id, 'start');
    const { result, unmount } = renderHook(() => useLiveMetrics(g.id, true), { wrapper });
    await waitFor(() => expect(result.current.samples.length).toBeGreaterThanOrEqual(2), { timeout: 8000 });
    expect(result.current.source).toBe('stream');
    const s = result.current.samples;
    expect(s[s.length - 1].m.rows_delivered).toBeGreaterThan(s[0].m.rows_delivered);
    unmount();
    await api.generators.remove(g.id);
  });
});
