import 'reflect-metadata';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { getMetadataStorage, IsString, validate } from 'class-validator';
import { escapeForTerminal, forbiddenCharacterIn, FREE_TEXT, FreeText } from './free-text.js';

const SRC = join(import.meta.dirname, '..', '..');

/** Every module that declares request DTOs: src/** /dto/*.ts, *.dto.ts and the shared page query. */
function dtoModules(): string[] {
  return (readdirSync(SRC, { recursive: true }) as string[])
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.spec.ts'))
    .filter((file) => file.includes('/dto/') || file.endsWith('.dto.ts') || file.endsWith('pagination/page.ts'))
    .map((file) => join(SRC, file));
}

describe('forbiddenCharacterIn', () => {
  it.each([
    ['\u0000', 'U+0000'],
    ['a\u0007b', 'U+0007'],
    ['line\nbreak', 'U+000A'],
    ['\r\u001b[2Kfake', 'U+000D'],
    ['\u001b[31mred', 'U+001B'],
    ['del\u007f', 'U+007F'],
    ['c1 \u0085', 'U+0085'],
    ['c1 \u009b', 'U+009B'],
    ['\u202aembed', 'U+202A'],
    ['evil\u202etxt.exe', 'U+202E'],
    ['\u2066isolate', 'U+2066'],
    ['\u2069', 'U+2069'],
  ])('finds the forbidden character in %j', (value, found) => {
    expect(forbiddenCharacterIn(value)).toBe(found);
  });

  it.each(['HR', 'tab\tseparated', 'Zoë Ørsted-Łukasz', '人事部', 'emoji 👩‍💻', '\u00a0nbsp', '\u200bzero width', '\u200flrm', ''])(
    'accepts %j',
    (value) => {
      expect(forbiddenCharacterIn(value)).toBeUndefined();
    },
  );
});

describe('FreeText', () => {
  class Sample {
    @IsString()
    @FreeText()
    name!: string;
  }

  it('refuses a control character with a message naming the character', async () => {
    const errors = await validate(Object.assign(new Sample(), { name: 'a\u001b[2Kb' }));
    expect(errors.map((e) => [e.property, e.constraints])).toEqual([
      ['name', { freeText: 'must not contain control characters (other than tab) or bidirectional override characters (found U+001B)' }],
    ]);
  });

  it('accepts plain text with a tab', async () => {
    expect(await validate(Object.assign(new Sample(), { name: 'a\tb' }))).toEqual([]);
  });
});

describe('every string field of every DTO is free text', () => {
  it('carries the FreeText validator wherever it carries IsString', async () => {
    type Class = abstract new (...args: never[]) => unknown;
    const classes: Class[] = [];
    for (const file of dtoModules()) {
      const module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
      classes.push(...Object.values(module).filter((v): v is Class => typeof v === 'function' && /^class\b/.test(v.toString())));
    }
    const storage = getMetadataStorage();
    const missing: string[] = [];
    let stringFields = 0;
    for (const cls of classes) {
      const metadata = storage.getTargetValidationMetadatas(cls, '', true, false);
      const byProperty = storage.groupByPropertyName(metadata);
      for (const [property, rules] of Object.entries(byProperty)) {
        const names = rules.map((r) => r.name);
        if (!names.includes('isString')) continue;
        stringFields++;
        if (!names.includes(FREE_TEXT)) missing.push(`${cls.name}.${property}`);
      }
    }
    expect(dtoModules().map((f) => relative(SRC, f))).toEqual(
      expect.arrayContaining(['tokens/dto/token.dto.ts', 'people/dto/person.dto.ts']),
    );
    expect(stringFields).toBeGreaterThan(40);
    expect(missing).toEqual([]);
  });
});

describe('escapeForTerminal', () => {
  it.each([
    ['plain name', 'plain name'],
    ['\r\u001b[2Khidden', '\\r\\u001b[2Khidden'],
    ['a\nb\tc', 'a\\nb\\tc'],
    ['back\\slash', 'back\\\\slash'],
    ['\u202egnp.exe', '\\u202egnp.exe'],
    ['\u0085\u009b\u007f', '\\u0085\\u009b\\u007f'],
    ['Zoë 人事', 'Zoë 人事'],
  ])('prints %j as %j', (value, printed) => {
    expect(escapeForTerminal(value)).toBe(printed);
  });

  it('leaves no character a terminal would interpret', () => {
    const all = Array.from({ length: 0x2070 }, (_, i) => String.fromCharCode(i)).join('');
    expect(forbiddenCharacterIn(escapeForTerminal(all))).toBeUndefined();
  });
});
