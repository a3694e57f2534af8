import type { Dataset, Sql } from './types.js';

/**
 * People seeded; every email is person<n>@bench.example.com, n = 1..PEOPLE (case varies, see below).
 * 100,000 unless `--people N` (setPeople) says otherwise, before anything is seeded.
 */
export let PEOPLE = 100_000;

/** Sets the number of people to seed (`--people N`); 7919 (the org dataset's stride) must stay prime to it. */
export function setPeople(n: number): void {
  if (!Number.isInteger(n) || n < 1000 || n % 7919 === 0) throw new Error(`cannot seed ${n} people`);
  PEOPLE = n;
}

/** Digits of the external ids E-000001...: 6, or more from 1,000,000 people on. */
export function externalIdDigits(): number {
  return Math.max(6, String(PEOPLE).length);
}
/** Real emails the operations draw from: a tenth of the table, chosen deterministically. */
const SAMPLE_EMAILS = 10_000;

export interface PeopleFixtures {
  /** Existing emails as stored (some in mixed case), in no particular order. */
  readonly emails: readonly string[];
}

// prettier-ignore
const FIRST_NAMES = [
  'Ada', 'Alan', 'Amara', 'Anders', 'Aiko', 'Beatriz', 'Bjorn', 'Carmen', 'Chen', 'Chiara', 'Dmitri', 'Dolores', 'Emeka', 'Elif',
  'Farah', 'Felix', 'Grace', 'Giulia', 'Hannah', 'Hiroshi', 'Ines', 'Ivan', 'Jamal', 'Jana', 'Kwame', 'Katarzyna', 'Lars', 'Leila',
  'Lucia', 'Mateo', 'Mei', 'Mohammed', 'Nadia', 'Niamh', 'Oluwaseun', 'Olga', 'Pablo', 'Priya', 'Quentin', 'Rania', 'Rafael', 'Sakura',
  'Sean', 'Sofia', 'Tariq', 'Thea', 'Tomasz', 'Uma', 'Valentina', 'Viktor', 'Wanjiru', 'William', 'Xavier', 'Ximena', 'Yara', 'Yusuf',
  'Zainab', 'Zoltan', 'José', 'Zoë',
];

// prettier-ignore
const LAST_NAMES = [
  'Abara', 'Andersson', 'Bauer', 'Becker', 'Bianchi', 'Brown', 'Castillo', 'Chen', 'Costa', 'Da Silva', 'Dubois', 'Eriksen', 'Fernández',
  'Fischer', 'García', 'Gonzalez', 'Gupta', 'Haddad', 'Hansen', 'Hoffmann', 'Ivanova', 'Jansen', 'Johnson', 'Kaur', 'Kim', 'Kowalski',
  'Kumar', 'Larsen', 'Lee', 'Lopez', 'Martin', 'Meyer', 'Moreau', 'Müller', 'Nakamura', 'Nguyen', 'Novak', "O'Brien", 'Okafor', 'Olsen',
  'Ortiz', 'Papadopoulos', 'Park', 'Patel', 'Peeters', 'Petrov', 'Popescu', 'Ricci', 'Rodriguez', 'Romano', 'Rossi', 'Sato', 'Schmidt',
  'Schneider', 'Singh', 'Smith', 'Sousa', 'Suzuki', 'Tanaka', 'Taylor', 'Thompson', 'Van der Berg', 'Virtanen', 'Wagner', 'Wang',
  'Weber', 'Williams', 'Wilson', 'Wójcik', 'Yamamoto', 'Yilmaz', 'Zhang', 'Zimmermann', 'de Jong', 'Ahmed', 'Ali', 'Mensah', 'Nowak',
  'Horvat', 'Kovač',
];

// prettier-ignore
/** Earlier entries are more frequent (department_index in the SQL): a few big departments, a long tail. */
const DEPARTMENTS = [
  'Engineering', 'Sales', 'Customer Support', 'Operations', 'Marketing', 'Finance', 'Human Resources', 'Product', 'Manufacturing',
  'Logistics', 'Quality Assurance', 'Research', 'Legal', 'Procurement', 'IT Services', 'Security', 'Data', 'Design', 'Facilities',
  'Health and Safety', 'Compliance', 'Internal Audit', 'Communications', 'Strategy', 'Training', 'Treasury', 'Partnerships',
  'Sustainability',
];

// prettier-ignore
const TEAMS = [
  'Platform', 'Payments', 'Identity', 'Search', 'Mobile', 'Web', 'Infrastructure', 'Reliability', 'Analytics', 'Billing', 'Onboarding',
  'Enterprise Accounts', 'SMB Accounts', 'Inside Sales', 'Field Sales', 'Tier 1', 'Tier 2', 'Escalations', 'Warehouse North',
  'Warehouse South', 'Fleet', 'Brand', 'Growth', 'Content', 'Events', 'Accounts Payable', 'Accounts Receivable', 'Payroll', 'Recruiting',
  'People Partners', 'Assembly Line A', 'Assembly Line B', 'Maintenance', 'Lab', 'Contracts', 'Vendor Management', 'Service Desk',
  'Network', 'Red Team', 'Governance',
];

const BUSINESSES = ['Products', 'Services', 'Corporate', 'Industrial', 'Retail', 'Public Sector'];
const GROUPS = ['North', 'South', 'East', 'West', 'Central', 'EMEA', 'APAC', 'Americas', 'Remote', 'HQ', 'Plant 1', 'Plant 2'];
const ORGANIZATIONS = ['Bench Corp', 'Bench Labs', 'Bench Services'];

/** A text[] literal of constants defined above (quotes doubled, so O'Brien is fine). */
function textArray(values: readonly string[]): string {
  return `array[${values.map((v) => `'${v.replaceAll("'", "''")}'`).join(', ')}]::text[]`;
}

/**
 * One INSERT ... SELECT over generate_series. Per row, md5 of the row number gives four independent
 * uniform numbers u1..u4 in [0, 1), so the data is the same on every seed (except the random ids) and
 * no two columns move in lockstep.
 */
const insertPeople = () => `
  with lists as (
    select ${textArray(FIRST_NAMES)} as first_names, ${textArray(LAST_NAMES)} as last_names,
           ${textArray(DEPARTMENTS)} as departments, ${textArray(TEAMS)} as teams,
           ${textArray(BUSINESSES)} as businesses, ${textArray(GROUPS)} as groups, ${textArray(ORGANIZATIONS)} as organizations
  ),
  hashed as (select n, md5('organigram-bench-person-' || n) as h from generate_series(1, ${PEOPLE}) as n),
  rows as (
    select n,
      ('x' || substr(h, 1, 8))::bit(32)::bigint / 4294967296.0 as u1,
      ('x' || substr(h, 9, 8))::bit(32)::bigint / 4294967296.0 as u2,
      ('x' || substr(h, 17, 8))::bit(32)::bigint / 4294967296.0 as u3,
      ('x' || substr(h, 25, 8))::bit(32)::bigint / 4294967296.0 as u4
    from hashed
  ),
  people as (
    select r.n, r.u3, r.u4,
      l.first_names[1 + floor(r.u1 * cardinality(l.first_names))::int] as first_name,
      l.last_names[1 + floor(r.u2 * cardinality(l.last_names))::int] as last_name,
      -- skew: u^1.7 piles up near 0, so the first departments are the big ones
      1 + floor(power(r.u3, 1.7) * cardinality(l.departments))::int as department_index,
      l.departments, l.teams, l.businesses, l.groups, l.organizations
    from rows r cross join lists l
  ),
  dated as (
    select p.*,
      -- ~3% (every 33rd) left in the past: valid_to between 1 and 700 days ago
      case when p.n % 33 = 0 then now() - make_interval(days => 1 + floor(p.u4 * 700)::int) end as valid_to
    from people p
  )
  insert into person (id, email, first_name, last_name, display_name, external_id, organization, business, department,
                      group_name, team, valid_from, valid_to, created_at, updated_at)
  select
    gen_random_uuid(),
    case
      when d.n % 10 = 3 then 'Person' || d.n || '@Bench.Example.com'
      when d.n % 50 = 7 then 'PERSON' || d.n || '@BENCH.EXAMPLE.COM'
      else 'person' || d.n || '@bench.example.com'
    end,
    d.first_name,
    d.last_name,
    case when d.n % 20 = 0 then null else d.first_name || ' ' || d.last_name end,
    'E-' || lpad(d.n::text, ${externalIdDigits()}, '0'),
    d.organizations[1 + floor(power(d.u4, 2) * cardinality(d.organizations))::int],
    d.businesses[1 + (d.department_index - 1) % cardinality(d.businesses)],
    d.departments[d.department_index],
    d.groups[1 + (d.n % cardinality(d.groups))],
    -- about four teams per department, shared between departments
    d.teams[1 + ((d.department_index * 7 + floor(d.u4 * 4)::int) % cardinality(d.teams))],
    case
      when d.valid_to is not null then d.valid_to - make_interval(days => 200 + (d.n % 2000))
      when d.u4 < 0.7 then now() - make_interval(days => 30 + floor(d.u4 * 5000)::int)
    end,
    d.valid_to,
    now() - make_interval(days => d.n % 1000),
    now() - make_interval(days => d.n % 1000)
  from dated d`;

interface Counts {
  total: number;
  bench: number;
}

export const people: Dataset<PeopleFixtures> = {
  name: 'people',
  get description() {
    return `${PEOPLE.toLocaleString('en-US')} people (person<n>@bench.example.com, some mixed case), ${DEPARTMENTS.length} departments, ${TEAMS.length} teams, ~3% no longer valid`;
  },
  dependsOn: [],

  async isSeeded(sql: Sql): Promise<boolean> {
    const [counts] = await sql<Counts>(
      `select count(*)::int as total, count(*) filter (where lower(email) like '%@bench.example.com')::int as bench from person`,
    );
    return counts?.total === PEOPLE && counts.bench === PEOPLE;
  },

  async seed(sql: Sql): Promise<void> {
    // cascade: rows of later datasets that reference people go too; they are reseeded after this one.
    await sql('truncate person cascade');
    await sql(insertPeople());
  },

  async count(sql: Sql): Promise<number> {
    const [row] = await sql<{ n: number }>('select count(*)::int as n from person');
    return row?.n ?? 0;
  },

  async fixtures(sql: Sql): Promise<PeopleFixtures> {
    const rows = await sql<{ email: string }>('select email from person order by md5(lower(email)) limit ?', [SAMPLE_EMAILS]);
    if (rows.length === 0) throw new Error('the person table is empty');
    return { emails: rows.map((r) => r.email) };
  },
};

/** Reports per manager in the reporting tree: 1 + 10 + ... + 100,000 covers the default 100,000 people in 6 levels. */
export const REPORTS_PER_MANAGER = 10;
/** The top of the reporting tree: person1@bench.example.com (everybody else reports to them, directly or not). */
export const TOP_MANAGER_EMAIL = 'person1@bench.example.com';

export interface ReportingFixtures {
  /** The top manager's email: depth=all of them walks the whole table. */
  readonly top: string;
  /** Emails of managers one level below the top (10,000 reports each at the default size). */
  readonly divisionHeads: readonly string[];
}

/**
 * The reporting lines of the bench people (contract section 11): one tree in heap order, person n
 * (n >= 2) reporting to person (n - 2) / 10 + 1, so person 1 is the top, persons 2-11 report to them,
 * and the 100,000 default people span 6 levels (depth 0 to 5). Set-based: one UPDATE joining the
 * people on their external ids (E-<n>), which fires the cycle trigger of each row as a real write would.
 */
export const reporting: Dataset<ReportingFixtures> = {
  name: 'reporting',
  get description() {
    return `reporting lines: one tree over the ${PEOPLE.toLocaleString('en-US')} people, ${REPORTS_PER_MANAGER} direct reports per manager, top ${TOP_MANAGER_EMAIL}`;
  },
  dependsOn: [people],

  async isSeeded(sql: Sql): Promise<boolean> {
    const [row] = await sql<{ managed: number; top_reports: number }>(
      `select (select count(*)::int from person where manager_id is not null) as managed,
              (select count(*)::int from person p join person m on m.id = p.manager_id where lower(m.email) = ?) as top_reports`,
      [TOP_MANAGER_EMAIL],
    );
    return row?.managed === PEOPLE - 1 && row.top_reports === REPORTS_PER_MANAGER;
  },

  async seed(sql: Sql): Promise<void> {
    const digits = externalIdDigits();
    await sql('update person set manager_id = null where manager_id is not null');
    await sql(
      `update person c set manager_id = m.id
         from person m
        where c.external_id <> 'E-' || lpad('1', ${digits}, '0')
          and m.external_id = 'E-' || lpad(((substr(c.external_id, 3)::int - 2) / ${REPORTS_PER_MANAGER} + 1)::text, ${digits}, '0')`,
    );
  },

  async count(sql: Sql): Promise<number> {
    const [row] = await sql<{ n: number }>('select count(*)::int as n from person where manager_id is not null');
    return row?.n ?? 0;
  },

  async fixtures(sql: Sql): Promise<ReportingFixtures> {
    const heads = await sql<{ email: string }>(
      'select p.email from person p join person m on m.id = p.manager_id where lower(m.email) = ? order by p.email',
      [TOP_MANAGER_EMAIL],
    );
    if (heads.length === 0) throw new Error('the reporting tree is empty');
    return { top: TOP_MANAGER_EMAIL, divisionHeads: heads.map((r) => r.email) };
  },
};
