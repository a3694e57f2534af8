import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { Controller, Get, Injectable, Module, NotFoundException, Param, ValidationPipe } from '@nestjs/common';
import { APP_GUARD, APP_PIPE, NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { AuthGuard, PassportModule, PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-http-bearer';
import { IsEmail, MaxLength } from 'class-validator';
import autocannon, { type Result } from 'autocannon';
import pg from 'pg';
import { pino } from 'pino';
import { openBenchDatabase } from './database.js';
import { MANAGER_EMAIL, PERSON_COLUMNS, personJson, startReferenceServer, type PersonRow } from './reference-server.js';

/**
 * `npm run bench:floor` (issue 10): the floor the design card sets under operation (a). A NestJS
 * application on the Fastify adapter answers GET /api/v2/data/people/{email} with the reference
 * server's own statement, pool and JSON (no ORM, no hooks, no interceptor of ours), with the layers
 * the design card fixes added on request: `passport` (a global `AuthGuard` over passport-http-bearer,
 * the token compared in memory), `pipe` (the global `ValidationPipe`: class-transformer and
 * class-validator on an `@IsEmail()` parameter DTO), `log` (pino, Fastify's request logging, to
 * /dev/null). It is measured alternately with the reference in one process, as `--reference` does,
 * on the bench database (seeded by `npm run bench`). docs/performance.md, "The design card's floor under (a)".
 */

const LAYERS = ['passport', 'pipe', 'log'] as const;
type Layer = (typeof LAYERS)[number];
const TOKEN = 'ogm_floor';
const SEEDED_PEOPLE = 90_000;

class EmailParams {
  @IsEmail()
  @MaxLength(254)
  email!: string;
}

@Injectable()
class FloorBearer extends PassportStrategy(Strategy, 'floor-bearer') {
  validate(token: string): { id: string } | false {
    return token === TOKEN ? { id: 'floor' } : false;
  }
}

function floorModule(pool: pg.Pool, layers: ReadonlySet<Layer>) {
  @Controller('api/v2/data/people')
  class FloorPeopleController {
    @Get(':email')
    async byEmail(@Param() params: EmailParams) {
      const { rows } = await pool.query<PersonRow>({
        name: 'floor-person-by-email',
        text: `select ${PERSON_COLUMNS}, ${MANAGER_EMAIL('p')} from person p where lower(email) = $1`,
        values: [params.email.toLowerCase()],
      });
      const person = rows[0];
      if (person === undefined) throw new NotFoundException();
      return personJson(person, Date.now());
    }
  }

  @Module({
    imports: layers.has('passport') ? [PassportModule] : [],
    controllers: [FloorPeopleController],
    providers: [
      ...(layers.has('passport') ? [FloorBearer, { provide: APP_GUARD, useClass: AuthGuard('floor-bearer') }] : []),
      ...(layers.has('pipe') ? [{ provide: APP_PIPE, useValue: new ValidationPipe({ transform: true, whitelist: true }) }] : []),
    ],
  })
  class FloorModule {}
  return FloorModule;
}

/** One autocannon run against `origin`: req/s and the CPU of this process per response (ms). */
async function run(origin: string, seconds: number): Promise<{ rps: number; cpuMs: number; non2xx: number }> {
  const cpuAtStart = process.cpuUsage();
  const result = await new Promise<Result>((resolve, reject) =>
    autocannon(
      {
        url: `${origin}/api/v2/data/people/person1%40bench.example.com`,
        headers: { authorization: `Bearer ${TOKEN}`, accept: 'application/json' },
        connections: 32,
        duration: seconds,
        requests: [
          {
            setupRequest: (request) => ({
              ...request,
              path: `/api/v2/data/people/person${1 + Math.floor(Math.random() * SEEDED_PEOPLE)}%40bench.example.com`,
            }),
          },
        ],
      },
      (error, finished) => (error ? reject(error) : resolve(finished)),
    ),
  );
  const cpu = process.cpuUsage(cpuAtStart);
  const responses = Object.values(result.statusCodeStats).reduce((sum, s) => sum + s.count, 0);
  return { rps: result.requests.average, cpuMs: (cpu.user + cpu.system) / 1000 / Math.max(1, responses), non2xx: result.non2xx };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      layers: { type: 'string', default: '' },
      rounds: { type: 'string', default: '5' },
      duration: { type: 'string', default: '5' },
      warmup: { type: 'string', default: '5' },
    },
  });
  const layers = new Set(values.layers.split(',').filter((l) => l !== '')) as Set<Layer>;
  const unknown = [...layers].filter((l) => !LAYERS.includes(l));
  const rounds = Number(values.rounds);
  const seconds = Number(values.duration);
  const warmup = Number(values.warmup);
  if (unknown.length > 0 || !(rounds >= 1) || !(seconds >= 1) || !(warmup >= 1)) {
    process.stderr.write(`usage: npm run bench:floor -- [--layers ${LAYERS.join(',')}] [--rounds N] [--duration S] [--warmup S]\n`);
    return 2;
  }
  const db = await openBenchDatabase(process.env, process.cwd());
  const pool = new pg.Pool({ connectionString: db.url, max: 10, application_name: 'organigram-bench-floor' });
  const logger = layers.has('log') ? pino({ level: 'info' }, pino.destination({ dest: '/dev/null', sync: true })) : undefined;
  const adapter = new FastifyAdapter(logger ? { loggerInstance: logger } : { logger: false });
  const app = await NestFactory.create<NestFastifyApplication>(floorModule(pool, layers), adapter, { logger: false, bodyParser: false });
  const reference = await startReferenceServer(db.url, 10);
  try {
    await app.listen(0, '127.0.0.1');
    const floor = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
    const name = [...layers].join('+') || 'bare Nest';
    await run(floor, warmup);
    await run(reference.origin, warmup);
    const ratios: number[] = [];
    for (let round = 1; round <= rounds; round++) {
      // Alternated as --reference does: floor first in odd rounds, reference first in even ones.
      let f: Awaited<ReturnType<typeof run>>;
      let r: Awaited<ReturnType<typeof run>>;
      if (round % 2 === 1) {
        f = await run(floor, seconds);
        r = await run(reference.origin, seconds);
      } else {
        r = await run(reference.origin, seconds);
        f = await run(floor, seconds);
      }
      if (f.non2xx + r.non2xx > 0)
        throw new Error(`answers not 2xx: floor ${f.non2xx}, reference ${r.non2xx} (is the bench database seeded?)`);
      ratios.push(f.rps / r.rps);
      process.stdout.write(
        `${name}, round ${round}: floor ${f.rps.toFixed(0)} req/s, ${f.cpuMs.toFixed(3)} ms CPU/response; ` +
          `reference ${r.rps.toFixed(0)} req/s, ${r.cpuMs.toFixed(3)} ms; floor / reference ${(f.rps / r.rps).toFixed(2)}\n`,
      );
    }
    process.stdout.write(`${name}: floor / reference, median of ${rounds} rounds: ${median(ratios).toFixed(2)}\n`);
    return 0;
  } finally {
    await app.close();
    await reference.close();
    await pool.end();
    await db.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench:floor: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
