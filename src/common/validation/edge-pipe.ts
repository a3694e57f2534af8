import type { PipeTransform } from '@nestjs/common';
import { setImmediate as nextTurn } from 'node:timers/promises';

/**
 * A pipe from a parser: a path or query value is parsed at the edge, so services take it as a typed
 * `string`. A refusal waits one event-loop turn before it is thrown: when the body or the query DTO
 * of the same request is wrong too, their 400 (settled by the validation pipe within this turn)
 * stays the answer, as it was while services parsed ids themselves after every pipe had run.
 * Accepted values pass at once.
 */
export function edgePipe<T>(parse: (raw: unknown) => T): PipeTransform<unknown, T | Promise<T>> {
  return {
    transform(raw: unknown): T | Promise<T> {
      try {
        return parse(raw);
      } catch (error) {
        return nextTurn().then(() => {
          throw error;
        });
      }
    },
  };
}
