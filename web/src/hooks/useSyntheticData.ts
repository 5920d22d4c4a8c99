// React Query hooks over the service (seed 001: generators poll every 5 s).
// A running generator's metrics come from the SSE stream, falling back to
// polling every second when the stream cannot be read.
import { useEffect, useRef, useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import * as api from '../services/synthetic-data.service';
import type { LifecycleAction, Metrics } from '../types/synthetic-data.types';

export const keys = {
  generators: ['generators'] as const,
  generator: (id: string) => ['generators', id] as const,
  pools: ['pools'] as const,
  pool: (name: string) => ['pools', name] as const,
  universes: ['universes'] as const,
  models: ['models'] as const,
  health: ['health'] as const,
};

/** Polling interval of the generator list (seed 001). */
export const GENERATORS_POLL_MS = 5000;

export function useGenerators() {
  return useQuery({ queryKey: keys.generators, queryFn: api.generators.list, refetchInterval: GENERATORS_POLL_MS });
}

export function useGenerator(id: string) {
  return useQuery({
    queryKey: keys.generator(id),
    queryFn: () => api.generators.get(id),
    refetchInterval: GENERATORS_POLL_MS,
    enabled: id !== '',
  });
}

export function usePools() {
  return useQuery({ queryKey: keys.pools, queryFn: api.pools.list, refetchInterval: 10_000 });
}

export function usePool(name: string) {
  return useQuery({ queryKey: keys.pool(name), queryFn: () => api.pools.get(name) });
}

export function useUniverses() {
  return useQuery({ queryKey: keys.universes, queryFn: api.universes.list, refetchInterval: GENERATORS_POLL_MS });
}

export function useModels() {
  return useQuery({ queryKey: keys.models, queryFn: api.models.list, refetchInterval: 10_000 });
}

export function useHealth() {
  return useQuery({ queryKey: keys.health, queryFn: api.health, refetchInterval: 15_000 });
}

/** start, pause, resume, stop; refreshes the generator and the list. */
export function useLifecycle(id: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (action: LifecycleAction) => api.generators.lifecycle(id, action),
    onSuccess: (g) => {
      qc.setQueryData(keys.generator(id), g);
      void qc.invalidateQueries({ queryKey: keys.generators });
    },
  });
}

export function useDeleteGenerator() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => api.generators.remove(id),
    onSuccess: () => qc.invalidateQueries({ queryKey: keys.generators }),
  });
}

export function useRetune(id: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (patch: unknown) => api.generators.patch(id, patch),
    onSuccess: (g) => {
      qc.setQueryData(keys.generator(id), g);
    },
  });
}

export function useSaveGenerator() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ id, definition }: { id?: string; definition: unknown }) =>
      id ? api.generators.update(id, definition) : api.generators.create(definition),
    onSuccess: () => qc.invalidateQueries({ queryKey: keys.generators }),
  });
}

export function useRefreshPool() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (name: string) => api.pools.refresh(name),
    onSuccess: () => qc.invalidateQueries({ queryKey: keys.pools }),
  });
}

/** One sample of the live series. */
export interface Sample {
  /** ms since the epoch */
  t: number;
  m: Metrics;
}

/** How many samples the charts keep (about five minutes at one a second). */
export const HISTORY = 300;

/**
 * Live metrics of a generator while it runs: the SSE stream, or polling when
 * the stream fails (`source` says which). Keeps the last HISTORY samples.
 */
export function useLiveMetrics(id: string, running: boolean) {
  const qc = useQueryClient();
  const [samples, setSamples] = useState<Sample[]>([]);
  const [source, setSource] = useState<'stream' | 'polling' | 'idle'>('idle');
  const push = useRef((m: Metrics) => setSamples((s) => [...s.slice(-(HISTORY - 1)), { t: Date.now(), m }]));
  useEffect(() => {
    if (!running) {
      setSource('idle');
      return;
    }
    const abort = new AbortController();
    let timer: ReturnType<typeof setInterval> | undefined;
    const poll = () => {
      setSource('polling');
      timer = setInterval(() => {
        api.generators.metrics(id).then(push.current, () => undefined);
      }, 1000);
    };
    setSource('stream');
    api.streamMetrics(id, push.current, abort.signal).then(
      // The stream ends with the run: the generator's status has changed.
      () => void qc.invalidateQueries({ queryKey: keys.generator(id) }),
      () => {
        if (!abort.signal.aborted) poll();
      },
    );
    return () => {
      abort.abort();
      if (timer) clearInterval(timer);
    };
  }, [id, running, qc]);
  return { samples, source };
}
