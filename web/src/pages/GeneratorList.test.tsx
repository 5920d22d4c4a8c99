// The generator list rendered from a real server's answer.
import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import * as api from '../services/synthetic-data.service';
import { GeneratorList } from './GeneratorList';
import { paced } from '../test/fixtures';

describe('GeneratorList', () => {
  it('shows each generator with its status, and filters by status', async () => {
    const a = await api.generators.create(paced('list-running'));
    const b = await api.generators.create(paced('list-created'));
    await api.generators.lifecycle(a.id, 'start');
    render(
      <QueryClientProvider client={new QueryClient()}>
        <GeneratorList />
      </QueryClientProvider>,
    );
    const table = await screen.findByTestId('generator-list');
    await waitFor(() => expect(within(table).getByText('list-running')).toBeTruthy());
    expect(within(table).getByText('list-created')).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Filter by status'), { target: { value: 'RUNNING' } });
    await waitFor(() => expect(within(screen.getByTestId('generator-list')).queryByText('list-created')).toBeNull());
    expect(within(screen.getByTestId('generator-list')).getByText('list-running')).toBeTruthy();
    await api.generators.remove(a.id);
    await api.generators.remove(b.id);
  });
});
