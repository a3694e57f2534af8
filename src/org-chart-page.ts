import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** The project root, both from src/ (ts sources) and dist/src/ (build output). */
const root = here.includes(join('dist', 'src')) ? join(here, '..', '..') : join(here, '..');

/**
 * The files of the org chart page and where each comes from: the page's own files in public/org-chart/,
 * and the charting library straight from the installed packages (d3, d3-flextree, d3-org-chart, pinned
 * in package.json), so the page works offline and needs neither a CDN nor a bundler (docs/decisions.md).
 */
export const ORG_CHART_FILES: Readonly<Record<string, string>> = {
  'org-chart.js': join(root, 'public', 'org-chart', 'org-chart.js'),
  'org-chart.css': join(root, 'public', 'org-chart', 'org-chart.css'),
  'd3.min.js': join(root, 'node_modules', 'd3', 'dist', 'd3.min.js'),
  'd3-flextree.min.js': join(root, 'node_modules', 'd3-flextree', 'build', 'd3-flextree.min.js'),
  'd3-org-chart.min.js': join(root, 'node_modules', 'd3-org-chart', 'build', 'd3-org-chart.min.js'),
};

const PAGE = join(root, 'public', 'org-chart', 'index.html');

/**
 * GET /org-chart (the page) and GET /org-chart/<file> (its scripts and style), served by Fastify
 * outside Nest: public by design (the page needs no token; it asks for one and calls the API with it),
 * under the same strict Content-Security-Policy as every answer (no inline code: the page has none).
 * Only the files of {@link ORG_CHART_FILES} are served; anything else under /org-chart/ is a 404.
 */
export async function registerOrgChartPage(fastify: FastifyInstance): Promise<void> {
  const page = readFileSync(PAGE);
  const sendPage = (reply: FastifyReply) =>
    reply.header('Content-Type', 'text/html; charset=utf-8').header('Cache-Control', 'no-cache').send(page);
  fastify.get('/org-chart', (_request, reply) => sendPage(reply));
  const roots = [...new Set(Object.values(ORG_CHART_FILES).map((file) => dirname(file)))];
  await fastify.register(fastifyStatic, {
    root: roots,
    prefix: '/org-chart/',
    decorateReply: false,
    index: false,
    list: false,
    dotfiles: 'deny',
    cacheControl: true,
    maxAge: '1h',
    // Only the allow-listed file names (from whichever root holds them): no source maps, sources or index.html.
    allowedPath: (pathName: string) => Object.hasOwn(ORG_CHART_FILES, pathName.replace(/^\//, '')),
  });
}
