import { ConnectionException } from '@mikro-orm/core';
import { classifyDatabaseError, isDatabaseUnavailable, isStatementTimeout, violatedConstraint } from './database-errors.js';

/** An error as the pg driver (code) or MikroORM (sqlState) reports it. */
function dbError(message: string, fields: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(message), fields);
}

describe('classifyDatabaseError', () => {
  it.each([
    ['57014', 'statement timeout'],
    ['55P03', 'lock timeout'],
    ['57P01', 'admin shutdown'],
    ['57P03', 'cannot connect now'],
    ['53300', 'too many connections'],
    ['40001', 'serialization failure'],
    ['40P01', 'deadlock'],
    ['08006', 'connection failure'],
    ['08P01', 'protocol violation (any 08 class)'],
  ])('classifies SQLSTATE %s (%s) as unavailable', (code) => {
    expect(classifyDatabaseError(dbError('x', { code }))).toEqual({ kind: 'unavailable', reason: code });
  });

  it.each([
    ['22001', 'value too long'],
    ['22P02', 'invalid text representation'],
    ['22021', 'NUL byte'],
    ['23502', 'not null'],
    ['23514', 'check constraint'],
    ['54001', 'statement too complex'],
  ])('classifies SQLSTATE %s (%s) as invalid input', (code) => {
    expect(classifyDatabaseError(dbError('x', { code }))).toEqual({ kind: 'invalid', reason: code });
  });

  it('classifies unique and foreign-key violations as conflicts with their constraint', () => {
    expect(classifyDatabaseError(dbError('dup', { code: '23505', constraint: 'person_email_lower_uniq' }))).toEqual({
      kind: 'conflict',
      reason: '23505',
      constraint: 'person_email_lower_uniq',
    });
    expect(classifyDatabaseError(dbError('fk', { code: '23503' }))).toEqual({ kind: 'conflict', reason: '23503', constraint: undefined });
  });

  it('prefers sqlState over code', () => {
    expect(classifyDatabaseError(dbError('x', { sqlState: '23505', code: 'ECONNRESET' }))?.kind).toBe('conflict');
  });

  it.each([
    'connect ECONNREFUSED 127.0.0.1:5432',
    'timeout exceeded when trying to connect',
    'Connection terminated unexpectedly',
    'terminating connection due to administrator command',
    'Cannot use a pool after calling end on the pool',
    'driver has already been destroyed',
  ])('classifies the driver message %p as unavailable', (message) => {
    expect(classifyDatabaseError(dbError(message, { code: 'ECONNREFUSED' }))).toEqual({ kind: 'unavailable', reason: 'connection' });
  });

  it('classifies a MikroORM ConnectionException as unavailable', () => {
    expect(classifyDatabaseError(new ConnectionException(new Error('no route')))?.kind).toBe('unavailable');
  });

  it('leaves other errors unclassified', () => {
    expect(classifyDatabaseError(new Error('undefined is not a function'))).toBeUndefined();
    expect(classifyDatabaseError(dbError('x', { code: '42601' }))).toBeUndefined(); // syntax error: a bug, a 500
    expect(classifyDatabaseError(dbError('x', { code: 'XX' }))).toBeUndefined();
    expect(classifyDatabaseError('57014')).toBeUndefined();
    expect(classifyDatabaseError({ code: '57014' })).toBeUndefined();
    expect(classifyDatabaseError(undefined)).toBeUndefined();
  });
});

describe('isDatabaseUnavailable and violatedConstraint', () => {
  it('answer from the classification', () => {
    expect(isDatabaseUnavailable(dbError('x', { code: '57014' }))).toBe(true);
    expect(isDatabaseUnavailable(dbError('x', { code: '23505' }))).toBe(false);
    expect(violatedConstraint(dbError('x', { code: '23505', constraint: 'c' }))).toBe('c');
    expect(violatedConstraint(dbError('x', { code: '57014', constraint: 'c' }))).toBeUndefined();
  });
});

describe('isStatementTimeout', () => {
  it('is true only for a statement cancelled by its own statement_timeout', () => {
    expect(isStatementTimeout(dbError('canceling statement due to statement timeout', { code: '57014' }))).toBe(true);
    expect(isStatementTimeout(dbError('canceling statement due to user request', { code: '57014' }))).toBe(false);
    expect(isStatementTimeout(dbError('canceling statement due to lock timeout', { code: '55P03' }))).toBe(false);
    expect(isStatementTimeout(dbError('connect ECONNREFUSED 127.0.0.1:5432'))).toBe(false);
    expect(isStatementTimeout('statement timeout')).toBe(false);
  });
});
