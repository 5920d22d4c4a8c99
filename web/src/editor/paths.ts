// Where an error's path (`fields[4].params.min`, as sdg reports it) is in the
// YAML or JSON text being edited.
import { isMap, isNode, isPair, isScalar, isSeq, parseDocument, type Document, type Node } from 'yaml';

/** `fields[4].params.min` → ['fields', 4, 'params', 'min']. */
export function splitPath(path: string): (string | number)[] {
  const out: (string | number)[] = [];
  for (const part of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    if (part[2] !== undefined) out.push(Number(part[2]));
    else out.push(part[1]);
  }
  return out;
}

export interface Located {
  /** Offsets into the text: the value at the path, or the deepest part of it that exists. */
  from: number;
  to: number;
  /** 1-based line of `from`. */
  line: number;
  /** True when the whole path exists (not just a parent of it). */
  exact: boolean;
}

/** The text range of `path` in `doc` (see Located). */
export function locate(text: string, doc: Document, path: string): Located {
  const parts = splitPath(path);
  let node: unknown = doc.contents;
  let range: [number, number] | null = null;
  let exact = true;
  for (const key of parts) {
    let next: unknown = undefined;
    let keyNode: unknown = undefined;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(key));
      if (pair && isPair(pair)) {
        next = pair.value;
        keyNode = pair.key;
      }
    } else if (isSeq(node) && typeof key === 'number') {
      next = node.items[key];
    }
    if (next === undefined || next === null) {
      exact = false;
      break;
    }
    node = next;
    // A key's own range (its line) when its value is a block collection
    // below it; else the value's.
    const k = isNode(keyNode) ? (keyNode as Node).range : null;
    const block = (isMap(next) || isSeq(next)) && !(next as { flow?: boolean }).flow;
    const v = isNode(next) ? (next as Node).range : null;
    range = block && k ? [k[0], k[1]] : v ? [v[0], v[1]] : k ? [k[0], k[1]] : range;
  }
  if (!range && isNode(doc.contents) && (doc.contents as Node).range) {
    const r = (doc.contents as Node).range!;
    range = [r[0], Math.min(r[1], r[0] + 1)];
  }
  const [from, to] = range ?? [0, 0];
  return { from, to: Math.max(to, from), line: lineOf(text, from), exact: exact && parts.length > 0 };
}

export function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** The text parsed (YAML, or JSON, which YAML reads too): the value, or the first syntax error. */
export function parse(text: string): { doc: Document; value?: unknown; error?: { message: string; from: number; line: number } } {
  const doc = parseDocument(text, { prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const from = e.pos[0];
    return { doc, error: { message: e.message.split('\n')[0], from, line: lineOf(text, from) } };
  }
  try {
    return { doc, value: doc.toJS({ maxAliasCount: 100 }) };
  } catch (e) {
    return { doc, error: { message: e instanceof Error ? e.message : String(e), from: 0, line: 1 } };
  }
}
