import { createReadStream, statSync } from 'node:fs';
import { extname } from 'node:path';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { escapeForTerminal } from '../src/common/validation/free-text.js';

const USAGE = `Usage: npm run sync -- --file people.csv [--dry-run] [--mode upsert|snapshot] [--max-changes N] [--project UUID]
Submits a bulk sync job to a running Organigram and follows it to the end.
  ORGANIGRAM_URL    the server (default http://127.0.0.1:3000)
  ORGANIGRAM_TOKEN  an API token of an Administrator or above (required)
A .json file is sent as it is (its options are in the file); any other file is sent as text/csv.
Exit status: 0 succeeded, 1 failed or aborted, 2 usage or connection error.`;

interface Job {
  id: string;
  status: string;
  dry_run: boolean;
  progress: { total: number; done: number };
  summary: Record<string, number>;
  errors: { section: string; index: number | null; field: string | null; message: string }[];
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
  const token = process.env.ORGANIGRAM_TOKEN?.trim();
  if (!token) usage('ORGANIGRAM_TOKEN is not set');
  const base = (process.env.ORGANIGRAM_URL?.trim() || 'http://127.0.0.1:3000').replace(/\/+$/, '');
  if (values.mode !== undefined && !['upsert', 'snapshot'].includes(values.mode)) usage('--mode must be upsert or snapshot');
  if (values['max-changes'] !== undefined && !/^\d{1,8}$/.test(values['max-changes'])) usage('--max-changes must be a whole number');
  const json = extname(values.file).toLowerCase() === '.json';
  const query = new URLSearchParams();
  if (values.mode) query.set('mode', values.mode);
  if (values['dry-run']) query.set('dry_run', 'true');
  if (values['max-changes']) query.set('max_changes', values['max-changes']);
  if (values.project) query.set('project_id', values.project);
  if (json && [...query.keys()].length > 0) usage('options of a .json file go in the file itself');
  try {
    statSync(values.file);
  } catch {
    usage(`cannot read ${values.file}`);
  }

  const headers = { Authorization: `Bearer ${token}` };
  const submitted = await fetch(`${base}/api/v2/sync/jobs${query.size ? `?${query.toString()}` : ''}`, {
    method: 'POST',
    headers: { ...headers, 'Content-Type': json ? 'application/json' : 'text/csv; charset=utf-8' },
    body: Readable.toWeb(createReadStream(values.file)) as ReadableStream,
    duplex: 'half',
  });
  const accepted = (await submitted.json()) as { id?: string; detail?: string; errors?: { field: string; message: string }[] };
  if (submitted.status !== 202 || !accepted.id) {
    process.stderr.write(`sync: the server answered ${submitted.status}: ${escapeForTerminal(accepted.detail ?? '')}\n`);
    for (const e of accepted.errors ?? []) process.stderr.write(`  ${escapeForTerminal(e.field)}: ${escapeForTerminal(e.message)}\n`);
    return 2;
  }
  process.stderr.write(`sync: job ${accepted.id} queued\n`);

  // A bar on a terminal; plain lines (one per change of state or tenth of the work) otherwise.
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
    const res = await fetch(`${base}/api/v2/sync/jobs/${accepted.id}`, { headers });
    if (res.status !== 200) {
      bar?.stop();
      process.stderr.write(`sync: status answered ${res.status}\n`);
      return 2;
    }
    job = (await res.json()) as Job;
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
    const where = e.index === null ? e.section : `${e.section}[${e.index}]`;
    process.stdout.write(`  ${where}${e.field ? ` ${escapeForTerminal(e.field)}` : ''}: ${escapeForTerminal(e.message)}\n`);
  }
  if (job.errors.length > 50) process.stdout.write(`  ... and ${job.errors.length - 50} more (GET ${base}/api/v2/sync/jobs/${job.id})\n`);
  return job.status === 'succeeded' ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    process.stderr.write(`sync: ${error.message}\n`);
    process.exit(2);
  },
);
