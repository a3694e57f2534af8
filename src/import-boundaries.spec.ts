import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { ESLint } from 'eslint';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The layer boundaries (eslint-layers.js) run inside `npm run check`: linted with the project's own
 * ESLint config, a file that imports across a boundary fails, and the same file without it passes.
 */
describe('import boundaries', () => {
  const eslint = new ESLint({ cwd: root });
  const lint = async (file: string, code: string) => {
    const [result] = await eslint.lintText(code, { filePath: join(root, file) });
    return result.messages.filter((m) => m.ruleId === 'organigram/layers').map((m) => m.message);
  };

  it.each([
    [
      'src/config/duration.ts',
      "import { ENTITIES } from '../entities.js';",
      "src/config must not import src/*.ts (the app level) ('../entities.js'): config may import only nothing of ours.",
    ],
    [
      'src/config/duration.ts',
      "import { sql } from '../database/transaction.js';",
      "src/config must not import src/database ('../database/transaction.js'): config may import only nothing of ours.",
    ],
    [
      'src/database/transaction.ts',
      "import { InvalidInputError } from '../common/errors/domain-errors.js';",
      "src/database must not import src/common ('../common/errors/domain-errors.js'): database may import only config.",
    ],
    [
      'src/common/auth/permissions.guard.ts',
      "import { TokensService } from '../../tokens/tokens.service.js';",
      "src/common must not import src/tokens ('../../tokens/tokens.service.js'): common may import only database, config.",
    ],
    [
      'src/common/pagination/page.ts',
      "import { deleteWithRules } from '../../org-chart/deletion.js';",
      "src/common must not import src/org-chart ('../../org-chart/deletion.js'): common may import only database, config.",
    ],
    [
      'src/org-chart/deletion.ts',
      "import { PersonSchema } from '../people/person.entity.js';",
      "src/org-chart must not import src/people ('../people/person.entity.js'): org-chart may import only common, database, config.",
    ],
    [
      'src/org-units/org-units.service.ts',
      "import { OrgPersonSchema } from '../org-person/org-person.entity.js';",
      "src/org-units may use src/org-person only through its module's exports (*.module, *.service, *.repository), not '../org-person/org-person.entity.js'.",
    ],
  ])('%s refuses %s', async (file, line, message) => {
    expect(await lint(file, `${line}\nexport const probe = 1;\n`)).toEqual([message]);
  });

  it.each([
    ['src/database/transaction.ts', "import { APP_CONFIG } from '../config/app-config.js';"],
    ['src/common/auth/permissions.guard.ts', "import { sql } from '../../database/transaction.js';"],
    ['src/org-units/org-units.service.ts', "import { OrgPersonRepository } from '../org-person/org-person.repository.js';"],
    ['src/people/people.service.ts', "import { deleteWithRules } from '../org-chart/deletion.js';"],
    ['src/app.module.ts', "import { PeopleModule } from './people/people.module.js';"],
  ])('%s accepts %s', async (file, line) => {
    expect(await lint(file, `${line}\nexport const probe = 1;\n`)).toEqual([]);
  });
});
