const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** The longest token lifetime accepted: 10 years. */
export const MAX_DURATION_MS = 10 * 366 * UNITS.d;

/** Parses "90s", "15m", "12h", "30d", "2w" into milliseconds; undefined when malformed, zero or over 10 years. */
export function parseDuration(value: string): number | undefined {
  const match = /^(\d{1,6})([smhdw])$/.exec(value.trim());
  if (!match) return undefined;
  const ms = Number(match[1]) * UNITS[match[2]];
  return ms > 0 && ms <= MAX_DURATION_MS ? ms : undefined;
}

/** The shortest exact spelling of a duration in the {@link parseDuration} syntax: 31536000000 -> "365d". */
export function formatDuration(ms: number): string {
  for (const unit of ['w', 'd', 'h', 'm'] as const) {
    if (ms % UNITS[unit] === 0) return `${ms / UNITS[unit]}${unit}`;
  }
  return `${Math.ceil(ms / 1000)}s`;
}
