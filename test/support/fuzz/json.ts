import fc from 'fast-check';

/**
 * JSON values for fuzzing, with the few things `JSON.stringify` cannot write: number literals that
 * JavaScript cannot hold (`1e400`, `-0`, 30-digit integers) and objects with repeated or prototype
 * keys. A {@link RawJson} is copied into the body text as it is.
 */
export class RawJson {
  constructor(readonly text: string) {}

  /** How fast-check prints it in a counterexample. */
  [fc.toStringMethod](): string {
    return `RawJson(${JSON.stringify(this.text)})`;
  }
}

export type FuzzJson = null | boolean | number | string | RawJson | FuzzJson[] | { [key: string]: FuzzJson };

/** Serializes a fuzz value to JSON text (RawJson fragments verbatim). */
export function toJsonText(value: FuzzJson): string {
  if (value instanceof RawJson) return value.text;
  if (Array.isArray(value)) return `[${value.map(toJsonText).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value)
      .map(([k, v]) => `${JSON.stringify(k)}:${toJsonText(v)}`)
      .join(',')}}`;
  }
  // NaN and the infinities become null, as JSON.stringify writes them.
  return JSON.stringify(value) ?? 'null';
}

/** Every string in a value (keys included, RawJson text included): what a response may legitimately echo. */
export function stringsOf(value: FuzzJson): string[] {
  if (typeof value === 'string') return [value];
  if (value instanceof RawJson) return [value.text];
  if (Array.isArray(value)) return value.flatMap(stringsOf);
  if (value !== null && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => [k, ...stringsOf(v)]);
  return [];
}
