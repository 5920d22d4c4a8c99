import { describe, expect, it } from 'vitest';
import { allowedActions } from './synthetic-data.types';

describe('lifecycle buttons', () => {
  it('offer only the transitions the server accepts', () => {
    expect(allowedActions('CREATED')).toEqual(['start']);
    expect(allowedActions('RUNNING')).toEqual(['pause', 'stop']);
    expect(allowedActions('PAUSED')).toEqual(['resume', 'stop']);
    expect(allowedActions('COMPLETED')).toEqual(['start']);
    expect(allowedActions('STOPPED')).toEqual(['start']);
    expect(allowedActions('STOPPED', true)).toEqual(['start', 'resume']);
    expect(allowedActions('FAILED')).toEqual(['start']);
  });
});
