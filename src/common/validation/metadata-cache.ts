import { getMetadataStorage } from 'class-validator';

type Storage = ReturnType<typeof getMetadataStorage>;
type ValidationMetadata = ReturnType<Storage['getTargetValidationMetadatas']>[number];
type Grouped = Record<string, ValidationMetadata[]>;

const MEMOIZED = Symbol.for('organigram.validationMetadataMemoized');

/**
 * class-validator (0.15) works out a class's validation metadata anew on every validation, and again
 * for every nested object: `getTargetValidationMetadatas` filters the class's rules and walks every
 * class ever decorated (an `instanceof` per class, for inherited rules), then `groupByPropertyName`
 * groups them. That was 2 % of a person read's CPU and most of the 4.5 % of class-validator in a
 * person create (issue 10). The rules are fixed once the decorators have run, so both answers are
 * kept per class and arguments, and forgotten whenever a rule or constraint is added (a class
 * decorated later, a schema registered). The answers are the same arrays and objects class-validator
 * would build; it only reads them. Idempotent; applies to the process-wide storage both the ESM and
 * the CommonJS builds of class-validator share.
 */
export function memoizeValidationMetadata(storage: Storage = getMetadataStorage()): void {
  const flagged = storage as Storage & { [MEMOIZED]?: true };
  if (flagged[MEMOIZED]) return;
  flagged[MEMOIZED] = true;

  let targets = new Map<unknown, Map<string, ValidationMetadata[]>>();
  let grouped = new WeakMap<ValidationMetadata[], Grouped>();
  const forget = () => {
    targets = new Map();
    grouped = new WeakMap();
  };

  const getTargetValidationMetadatas = storage.getTargetValidationMetadatas.bind(storage);
  storage.getTargetValidationMetadatas = (targetConstructor, targetSchema, always, strictGroups, groups) => {
    const key = `${String(targetSchema)}\u0000${String(always)}\u0000${String(strictGroups)}\u0000${groups === undefined ? '' : groups.join('\u0001')}\u0000${groups === undefined ? 0 : groups.length}`;
    let byArguments = targets.get(targetConstructor);
    if (byArguments === undefined) targets.set(targetConstructor, (byArguments = new Map<string, ValidationMetadata[]>()));
    let metadatas = byArguments.get(key);
    if (metadatas === undefined)
      byArguments.set(key, (metadatas = getTargetValidationMetadatas(targetConstructor, targetSchema, always, strictGroups, groups)));
    return metadatas;
  };

  const groupByPropertyName = storage.groupByPropertyName.bind(storage);
  storage.groupByPropertyName = (metadatas) => {
    let byProperty = grouped.get(metadatas);
    if (byProperty === undefined) grouped.set(metadatas, (byProperty = groupByPropertyName(metadatas)));
    return byProperty;
  };

  const addValidationMetadata = storage.addValidationMetadata.bind(storage);
  storage.addValidationMetadata = (metadata) => {
    forget();
    addValidationMetadata(metadata);
  };
  const addConstraintMetadata = storage.addConstraintMetadata.bind(storage);
  storage.addConstraintMetadata = (metadata) => {
    forget();
    addConstraintMetadata(metadata);
  };
}
