import type { ArgumentMetadata } from '@nestjs/common';
import { InvalidInputError } from '../errors/domain-errors.js';
import { edgePipe } from './edge-pipe.js';
import { parseEntityId } from './validation.js';

const META: ArgumentMetadata = { type: 'custom' };

describe('edgePipe', () => {
  const pipe = edgePipe(parseEntityId);

  it('passes an accepted value on at once, parsed', () => {
    expect(pipe.transform('0B9F5F8E1F5E4C7A9A611ED3C6E1D8A2', META)).toBe('0b9f5f8e-1f5e-4c7a-9a61-1ed3c6e1d8a2');
  });

  it('refuses with the parser error, naming the field', async () => {
    await expect(pipe.transform('nope', META)).rejects.toEqual(InvalidInputError.field('id', 'must be a UUID (dashed or 32 hex digits)'));
  });

  it('lets a body error of the same request answer first, as when services parsed ids after every pipe', async () => {
    const bodyError = InvalidInputError.field('name', 'must be a string');
    // Nest settles a route's params with one Promise.all in param order and answers the first error.
    const body = (async () => {
      await Promise.resolve();
      await Promise.resolve();
      throw bodyError;
    })();
    await expect(Promise.all([Promise.resolve(pipe.transform('nope', META)), body])).rejects.toBe(bodyError);
  });
});
