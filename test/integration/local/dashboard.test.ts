import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Page-side checks are strings: they run in the browser, where this file's Node types do not apply.
import { startLocalRuntime, type LocalRuntime } from '../../../infra/local/runtime.js';

const ARTIFACTS = resolve(import.meta.dirname, '../../../test-artifacts');
let runtime: LocalRuntime;
let browser: BrowserContext;

beforeAll(async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'tideline-dashboard-'));
  // A small plant with frequent injected spikes, so an alert shows within seconds.
  runtime = await startLocalRuntime({
    env: { ...process.env, TIDELINE_DATA_DIR: dataDir },
    settings: { port: 0, sensors: 10, rate: 20, anomalyRate: 0.05, backfillDays: 30, batchingWindowMs: 50, refreshIntervalS: 0, compactionIntervalS: 0 },
    log: () => undefined,
    tty: false,
  });
  // Debian's chromium, headless, with a fresh profile and nothing reaching out to the network.
  browser = await chromium.launchPersistentContext(await mkdtemp(join(tmpdir(), 'tideline-chromium-')), {
    executablePath: '/usr/bin/chromium',
    viewport: { width: 1400, height: 1200 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await runtime?.stop();
});

describe('the dashboard in a real browser', () => {
  it('loads, shows live readings against their band and an alert, with no console errors', async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page: ${e.message}`));
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));

    await page.goto(`${runtime.url}/#key=${runtime.apiKey}`);
    // The key leaves the address bar once read.
    expect(page.url()).toBe(`${runtime.url}/`);
    await page.waitForFunction(`/°C/.test(document.getElementById('now-temp')?.textContent ?? '')`, null, { timeout: 60_000 });
    await page.waitForFunction(`/ANOMALY/.test(document.getElementById('alerts')?.textContent ?? '')`, null, { timeout: 90_000 });
    await page.waitForFunction(`document.querySelectorAll('#chart-temp canvas, #chart-scores canvas').length === 2`, null, { timeout: 10_000 });
    // Two polls more, so the charts have the newest points when the screenshot is taken.
    await page.waitForTimeout(4500);

    expect(await page.locator('#mix').textContent()).toMatch(/NORMAL/);
    expect(await page.locator('#sla').textContent()).toMatch(/freshness p95/);
    expect(await page.locator('#pulse').textContent()).toMatch(/^live · .* readings judged$/);
    expect(await page.locator('#error').isHidden()).toBe(true);
    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true });
    expect(problems).toEqual([]);
  });

  it('asks for the API key when the page is opened without one', async () => {
    const page = await browser.newPage();
    await page.goto(`${runtime.url}/`);
    await page.locator('#key-form').waitFor({ state: 'visible', timeout: 10_000 });
    await page.fill('#key-input', runtime.apiKey);
    await page.click('#key-form button');
    await page.waitForFunction(`/readings judged/.test(document.getElementById('pulse')?.textContent ?? '')`, null, { timeout: 30_000 });
    expect(await page.locator('#key-form').isHidden()).toBe(true);
  });
});
