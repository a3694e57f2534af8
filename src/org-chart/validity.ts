import { InvalidInputError } from '../common/errors/domain-errors.js';

/** valid_to must be later than valid_from when both are set (the CHECK constraint says the same). */
export function assertValidity(from: Date | null | undefined, to: Date | null | undefined, field = 'valid_to'): void {
  if (from && to && to.getTime() <= from.getTime()) throw InvalidInputError.field(field, 'must be later than valid_from');
}

/**
 * The valid_to a historicize sets: the given date, or now. Without a date, a row that already ended
 * keeps its earlier end (moving it to now would make it look active in between). Never at or before
 * valid_from.
 */
function historicizeDate(validFrom: Date | null | undefined, validTo: Date | null | undefined, date: Date | undefined): Date {
  const now = new Date();
  if (date === undefined && validTo && validTo.getTime() <= now.getTime()) return validTo;
  const at = date ?? now;
  if (validFrom && at.getTime() <= validFrom.getTime()) throw InvalidInputError.field('date', 'must be later than valid_from');
  return at;
}

/**
 * Historicizes an entity of either dialect in memory (the caller flushes): valid_to per
 * {@link historicizeDate}; updated_at only moves when valid_to does.
 */
export function applyHistoricize(entity: { validFrom?: Date | null; validTo?: Date | null; updatedAt: Date }, date?: Date): void {
  const validTo = historicizeDate(entity.validFrom, entity.validTo, date);
  if (entity.validTo?.getTime() === validTo.getTime()) return;
  entity.validTo = validTo;
  entity.updatedAt = new Date();
}

/** Fields of a partial update that were actually sent (undefined means "leave unchanged"). */
export function sentFields<T extends object>(dto: T): Partial<T> {
  return Object.fromEntries(Object.entries(dto).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** A partial update's value of one field: the sent value (null clears it), else the current one. */
export function patched<T>(sent: T | undefined, current: T | null | undefined): T | null {
  return sent === undefined ? (current ?? null) : sent;
}

/** The period fields of a 4HSE create or update body. */
export interface PeriodFields {
  valid_from?: Date | null;
  valid_to?: Date | null;
}

/** The validity period and the audit timestamps of a new entity (the caller has checked the period). */
export function createdPeriod(dto: PeriodFields) {
  return { validFrom: dto.valid_from ?? null, validTo: dto.valid_to ?? null, createdAt: new Date(), updatedAt: new Date() };
}

/** The validity period after a partial update, checked: valid_to later than valid_from. */
export function patchedPeriod(sent: PeriodFields, current: { validFrom?: Date | null; validTo?: Date | null }) {
  const period = { validFrom: patched(sent.valid_from, current.validFrom), validTo: patched(sent.valid_to, current.validTo) };
  assertValidity(period.validFrom, period.validTo);
  return period;
}
