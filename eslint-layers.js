// @ts-check
/**
 * The import boundaries of src/ (docs/architecture.md), enforced by `npm run check` through ESLint.
 * A local rule rather than a plugin: it resolves each relative import to the top-level folder of
 * src/ it lands in and checks it against the table below. src/*.ts (main, app module, entity list)
 * sits above every layer and may import anything; scripts/ and test/ are not checked.
 */
import path from 'node:path';

/** The four 4HSE and Opsera People modules, tokens and health: each a feature. */
const FEATURES = [
  'people',
  'org-units',
  'org-roles',
  'org-person',
  'org-hierarchy',
  'tokens',
  'health',
  'changes',
  'webhooks',
  'sync',
  'scim',
];

/** What each top-level folder of src/ may import (besides itself). */
export const LAYERS = {
  config: [],
  database: ['config'],
  common: ['database', 'config'],
  // The org-chart kernel: what the 4HSE resources (and People's deletion rules) share.
  'org-chart': ['common', 'database', 'config'],
  ...Object.fromEntries(FEATURES.map((f) => [f, ['org-chart', 'common', 'database', 'config']])),
};

/**
 * A feature may use another feature only through what that feature's module exports: its module,
 * services and repositories (a rule that spans two features), never its entities, DTOs, mappers
 * or controllers.
 */
const CROSS_FEATURE_FILE = /\.(module|service|repository)(\.js|\.ts)?$/;

/** @type {import('eslint').Rule.RuleModule} */
const layersRule = {
  meta: {
    type: 'problem',
    docs: { description: 'Imports in src/ follow the layers: config <- database <- common <- org-chart <- features.' },
    schema: [],
    messages: {
      layer: "src/{{from}} must not import src/{{to}} ('{{source}}'): {{from}} may import only {{allowed}}.",
      feature: "src/{{from}} may use src/{{to}} only through its module's exports (*.module, *.service, *.repository), not '{{source}}'.",
    },
  },
  create(context) {
    const src = path.join(context.cwd, 'src');
    const fromTop = topFolder(src, context.filename);
    if (fromTop === undefined || !(fromTop in LAYERS)) return {};
    /** @param {import('estree').Node | null | undefined} node */
    function check(node) {
      if (!node || node.type !== 'Literal' || typeof node.value !== 'string' || !node.value.startsWith('.')) return;
      const source = node.value;
      const toTop = topFolder(src, path.resolve(path.dirname(context.filename), source));
      if (toTop === undefined || toTop === fromTop) return;
      const allowed = /** @type {Record<string, string[]>} */ (LAYERS)[fromTop];
      if (allowed.includes(toTop)) return;
      if (FEATURES.includes(fromTop) && FEATURES.includes(toTop)) {
        if (!CROSS_FEATURE_FILE.test(source)) context.report({ node, messageId: 'feature', data: { from: fromTop, to: toTop, source } });
        return;
      }
      context.report({
        node,
        messageId: 'layer',
        data: {
          from: fromTop,
          to: toTop || '*.ts (the app level)',
          source,
          allowed: allowed.length ? allowed.join(', ') : 'nothing of ours',
        },
      });
    }
    return {
      ImportDeclaration: (node) => check(node.source),
      ExportNamedDeclaration: (node) => check(node.source),
      ExportAllDeclaration: (node) => check(node.source),
      ImportExpression: (node) => check(node.source),
    };
  },
};

/**
 * The top-level folder of src/ a path lies in; '' for a file directly in src/ (above every layer),
 * undefined outside src/.
 * @param {string} src
 * @param {string} file
 */
function topFolder(src, file) {
  const rel = path.relative(src, file);
  if (rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
  const parts = rel.split(path.sep);
  return parts.length > 1 ? parts[0] : '';
}

/** The flat-config block eslint.config.js spreads in (and the boundary test lints with). */
export const layersConfig = {
  files: ['src/**/*.ts'],
  plugins: { organigram: { rules: { layers: layersRule } } },
  rules: { 'organigram/layers': 'error' },
};
