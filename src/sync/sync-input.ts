import { JSONParser } from '@streamparser/json';
import { plainToInstance } from 'class-transformer';
import { parse } from 'csv-parse';
import { validateSync } from 'class-validator';
import { DomainError, InvalidInputError, problemType } from '../common/errors/domain-errors.js';
import type { FieldError } from '../common/errors/problem.js';
import { flattenValidationErrors } from '../common/validation/validation.js';
import { SYNC_SECTIONS, SyncOrgPersonDto, SyncOrgRoleDto, SyncOrgUnitDto, SyncPersonDto, type SyncSection } from './dto/sync.dto.js';
import type { SyncUpload } from './sync-upload.js';

export class PayloadTooLargeError extends problemType(413, 'payload-too-large', 'Payload too large') {
  constructor(limit: number) {
    super(`The sync body is larger than SYNC_BODY_LIMIT_BYTES (${limit} bytes).`);
  }
}

export class UnsupportedMediaTypeError extends problemType(415, 'unsupported-media-type', 'Unsupported media type') {
  constructor() {
    super('Send a sync job as application/json or text/csv (UTF-8).');
  }
}

/** What the body reader finds, in body order. */
export type UploadItem =
  | { readonly kind: 'row'; readonly section: SyncSection; readonly index: number; readonly value: unknown }
  | { readonly kind: 'error'; readonly section: 'csv'; readonly index: number; readonly message: string }
  | { readonly kind: 'option'; readonly key: string; readonly value: unknown }
  | { readonly kind: 'section'; readonly section: SyncSection };

export const OPTION_KEYS = ['mode', 'dry_run', 'max_changes', 'project_id'] as const;

/** The Opsera person fields a CSV header may name (with the older aliases). */
export const CSV_COLUMNS = [
  'email',
  'firstName',
  'lastName',
  'displayName',
  'externalId',
  'organization',
  'business',
  'department',
  'group',
  'team',
  'managerEmail',
  'business_group',
  'applicationdepartment',
  'projectgroup',
  'validFrom',
  'validTo',
] as const;

export type BodyKind = 'json' | 'csv';

export function bodyKind(contentType: string | undefined): BodyKind {
  const [type, ...params] = (contentType ?? '').toLowerCase().split(';');
  const charset = params.map((p) => p.trim()).find((p) => p.startsWith('charset='));
  if (charset && !/^charset="?utf-?8"?$/.test(charset)) throw new UnsupportedMediaTypeError();
  const media = type.trim();
  if (media === 'application/json' || /^application\/[a-z0-9.+-]*\+json$/.test(media)) return 'json';
  if (media === 'text/csv') return 'csv';
  throw new UnsupportedMediaTypeError();
}

/** The body's chunks, stopping with a 413 past `limit` bytes. */
async function* bounded(stream: AsyncIterable<unknown>, limit: number): AsyncGenerator<Buffer> {
  let received = 0;
  for await (const chunk of stream) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    received += buffer.length;
    if (received > limit) throw new PayloadTooLargeError(limit);
    yield buffer;
  }
}

/**
 * Reads a sync body as a stream of items; never holds more than one row (and one chunk) at a time.
 * A Content-Length past `limit` is a 413 at once; else the body starts arriving now (see
 * sync-upload.ts: it is taken off the socket ahead of the reader).
 */
export function readUpload(upload: SyncUpload, kind: BodyKind, limit: number): AsyncGenerator<UploadItem> {
  if (upload.contentLength !== undefined && upload.contentLength > limit) throw new PayloadTooLargeError(limit);
  const chunks = bounded(upload.stream, limit);
  return kind === 'json' ? readJson(chunks) : readCsv(chunks);
}

async function* readJson(chunks: AsyncIterable<Buffer>): AsyncGenerator<UploadItem> {
  const parser = new JSONParser({ paths: ['$.*', '$.*.*'], keepStack: false });
  let pending: UploadItem[] = [];
  let failure: Error | undefined;
  let first = true;
  parser.onValue = ({ value, key, parent, stack }) => {
    if (stack.length === 1) {
      const name = String(key);
      if ((SYNC_SECTIONS as readonly string[]).includes(name)) {
        if (!Array.isArray(value)) failure ??= InvalidInputError.field(name, 'must be an array');
        else pending.push({ kind: 'section', section: name as SyncSection });
      } else if ((OPTION_KEYS as readonly string[]).includes(name)) {
        pending.push({ kind: 'option', key: name, value });
      } else {
        failure ??= InvalidInputError.field(name, 'is not an accepted field');
      }
    } else if (stack.length === 2) {
      const section = String(stack[1]?.key);
      // Emitted rows are dropped from their parent at once: memory holds one row, not the section.
      if (Array.isArray(parent)) {
        parent.length = 0;
        if ((SYNC_SECTIONS as readonly string[]).includes(section)) {
          pending.push({ kind: 'row', section: section as SyncSection, index: Number(key), value });
        }
      } else if (parent && typeof parent === 'object') {
        delete (parent as Record<string, unknown>)[String(key)];
      }
    }
  };
  for await (const chunk of chunks) {
    if (first) {
      const text = chunk.toString('utf8').trimStart();
      if (text.length > 0) {
        if (!text.startsWith('{')) throw InvalidInputError.field('body', 'must be a JSON object');
        first = false;
      }
    }
    if (parser.isEnded) {
      if (chunk.toString('utf8').trim() !== '') throw InvalidInputError.field('body', 'is not valid JSON: data after the end');
      continue;
    }
    try {
      parser.write(chunk);
    } catch (error) {
      throw InvalidInputError.field('body', `is not valid JSON: ${(error as Error).message}`);
    }
    if (failure) throw failure;
    yield* pending;
    pending = [];
  }
  if (first) throw InvalidInputError.field('body', 'is required: a JSON object or a CSV file');
  if (!parser.isEnded) throw InvalidInputError.field('body', 'is not valid JSON: it ends in the middle');
  if (failure) throw failure;
  yield* pending;
}

/** The delimiter of a CSV whose first line is `line`: semicolon when it has more semicolons than commas. */
export function delimiterOf(line: string): ',' | ';' {
  const count = (c: string) => line.split(c).length - 1;
  return count(';') > count(',') ? ';' : ',';
}

async function* readCsv(chunks: AsyncIterable<Buffer>): AsyncGenerator<UploadItem> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const decode = (chunk: Buffer | undefined) => {
    try {
      return chunk ? decoder.decode(chunk, { stream: true }) : decoder.decode();
    } catch {
      throw InvalidInputError.field('body', 'is not valid UTF-8');
    }
  };
  const iterator = chunks[Symbol.asyncIterator]();
  // The first line decides the delimiter.
  let head = '';
  for (;;) {
    const next = await iterator.next();
    head += decode(next.done ? undefined : next.value);
    if (next.done || /[\r\n]/.test(head)) break;
  }
  head = head.replace(/^\uFEFF/, '');
  if (head.trim() === '') throw InvalidInputError.field('body', 'is required: a CSV file with a header row');
  const parser = parse({
    delimiter: delimiterOf(head.split(/\r?\n/, 1)[0]),
    relax_column_count: true,
    skip_empty_lines: true,
    trim: false,
  });
  let stopped = false;
  // Waits for room in the parser, or for its end (an error destroys it: no 'drain' will come).
  const room = () =>
    new Promise<void>((resolve) => {
      const done = () => {
        parser.off('drain', done);
        parser.off('close', done);
        resolve();
      };
      parser.once('drain', done);
      parser.once('close', done);
    });
  const feed = (async () => {
    try {
      if (!parser.write(head)) await room();
      while (!stopped && !parser.destroyed) {
        const next = await iterator.next();
        if (next.done) break;
        const text = decode(next.value);
        if (!parser.destroyed && !parser.write(text)) await room();
      }
      if (!stopped && !parser.destroyed) {
        const rest = decode(undefined);
        if (rest) parser.write(rest);
        parser.end();
      }
    } catch (error) {
      parser.destroy(error as Error);
    }
  })();
  let header: string[] | undefined;
  let index = 0;
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      if (!header) {
        header = checkHeader(record);
        continue;
      }
      if (record.length !== header.length) {
        yield { kind: 'error', section: 'csv', index, message: `has ${record.length} fields, the header has ${header.length}` };
      } else {
        const value: Record<string, string | null> = {};
        for (let i = 0; i < header.length; i++) value[header[i]] = record[i] === '' ? null : record[i];
        yield { kind: 'row', section: 'people', index, value };
      }
      index++;
    }
  } catch (error) {
    if (error instanceof DomainError) throw error;
    // A malformed record (an unclosed quote): listed as the job's error; the rest is not read.
    yield { kind: 'error', section: 'csv', index, message: (error as Error).message.slice(0, 500) };
  } finally {
    stopped = true;
    if (!parser.destroyed) parser.destroy();
  }
  await feed;
  if (!header) throw InvalidInputError.field('body', 'is required: a CSV file with a header row');
}

function checkHeader(record: string[]): string[] {
  const names = record.map((name) => name.trim());
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  for (const name of names) {
    if (!(CSV_COLUMNS as readonly string[]).includes(name)) errors.push({ field: name || '(empty)', message: 'is not an accepted column' });
    else if (seen.has(name)) errors.push({ field: name, message: 'appears twice in the header' });
    seen.add(name);
  }
  for (const required of ['email', 'firstName', 'lastName']) {
    if (!seen.has(required)) errors.push({ field: required, message: 'is a required column' });
  }
  if (errors.length > 0) throw new InvalidInputError(errors);
  return names;
}

/** A person row, validated and normalized: canonical field names, aliases resolved. */
export interface PersonRow {
  email: string;
  firstName: string;
  lastName: string;
  displayName: string | null;
  externalId: string | null;
  organization: string | null;
  business: string | null;
  department: string | null;
  group: string | null;
  team: string | null;
  managerEmail: string | null;
  validFrom: Date | null;
  validTo: Date | null;
  /** The optional fields the row gave (canonical names): the others stay unchanged on update. */
  present: string[];
}

export interface UnitRow {
  code: string;
  name: string;
  description: string | null;
  parent_code: string | null;
  valid_from: Date | null;
  valid_to: Date | null;
  present: string[];
}
export type RoleRow = Omit<UnitRow, 'parent_code'>;
export interface AssignmentRow {
  person_email: string;
  org_unit_code: string;
  org_role_code: string | null;
}

export type Validated =
  | { section: 'people'; row: PersonRow }
  | { section: 'org_units'; row: UnitRow }
  | { section: 'org_roles'; row: RoleRow }
  | { section: 'org_persons'; row: AssignmentRow };

const DTO = { people: SyncPersonDto, org_units: SyncOrgUnitDto, org_roles: SyncOrgRoleDto, org_persons: SyncOrgPersonDto } as const;
const ALIASES = { business_group: 'business', applicationdepartment: 'department', projectgroup: 'group' } as const;
const OPTIONAL_PERSON = [
  'displayName',
  'externalId',
  'organization',
  'business',
  'department',
  'group',
  'team',
  'managerEmail',
  'validFrom',
  'validTo',
];

/** Validates one row like the single routes do (same rules and messages); the errors name the field. */
export function validateRow(section: SyncSection, value: unknown): { valid?: Validated; errors: FieldError[] } {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { errors: [{ field: '', message: 'must be an object' }] };
  const dto = plainToInstance(DTO[section] as new () => object, value) as Record<string, unknown>;
  const errors = flattenValidationErrors(
    validateSync(dto, {
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: true,
      validationError: { target: false, value: false },
    }),
  );
  if (errors.length > 0) return { errors };
  const given = value as Record<string, unknown>;
  const text = (key: string) => (dto[key] ?? null) as string | null;
  const date = (key: string) => (dto[key] ?? null) as Date | null;
  const has = (key: string) => Object.prototype.hasOwnProperty.call(given, key);
  const order = (from: Date | null, to: Date | null, field: string): FieldError[] =>
    from && to && to.getTime() <= from.getTime() ? [{ field, message: 'must be after the start of validity' }] : [];
  switch (section) {
    case 'people': {
      for (const [alias, canonical] of Object.entries(ALIASES)) {
        if (has(alias) && !has(canonical)) dto[canonical] = dto[alias];
      }
      const present = OPTIONAL_PERSON.filter(
        (key) => has(key) || Object.entries(ALIASES).some(([alias, canonical]) => canonical === key && has(alias)),
      );
      const row: PersonRow = {
        email: text('email')!,
        firstName: text('firstName')!,
        lastName: text('lastName')!,
        displayName: text('displayName'),
        externalId: text('externalId'),
        organization: text('organization'),
        business: text('business'),
        department: text('department'),
        group: text('group'),
        team: text('team'),
        managerEmail: text('managerEmail'),
        validFrom: date('validFrom'),
        validTo: date('validTo'),
        present,
      };
      const invalid = order(row.validFrom, row.validTo, 'validTo');
      return invalid.length > 0 ? { errors: invalid } : { valid: { section, row }, errors: [] };
    }
    case 'org_units':
    case 'org_roles': {
      const present = ['description', 'parent_code', 'valid_from', 'valid_to'].filter(has);
      const row: UnitRow = {
        code: text('code')!,
        name: text('name')!,
        description: text('description'),
        parent_code: text('parent_code'),
        valid_from: date('valid_from'),
        valid_to: date('valid_to'),
        present,
      };
      const invalid = order(row.valid_from, row.valid_to, 'valid_to');
      if (invalid.length > 0) return { errors: invalid };
      return section === 'org_units' ? { valid: { section, row }, errors: [] } : { valid: { section, row }, errors: [] };
    }
    case 'org_persons':
      return {
        valid: {
          section,
          row: { person_email: text('person_email')!, org_unit_code: text('org_unit_code')!, org_role_code: text('org_role_code') },
        },
        errors: [],
      };
  }
}
