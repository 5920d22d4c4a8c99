import { useEffect, useMemo, useRef, useState } from 'react';
import { EditorView, basicSetup } from 'codemirror';
import { yaml as yamlLang } from '@codemirror/lang-yaml';
import { lintGutter, setDiagnostics, type Diagnostic } from '@codemirror/lint';
import { stringify } from 'yaml';
import * as api from '../services/synthetic-data.service';
import { useGenerator, useSaveGenerator } from '../hooks/useSyntheticData';
import { ErrorBanner } from '../components/common';
import { locate, parse } from '../editor/paths';
import type { IssueBody, ValidationResponse } from '../types/synthetic-data.types';

// The example generators of configs/, embedded at build time.
const TEMPLATES = import.meta.glob('../../../configs/*.yaml', { query: '?raw', import: 'default', eager: true }) as Record<string, string>;
// Only those that stand alone: files a template reads (pools/…, datasets/…,
// plugins) are relative to configs/, not to the server's directory.
const templateNames = Object.keys(TEMPLATES)
  .filter((p) => !/(^|[\s"'{:,])(\.\.\/|pools\/|datasets\/)/m.test(TEMPLATES[p]))
  .map((p) => p.split('/').pop()!.replace(/\.yaml$/, ''))
  .sort();
const template = (name: string) => TEMPLATES[`../../../configs/${name}.yaml`] ?? '';

const STARTER = `name: my-generator
mode: REALTIME
rate: 1000
end_condition: { type: MANUAL }
destination: { type: BLACKHOLE }
fields:
  - { name: id, type: SEQUENCE }
  - { name: status, type: ENUM_RANDOM, params: { values: [NEW, PAID] } }
`;

/** How long typing must pause before the definition is validated. */
export const VALIDATE_AFTER_MS = 350;

interface Problem extends IssueBody {
  line: number;
}

export function Editor({ id }: { id?: string }) {
  const existing = useGenerator(id ?? '');
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const [text, setText] = useState<string | null>(id ? null : STARTER);
  const [problems, setProblems] = useState<Problem[]>([]);
  const [result, setResult] = useState<ValidationResponse | null>(null);
  // The text the problems and `result` are of (Create waits for the text shown).
  const [checked, setChecked] = useState<string | null>(null);
  const save = useSaveGenerator();

  // An existing generator's definition, as YAML, once.
  useEffect(() => {
    if (id && text === null && existing.data) setText(stringify(existing.data.definition));
  }, [id, text, existing.data]);

  useEffect(() => {
    if (!host.current || text === null || view.current) return;
    view.current = new EditorView({
      doc: text,
      parent: host.current,
      extensions: [basicSetup, yamlLang(), lintGutter(), EditorView.updateListener.of((u) => u.docChanged && setText(u.state.doc.toString()))],
    });
    return () => {
      view.current?.destroy();
      view.current = null;
    };
    // Created once, when the text first exists.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [text === null]);

  // Validate as you type (debounced): syntax first, then the server's rules.
  useEffect(() => {
    if (text === null) return;
    let cancelled = false;
    const timer = setTimeout(async () => {
      const parsed = parse(text);
      let found: (Problem & { from: number; to: number })[] = [];
      let answer: ValidationResponse | null = null;
      if (parsed.error) {
        const e = parsed.error;
        found = [{ path: '', message: `YAML: ${e.message}`, line: e.line, from: e.from, to: e.from + 1 }];
      } else {
        try {
          answer = await api.generators.validate(new api.Text(text), 5);
        } catch (err) {
          const msg = err instanceof Error ? err.message : String(err);
          found = [{ path: '', message: msg, line: 1, from: 0, to: 0 }];
        }
        if (answer && !answer.valid) {
          found = answer.errors.map((e) => {
            const at = locate(text, parsed.doc, e.path);
            return { ...e, line: at.line, from: at.from, to: at.to };
          });
        }
      }
      if (cancelled) return;
      setResult(answer);
      setProblems(found);
      setChecked(text);
      const v = view.current;
      if (v) {
        const len = v.state.doc.length;
        const diagnostics: Diagnostic[] = found.map((p) => ({
          from: Math.min(p.from, len),
          to: Math.min(Math.max(p.to, p.from), len),
          severity: 'error',
          message: (p.path ? `${p.path}: ` : '') + p.message + (p.hint ? ` — ${p.hint}` : ''),
        }));
        v.dispatch(setDiagnostics(v.state, diagnostics));
      }
    }, VALIDATE_AFTER_MS);
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [text]);

  const loadTemplate = (name: string) => {
    const t = template(name);
    const v = view.current;
    if (v && t) v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: t } });
  };

  const preview = useMemo(() => (result?.valid ? (result as ValidationResponse & { preview?: Record<string, unknown>[] }).preview ?? [] : []), [result]);

  return (
    <section>
      <header className="page-head">
        <h1>{id ? `Edit ${existing.data?.name ?? ''}` : 'New generator'}</h1>
        <label>
          Template{' '}
          <select aria-label="Template" value="" onChange={(e) => e.target.value && loadTemplate(e.target.value)}>
            <option value="">—</option>
            {templateNames.map((n) => (
              <option key={n}>{n}</option>
            ))}
          </select>
        </label>
        <button
          disabled={text === null || checked !== text || problems.length > 0 || save.isPending}
          onClick={() => {
            if (text === null) return;
            save.mutate(
              { id, definition: new api.Text(text) },
              { onSuccess: (g) => (location.hash = `#/generators/${g.id}`) },
            );
          }}
        >
          {id ? 'Save' : 'Create'}
        </button>
      </header>
      <p className="hint">YAML or JSON, the model of docs/CONFIG.md. Problems appear at their line as you type.</p>
      <div className="editor" ref={host} data-testid="editor" />
      <div className="problems" data-testid="problems" aria-live="polite">
        {problems.length === 0 ? (
          <p className="ok">{result?.valid ? `Valid: ${(result.fields ?? []).map((f) => `${f.name} ${f.data_type}`).join(', ')}` : ' '}</p>
        ) : (
          <ul>
            {problems.map((p, i) => (
              <li key={i} className="problem">
                <span className="line">line {p.line}</span> <code>{p.path || '(definition)'}</code> {p.message}
                {p.hint && <em> — {p.hint}</em>}
              </li>
            ))}
          </ul>
        )}
      </div>
      <ErrorBanner error={save.error} />
      {preview.length > 0 && (
        <table className="list preview" data-testid="preview">
          <caption>First rows</caption>
          <thead>
            <tr>
              {Object.keys(preview[0]).map((k) => (
                <th key={k}>{k}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {preview.map((row, i) => (
              <tr key={i}>
                {Object.values(row).map((v, j) => (
                  <td key={j}>{v === null ? <i>null</i> : String(v)}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
