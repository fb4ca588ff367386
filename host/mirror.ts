// Host copies of firmware enums that carry a text: each member by its
// firmware name, with its code and what the host shows for it. Keyed by
// name so that tests/registries.test.ts can check names and codes against
// the firmware's source.

export type Mirror<T = string> = Readonly<Record<string, readonly [code: number, value: T]>>;

/** The value `mirror` gives `code`, or undefined for a code it does not know. */
export function valueOf<T>(mirror: Mirror<T>, code: number): T | undefined {
  for (const [c, value] of Object.values(mirror)) if (c === code) return value;
  return undefined;
}

/** Member name -> code, the shape of a firmware enum. */
export function codesOf(mirror: Mirror<unknown>): Record<string, number> {
  return Object.fromEntries(Object.entries(mirror).map(([name, [code]]) => [name, code]));
}
