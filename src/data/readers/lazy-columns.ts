import type { CellValue } from '../types';

/**
 * batch.columns made lazily: column c is made by decode(c) the first time it is read, then kept, so columns that
 * checkers read from bytes or typed arrays are never turned into cell values. A proxy rather than accessor
 * properties on the array: accessors put the array in dictionary mode and made decoding every column twice as
 * slow (GC), where the proxy costs one trap per column access.
 */
export function lazyColumns(ncols: number, decode: (c: number) => ArrayLike<CellValue>): Array<ArrayLike<CellValue>> {
  const decoded: Array<ArrayLike<CellValue> | undefined> = new Array(ncols).fill(undefined);
  return new Proxy(decoded, {
    get(target, key, receiver) {
      if (typeof key === 'string') {
        const c = Number(key);
        if (Number.isInteger(c) && c >= 0 && c < ncols) return (target[c] ??= decode(c));
      }
      return Reflect.get(target, key, receiver) as unknown;
    },
  }) as Array<ArrayLike<CellValue>>;
}
