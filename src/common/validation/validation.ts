import { ValidationPipe, type ArgumentMetadata, type ValidationError } from '@nestjs/common';
import { plainToInstance, Transform } from 'class-transformer';
import { getMetadataStorage, validateSync } from 'class-validator';
import { InvalidInputError } from '../errors/domain-errors.js';
import type { FieldError } from '../errors/problem.js';
import { memoizeValidationMetadata } from './metadata-cache.js';

// Every validation of the process (the global pipe, validatedDto) reads the rules per class once.
memoizeValidationMetadata();

/** Flattens class-validator's nested errors into `{field, message}` pairs with dotted paths. */
export function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const error of errors) {
    const field = parent ? `${parent}.${error.property}` : error.property;
    for (const [rule, message] of Object.entries(error.constraints ?? {})) {
      const text = message.startsWith(`${error.property} `) ? message.slice(error.property.length + 1) : message;
      out.push({ field, message: rule === 'whitelistValidation' ? 'is not an accepted field' : text });
    }
    if (error.children?.length) out.push(...flattenValidationErrors(error.children, field));
  }
  return out;
}

/**
 * A body validated in a service like the routes' global ValidationPipe validates it (whitelist,
 * unknown fields refused): for the dialects that write through another dialect's rules (SCIM).
 */
export function validatedDto<T extends object>(type: new () => T, input: Record<string, unknown>): T {
  const dto = plainToInstance(type, input);
  const errors = flattenValidationErrors(
    validateSync(dto, { whitelist: true, forbidNonWhitelisted: true, validationError: { target: false, value: false } }),
  );
  if (errors.length > 0) throw new InvalidInputError(errors);
  return dto;
}

const SCALAR_TYPES = new Set<unknown>([String, Number, Boolean, Date]);

/** Per DTO class: its declared properties, and the ArrayMaxSize of those that have one. */
interface Shape {
  readonly properties: ReadonlySet<string>;
  readonly arrayMax: ReadonlyMap<string, number>;
  /** Properties with @IsObject: an array there is refused whatever it holds. */
  readonly objectOnly: ReadonlySet<string>;
}
const shapes = new WeakMap<object, Shape | null>();

function shapeOf(metatype: unknown): Shape | null {
  if (typeof metatype !== 'function') return null;
  let shape = shapes.get(metatype);
  if (shape !== undefined) return shape;
  const metadatas = getMetadataStorage().getTargetValidationMetadatas(metatype, '', true, false);
  const arrayMax = new Map<string, number>();
  const objectOnly = new Set<string>();
  for (const m of metadatas) {
    if (m.name === 'arrayMaxSize' && typeof m.constraints?.[0] === 'number') arrayMax.set(m.propertyName, m.constraints[0]);
    if (m.name === 'isObject') objectOnly.add(m.propertyName);
  }
  shape = metadatas.length > 0 ? { properties: new Set(metadatas.map((m) => m.propertyName)), arrayMax, objectOnly } : null;
  shapes.set(metatype, shape);
  return shape;
}

/**
 * Bounds the work of class-transformer and class-validator, which copy and walk every value of a
 * body (over a second for 100,000 values), to the size of the DTO: before them, and without
 * changing their verdict, it empties what can only be refused whatever it holds:
 * - the value of an unknown field (refused by name);
 * - an array or object given for a string, number, boolean or date field (refused by type);
 * - an array given for an @IsObject field (refused as not an object);
 * - the part of an array beyond its ArrayMaxSize + 1 (refused by length).
 * Nested DTOs (design type a class with validation rules) are pruned the same way. Mutates `value`.
 */
export function pruneForValidation(value: unknown, metatype: unknown, depth = 0): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || depth > 32) return;
  const shape = shapeOf(metatype);
  if (!shape) return;
  const record = value as Record<string, unknown>;
  const prototype = (metatype as { prototype: object }).prototype;
  for (const key of Object.keys(record)) {
    const child = record[key];
    if (child === null || typeof child !== 'object') continue;
    if (!shape.properties.has(key)) {
      record[key] = null;
      continue;
    }
    const designType: unknown = Reflect.getMetadata('design:type', prototype, key);
    if (SCALAR_TYPES.has(designType)) {
      record[key] = Array.isArray(child) ? [] : {};
    } else if (Array.isArray(child) && shape.objectOnly.has(key)) {
      record[key] = [];
    } else if (Array.isArray(child)) {
      const max = shape.arrayMax.get(key);
      if (max !== undefined && child.length > max + 1) child.length = max + 1;
    } else {
      pruneForValidation(child, designType, depth + 1);
    }
  }
}

/** The global pipe with {@link pruneForValidation} first. */
class PruningValidationPipe extends ValidationPipe {
  override transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    pruneForValidation(value, metadata.metatype);
    return super.transform(value, metadata);
  }
}

/**
 * The one global pipe. `whitelist` + `forbidNonWhitelisted` reject unknown fields by name (mass
 * assignment); `transform` builds DTO instances. Implicit conversion stays off: it turns "false"
 * into true. Query DTOs convert their values explicitly with the transforms below.
 */
export function createValidationPipe(): ValidationPipe {
  return new PruningValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new InvalidInputError(flattenValidationErrors(errors)),
  });
}

const TRUE = new Set(['true', '1']);
const FALSE = new Set(['false', '0']);

/** Parses `true`/`false`/`1`/`0` (strings or booleans); anything else is left for @IsBoolean to reject. */
export function parseBoolean(value: unknown): unknown {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const v = value.trim().toLowerCase();
    if (TRUE.has(v)) return true;
    if (FALSE.has(v)) return false;
  }
  return value;
}

/** Query-string boolean: only true/false/1/0. */
export const ToBoolean = () => Transform(({ value }: { value: unknown }) => parseBoolean(value));

/** Query-string integer: only plain digits; anything else stays a string for @IsInt to reject. */
export const ToInt = () =>
  Transform(({ value }: { value: unknown }) => (typeof value === 'string' && /^-?\d{1,15}$/.test(value.trim()) ? Number(value) : value));

export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const UUID_MESSAGE = { message: 'must be a UUID (dashed or 32 hex digits)' };
/** How a UUID input is documented: dashed or 32 hex digits, answered dashed. */
export const UUID_DOC = {
  type: String,
  format: 'uuid',
  maxLength: 36,
  pattern: '^([0-9a-fA-F]{32}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$',
} as const;
const UUID_DASHED = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const UUID_HEX = /^[0-9a-f]{32}$/i;

/** Canonical lowercase dashed form of a dashed or 32-hex UUID, or undefined when it is neither. */
export function normalizeUuid(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const v = value.trim();
  if (UUID_DASHED.test(v)) return v.toLowerCase();
  if (UUID_HEX.test(v)) {
    const h = v.toLowerCase();
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }
  return undefined;
}

/** Normalizes an id field (dashed or 32 hex); invalid values stay as they are for @Matches/@IsUUID to reject. */
export const ToUuid = () => Transform(({ value }: { value: unknown }) => (value === null ? null : (normalizeUuid(value) ?? value)));

/**
 * ISO 8601: a bare date (read as UTC midnight) or a date-time WITH its offset (Z or +hh:mm). A
 * date-time without an offset is refused: it would be read in the server's time zone.
 */
const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:[Zz]|[+-]\d{2}:?\d{2}))?$/;

/**
 * 4HSE's documented form `YYYY-MM-DD HH:MM:SS` (contract section 4.1): a space, whole seconds, no
 * offset, read as UTC. Only this exact shape; `T` without an offset stays refused.
 */
const FOURHSE_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2}) ([01]\d|2[0-3]):([0-5]\d):([0-5]\d)$/;

/** Every date-time input form the API accepts: {@link ISO_8601} or {@link FOURHSE_DATE_TIME}. */
export const ISO_DATE_TIME = new RegExp(`${ISO_8601.source}|${FOURHSE_DATE_TIME.source}`);

/** How date-time inputs are documented in the OpenAPI document (descriptions of every date field). */
export const DATE_TIME_INPUT_FORMS =
  'ISO 8601 with an offset (2026-01-31T09:30:00.000Z, 2026-01-31T10:30:00+01:00), or read as UTC: 2026-01-31 09:30:00 or 2026-01-31.';

/**
 * How a date-time input is documented: the forms {@link parseDate} accepts, as a pattern rather than
 * `format: date-time` (RFC 3339), which would refuse `2026-12-02 03:29:45` and `2026-12-02`. 35
 * characters: microseconds and a ±hh:mm offset.
 */
export const DATE_INPUT_DOC = { type: String, pattern: ISO_DATE_TIME.source, maxLength: 35 } as const;

/**
 * A real calendar date only (2026-02-31 is refused, not rolled over into March), in years 1 to 9999
 * UTC. `YYYY-MM-DD HH:MM:SS` and `YYYY-MM-DD` are read as UTC.
 */
export function parseDate(value: unknown): Date | undefined {
  if (typeof value !== 'string') return undefined;
  const fourHse = FOURHSE_DATE_TIME.exec(value);
  const match = fourHse ?? ISO_8601.exec(value);
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const calendar = new Date(Date.UTC(year, month - 1, day));
  if (calendar.getUTCFullYear() !== year || calendar.getUTCMonth() !== month - 1 || calendar.getUTCDate() !== day) return undefined;
  // The 4HSE form has no offset: built as UTC here, never handed to Date's parser (which would read
  // "2026-12-02 03:29:45" in the server's local time zone).
  const date = fourHse ? new Date(`${value.slice(0, 10)}T${value.slice(11)}Z`) : new Date(value);
  if (Number.isNaN(date.getTime())) return undefined;
  // Years 1 to 9999 in UTC: an offset can push 9999-12-31 into year 10000, which neither the ISO
  // format we answer with nor the driver's serialization represents.
  const utcYear = date.getUTCFullYear();
  return utcYear >= 1 && utcYear <= 9999 ? date : undefined;
}

/** Converts a valid ISO string to a Date (keeps null); invalid input stays for @IsDate to reject. */
export const ToDate = () => Transform(({ value }: { value: unknown }) => (value === null ? null : (parseDate(value) ?? value)));

/** The id of a path (`/view/{id}`) or query (`?id=`) form: normalized, or a 400 naming `id`. */
export function parseEntityId(raw: unknown): string {
  if (raw === undefined || raw === null || raw === '') throw InvalidInputError.field('id', 'is required (path /{id} or ?id=)');
  const id = normalizeUuid(raw);
  if (!id) throw InvalidInputError.field('id', 'must be a UUID (dashed or 32 hex digits)');
  return id;
}
