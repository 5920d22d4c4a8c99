// Every call the console makes to sdg's API (seed 001's generator, pool and
// universe operations, and the model routes), with the API key of the tab's
// session and the server's error body turned into an ApiError.
import type {
  ErrorBody,
  GeneratorResponse,
  Health,
  LifecycleAction,
  Metrics,
  ModelPage,
  PatchResponse,
  PoolDetail,
  PoolResponse,
  UniverseResponse,
  ValidationResponse,
} from '../types/synthetic-data.types';

// The server's origin: the page's own in the browser (''); tests set
// `globalThis.SDG_ORIGIN` to the `sdg serve` they started.
const base = () => ((globalThis as { SDG_ORIGIN?: string }).SDG_ORIGIN ?? '') + '/api/v1';
const KEY = 'sdg.apiKey';

/** The API key, kept for this tab's session only (sessionStorage). */
export const apiKey = {
  get: (): string | null => sessionStorage.getItem(KEY),
  set: (key: string) => (key ? sessionStorage.setItem(KEY, key) : sessionStorage.removeItem(KEY)),
};

/** An answer that is not 2xx: the status and the server's error body. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorBody,
  ) {
    super(body.detail);
    this.name = 'ApiError';
  }
}

function headers(json: boolean): HeadersInit {
  const h: Record<string, string> = { Accept: 'application/json' };
  if (json) h['Content-Type'] = 'application/json';
  const key = apiKey.get();
  if (key) h['X-API-Key'] = key;
  return h;
}

/** A definition's text as the user wrote it (YAML or JSON): sent as YAML, so
 * the server reads its numbers (a 64-bit seed) without JavaScript's rounding. */
export class Text {
  constructor(readonly text: string) {}
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const h = headers(body !== undefined) as Record<string, string>;
  if (body instanceof Text) h['Content-Type'] = 'application/yaml';
  const res = await fetch(base() + path, {
    method,
    headers: h,
    body: body === undefined ? undefined : body instanceof Text ? body.text : JSON.stringify(body),
  });
  const text = await res.text();
  const parsed = text ? safeJson(text) : null;
  if (!res.ok) {
    const err: ErrorBody =
      parsed && typeof parsed === 'object' && 'detail' in parsed
        ? (parsed as ErrorBody)
        : { detail: text || res.statusText, error_code: 'HTTP_' + res.status, status_code: res.status };
    throw new ApiError(res.status, err);
  }
  return parsed as T;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

export const generators = {
  list: () => call<GeneratorResponse[]>('GET', '/generators'),
  get: (id: string) => call<GeneratorResponse>('GET', `/generators/${encodeURIComponent(id)}`),
  create: (definition: unknown) => call<GeneratorResponse>('POST', '/generators', definition),
  update: (id: string, definition: unknown) =>
    call<GeneratorResponse>('PUT', `/generators/${encodeURIComponent(id)}`, definition),
  patch: (id: string, patch: unknown) =>
    call<PatchResponse>('PATCH', `/generators/${encodeURIComponent(id)}`, patch),
  remove: (id: string) => call<unknown>('DELETE', `/generators/${encodeURIComponent(id)}`),
  validate: (definition: unknown, preview = 0) =>
    call<ValidationResponse>('POST', `/generators/validate${preview ? `?preview=${preview}` : ''}`, definition),
  lifecycle: (id: string, action: LifecycleAction) =>
    call<GeneratorResponse>('POST', `/generators/${encodeURIComponent(id)}/${action}`),
  metrics: (id: string) => call<Metrics>('GET', `/generators/${encodeURIComponent(id)}/metrics`),
  profile: (id: string, rows = 10000) =>
    call<Record<string, unknown>>('POST', `/generators/${encodeURIComponent(id)}/profiling?rows=${rows}`),
};

export const pools = {
  list: () => call<PoolResponse[]>('GET', '/pools'),
  get: (name: string, head = 10) => call<PoolDetail>('GET', `/pools/${encodeURIComponent(name)}?head=${head}`),
  refresh: (name: string) => call<PoolResponse>('POST', `/pools/${encodeURIComponent(name)}/refresh`),
};

export const universes = {
  list: () => call<UniverseResponse[]>('GET', '/universes'),
  get: (id: string) => call<UniverseResponse>('GET', `/universes/${encodeURIComponent(id)}`),
};

export const models = {
  list: () => call<ModelPage>('GET', '/models?limit=100'),
};

export const health = () => call<Health>('GET', '/health');

/**
 * Follows `GET /generators/{id}/metrics/stream` (Server-Sent Events) through
 * fetch, so the API key travels as a header (EventSource cannot send one).
 * Calls `onMetrics` per event; resolves when the stream ends (the run ended)
 * and rejects when it cannot be read, so the caller can fall back to polling.
 */
export async function streamMetrics(
  id: string,
  onMetrics: (m: Metrics) => void,
  signal: AbortSignal,
): Promise<void> {
  const res = await fetch(`${base()}/generators/${encodeURIComponent(id)}/metrics/stream`, {
    headers: { ...headers(false), Accept: 'text/event-stream' },
    signal,
  });
  if (!res.ok || !res.body) throw new Error(`metrics stream: HTTP ${res.status}`);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    // CRLF and CR line ends as LF (a CR at the end may start a CRLF: keep it for the next chunk).
    buffer = (buffer + value).replace(/\r\n/g, '\n');
    const held = buffer.endsWith('\r') ? '\r' : '';
    buffer = buffer.slice(0, buffer.length - held.length).replace(/\r/g, '\n') + held;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = event
        .split('\n')
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).trimStart())
        .join('\n');
      if (data) {
        const m = safeJson(data);
        if (m && typeof m === 'object') onMetrics(m as Metrics);
      }
    }
  }
}
