import 'reflect-metadata';
import { Module, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { MikroORM } from '@mikro-orm/postgresql';
import { RequestContext } from '@mikro-orm/core';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { randomUUID } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { extname } from 'node:path';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { DomainError, InvalidInputError } from '../src/common/errors/domain-errors.js';
import { JobsModule } from '../src/common/jobs/jobs.module.js';
import { escapeForTerminal } from '../src/common/validation/free-text.js';
import { flattenValidationErrors } from '../src/common/validation/validation.js';
import type { AppConfig } from '../src/config/app-config.js';
import { ConfigModule } from '../src/config/config.module.js';
import { openDatabaseTarget } from '../src/database/database-target.js';
import { describeDatabaseUrl } from '../src/database/prepare.js';
import { cliOrmConfig } from '../src/entities.js';
import { SyncJobQueryDto, type SyncJobDto } from '../src/sync/dto/sync.dto.js';
import { SyncModule } from '../src/sync/sync.module.js';
import { SyncService } from '../src/sync/sync.service.js';
import { cliConfig, openPreparedOrm } from './cli-support.js';

const USAGE = `Usage: npm run sync -- --file people.csv [--dry-run] [--mode upsert|snapshot] [--max-changes N] [--project UUID]
Submits a bulk sync job and follows it to the end.
Where: without ORGANIGRAM_URL and ORGANIGRAM_TOKEN, straight to the database npm start uses
(DATABASE_URL, or the embedded one): the job is queued there, and run by this command (or by a
server working the same queue). With them, over HTTP to a running Organigram:
  ORGANIGRAM_URL    the server (default http://127.0.0.1:3000)
  ORGANIGRAM_TOKEN  an API token of an Administrator or above
A .json file is sent as it is (its options are in the file); any other file is sent as text/csv.
Exit status: 0 succeeded, 1 failed or aborted, 2 usage, refused upload or connection error.`;

/** What the command shows of a job (GET /api/v2/sync/jobs/{id}). */
type Job = Pick<SyncJobDto, 'id' | 'status' | 'dry_run' | 'progress' | 'summary' | 'errors'>;

/** What the command sends: the file, its kind and the job's options (for a CSV). */
interface Submission {
  file: string;
  json: boolean;
  options: { mode?: string; dry_run?: string; max_changes?: string; project_id?: string };
}

/** A refused upload: the problem's detail and its field errors. */
class Refused extends Error {
  constructor(
    readonly detail: string,
    readonly errors: readonly { field: string; message: string }[],
    readonly status?: number,
  ) {
    super(detail);
  }
}

function usage(message: string): never {
  process.stderr.write(`sync: ${message}\n${USAGE}\n`);
  process.exit(2);
}

async function main(): Promise<number> {
  let values;
  try {
    values = parseArgs({
      args: process.argv.slice(2),
      options: {
        file: { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        mode: { type: 'string' },
        'max-changes': { type: 'string' },
        project: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    }).values;
  } catch (error) {
    usage((error as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (!values.file) usage('--file is required');
  if (values.mode !== undefined && !['upsert', 'snapshot'].includes(values.mode)) usage('--mode must be upsert or snapshot');
  if (values['max-changes'] !== undefined && !/^\d{1,8}$/.test(values['max-changes'])) usage('--max-changes must be a whole number');
  const json = extname(values.file).toLowerCase() === '.json';
  const options: Submission['options'] = {};
  if (values.mode) options.mode = values.mode;
  if (values['dry-run']) options.dry_run = 'true';
  if (values['max-changes']) options.max_changes = values['max-changes'];
  if (values.project) options.project_id = values.project;
  if (json && Object.keys(options).length > 0) usage('options of a .json file go in the file itself');
  try {
    statSync(values.file);
  } catch {
    usage(`cannot read ${values.file}`);
  }
  const submission = { file: values.file, json, options };
  const token = process.env.ORGANIGRAM_TOKEN?.trim();
  const url = process.env.ORGANIGRAM_URL?.trim();
  try {
    if (!token && !url) return await viaDatabase(submission);
    if (!token) usage('ORGANIGRAM_TOKEN is not set (ORGANIGRAM_URL is: the job goes over HTTP)');
    return await viaHttp(submission, (url || 'http://127.0.0.1:3000').replace(/\/+$/, ''), token);
  } catch (error) {
    if (!(error instanceof Refused)) throw error;
    process.stderr.write(
      `sync: ${error.status ? `the server answered ${error.status}: ` : 'refused: '}${escapeForTerminal(error.detail)}\n`,
    );
    for (const e of error.errors) process.stderr.write(`  ${escapeForTerminal(e.field)}: ${escapeForTerminal(e.message)}\n`);
    return 2;
  }
}

/** Submits over HTTP to a running server, then follows the job there. */
async function viaHttp(submission: Submission, base: string, token: string): Promise<number> {
  const headers = { Authorization: `Bearer ${token}` };
  const query = new URLSearchParams(submission.options);
  const submitted = await fetch(`${base}/api/v2/sync/jobs${query.size ? `?${query.toString()}` : ''}`, {
    method: 'POST',
    headers: { ...headers, 'Content-Type': submission.json ? 'application/json' : 'text/csv; charset=utf-8' },
    body: Readable.toWeb(createReadStream(submission.file)) as ReadableStream,
    duplex: 'half',
  });
  const accepted = (await submitted.json()) as { id?: string; detail?: string; errors?: { field: string; message: string }[] };
  if (submitted.status !== 202 || !accepted.id) throw new Refused(accepted.detail ?? '', accepted.errors ?? [], submitted.status);
  return follow(accepted.id, base, async () => {
    const res = await fetch(`${base}/api/v2/sync/jobs/${accepted.id}`, { headers });
    if (res.status !== 200) throw new Error(`status answered ${res.status}`);
    return (await res.json()) as Job;
  });
}

/**
 * The sync feature without HTTP: the job is accepted, queued and followed in the database, and this
 * process works the queue like a server instance while it waits (contract section 12: the same
 * DATABASE_URL rule as `npm start`).
 */
@Module({})
class SyncCommandModule {
  static forRoot(config: AppConfig, url: string): DynamicModule {
    return {
      module: SyncCommandModule,
      imports: [
        ConfigModule.forRoot(config),
        MikroOrmModule.forRoot({ ...cliOrmConfig(config, url), registerRequestContext: false, logger: () => undefined }),
        JobsModule.forRoot(config, url),
        SyncModule,
      ],
    };
  }
}

/** The CLI's writer in the change log: no token, as for the token CLI. */
const CLI_ACTOR = { tokenId: null, tokenName: null, role: null };

async function viaDatabase(submission: Submission): Promise<number> {
  const config = cliConfig();
  const target = await openDatabaseTarget(config).catch((error: Error) => usage(error.message));
  try {
    // The database first (pending migrations applied), on a connection of its own: Nest initialises
    // an application context as it creates it, which starts the sync worker (docs/decisions.md, "Boot order").
    const prepared = await openPreparedOrm(config, target.url, true).catch(async (error: Error) => {
      await target.close().catch(() => undefined);
      return usage(error.message);
    });
    await prepared.close(true);
    const app = await NestFactory.createApplicationContext(SyncCommandModule.forRoot(config, target.url), { logger: false });
    try {
      const orm = app.get(MikroORM);
      const sync = app.get(SyncService);
      const inContext = <T>(work: () => Promise<T>) => RequestContext.create(orm.em, work);
      const query = queryOf(submission.options);
      const { size } = statSync(submission.file);
      const upload = {
        stream: createReadStream(submission.file),
        contentType: submission.json ? 'application/json' : 'text/csv; charset=utf-8',
        contentLength: size,
        hasBody: size > 0,
      };
      let id: string;
      try {
        id = (await inContext(() => sync.submit(upload, query, CLI_ACTOR, randomUUID()))).id;
      } catch (error) {
        if (error instanceof InvalidInputError) throw new Refused(error.message, error.errors);
        if (error instanceof DomainError) throw new Refused(error.message, []);
        throw error;
      }
      return await follow(id, describeDatabaseUrl(target.url), () => inContext(() => sync.get(id)));
    } finally {
      await app.close();
    }
  } finally {
    await target.close();
  }
}

/** The options of a CSV, validated as the query string of the route is. */
function queryOf(options: Submission['options']): SyncJobQueryDto {
  const query = plainToInstance(SyncJobQueryDto, options);
  const errors = flattenValidationErrors(validateSync(query, { whitelist: true, forbidNonWhitelisted: true }));
  const names: Record<string, string> = { mode: '--mode', dry_run: '--dry-run', max_changes: '--max-changes', project_id: '--project' };
  if (errors.length > 0) usage(errors.map((e) => `${names[e.field] ?? e.field} ${e.message}`).join('\n'));
  return query;
}

/**
 * Follows a job to its end: a bar on a terminal, plain lines (one per change of state or tenth of
 * the work) otherwise; then the summary on standard output. 0 when it succeeded, 1 otherwise.
 */
async function follow(id: string, where: string, status: () => Promise<Job>): Promise<number> {
  process.stderr.write(`sync: job ${id} queued\n`);
  const tty = Boolean(process.stderr.isTTY);
  const bar = tty
    ? new cliProgress.SingleBar(
        { format: 'sync {status} [{bar}] {value}/{total} rows', stream: process.stderr },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  let started = false;
  let lastLine = '';
  let job: Job;
  for (;;) {
    try {
      job = await status();
    } catch (error) {
      bar?.stop();
      throw error;
    }
    const { total, done } = job.progress;
    if (bar) {
      if (!started) bar.start(Math.max(total, 1), done, { status: job.status });
      started = true;
      bar.setTotal(Math.max(total, 1));
      bar.update(done, { status: job.status });
    } else {
      const line = `${job.status} ${Math.floor((done * 10) / Math.max(total, 1)) * 10}% (${done}/${total} rows)`;
      if (line !== lastLine) process.stderr.write(`sync: ${line}\n`);
      lastLine = line;
    }
    if (!['queued', 'running'].includes(job.status)) break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  bar?.stop();
  const s = job.summary;
  process.stdout.write(
    `${job.status}${job.dry_run ? ' (dry run: nothing changed)' : ''}: create ${s.create}, update ${s.update}, historicize ${s.historicize}, ` +
      `unchanged ${s.unchanged}, invalid ${s.invalid}\n`,
  );
  for (const e of job.errors.slice(0, 50)) {
    const at = e.index === null ? e.section : `${e.section}[${e.index}]`;
    process.stdout.write(`  ${at}${e.field ? ` ${escapeForTerminal(e.field)}` : ''}: ${escapeForTerminal(e.message)}\n`);
  }
  if (job.errors.length > 50) process.stdout.write(`  ... and ${job.errors.length - 50} more (job ${job.id} at ${where})\n`);
  return job.status === 'succeeded' ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    process.stderr.write(`sync: ${error.message}\n`);
    process.exit(2);
  },
);
