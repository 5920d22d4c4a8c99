import { useEffect, useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { useHealth } from './hooks/useSyntheticData';
import { ApiKeyBox } from './components/common';
import { GeneratorList } from './pages/GeneratorList';
import { GeneratorDetail } from './pages/GeneratorDetail';
import { Editor } from './pages/Editor';
import { Pools } from './pages/Pools';
import { Universes } from './pages/Universes';
import { Models } from './pages/Models';

/** `#/generators/ID/edit` → ['generators', 'ID', 'edit']. */
function useRoute(): string[] {
  const read = () => location.hash.replace(/^#\/?/, '').split('/').filter(Boolean);
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const on = () => setRoute(read());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}

type Theme = 'dark' | 'light';

/** The system's theme until the user picks one (then remembered). */
function useTheme(): [Theme, () => void] {
  const initial = (localStorage.getItem('sdg.theme') as Theme | null) ?? (matchMedia?.('(prefers-color-scheme: light)').matches ? 'light' : 'dark');
  const [theme, setTheme] = useState<Theme>(initial);
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);
  const toggle = () =>
    setTheme((t) => {
      const next = t === 'dark' ? 'light' : 'dark';
      localStorage.setItem('sdg.theme', next);
      return next;
    });
  return [theme, toggle];
}

export function App() {
  const route = useRoute();
  const [theme, toggle] = useTheme();
  const qc = useQueryClient();
  const health = useHealth();
  const page = route[0] ?? 'generators';
  let body;
  // Keyed by route: another generator's page starts with fresh state.
  const key = route.join('/');
  if (page === 'new') body = <Editor key={key} />;
  else if (page === 'generators' && route[1] && route[2] === 'edit') body = <Editor key={key} id={route[1]} />;
  else if (page === 'generators' && route[1]) body = <GeneratorDetail key={key} id={route[1]} />;
  else if (page === 'pools') body = <Pools />;
  else if (page === 'universes') body = <Universes />;
  else if (page === 'models') body = <Models />;
  else body = <GeneratorList />;
  const link = (to: string, label: string) => (
    <a href={`#/${to}`} className={page === to || (to === 'generators' && page === 'new') ? 'active' : ''}>
      {label}
    </a>
  );
  return (
    <>
      <nav className="top">
        <span className="brand">sdg</span>
        {link('generators', 'Generators')}
        {link('pools', 'Pools')}
        {link('universes', 'Universes')}
        {link('models', 'Models')}
        <span className="spacer" />
        <span className={`health ${health.data?.status ?? 'unknown'}`} title={health.data?.detail ?? ''}>
          {health.data ? `${health.data.status} · v${health.data.version}` : health.error ? 'unreachable' : '…'}
        </span>
        <ApiKeyBox onChange={() => void qc.invalidateQueries()} />
        <button className="ghost" onClick={toggle} aria-label="Toggle theme">
          {theme === 'dark' ? 'Light' : 'Dark'}
        </button>
      </nav>
      <main>{body}</main>
    </>
  );
}
