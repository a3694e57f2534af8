import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * The files of the org chart page, as paths relative to the project root: the page's own files in
 * public/org-chart/, and the charting library straight from the installed packages (d3, d3-flextree,
 * d3-org-chart, pinned in package.json), so the page works offline and needs neither a CDN nor a
 * bundler (docs/decisions.md, "Org chart page").
 */
export const ORG_CHART_FILES: Readonly<Record<string, string>> = {
  'org-chart.js': join('public', 'org-chart', 'org-chart.js'),
  'org-chart.css': join('public', 'org-chart', 'org-chart.css'),
  'd3.min.js': join('node_modules', 'd3', 'dist', 'd3.min.js'),
  'd3-flextree.min.js': join('node_modules', 'd3-flextree', 'build', 'd3-flextree.min.js'),
  'd3-org-chart.min.js': join('node_modules', 'd3-org-chart', 'build', 'd3-org-chart.min.js'),
};
const PAGE = join('public', 'org-chart', 'index.html');

/**
 * The file at `relative` in the nearest directory above this module that has it, as Node finds
 * packages: from src/ and dist/src/ of a checkout, from a copy of dist/ inside it (the built-server
 * tests), and from /app/dist in the image, whose public/ and node_modules/ sit beside dist/.
 */
function findUp(relative: string): string | undefined {
  for (let dir = here; ; dir = dirname(dir)) {
    const candidate = join(dir, relative);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * GET /org-chart (the page) and GET /org-chart/<file> (its scripts and style), served by Fastify
 * outside Nest: public by design (the page needs no token; it asks for one and calls the API with it),
 * under the same strict Content-Security-Policy as every answer (no inline code: the page has none).
 * Only the files of {@link ORG_CHART_FILES} are served; anything else under /org-chart/ is a 404. A
 * file that is not installed is a 404 too: the API never fails to start for the page's sake.
 */
export async function registerOrgChartPage(fastify: FastifyInstance): Promise<void> {
  const pagePath = findUp(PAGE);
  if (pagePath) {
    const page = readFileSync(pagePath);
    fastify.get('/org-chart', (_request, reply) =>
      reply.header('Content-Type', 'text/html; charset=utf-8').header('Cache-Control', 'no-cache').send(page),
    );
  }
  const found = Object.entries(ORG_CHART_FILES)
    .map(([name, relative]) => [name, findUp(relative)] as const)
    .filter((entry): entry is readonly [string, string] => entry[1] !== undefined);
  if (found.length === 0) return;
  const served = new Set(found.map(([name]) => name));
  await fastify.register(fastifyStatic, {
    root: [...new Set(found.map(([, file]) => dirname(file)))],
    prefix: '/org-chart/',
    decorateReply: false,
    index: false,
    list: false,
    dotfiles: 'deny',
    cacheControl: true,
    maxAge: '1h',
    // Only the allow-listed file names (from whichever root holds them): no source maps, sources or index.html.
    allowedPath: (pathName: string) => served.has(pathName.replace(/^\//, '')),
  });
}
