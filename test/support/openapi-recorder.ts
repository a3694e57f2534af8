/**
 * Jest setupFilesAfterEnv of the e2e project: records every response a supertest request of the
 * test file receives, and after the file checks them all against the OpenAPI document the app serves
 * (see openapi-conformance.ts). The file fails with the list of violations, if any.
 *
 * OPENAPI_CONFORMANCE=off skips the check; =report writes the violations to
 * $OPENAPI_CONFORMANCE_DIR (default .scratch/openapi-conformance) as JSON without failing.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import request from 'supertest';
import {
  formatViolations,
  OpenApiConformance,
  referenceDocument,
  servedDocumentOf,
  type Exchange,
  type OpenApiDocument,
  type Violation,
} from './openapi-conformance.js';

interface Recorded {
  server: object | undefined;
  exchange: Exchange;
}

interface RecordedResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text?: string;
  body?: unknown;
  req?: { path?: string };
}

type AssertFn = (this: TestLike, resError: unknown, res: RecordedResponse | undefined, fn: unknown) => void;
interface TestLike {
  method: string;
  url: string;
  app?: unknown;
}

const mode = process.env.OPENAPI_CONFORMANCE ?? 'fail';
const recorded: Recorded[] = [];

if (mode !== 'off') {
  const proto = request.Test.prototype as unknown as { assert: AssertFn; __openapiRecorded?: true };
  if (!proto.__openapiRecorded) {
    const original = proto.assert;
    proto.assert = function (this: TestLike, resError, res, fn) {
      if (res && typeof res.status === 'number') {
        const text = typeof res.text === 'string' ? res.text : Buffer.isBuffer(res.body) ? res.body.toString('utf8') : '';
        recorded.push({
          server: typeof this.app === 'object' && this.app !== null ? this.app : undefined,
          exchange: {
            method: this.method,
            // The path as sent: new URL() would resolve %2e%2e segments the server routes literally.
            url: /^[a-z]+:\/\/[^/]+(\/[^?#]*)/i.exec(this.url)?.[1] ?? res.req?.path ?? '/',
            status: res.status,
            headers: res.headers,
            text,
            test: expect.getState().currentTestName,
          },
        });
      }
      original.call(this, resError, res, fn);
    };
    proto.__openapiRecorded = true;
  }

  afterAll(async () => {
    if (recorded.length === 0) return;
    const checkers = new Map<OpenApiDocument, OpenApiConformance>();
    const violations: Violation[] = [];
    let usedReference = false;
    const checked = recorded.length;
    for (const { server, exchange } of recorded.splice(0)) {
      let doc = server ? servedDocumentOf(server) : undefined;
      if (!doc) {
        doc = await referenceDocument();
        usedReference = true;
      }
      let checker = checkers.get(doc);
      if (!checker) checkers.set(doc, (checker = new OpenApiConformance(doc)));
      violations.push(...checker.check(exchange));
    }
    const file = basename(expect.getState().testPath ?? 'unknown');
    if (mode === 'report') {
      const dir = process.env.OPENAPI_CONFORMANCE_DIR ?? join(process.cwd(), '.scratch', 'openapi-conformance');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `${file}.json`), JSON.stringify({ file, checked, usedReference, violations }, null, 2));
      return;
    }
    if (violations.length > 0) {
      throw new Error(
        `${violations.length} response(s) of ${file} do not conform to the OpenAPI document${usedReference ? ' (reference build)' : ''}:\n${formatViolations(violations)}`,
      );
    }
  });
}
