import { BadRequestException, Logger, NotFoundException } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { loadConfig } from '../../config/app-config.js';
import { ConflictError, InvalidInputError, TooManyRequestsError, UnauthorizedError } from './domain-errors.js';
import { ProblemDetailsFilter, sendProblem } from './problem-details.filter.js';

const request = { id: 'req-1', method: 'POST', url: '/api/v2/data/people?access-token=ogm_secret' } as unknown as FastifyRequest;
const filter = new ProblemDetailsFilter(loadConfig({ DB_RETRY_AFTER_SECONDS: '7' }));

const dbError = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('ProblemDetailsFilter.toProblem', () => {
  // The 500 path logs the error on purpose; keep the test output quiet (each test file has its own modules).
  beforeAll(() => {
    Logger.overrideLogger(false);
  });

  it('renders a domain error with its status, type, headers and extensions', () => {
    expect(filter.toProblem(InvalidInputError.field('email', 'must be a valid email address'), request)).toEqual({
      status: 400,
      slug: 'validation-error',
      title: 'Validation failed',
      detail: 'email: must be a valid email address',
      headers: {},
      extensions: { errors: [{ field: 'email', message: 'must be a valid email address' }] },
    });
    expect(filter.toProblem(new UnauthorizedError('no', true), request).headers).toEqual({
      'WWW-Authenticate': 'Bearer realm="organigram", error="invalid_token"',
    });
    expect(filter.toProblem(new TooManyRequestsError(30), request)).toMatchObject({ status: 429, headers: { 'Retry-After': '30' } });
    expect(filter.toProblem(new ConflictError('taken'), request)).toMatchObject({ status: 409, slug: 'conflict' });
  });

  it('renders a Nest 404 as "No route for" the path, without the query string', () => {
    expect(filter.toProblem(new NotFoundException(), request)).toEqual({
      status: 404,
      slug: 'not-found',
      title: 'Not found',
      detail: 'No route for POST /api/v2/data/people',
    });
  });

  it('renders other Nest HTTP exceptions with their status and message', () => {
    expect(filter.toProblem(new BadRequestException('bad thing'), request)).toMatchObject({ status: 400, detail: 'bad thing' });
  });

  it.each([
    [{ statusCode: 413, code: 'FST_ERR_CTP_BODY_TOO_LARGE' }, 413, 'payload-too-large'],
    [{ statusCode: 415, code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE' }, 415, 'unsupported-media-type'],
    [{ statusCode: 400, code: 'FST_ERR_CTP_EMPTY_JSON_BODY' }, 400, 'bad-request'],
    [{ statusCode: 400, code: 'FST_ERR_CTP_INVALID_JSON_BODY' }, 400, 'bad-request'],
  ])('renders the Fastify error %p as %p', (fields, status, slug) => {
    expect(filter.toProblem(Object.assign(new Error('Unexpected token } in JSON at position 1'), fields), request)).toMatchObject({
      status,
      slug,
    });
  });

  it('never passes a Fastify parser message (it can quote the body) to the client', () => {
    const error = Object.assign(new SyntaxError('Unexpected token s in JSON: "secret"'), { statusCode: 400 });
    expect(filter.toProblem(error, request).detail).toBe('The request body is not valid JSON.');
  });

  it('renders an unavailable database as 503 with Retry-After from the config', () => {
    expect(filter.toProblem(dbError('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'), request)).toEqual({
      status: 503,
      slug: 'service-unavailable',
      title: 'Service unavailable',
      detail: 'The database is unavailable; retry later.',
      headers: { 'Retry-After': '7' },
    });
  });

  it('renders a value the database refused as 400 and a constraint race as 409, without SQL text', () => {
    const invalid = filter.toProblem(
      dbError('insert into "person" ... - value too long for type character varying(100)', '22001'),
      request,
    );
    expect(invalid).toMatchObject({ status: 400, slug: 'bad-request' });
    expect(invalid.detail).not.toMatch(/insert|person|varying/i);
    const conflict = filter.toProblem(
      dbError('update "person" set ... - duplicate key value violates unique constraint', '23505'),
      request,
    );
    expect(conflict).toMatchObject({ status: 409, slug: 'conflict' });
    expect(conflict.detail).not.toMatch(/update|person|duplicate key/i);
  });

  it('renders anything else as a 500 that says nothing about the error', () => {
    const problem = filter.toProblem(new TypeError("Cannot read properties of undefined (reading 'select * from person')"), request);
    expect(problem).toEqual({
      status: 500,
      slug: 'internal-error',
      title: 'Internal server error',
      detail: 'An unexpected error occurred. Quote the requestId when reporting it.',
    });
  });
});

describe('sendProblem', () => {
  it('writes an application/problem+json body with the path (never the query) and the request id', () => {
    const sent: { status?: number; headers: Record<string, string>; body?: string } = { headers: {} };
    const reply = {
      header(name: string, value: string) {
        sent.headers[name] = value;
        return this;
      },
      status(code: number) {
        sent.status = code;
        return this;
      },
      send(body: string) {
        sent.body = body;
        return this;
      },
    } as unknown as FastifyReply;
    sendProblem(reply, request, {
      status: 401,
      slug: 'unauthorized',
      title: 'Unauthorized',
      detail: 'no',
      headers: { 'WWW-Authenticate': 'Bearer' },
    });
    expect(sent.status).toBe(401);
    expect(sent.headers).toEqual({ 'WWW-Authenticate': 'Bearer', 'content-type': 'application/problem+json' });
    expect(JSON.parse(sent.body!)).toEqual({
      type: 'https://organigram.dev/problems/unauthorized',
      title: 'Unauthorized',
      status: 401,
      detail: 'no',
      instance: '/api/v2/data/people',
      requestId: 'req-1',
    });
    expect(sent.body).not.toContain('ogm_secret');
  });
});
