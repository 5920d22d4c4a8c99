// The console's names for the API's types. Every shape comes from
// `openapi.ts`, generated from sdg's own /openapi.json by
// web/scripts/openapi.sh (scripts/test.sh fails when it is stale), so the
// console cannot drift from the API.
import type { components } from './openapi';

type Schemas = components['schemas'];

export type GeneratorResponse = Schemas['GeneratorResponse'];
export type GeneratorDefinition = Schemas['GeneratorDefinition'];
export type ValidationResponse = Schemas['ValidationResponse'];
export type IssueBody = Schemas['IssueBody'];
export type ErrorBody = Schemas['ErrorBody'];
export type PoolResponse = Schemas['PoolResponse'];
export type PoolDetail = Schemas['PoolDetail'];
export type UniverseResponse = Schemas['UniverseResponse'];
export type UniverseMember = Schemas['UniverseMember'];
export type ModelResponse = Schemas['ModelResponse'];
export type ModelPage = Schemas['ModelPage'];
export type Health = Schemas['Health'];
export type PatchResponse = Schemas['PatchResponse'];
export type Metrics = Schemas['MetricsSnapshot'];
export type Latency = Schemas['Latency'];

/** GeneratorStatus of seed 001. */
export const STATUSES = ['CREATED', 'RUNNING', 'PAUSED', 'COMPLETED', 'STOPPED', 'FAILED'] as const;
export type GeneratorStatus = (typeof STATUSES)[number];

export type LifecycleAction = 'start' | 'pause' | 'resume' | 'stop';

/** The lifecycle calls a generator in `status` accepts (the server's rules, docs/API.md). */
export function allowedActions(status: string, interrupted = false): LifecycleAction[] {
  switch (status) {
    case 'CREATED':
    case 'COMPLETED':
    case 'FAILED':
      return ['start'];
    case 'STOPPED':
      return interrupted ? ['start', 'resume'] : ['start'];
    case 'RUNNING':
      return ['pause', 'stop'];
    case 'PAUSED':
      return ['resume', 'stop'];
    default:
      return [];
  }
}
