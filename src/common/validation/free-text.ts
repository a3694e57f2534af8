import { ValidateBy, type ValidationOptions } from 'class-validator';

/**
 * Characters no free-text field may hold (contract section 7): the Unicode control characters
 * (category Cc: U+0000-U+001F and U+007F-U+009F) except tab, and the bidirectional embedding,
 * override and isolate characters (U+202A-U+202E, U+2066-U+2069), which reorder what a terminal or
 * a page shows. Line breaks are control characters too: every free-text field is one line.
 */
const FORBIDDEN = /[\u0000-\u0008\u000A-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/u;

/** `U+001B` for the first forbidden character of `value`, or undefined when there is none. */
export function forbiddenCharacterIn(value: string): string | undefined {
  const match = FORBIDDEN.exec(value);
  return match ? `U+${match[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}` : undefined;
}

/** The message of a refused value, the same for the API (after the field name) and the CLI. */
export function forbiddenCharacterMessage(found: string): string {
  return `must not contain control characters (other than tab) or bidirectional override characters (found ${found})`;
}

export const FREE_TEXT = 'freeText';

/**
 * The one validator of free text: every string field of every DTO carries it (a unit test walks
 * them all). Non-strings are left to @IsString.
 */
export function FreeText(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: FREE_TEXT,
      validator: {
        validate: (value: unknown) => typeof value !== 'string' || forbiddenCharacterIn(value) === undefined,
        defaultMessage: (args) => forbiddenCharacterMessage(forbiddenCharacterIn(String(args?.value)) ?? 'a control character'),
      },
    },
    options,
  );
}

/**
 * Prints untrusted text on one terminal line: every character {@link FreeText} refuses (and the
 * backslash, so the escape cannot be forged) is written as a JSON-style escape (\u001b, \n, \\).
 * Names stored before the rule existed are shown this way by the CLI, never raw.
 */
export function escapeForTerminal(value: string): string {
  return value.replace(
    /[\\\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/gu,
    (c) => ESCAPES[c] ?? `\\u${c.codePointAt(0)!.toString(16).padStart(4, '0')}`,
  );
}

const ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };
