/**
 * Freezing for the compiled table: records with a null prototype (a key named `__proto__` is
 * data, never a prototype swap), and user data frozen all the way down.
 */

/** A frozen null-prototype copy, so `record[name]` never reaches `Object.prototype`. */
export function freezeRecord<T extends object>(record: T): T {
  // Object.assign onto a null-prototype object defines plain data properties, `__proto__` too.
  return Object.freeze(Object.assign(Object.create(null) as T, record));
}

/** Freezes user data (params, routing lists) all the way down; shared YAML aliases are fine. */
export function deepFreeze<T>(value: T): T {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const item = stack.pop();
    if (typeof item !== 'object' || item === null || Object.isFrozen(item)) continue;
    Object.freeze(item);
    for (const child of Object.values(item)) stack.push(child);
  }
  return value;
}
