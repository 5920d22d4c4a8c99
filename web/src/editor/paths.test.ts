import { describe, expect, it } from 'vitest';
import { locate, parse, splitPath } from './paths';

const YAML = `name: t
destination: { type: BLACKHOLE }
fields:
  - { name: id, type: SEQUENCE }
  - name: amount
    type: NUMERIC_RANGE
    params:
      min: 10
      max: 5
`;

describe('error paths in the edited text', () => {
  it('splits sdg paths', () => {
    expect(splitPath('fields[1].params.min')).toEqual(['fields', 1, 'params', 'min']);
    expect(splitPath('')).toEqual([]);
  });

  it('finds the line of a value in YAML', () => {
    const { doc } = parse(YAML);
    expect(locate(YAML, doc, 'fields[1].params.min')).toMatchObject({ line: 8, exact: true });
    // A block value: its key's line.
    expect(locate(YAML, doc, 'fields[1].params')).toMatchObject({ line: 7 });
    expect(locate(YAML, doc, 'fields[0].name')).toMatchObject({ line: 4, exact: true });
  });

  it('falls back to the deepest part that exists', () => {
    const { doc } = parse(YAML);
    const at = locate(YAML, doc, 'fields[1].params.distribution');
    expect(at.exact).toBe(false);
    expect(at.line).toBe(7);
    expect(locate(YAML, doc, '').line).toBe(1);
  });

  it('reads JSON too', () => {
    const json = JSON.stringify({ name: 't', fields: [{ name: 'a' }, { name: 'b', params: { min: 3 } }] }, null, 2);
    const { doc } = parse(json);
    const at = locate(json, doc, 'fields[1].params.min');
    expect(json.split('\n')[at.line - 1]).toContain('"min": 3');
  });

  it('reports a syntax error with its line', () => {
    const { error } = parse('name: t\nfields: [\n  - x\n');
    expect(error).toBeDefined();
    expect(error!.line).toBeGreaterThanOrEqual(2);
  });
});
