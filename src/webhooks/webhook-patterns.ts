/** True when an event type (`<entity>.<op>`) matches one of the webhook's patterns. */
export function matchesEvent(patterns: readonly string[], entity: string, op: string): boolean {
  return patterns.some((p) => p === '*' || p === `${entity}.*` || p === `${entity}.${op}`);
}
