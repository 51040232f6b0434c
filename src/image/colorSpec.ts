/**
 * Colours as MATLAB's ColorSpec gives them: an RGB triplet in [0, 1], one of eight colour names or their one-letter
 * short names (any case), or a hexadecimal colour code. One reader for every option that takes a colour.
 */
import { listArg } from '../internal/limits.js';
import { rangeError, typeError } from '../internal/validate.js';

const NAMED = {
  red: [1, 0, 0],
  green: [0, 1, 0],
  blue: [0, 0, 1],
  cyan: [0, 1, 1],
  magenta: [1, 0, 1],
  yellow: [1, 1, 0],
  black: [0, 0, 0],
  white: [1, 1, 1],
} as const satisfies Record<string, readonly [number, number, number]>;

const SHORT = {
  r: 'red',
  g: 'green',
  b: 'blue',
  c: 'cyan',
  m: 'magenta',
  y: 'yellow',
  k: 'black',
  w: 'white',
} as const;

/** MATLAB's colour names and short names (`'red'`, `'r'`, ...). Any case is read. */
export type ColorName =
  | 'red'
  | 'green'
  | 'blue'
  | 'cyan'
  | 'magenta'
  | 'yellow'
  | 'black'
  | 'white'
  | 'r'
  | 'g'
  | 'b'
  | 'c'
  | 'm'
  | 'y'
  | 'k'
  | 'w';

/**
 * A colour as MATLAB's ColorSpec: `[r, g, b]` with each in [0, 1], a {@link ColorName}, or a hexadecimal code
 * `'#rrggbb'` or `'#rgb'` (any case).
 */
export type ColorSpec = readonly [number, number, number] | ColorName | `#${string}`;

const EXPECTED = `[r, g, b] with each a number in [0, 1], a color name (${Object.keys(NAMED)
  .map((n) => `'${n}'`)
  .join(', ')} or ${Object.keys(SHORT)
  .map((n) => `'${n}'`)
  .join(', ')}) or a hex code '#rrggbb' or '#rgb'`;

/**
 * Reads a {@link ColorSpec} as `[r, g, b]` in [0, 1].
 * @throws {TypeError} for neither a string nor an array of three numbers; {RangeError} for an unknown name, a bad hex
 *   code or a component outside [0, 1].
 */
export function colorSpec(fn: string, arg: string, given: unknown): [number, number, number] {
  if (typeof given === 'string') {
    const key = given.toLowerCase();
    const name = (SHORT as Record<string, keyof typeof NAMED>)[key] ?? key;
    const named = (NAMED as Record<string, readonly [number, number, number]>)[name];
    if (named) return [...named];
    const hex = /^#([0-9a-f]{3}|[0-9a-f]{6})$/.exec(key)?.[1];
    if (!hex) throw rangeError(fn, arg, EXPECTED, given);
    const digits = hex.length === 3 ? [...hex].map((d) => d + d) : [hex.slice(0, 2), hex.slice(2, 4), hex.slice(4)];
    return digits.map((d) => Number.parseInt(d, 16) / 255) as [number, number, number];
  }
  const value = listArg(fn, arg, given);
  if (!Array.isArray(value) || value.length !== 3 || value.some((v) => typeof v !== 'number')) {
    throw typeError(fn, arg, EXPECTED, value);
  }
  if (value.some((v: number) => !(v >= 0 && v <= 1))) throw rangeError(fn, arg, EXPECTED, value);
  return [...value] as [number, number, number];
}
