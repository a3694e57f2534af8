import type { CallHandler, ExecutionContext } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';
import { firstValueFrom, of } from 'rxjs';
import type { Page } from './page.js';
import { linkHeader, ListShape, LIST_SHAPE_KEY, pageCount, PaginationInterceptor } from './pagination.interceptor.js';

describe('pageCount', () => {
  it.each([
    [0, 100, 0],
    [1, 100, 1],
    [100, 100, 1],
    [101, 100, 2],
    [5, 2, 3],
    [1000, 1, 1000],
  ])('gives %p rows at %p per page %p pages', (total, perPage, pages) => {
    expect(pageCount(total, perPage)).toBe(pages);
  });
});

describe('linkHeader', () => {
  it('links first, prev, next and last from a middle page, keeping the other parameters', () => {
    expect(linkHeader('/api/v2/data/people?per-page=2&page=2&sort=lastName', 2, 3)).toBe(
      '</api/v2/data/people?per-page=2&page=1&sort=lastName>; rel="first", ' +
        '</api/v2/data/people?per-page=2&page=1&sort=lastName>; rel="prev", ' +
        '</api/v2/data/people?per-page=2&page=3&sort=lastName>; rel="next", ' +
        '</api/v2/data/people?per-page=2&page=3&sort=lastName>; rel="last"',
    );
  });

  it('has no prev on the first page and no next on the last', () => {
    expect(linkHeader('/x', 1, 3)).toBe('</x?page=1>; rel="first", </x?page=2>; rel="next", </x?page=3>; rel="last"');
    expect(linkHeader('/x?page=3', 3, 3)).toBe('</x?page=1>; rel="first", </x?page=2>; rel="prev", </x?page=3>; rel="last"');
  });

  it('links to page 1 only for an empty list', () => {
    expect(linkHeader('/x', 1, 0)).toBe('</x?page=1>; rel="first", </x?page=1>; rel="last"');
  });

  it('points prev at the last page from a page past the end', () => {
    expect(linkHeader('/x?page=9', 9, 3)).toBe('</x?page=1>; rel="first", </x?page=3>; rel="prev", </x?page=3>; rel="last"');
  });

  it('never echoes the access-token credential', () => {
    const header = linkHeader('/x?access-token=ogm_secret&page=1', 1, 2);
    expect(header).not.toContain('ogm_secret');
    expect(header).not.toContain('access-token');
  });

  it('encodes parameter values', () => {
    expect(linkHeader('/x?q=a%20b&sort=-lastName,firstName', 1, 1)).toBe(
      '</x?q=a+b&sort=-lastName%2CfirstName&page=1>; rel="first", </x?q=a+b&sort=-lastName%2CfirstName&page=1>; rel="last"',
    );
  });
});

describe('PaginationInterceptor', () => {
  function run(shape: ListShape | undefined, method: string, page: Page<string>) {
    const headers: Record<string, string> = {};
    const reflector = { get: (key: string) => (key === LIST_SHAPE_KEY ? shape : undefined) } as unknown as Reflector;
    const context = {
      getHandler: () => undefined,
      switchToHttp: () => ({
        getRequest: () => ({ method, url: '/items?per-page=2' }),
        getResponse: () => ({ header: (name: string, value: string) => (headers[name] = value) }),
      }),
    } as unknown as ExecutionContext;
    const next: CallHandler = { handle: () => of(page) };
    return { body: firstValueFrom(new PaginationInterceptor(reflector).intercept(context, next)), headers };
  }

  const page: Page<string> = { items: ['a', 'b'], total: 5, page: 2, perPage: 2 };

  it('renders the envelope shape with the X-Pagination headers and a Link header on GET', async () => {
    const { body, headers } = run(ListShape.Envelope, 'GET', page);
    await expect(body).resolves.toEqual({ count: 5, data: ['a', 'b'] });
    expect(headers).toEqual({
      'X-Pagination-Current-Page': '2',
      'X-Pagination-Page-Count': '3',
      'X-Pagination-Per-Page': '2',
      'X-Pagination-Total-Count': '5',
      Link: linkHeader('/items?per-page=2', 2, 3),
    });
  });

  it('renders the bare array shape, without a Link header on POST', async () => {
    const { body, headers } = run(ListShape.Array, 'POST', page);
    await expect(body).resolves.toEqual(['a', 'b']);
    expect(headers).not.toHaveProperty('Link');
    expect(headers['X-Pagination-Total-Count']).toBe('5');
  });

  it('defaults to the envelope shape', async () => {
    await expect(run(undefined, 'GET', page).body).resolves.toEqual({ count: 5, data: ['a', 'b'] });
  });
});
