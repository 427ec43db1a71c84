import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StaticRoute } from './api-server.js';

const DASHBOARD_DIR = join(dirname(fileURLToPath(import.meta.url)), 'dashboard');

/**
 * The dashboard's pages for the local API server: its own files, and uPlot from node_modules
 * (no CDN: the page works with no network). Files are read per request, so they need no key
 * and no restart after an edit.
 */
export async function dashboardRoutes(): Promise<Record<string, StaticRoute>> {
  const uplot = join(dirname(createRequire(import.meta.url).resolve('uplot/package.json')), 'dist');
  const file = (path: string, contentType: string): StaticRoute => ({ contentType, body: () => readFile(path) });
  return {
    '/': file(join(DASHBOARD_DIR, 'index.html'), 'text/html; charset=utf-8'),
    '/dashboard.js': file(join(DASHBOARD_DIR, 'dashboard.js'), 'text/javascript; charset=utf-8'),
    '/dashboard.css': file(join(DASHBOARD_DIR, 'dashboard.css'), 'text/css; charset=utf-8'),
    '/vendor/uplot.iife.min.js': file(join(uplot, 'uPlot.iife.min.js'), 'text/javascript; charset=utf-8'),
    '/vendor/uplot.min.css': file(join(uplot, 'uPlot.min.css'), 'text/css; charset=utf-8'),
  };
}
