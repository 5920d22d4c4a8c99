// End to end: the console in a real browser (Debian's chromium, driven by
// playwright-core) against a real `sdg serve` serving its embedded bundle.
// Creates a generator from the editor (an invalid one first: the error shows
// at its line), starts it, sees rows rising on the chart, pauses (the count
// stops), resumes, stops, deletes; the pool and universe pages list what the
// server has; both themes. Screenshots go to web/test-output/.
//   node web/e2e/console.mjs [SDG_BINARY]    (default: $CARGO_TARGET_DIR/debug/sdg)
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const bin = process.argv[2] ?? join(process.env.CARGO_TARGET_DIR ?? join(homedir(), '.cache/sdg-target'), 'debug/sdg');
const out = join(root, 'web/test-output');
mkdirSync(out, { recursive: true });
const work = mkdtempSync(join(tmpdir(), 'sdg-e2e-'));

let step = 0;
const shot = async (page, name) => page.screenshot({ path: join(out, `${String(++step).padStart(2, '0')}-${name}.png`), fullPage: true });
const fail = (msg) => {
  throw new Error(msg);
};

// Starts `sdg serve` in `dir` with `args`; resolves to [process, origin].
const serve = (dir, args) =>
  new Promise((ok, no) => {
    mkdirSync(dir, { recursive: true });
    const p = spawn(bin, ['serve', '--addr', '127.0.0.1:0', '--data-dir', join(dir, 'data'), ...args], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    const t = setTimeout(() => no(new Error(`sdg serve did not start: ${log}`)), 20000);
    p.stderr.on('data', (d) => {
      log += d;
      const m = /sdg control API on (http:\/\/[0-9.:]+) /.exec(log);
      if (m) {
        clearTimeout(t);
        ok([p, m[1]]);
      }
    });
    p.on('exit', (c) => no(new Error(`sdg serve exited ${c}: ${log}`)));
  });
const servers = [];
const stopAll = async () => {
  await Promise.all(
    servers.map(
      (p) =>
        new Promise((done) => {
          if (p.exitCode !== null || p.signalCode !== null) return done();
          p.once('exit', done);
          p.kill();
        }),
    ),
  );
};
let browser;
let status = 0;
try {
const [server, origin] = await serve(join(work, 'open'), ['--pools', join(root, 'configs/pools')]);
servers.push(server);

// A fresh profile directory per run (playwright-core passes it as --user-data-dir).
browser = await chromium.launchPersistentContext(join(work, 'chromium'), {
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  viewport: { width: 1280, height: 900 },
});
  const page = await browser.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && !m.text().includes('status of 404') && problems.push(`console: ${m.text()}`));
  await page.goto(origin + '/');
  await page.getByRole('heading', { name: 'Generators' }).waitFor();
  await page.getByText('No generators yet').waitFor();
  await shot(page, 'empty-list');

  // The editor: an invalid definition first — the error appears at its line.
  await page.getByRole('link', { name: 'New generator' }).click();
  await page.getByTestId('editor').locator('.cm-content').waitFor();
  const invalid = [
    'name: e2e',
    'mode: REALTIME',
    'rate: 3000',
    'end_condition: { type: MANUAL }',
    'destination: { type: BLACKHOLE }',
    'fields:',
    '  - { name: id, type: SEQUENCE }',
    '  - name: amount',
    '    type: NUMERIC_RANGE',
    '    params: { min: 10, max: 5 }',
  ].join('\n');
  const setText = async (text) => {
    await page.getByTestId('editor').locator('.cm-content').click();
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Delete');
    await page.keyboard.insertText(text);
  };
  await setText(invalid);
  const problem = page.getByTestId('problems').locator('.problem').first();
  await problem.waitFor({ timeout: 10000 });
  const said = await problem.innerText();
  if (!said.includes('line 10') || !said.includes('fields[1].params')) fail(`the error is not at its line: ${said}`);
  // CodeMirror marks the range too.
  await page.locator('.cm-lintRange-error, .cm-lint-marker-error').first().waitFor({ timeout: 5000 });
  if (!(await page.getByRole('button', { name: 'Create' }).isDisabled())) fail('Create is enabled for an invalid definition');
  await shot(page, 'editor-error');
  await setText(invalid.replace('{ min: 10, max: 5 }', '{ min: 5, max: 10, decimals: 2 }'));
  await page.getByTestId('problems').getByText(/^Valid:/).waitFor({ timeout: 10000 });
  await page.getByTestId('preview').waitFor();
  await shot(page, 'editor-valid-preview');
  await page.getByRole('button', { name: 'Create' }).click();

  // The detail page: start, rows rising on the chart.
  await page.getByRole('heading', { name: 'e2e' }).waitFor();
  await page.getByRole('button', { name: 'Start' }).click();
  await page.locator('.badge', { hasText: 'RUNNING' }).first().waitFor();
  await page.getByTestId('chart-rate').waitFor({ timeout: 10000 });
  const delivered = async () => Number(await page.getByTestId('rows-delivered').innerText());
  const a = await delivered();
  await page.waitForTimeout(2000);
  const b = await delivered();
  if (!(b > a)) fail(`rows do not rise while running: ${a} then ${b}`);
  const line = await page.getByTestId('chart-delivered').locator('polyline').first().getAttribute('points');
  if (!line || line.split(' ').length < 2) fail('the delivered chart has no line');
  await shot(page, 'running-charts');

  // Pause: the count stops. Resume: it rises again.
  await page.getByRole('button', { name: 'Pause' }).click();
  await page.locator('.badge', { hasText: 'PAUSED' }).first().waitFor();
  await page.waitForTimeout(1500);
  const p1 = await delivered();
  await page.waitForTimeout(2000);
  const p2 = await delivered();
  if (p2 !== p1) fail(`rows still rise while paused: ${p1} then ${p2}`);
  await shot(page, 'paused');
  await page.getByRole('button', { name: 'Resume' }).click();
  await page.locator('.badge', { hasText: 'RUNNING' }).first().waitFor();
  await page.waitForTimeout(2500);
  const r = await delivered();
  if (!(r > p2)) fail(`rows do not rise after resume: ${p2} then ${r}`);
  // Only valid transitions are offered.
  if (await page.getByRole('button', { name: 'Start' }).count()) fail('Start is offered while RUNNING');
  await page.getByRole('button', { name: 'Stop' }).click();
  await page.locator('.badge', { hasText: 'STOPPED' }).first().waitFor();
  await shot(page, 'stopped');

  // Delete (confirm), back to an empty list.
  page.once('dialog', (d) => d.accept());
  await page.getByRole('button', { name: 'Delete' }).click();
  await page.getByText('No generators yet').waitFor({ timeout: 10000 });

  // Pools and universes as the server has them.
  // A universe for its page (the shipped shop universe).
  const shop = readFileSync(join(root, 'configs/universes/shop.yaml'), 'utf8');
  const created = await fetch(`${origin}/api/v1/universes`, { method: 'POST', headers: { 'Content-Type': 'application/yaml' }, body: shop });
  if (created.status !== 201) fail(`creating the universe: ${created.status} ${await created.text()}`);

  await page.getByRole('link', { name: 'Pools' }).click();
  const pools = page.getByTestId('pool-list');
  await pools.getByText('countries').waitFor();
  await pools.getByText('first_names').waitFor();
  await shot(page, 'pools');
  await page.getByRole('link', { name: 'Universes' }).click();
  const universes = page.getByTestId('universe-list');
  await universes.getByRole('heading', { name: /shop/ }).waitFor();
  for (const m of ['customers', 'accounts', 'transactions']) await universes.getByRole('link', { name: m }).waitFor();
  await shot(page, 'universes');
  await page.getByRole('link', { name: 'Models' }).click();
  await page.getByText('No models').waitFor();

  // The other theme.
  const theme = () => page.evaluate(() => document.documentElement.dataset.theme);
  const before = await theme();
  await page.getByRole('button', { name: 'Toggle theme' }).click();
  const after = await theme();
  if (!['dark', 'light'].includes(after) || after === before) fail(`the theme did not change: ${before} → ${after}`);
  await page.getByRole('link', { name: 'Generators' }).click();
  await shot(page, `${after}-theme`);

  // A server with API keys: the console loads, the API answers 401 and the
  // page says to enter a key; with the key (kept for this tab) it lists.
  const key = 'sdg_e2e_console_key_0123456789';
  const hash = await new Promise((ok, no) => {
    const p = spawn(bin, ['api-key', '--hash', key], { stdio: ['ignore', 'pipe', 'ignore'] });
    let o = '';
    p.stdout.on('data', (d) => (o += d));
    p.on('exit', (c) => (c === 0 ? ok(o.trim()) : no(new Error(`sdg api-key exited ${c}`))));
  });
  const [keyed, keyedOrigin] = await serve(join(work, 'keyed'), ['--api-key-hash', hash]);
  servers.push(keyed);
  const made = await fetch(`${keyedOrigin}/api/v1/generators`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-API-Key': key },
    body: JSON.stringify({ name: 'behind-a-key', destination: { type: 'BLACKHOLE' }, fields: [{ name: 'id', type: 'SEQUENCE' }] }),
  });
  if (made.status !== 201) fail(`creating on the keyed server: ${made.status}`);
  const kp = await browser.newPage();
  await kp.goto(keyedOrigin + '/');
  await kp.getByText('Enter an API key').waitFor({ timeout: 10000 });
  await shot(kp, 'key-required');
  await kp.getByRole('button', { name: 'API key' }).click();
  await kp.getByLabel('API key').fill(key);
  await kp.getByRole('button', { name: 'Use' }).click();
  await kp.getByTestId('generator-list').getByText('behind-a-key').waitFor({ timeout: 10000 });
  if ((await kp.evaluate(() => sessionStorage.getItem('sdg.apiKey'))) !== key) fail('the key is not kept for the tab');
  if (await kp.evaluate(() => localStorage.getItem('sdg.apiKey'))) fail('the key outlives the tab (localStorage)');
  await shot(kp, 'key-entered');
  if (problems.length) fail(problems.join('\n'));
  console.log(`e2e: the console passed every step; screenshots in ${out}`);
} catch (e) {
  status = 1;
  console.error(`e2e: ${e.stack ?? e}`);
  try {
    const [page] = browser ? browser.pages().slice(-1) : [];
    if (page) await page.screenshot({ path: join(out, 'failure.png'), fullPage: true });
  } catch {}
} finally {
  await browser?.close().catch(() => undefined);
  // The servers flush their stores on exit: wait for them before removing the directory.
  await stopAll();
  rmSync(work, { recursive: true, force: true });
}
process.exit(status);
