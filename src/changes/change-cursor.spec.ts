import { decodeCursor, encodeCursor, END_OF_TRANSACTION } from './change-cursor.js';

describe('feed cursors', () => {
  it('round-trip a position and a rank', () => {
    expect(decodeCursor(encodeCursor({ position: 42n, seq: 7n }))).toEqual({ position: 42n, seq: 7n });
    expect(decodeCursor(encodeCursor({ position: 1n, seq: END_OF_TRANSACTION }))).toEqual({ position: 1n, seq: END_OF_TRANSACTION });
  });

  it('refuse what is not one of ours', () => {
    for (const bad of [
      '',
      'abc',
      '42',
      'c1.1.2',
      Buffer.from('c1.1').toString('base64url'),
      Buffer.from('c1.-1.2').toString('base64url'),
      'a'.repeat(65),
    ]) {
      expect(decodeCursor(bad)).toBeUndefined();
    }
    expect(decodeCursor(Buffer.from('c1.99999999999999999999.1').toString('base64url'))).toBeUndefined();
  });
});
