import { useState } from 'react';
import { ApiError, apiKey } from '../services/synthetic-data.service';

export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge status-${status.toLowerCase()}`}>{status}</span>;
}

/** An error as the server said it: detail, code, and each problem with its path. */
export function ErrorBanner({ error }: { error: unknown }) {
  if (!error) return null;
  if (error instanceof ApiError) {
    return (
      <div className="error" role="alert">
        <b>{error.body.error_code}</b> ({error.status}): {error.body.detail}
        {error.body.errors && error.body.errors.length > 0 && (
          <ul>
            {error.body.errors.map((e, i) => (
              <li key={i}>
                <code>{e.path || '(definition)'}</code>: {e.message}
                {e.hint ? <em> — {e.hint}</em> : null}
              </li>
            ))}
          </ul>
        )}
        {error.status === 401 && <p>Enter an API key (top right).</p>}
      </div>
    );
  }
  return (
    <div className="error" role="alert">
      {String((error as Error)?.message ?? error)}
    </div>
  );
}

/** API key entry: kept in sessionStorage (this tab, until it closes). */
export function ApiKeyBox({ onChange }: { onChange: () => void }) {
  const [value, setValue] = useState(apiKey.get() ?? '');
  const [open, setOpen] = useState(false);
  if (!open) {
    return (
      <button className="ghost" onClick={() => setOpen(true)} title="API key for this tab's session">
        {apiKey.get() ? 'API key ✓' : 'API key'}
      </button>
    );
  }
  return (
    <form
      className="keybox"
      onSubmit={(e) => {
        e.preventDefault();
        apiKey.set(value.trim());
        setOpen(false);
        onChange();
      }}
    >
      <input
        type="password"
        aria-label="API key"
        placeholder="sdg_… (kept for this tab only)"
        value={value}
        onChange={(e) => setValue(e.target.value)}
        autoFocus
      />
      <button type="submit">Use</button>
    </form>
  );
}

export function Empty({ children }: { children: React.ReactNode }) {
  return <p className="empty">{children}</p>;
}
