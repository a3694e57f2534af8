import { Inject, Injectable, Logger } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { randomUUID } from 'node:crypto';
import { EntityNotFoundError, InvalidInputError } from '../common/errors/domain-errors.js';
import { Jobs } from '../common/jobs/jobs.service.js';
import type { Page } from '../common/pagination/page.js';
import { offsetOf } from '../common/pagination/page.js';
import { flattenValidationErrors } from '../common/validation/validation.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { classifyDatabaseError, isDatabaseUnavailable, violatedConstraint } from '../database/database-errors.js';
import { inTransaction } from '../database/transaction.js';
import { writeContext, type WriteActor } from '../database/write-context.js';
import {
  DEFAULT_MAX_CHANGES,
  SyncJobQueryDto,
  type SyncChangeDto,
  type SyncChangesQueryDto,
  type SyncJobAcceptedDto,
  type SyncJobDto,
  type SyncMode,
  type SyncSection,
} from './dto/sync.dto.js';
import { bodyKind, OPTION_KEYS, readUpload, validateRow, type AssignmentRow, type PersonRow, type UnitRow } from './sync-input.js';
import type { SyncUpload } from './sync-upload.js';
import { SyncRepository, type SyncErrorRow, type SyncJobRow } from './sync.repository.js';

/** The pg-boss queue of sync jobs, and where pg-boss puts a job that failed every attempt. */
export const SYNC_QUEUE = 'sync-jobs';
export const SYNC_DEAD_QUEUE = 'sync-jobs-dead';
/** Rows staged per multi-row insert, and new people inserted per step (progress steps). */
const STAGE_BATCH = 2_000;
const APPLY_CHUNK = 25_000;
/** Errors kept per job (the summary counts every invalid row), and shown by the status route. */
const MAX_STORED_ERRORS = 10_000;
const MAX_SHOWN_ERRORS = 1_000;
/** Finished jobs deleted per statement by the retention. */
const TRIM_BATCH = 20;
/** A job's transaction: its statements may be long, and it may wait for single writes in flight. */
const JOB_STATEMENT_TIMEOUT_MS = 600_000;
const JOB_LOCK_TIMEOUT_MS = 60_000;

interface Options {
  mode: SyncMode;
  dryRun: boolean;
  maxChanges: number;
  projectId: string | null;
}

@Injectable()
export class SyncService {
  private readonly logger = new Logger('Sync');

  constructor(
    private readonly em: EntityManager,
    private readonly repository: SyncRepository,
    private readonly jobs: Jobs,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Accepts a job: streams the body row by row, validates each row like the single routes, stages
   * the rows (multi-row inserts), and queues the pg-boss job, all in one transaction: a job exists
   * with all its rows and its queue entry, or not at all. `actor`: the token of the request (null
   * fields for `npm run sync` against the database), the job's writer in the change log.
   */
  async submit(upload: SyncUpload | undefined, query: SyncJobQueryDto, actor: WriteActor, requestId: string): Promise<SyncJobAcceptedDto> {
    if (!upload?.hasBody) throw InvalidInputError.field('body', 'is required: a JSON object or a CSV file');
    const kind = bodyKind(upload.contentType);
    if (kind === 'json') {
      const given = OPTION_KEYS.filter((key) => query[key] !== undefined);
      if (given.length > 0)
        throw new InvalidInputError(given.map((field) => ({ field, message: 'goes in the JSON body, not the query string' })));
    }
    // The body starts arriving before anything is awaited (REQUEST_TIMEOUT_MS runs until it is all in).
    const items = readUpload(upload, kind, this.config.sync.bodyLimitBytes);
    await this.jobs.queue(SYNC_DEAD_QUEUE);
    await this.jobs.queue(SYNC_QUEUE, QUEUE_OPTIONS);
    const id = randomUUID();
    await inTransaction(this.em, async (tx) => {
      await this.repository.insertJob({
        id,
        mode: 'upsert',
        dryRun: false,
        maxChanges: DEFAULT_MAX_CHANGES,
        projectId: null,
        actor,
        requestId,
      });
      const ingest = await this.ingest(id, items);
      const options = kind === 'json' ? parseOptions(ingest.options) : optionsOf(query);
      await this.repository.finishIngest(id, options, kind === 'csv' ? ['people'] : [...ingest.sections], ingest.total, ingest.invalid);
      await this.jobs.send(SYNC_QUEUE, { jobId: id }, { ...JOB_OPTIONS, singletonKey: id }, tx);
    });
    return { id, status: 'queued' };
  }

  private async ingest(id: string, items: AsyncGenerator<import('./sync-input.js').UploadItem>) {
    const people: { index: number; row: PersonRow }[] = [];
    const units: { index: number; row: UnitRow }[] = [];
    const roles: { index: number; row: UnitRow }[] = [];
    const assignments: { index: number; row: AssignmentRow }[] = [];
    const errors: SyncErrorRow[] = [];
    const options: Record<string, unknown> = {};
    const sections = new Set<SyncSection>();
    let total = 0;
    let invalid = 0;
    let storedErrors = 0;
    // One batch insert in flight while the next batch is read and validated: the database and the
    // validation overlap instead of taking turns.
    let inflight: Promise<void> = Promise.resolve();
    const stage = async (work: () => Promise<void>) => {
      await inflight;
      inflight = work();
      // Handled here so that a failure waits for the next await instead of crashing as unhandled.
      inflight.catch(() => undefined);
    };
    const flush = async (all: boolean) => {
      if (all || people.length >= STAGE_BATCH) {
        const batch = people.splice(0);
        await stage(() => this.repository.stagePeople(id, batch));
      }
      if (all || units.length >= STAGE_BATCH) {
        const batch = units.splice(0);
        await stage(() => this.repository.stageUnits(id, 'sync_unit', batch));
      }
      if (all || roles.length >= STAGE_BATCH) {
        const batch = roles.splice(0);
        await stage(() => this.repository.stageUnits(id, 'sync_role', batch));
      }
      if (all || assignments.length >= STAGE_BATCH) {
        const batch = assignments.splice(0);
        await stage(() => this.repository.stageAssignments(id, batch));
      }
      if (all || errors.length >= STAGE_BATCH) {
        const kept = errors.splice(0).slice(0, Math.max(0, MAX_STORED_ERRORS - storedErrors));
        storedErrors += kept.length;
        await stage(() => this.repository.insertErrors(id, kept));
      }
      if (all) await inflight;
    };
    try {
      await this.read(
        items,
        { people, units, roles, assignments, errors, options, sections },
        flush,
        (n) => (invalid += n),
        () => total++,
      );
    } finally {
      // Never leave an insert running on the transaction when the body fails half-way.
      await inflight.catch(() => undefined);
    }
    await flush(true);
    return { options, sections, total, invalid };
  }

  private async read(
    items: AsyncGenerator<import('./sync-input.js').UploadItem>,
    into: {
      people: { index: number; row: PersonRow }[];
      units: { index: number; row: UnitRow }[];
      roles: { index: number; row: UnitRow }[];
      assignments: { index: number; row: AssignmentRow }[];
      errors: SyncErrorRow[];
      options: Record<string, unknown>;
      sections: Set<SyncSection>;
    },
    flush: (all: boolean) => Promise<void>,
    addInvalid: (n: number) => void,
    addRow: () => void,
  ): Promise<void> {
    const { people, units, roles, assignments, errors, options, sections } = into;
    for await (const item of items) {
      if (item.kind === 'option') options[item.key] = item.value;
      else if (item.kind === 'section') sections.add(item.section);
      else if (item.kind === 'error') {
        addRow();
        addInvalid(1);
        errors.push({ section: item.section, index: item.index, field: null, message: item.message });
      } else {
        addRow();
        sections.add(item.section);
        const { valid, errors: rowErrors } = validateRow(item.section, item.value);
        if (!valid) {
          addInvalid(1);
          for (const e of rowErrors) errors.push({ section: item.section, index: item.index, field: e.field || null, message: e.message });
        } else if (valid.section === 'people') people.push({ index: item.index, row: valid.row });
        else if (valid.section === 'org_units') units.push({ index: item.index, row: valid.row });
        else if (valid.section === 'org_roles') roles.push({ index: item.index, row: valid.row as UnitRow });
        else assignments.push({ index: item.index, row: valid.row });
        await flush(false);
      }
    }
  }

  async get(id: string): Promise<SyncJobDto> {
    const job = await this.repository.find(id);
    if (!job) throw new EntityNotFoundError(`No sync job ${id}.`);
    const errors = await this.repository.errors(id, MAX_SHOWN_ERRORS);
    return {
      id: job.id,
      status: job.status,
      mode: job.mode,
      dry_run: job.dry_run,
      max_changes: job.max_changes,
      project_id: job.project_id,
      created_at: job.created_at,
      started_at: job.started_at,
      finished_at: job.finished_at,
      progress: { total: job.progress_total, done: job.progress_done },
      summary: job.summary,
      errors,
    };
  }

  async changes(id: string, query: SyncChangesQueryDto): Promise<Page<SyncChangeDto>> {
    if (!(await this.repository.find(id))) throw new EntityNotFoundError(`No sync job ${id}.`);
    const page = query.toPageRequest();
    const { items, total } = await this.repository.changes(id, offsetOf(page), page.perPage);
    return { items, total, page: page.page, perPage: page.perPage };
  }

  /**
   * Runs a job (the pg-boss worker calls this). Validation against the data, plan and apply happen in
   * ONE transaction that first locks the four tables against writes (not against reads): the plan
   * sees every write acknowledged before it, nothing lands between plan and apply, and the job
   * commits whole or not at all. A second runner of the same job (another instance after an expiry)
   * finds the job's advisory lock taken, or the job finished, and does nothing.
   */
  async run(id: string): Promise<void> {
    const job = await this.repository.claim(id);
    if (!job) return;
    const phases = new PhaseTimer();
    try {
      await writeContext.run({ actor: job.actor, requestId: job.id }, () => inTransaction(this.em, () => this.plan(job, phases)));
      phases.mark('commit');
      this.logger.log(`sync job ${id}: ${String(phases)}`);
    } catch (error) {
      // The database is away: the job stays running, pg-boss retries it (and nothing was applied).
      if (isDatabaseUnavailable(error)) throw error;
      this.logger.warn(`sync job ${id} failed: ${(error as Error).message}`);
      await inTransaction(this.em, async () => {
        await this.repository.clearPlan(id);
        await this.repository.finish(id, 'failed', {}, [{ section: 'job', index: null, field: null, message: failureReason(error) }]);
      });
    }
  }

  /**
   * Deletes the jobs that finished more than SYNC_JOB_RETENTION_DAYS ago, with their errors and
   * planned changes, a few jobs per statement (one job may hold 100,000 changes). Returns how many.
   */
  async trimFinished(now = new Date()): Promise<number> {
    const cutoff = new Date(now.getTime() - this.config.sync.jobRetentionDays * 86_400_000);
    let total = 0;
    for (;;) {
      const deleted = await this.repository.trimFinished(cutoff, TRIM_BATCH);
      total += deleted;
      if (deleted < TRIM_BATCH) return total;
    }
  }

  /** A job whose every attempt ended without finishing (process crashes): failed, with that reason. */
  async giveUp(id: string): Promise<void> {
    await inTransaction(this.em, async () => {
      const status = await this.repository.status(id);
      if (status !== 'queued' && status !== 'running') return;
      await this.repository.finish(id, 'failed', {}, [
        { section: 'job', index: null, field: null, message: 'the job was interrupted on every attempt (process stopped or crashed)' },
      ]);
    });
  }

  private async plan(job: SyncJobRow, phases: PhaseTimer): Promise<void> {
    const id = job.id;
    if (!(await this.repository.tryLockJob(id))) return;
    const status = await this.repository.status(id);
    if (status !== 'running') return;
    await this.repository.setJobTimeouts(JOB_STATEMENT_TIMEOUT_MS, JOB_LOCK_TIMEOUT_MS);
    await this.repository.clearPlan(id);
    const invalid = job.summary.invalid;
    if (invalid > 0) {
      await this.repository.finish(id, 'failed', { invalid });
      return;
    }
    await this.repository.analyzeStaging();
    phases.mark('analyze');
    const side = new SyncRepository(this.em.fork());
    const total = job.progress_total;
    if (!job.dry_run) await this.repository.lockTables();
    phases.mark('lock');
    const at = new Date();
    await this.repository.referentialErrors(id, job.project_id, at);
    const refused = await this.repository.countInvalidRows(id);
    phases.mark('check');
    if (refused > 0) {
      await this.repository.finish(id, 'failed', { invalid: refused });
      return;
    }
    const snapshot = job.mode === 'snapshot';
    const people = await this.repository.maxIndex(id);
    await this.repository.planPeople(id);
    const loops = await this.repository.managerCycles(id);
    if (loops > 0) {
      await this.repository.clearPlan(id);
      await this.repository.finish(id, 'failed', { invalid: loops });
      return;
    }
    await side.setProgress(id, Math.floor(people / 2));
    phases.mark('plan people');
    if (snapshot && job.sections.includes('people')) await this.repository.planPeopleSnapshot(id, at);
    phases.mark('plan snapshot');
    await this.repository.planCoded(id, 'role', job.project_id);
    await this.repository.planCoded(id, 'unit', job.project_id);
    await this.repository.planAssignments(id, job.project_id, at, snapshot && job.sections.includes('org_persons'));
    const counts = await this.repository.planCounts(id);
    phases.mark('plan the rest');
    const changes = counts.create + counts.update + counts.historicize;
    if (changes > job.max_changes) {
      await this.repository.finish(id, 'aborted', counts, [
        {
          section: 'job',
          index: null,
          field: null,
          message: `the plan has ${changes} changes (creates + updates + historicizes), more than max_changes (${job.max_changes}): nothing was applied`,
        },
      ]);
      return;
    }
    if (job.dry_run) {
      await this.repository.finish(id, 'succeeded', counts);
      return;
    }
    await side.setProgress(id, Math.floor(total / 2));
    // A re-sync creates few people or none: no pass over the staged rows then.
    const creates = await this.repository.countPlanned(id, 'person', 'create');
    for (let lo = 0; creates > 0 && lo < people; lo += APPLY_CHUNK) {
      await this.repository.insertPeople(id, at, lo, lo + APPLY_CHUNK);
      await side.setProgress(id, Math.floor(total / 2 + Math.min(lo + APPLY_CHUNK, people) / 2));
    }
    // The new people whose manager is a new person not inserted before them.
    if (creates > 0) await this.repository.insertPeople(id, at);
    await this.repository.updatePeople(id, at);
    phases.mark('apply people');
    await this.repository.applyRoles(id, job.project_id, at);
    const cyclic = await this.repository.applyUnits(id, job.project_id, at);
    if (cyclic > 0) throw new CycleError();
    await this.repository.applyAssignments(id, at);
    await this.repository.applyHistoricize(id, at);
    phases.mark('apply the rest');
    await this.repository.finish(id, 'succeeded', counts);
    phases.mark('finish');
  }
}

/** Durations of a job's phases, for its log line (where the time of a slow job went). */
class PhaseTimer {
  private last = performance.now();
  private readonly phases: string[] = [];
  mark(name: string): void {
    const now = performance.now();
    this.phases.push(`${name} ${Math.round(now - this.last)} ms`);
    this.last = now;
  }
  toString(): string {
    return this.phases.join(', ');
  }
}

/** Why a job could not be applied, for its errors: no SQL, no internals beyond a constraint name. */
function failureReason(error: unknown): string {
  if (error instanceof CycleError) return error.message;
  const failure = classifyDatabaseError(error);
  const constraint = violatedConstraint(error);
  if (constraint === 'org_unit_no_cycle') return 'the units would form a cycle; nothing was applied';
  if (failure?.reason === '55P03') return 'other writes held the tables for too long; nothing was applied, submit the job again';
  if (failure?.reason === '57014') return 'the job took longer than its statement timeout; nothing was applied';
  if (constraint) return `the job conflicts with the stored data (${constraint}); nothing was applied`;
  return 'the job failed with an internal error; nothing was applied';
}

class CycleError extends Error {
  constructor() {
    super('the new units would form a cycle (their parent_code chains loop); nothing was applied');
  }
}

/** pg-boss options of the sync queue: a dead worker's job is retried after its heartbeat stops. */
export const QUEUE_OPTIONS = { deadLetter: SYNC_DEAD_QUEUE, retryLimit: 3, retryDelay: 2, heartbeatSeconds: 10, expireInSeconds: 3600 };
const JOB_OPTIONS = { retryLimit: 3, retryDelay: 2, heartbeatSeconds: 10, expireInSeconds: 3600 };

function optionsOf(query: SyncJobQueryDto): Options {
  return {
    mode: query.mode ?? 'upsert',
    dryRun: query.dry_run ?? false,
    maxChanges: query.max_changes ?? DEFAULT_MAX_CHANGES,
    projectId: query.project_id ?? null,
  };
}

/** The options of a JSON body, validated like the query string of a CSV upload. */
function parseOptions(given: Record<string, unknown>): Options {
  const typed = [
    ['dry_run', 'boolean'],
    ['max_changes', 'number'],
  ] as const;
  const wrong = typed.filter(([key, type]) => given[key] !== undefined && typeof given[key] !== type);
  if (wrong.length > 0) throw new InvalidInputError(wrong.map(([field, type]) => ({ field, message: `must be a ${type}` })));
  const dto = plainToInstance(SyncJobQueryDto, { ...given, project_id: given.project_id ?? undefined });
  const errors = flattenValidationErrors(validateSync(dto, { whitelist: true, forbidNonWhitelisted: true }));
  if (errors.length > 0) throw new InvalidInputError(errors);
  return optionsOf(dto);
}
