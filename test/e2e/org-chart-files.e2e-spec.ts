import { readFileSync } from 'node:fs';
import { createTestApp, type TestApp } from '../support/test-app.js';

/**
 * The org chart page's files over HTTP (issue 13 point 5, contract section 11): served by the
 * application itself without a token, every script and style from the application (no CDN: the page
 * works offline), under the strict Content-Security-Policy (no inline code anywhere in the page), and
 * nothing under /org-chart/ but the allow-listed files. The browser tests (org-chart-page) drive the
 * page; these need no Chromium, so they hold where the browser tests are skipped.
 */
const STRICT_CSP =
  "default-src 'self';script-src 'self';style-src 'self';img-src 'self' data:;font-src 'self';connect-src 'self';" +
  "object-src 'none';base-uri 'self';form-action 'self';frame-ancestors 'none';script-src-attr 'none'";

const ASSETS: [file: string, type: RegExp][] = [
  ['org-chart.js', /^application\/javascript/],
  ['org-chart.css', /^text\/css/],
  ['d3.min.js', /^application\/javascript/],
  ['d3-flextree.min.js', /^application\/javascript/],
  ['d3-org-chart.min.js', /^application\/javascript/],
];

describe('the org chart page files (GET /org-chart)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('serves the page without a token, under the strict CSP, with no inline code and nothing from elsewhere', async () => {
    const res = await t.http().get('/org-chart');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['content-security-policy']).toBe(STRICT_CSP);
    expect(res.text).toBe(readFileSync('public/org-chart/index.html', 'utf8'));
    // Every script and stylesheet comes from /org-chart/ on this origin, and is one the app serves.
    const refs = [...res.text.matchAll(/<(?:script|link)\b[^>]*\b(?:src|href)="([^"]*)"/g)].map((m) => m[1]);
    expect(refs).toEqual([
      'data:,',
      '/org-chart/org-chart.css',
      '/org-chart/d3.min.js',
      '/org-chart/d3-flextree.min.js',
      '/org-chart/d3-org-chart.min.js',
      '/org-chart/org-chart.js',
    ]);
    // No inline script, style or event handler attribute: the CSP would refuse them.
    expect(res.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(res.text).not.toMatch(/<style\b|\sstyle=|\son[a-z]+=/i);
    expect(res.text).not.toMatch(/https?:\/\//);
  });

  it('serves each of its scripts and its style from the installed packages, under the strict CSP', async () => {
    for (const [file, type] of ASSETS) {
      const res = await t.http().get(`/org-chart/${file}`).buffer(true);
      expect({ file, status: res.status }).toEqual({ file, status: 200 });
      expect(res.headers['content-type']).toMatch(type);
      expect(res.headers['content-security-policy']).toBe(STRICT_CSP);
      expect(Number(res.headers['content-length'] ?? (res.text ?? '').length)).toBeGreaterThan(100);
    }
    // The page's own script loads nothing from elsewhere and writes user text as text only.
    const script = readFileSync('public/org-chart/org-chart.js', 'utf8');
    expect(script).not.toMatch(/https?:\/\//);
    expect(script).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|\.html\(|eval\(|new Function/);
    expect(script).not.toMatch(/localStorage\s*[.[]|document\.cookie/);
  });

  it('answers 404 for any other path under /org-chart/, source maps and the page file included', async () => {
    for (const path of [
      '/org-chart/index.html',
      '/org-chart/d3.js',
      '/org-chart/d3-org-chart.min.js.map',
      '/org-chart/package.json',
      '/org-chart/.env',
    ]) {
      const res = await t.http().get(path);
      expect({ path, status: res.status }).toEqual({ path, status: 404 });
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.headers['content-security-policy']).toBe(STRICT_CSP);
    }
    // A way out of the served folders is refused (403 by @fastify/static, or 404), never the file.
    for (const path of ['/org-chart/../package.json', '/org-chart/%2e%2e/package.json', '/org-chart/..%2fpackage.json']) {
      const res = await t.http().get(path);
      expect({ path, refused: [403, 404].includes(res.status) }).toEqual({ path, refused: true });
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.text).not.toContain('"dependencies"');
    }
  });
});
