import 'reflect-metadata';
import { IsInt, IsOptional, IsString, MaxLength, MetadataStorage, ValidateNested, validateSync } from 'class-validator';
import { plainToInstance, Type } from 'class-transformer';
import { memoizeValidationMetadata } from './metadata-cache.js';

class Inner {
  @IsInt() n!: number;
}
class Base {
  @IsString() @MaxLength(5) name!: string;
}
class Derived extends Base {
  @IsOptional() @ValidateNested() @Type(() => Inner) inner?: Inner;
}

const messages = (value: object) =>
  validateSync(value, { whitelist: true, forbidNonWhitelisted: true }).map((e) => [e.property, e.constraints, e.children?.length]);

describe('memoizeValidationMetadata', () => {
  it('gives the same rules, inherited ones included, as class-validator computes them', () => {
    const plain = new MetadataStorage();
    const memoized = new MetadataStorage();
    for (const storage of [plain, memoized]) {
      for (const m of (globalThis as unknown as { classValidatorMetadataStorage: MetadataStorage }).classValidatorMetadataStorage[
        'validationMetadatas'
      ].values())
        for (const metadata of m) storage.addValidationMetadata(metadata);
    }
    memoizeValidationMetadata(memoized);
    for (const target of [Base, Derived, Inner]) {
      for (const groups of [undefined, [], ['a']]) {
        const expected = plain.getTargetValidationMetadatas(target, '', false, false, groups);
        expect(memoized.getTargetValidationMetadatas(target, '', false, false, groups)).toEqual(expected);
        // Asked again: the same answer, not recomputed.
        expect(memoized.getTargetValidationMetadatas(target, '', false, false, groups)).toBe(
          memoized.getTargetValidationMetadatas(target, '', false, false, groups),
        );
      }
      const metadatas = memoized.getTargetValidationMetadatas(target, '', false, false);
      expect(memoized.groupByPropertyName(metadatas)).toEqual(
        plain.groupByPropertyName(plain.getTargetValidationMetadatas(target, '', false, false)),
      );
    }
  });

  it('forgets its answers when a rule is added later', () => {
    const storage = new MetadataStorage();
    memoizeValidationMetadata(storage);
    class Late {
      name!: string;
    }
    expect(storage.getTargetValidationMetadatas(Late, '', false, false)).toEqual([]);
    const [rule] = (globalThis as unknown as { classValidatorMetadataStorage: MetadataStorage }).classValidatorMetadataStorage
      .getTargetValidationMetadatas(Base, '', false, false)
      .filter((m) => m.propertyName === 'name');
    storage.addValidationMetadata(Object.assign(Object.create(Object.getPrototypeOf(rule) as object), rule, { target: Late }) as never);
    expect(storage.getTargetValidationMetadatas(Late, '', false, false)).toHaveLength(1);
  });

  it('validates as before through the process-wide storage', () => {
    const inputs = [{ name: 'ok', inner: { n: 1 } }, { name: 'too long', inner: { n: 'x' }, extra: 1 }, { inner: [] }, {}];
    const before = inputs.map((input) => messages(plainToInstance(Derived, input)));
    expect(before[1]).toContainEqual(['extra', { whitelistValidation: 'property extra should not exist' }, undefined]);
    memoizeValidationMetadata();
    memoizeValidationMetadata(); // idempotent
    expect(inputs.map((input) => messages(plainToInstance(Derived, input)))).toEqual(before);
    expect(inputs.map((input) => messages(plainToInstance(Derived, input)))).toEqual(before);
  });
});
