import { describe, expect, it } from 'vitest';
import { layers } from './Universes';

const m = (name: string, parents: string[] = []) => ({ name, parents, generator_id: name, rows_delivered: 0, status: 'CREATED' });

describe('the member graph', () => {
  it('puts each member one column right of its deepest parent', () => {
    const cols = layers([m('transactions', ['accounts']), m('customers'), m('accounts', ['customers']), m('audit', ['customers', 'transactions'])]);
    expect(cols.map((c) => c.map((x) => x.name))).toEqual([['customers'], ['accounts'], ['transactions'], ['audit']]);
  });
});
