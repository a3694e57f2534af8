import { MikroORM } from '@mikro-orm/postgresql';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { createApp } from '../../src/app.setup.js';
import { SiteRole } from '../../src/common/auth/site-roles.js';
import { loadConfig } from '../../src/config/app-config.js';
import { TokensService } from '../../src/tokens/tokens.service.js';
import { openBenchDatabase, sqlOn } from './database.js';

/**
 * `npm run bench -- --only sync`: bulk sync at size (issue 12). On an emptied bench database, one
 * snapshot job of N new people (CSV), then a re-sync of the same N with 1% changed; each timed from
 * the POST until the job has finished, with the process's RSS sampled every 100 ms. The server runs
 * in this process: the CSV bodies are built before the RSS baseline.
 * Targets: N = 100,000 new people < 60 s, re-sync < 20 s, RSS growth < 300 MB.
 */
export async function runSyncBench(env: NodeJS.ProcessEnv, root: string, count = 100_000): Promise<number> {
  const log = (message: string) => process.stderr.write(`bench sync: ${message}\n`);
  const db = await openBenchDatabase(env, root);
  log(`database ${db.description}`);
  let app: NestFastifyApplication | undefined;
  try {
    const config = loadConfig({ ...env, DATABASE_URL: db.url, LOG_LEVEL: env.LOG_LEVEL ?? 'warn', RATE_LIMIT_ENABLED: 'false' });
    // Migrates the bench database before the modules start, as the server does.
    app = await createApp(config, db.url);
    const orm = app.get(MikroORM);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.getHttpAdapter().getInstance().server.address();
    if (address === null || typeof address === 'string') throw new Error('no TCP port');
    const base = `http://127.0.0.1:${address.port}`;
    const sql = sqlOn(orm.em.fork());
    await sql('truncate org_person, org_role, org_unit, person cascade');
    await sql('delete from sync_job');
    const token = (await new TokensService(orm.em.fork(), config).create({ name: 'bench sync', role: SiteRole.Administrator })).token;

    const csv = (changed: number) => {
      const lines = ['email,firstName,lastName,department,team,externalId'];
      for (let i = 0; i < count; i++) {
        lines.push(`person${i}@bench.example.com,First${i},Last${i},${i < changed ? 'Changed' : `Dept ${i % 50}`},Team ${i % 500},E-${i}`);
      }
      return `${lines.join('\n')}\n`;
    };
    const bodies = { initial: csv(0), resync: csv(count / 100) };

    const run = async (name: string, body: string, limitSeconds: number) => {
      global.gc?.();
      const before = process.memoryUsage().rss;
      let peak = before;
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 100);
      const start = performance.now();
      const res = await fetch(`${base}/api/v2/sync/jobs?mode=snapshot&max_changes=${count * 2}`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'text/csv' },
        body,
      });
      const accepted = (await res.json()) as { id: string };
      if (res.status !== 202) throw new Error(`POST answered ${res.status}: ${JSON.stringify(accepted)}`);
      const acceptedAt = performance.now();
      let job: { status: string; summary: object; errors: unknown[] };
      for (;;) {
        const status = await fetch(`${base}/api/v2/sync/jobs/${accepted.id}`, { headers: { Authorization: `Bearer ${token}` } });
        job = (await status.json()) as typeof job;
        if (!['queued', 'running'].includes(job.status)) break;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      const seconds = (performance.now() - start) / 1000;
      clearInterval(sampler);
      const growthMb = (peak - before) / 1024 / 1024;
      // Not timed: the change log must hold exactly one event per applied change, under the job's id.
      const summary = job.summary as { create: number; update: number; historicize: number };
      const [logged] = await sql<{ n: number }>('select count(*)::int as n from change_event where request_id = ?', [accepted.id]);
      const logOk = logged.n === summary.create + summary.update + summary.historicize;
      const ok = job.status === 'succeeded' && seconds < limitSeconds && growthMb < 300 && logOk;
      log(
        `${name}: ${job.status} in ${seconds.toFixed(1)} s (upload and staging ${((acceptedAt - start) / 1000).toFixed(1)} s; limit ${limitSeconds} s), ` +
          `RSS +${growthMb.toFixed(0)} MB (limit 300), load ${loadavg()
            .map((l) => l.toFixed(2))
            .join(
              ' ',
            )}, change events ${logged.n}${logOk ? '' : ' (MISMATCH)'}, summary ${JSON.stringify(job.summary)}${job.errors.length ? ` errors ${JSON.stringify(job.errors.slice(0, 3))}` : ''} ${ok ? 'OK' : 'FAILED'}`,
      );
      return ok;
    };
    const first = await run(`snapshot of ${count} new people`, bodies.initial, 60);
    const second = await run(`re-sync of the same ${count}, ${count / 100} changed`, bodies.resync, 20);
    return first && second ? 0 : 1;
  } finally {
    await app?.close();
    await db.close();
  }
}
