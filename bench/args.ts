/** Flag values for the bench scripts: `--name value`, or the default when the flag or its value is absent. */
export function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : def;
}

/** The same, as a number (NaN when the value is not one: the caller checks). */
export function numArg(name: string, def: number): number {
  return Number(arg(name, String(def)));
}
