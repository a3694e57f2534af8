import { Transform, type Readable } from 'node:stream';
import { InvalidInputError } from '../errors/domain-errors.js';

export const MAX_JSON_DEPTH = 16;
/** At most this many keys in any one JSON object of a body or query. */
export const MAX_OBJECT_KEYS = 1_000;
/** At most this many values in a whole body (every object, array, string, number, boolean and null, at any depth). */
export const MAX_JSON_VALUES = 100_000;

/**
 * Walks a parsed body or query object once, in time linear in its size, and stops at the first
 * problem: NUL characters (PostgreSQL cannot store them), unpaired surrogates, nesting deeper than
 * {@link MAX_JSON_DEPTH}, an object with more than {@link MAX_OBJECT_KEYS} keys, or more than
 * {@link MAX_JSON_VALUES} values in all are refused with a 400 naming the field, before any DTO,
 * validator or database sees them. The size limits keep the validation pipe's work (one error per
 * unknown key, one check per value) small: no body can hold the event loop for long.
 */
export function assertSafeInput(value: unknown, root: string): void {
  let values = 0;
  // The path is kept as a stack of segments and joined only for a refusal: no string per value.
  const segments: (string | number)[] = [];
  const field = (): string => {
    let path = '';
    for (const segment of segments) path = typeof segment === 'number' ? `${path}[${segment}]` : path ? `${path}.${segment}` : segment;
    return path || root;
  };
  const visit = (node: unknown, depth: number): void => {
    if (++values > MAX_JSON_VALUES) throw InvalidInputError.field(root, `has more than ${MAX_JSON_VALUES} values in all`);
    if (depth > MAX_JSON_DEPTH) throw InvalidInputError.field(field(), `is nested deeper than ${MAX_JSON_DEPTH} levels`);
    if (typeof node === 'string') {
      if (node.includes('\u0000')) throw InvalidInputError.field(field(), 'must not contain NUL characters');
      // An unpaired UTF-16 surrogate has no UTF-8 form: PostgreSQL would refuse it with an encoding error.
      if (!node.isWellFormed()) throw InvalidInputError.field(field(), 'must be valid Unicode (no unpaired surrogates)');
      return;
    }
    if (node === null || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        segments.push(i);
        visit(node[i], depth + 1);
        segments.pop();
      }
      return;
    }
    const keys = Object.keys(node);
    if (keys.length > MAX_OBJECT_KEYS) throw InvalidInputError.field(field(), `has more than ${MAX_OBJECT_KEYS} fields`);
    for (const key of keys) {
      if (key.includes('\u0000') || !key.isWellFormed())
        throw InvalidInputError.field(field(), 'field names must be valid Unicode without NUL characters');
      segments.push(key);
      visit((node as Record<string, unknown>)[key], depth + 1);
      segments.pop();
    }
  };
  visit(value, 0);
}

interface Level {
  readonly array: boolean;
  /** Object: keys so far; array: elements so far. */
  count: number;
  /** Object: the next string is a key. */
  expectKey: boolean;
  /** The path of this container, for the message. */
  readonly path: string;
  /** Object: the last key seen (bytes, cut at 200). */
  key: number[];
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const MAX_KEY_BYTES = 200;

/**
 * Applies {@link MAX_OBJECT_KEYS} and {@link MAX_JSON_VALUES} to raw JSON bytes as they arrive, before
 * JSON.parse: one pass, a few operations per byte, state kept between chunks. Parsing a megabyte of
 * tiny values alone holds the event loop for tens of milliseconds (and its garbage as long again), so
 * a body over the limits must be refused before it is parsed. Counts like {@link assertSafeInput}:
 * every object, array, string, number, boolean and null; keys are not values. Lenient on malformed
 * JSON (JSON.parse judges that afterwards); never refuses valid JSON within the limits.
 */
export class JsonShapeScanner {
  values = 0;
  private readonly stack: Level[] = [];
  private inString = false;
  private escaped = false;
  private inScalar = false;
  private stringIsKey = false;

  /** Scans the next chunk; throws InvalidInputError (400) at the first limit exceeded. */
  write(chunk: Uint8Array): void {
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i];
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === BACKSLASH) this.escaped = true;
        else if (c === QUOTE) {
          this.inString = false;
          continue;
        }
        if (this.stringIsKey) {
          const key = this.stack[this.stack.length - 1].key;
          if (key.length < MAX_KEY_BYTES) key.push(c);
        }
        continue;
      }
      switch (c) {
        case QUOTE: {
          this.inScalar = false;
          const top = this.stack[this.stack.length - 1];
          this.inString = true;
          this.stringIsKey = top !== undefined && !top.array && top.expectKey;
          if (this.stringIsKey) top.key = [];
          else this.value();
          break;
        }
        case 0x7b: // {
        case 0x5b: {
          // [
          this.inScalar = false;
          const path = this.value(true);
          this.stack.push({ array: c === 0x5b, count: 0, expectKey: c === 0x7b, path, key: [] });
          break;
        }
        case 0x7d: // }
        case 0x5d: // ]
          this.inScalar = false;
          this.stack.pop();
          break;
        case 0x3a: {
          // :
          this.inScalar = false;
          const top = this.stack[this.stack.length - 1];
          if (top && !top.array) {
            top.expectKey = false;
            if (++top.count > MAX_OBJECT_KEYS) throw InvalidInputError.field(top.path || 'body', `has more than ${MAX_OBJECT_KEYS} fields`);
          }
          break;
        }
        case 0x2c: {
          // ,
          this.inScalar = false;
          const top = this.stack[this.stack.length - 1];
          if (top && !top.array) top.expectKey = true;
          break;
        }
        case 0x20:
        case 0x09:
        case 0x0a:
        case 0x0d:
          this.inScalar = false;
          break;
        default:
          // The first character of a number, true, false or null starts a value.
          if (!this.inScalar) {
            this.inScalar = true;
            this.value();
          }
      }
    }
  }

  /** Counts one value starting at the current position; returns its path when asked (containers only). */
  private value(withPath = false): string {
    if (++this.values > MAX_JSON_VALUES) throw InvalidInputError.field('body', `has more than ${MAX_JSON_VALUES} values in all`);
    const top = this.stack[this.stack.length - 1];
    if (!top) return '';
    const index = top.array ? top.count++ : 0;
    if (!withPath) return '';
    if (top.array) return `${top.path}[${index}]`;
    const key = Buffer.from(top.key).toString('utf8');
    return top.path ? `${top.path}.${key}` : key;
  }
}

/**
 * The request body stream with a {@link JsonShapeScanner} on it (Fastify preParsing): the body parser
 * gets the same bytes, or the scanner's 400 as soon as a limit is passed, before anything is parsed.
 */
export function scanJsonBody(payload: Readable): Readable {
  const scanner = new JsonShapeScanner();
  const scanned = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      scanned.receivedEncodedLength += chunk.length;
      try {
        scanner.write(chunk);
      } catch (error) {
        callback(error as Error);
        return;
      }
      callback(null, chunk);
    },
  }) as Transform & { receivedEncodedLength: number };
  scanned.receivedEncodedLength = 0;
  payload.on('error', (error) => scanned.destroy(error));
  return payload.pipe(scanned);
}
