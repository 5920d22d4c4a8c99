import { inject } from 'vitest';

(globalThis as { SDG_ORIGIN?: string }).SDG_ORIGIN = inject('origin');
