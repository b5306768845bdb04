// What a fitted model is made of: plain data (typed arrays, numbers, strings, booleans, null, arrays and
// objects of those). No closures, Maps or class instances, so a state can be written to bytes, shared
// between threads through a SharedArrayBuffer and read back by another process.

export type TypedArray =
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array;

export type PlainData =
  | number
  | string
  | boolean
  | null
  | TypedArray
  | readonly PlainData[]
  | { readonly [key: string]: PlainData };

/** The typed-array constructors an artifact may hold, by the name stored in its header. */
export const TYPED_ARRAY_TYPES = {
  Int8Array,
  Uint8Array,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
} as const;
export type TypedArrayName = keyof typeof TYPED_ARRAY_TYPES;

/** The constructor name of a typed array the format supports, or null. */
export function typedArrayName(value: unknown): TypedArrayName | null {
  if (!ArrayBuffer.isView(value) || value instanceof DataView) return null;
  const name = value.constructor.name;
  return name in TYPED_ARRAY_TYPES ? (name as TypedArrayName) : null;
}

/**
 * Throws when `value` is not plain data, naming the path of the first offending part: the guard that
 * keeps closures and Maps out of fitted states.
 *
 * @example assertPlainData({ scores: new Float32Array(3), k: 2 }, 'state'); // passes
 */
export function assertPlainData(value: unknown, path: string): asserts value is PlainData {
  if (value === null || typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean')
    return;
  if (ArrayBuffer.isView(value)) {
    if (typedArrayName(value) === null) throw new TypeError(`${path}: unsupported binary view`);
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      assertPlainData(v, `${path}[${i}]`);
    });
    return;
  }
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const [k, v] of Object.entries(value)) assertPlainData(v, `${path}.${k}`);
    return;
  }
  throw new TypeError(
    `${path}: not plain data (${typeof value === 'object' ? value.constructor.name : typeof value})`,
  );
}
