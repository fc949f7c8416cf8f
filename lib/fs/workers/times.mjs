// @ts-check
/**
 * The seconds to hand utimes() so a copy gets the source's time (`timeNs`,
 * from a bigint stat) to the microsecond, the finest libuv sets: it
 * truncates to whole microseconds, and `mtimeMs / 1000` near 1.8e9 s is a
 * double only ~0.24 µs fine, so it landed one microsecond early about every
 * other copy, which changed AYON's op3 hash (`basename|mtime|size`, see
 * lib/publish/hash.ts) of the copy. Aiming at the middle of the microsecond
 * makes the truncation land on it. Finer than a microsecond is lost.
 * Used by lib/fs/atomic-copy.ts and by the copy workers alike.
 * @param {bigint} timeNs
 * @returns {number}
 */
export function utimeSeconds(timeNs) {
  const seconds = timeNs / 1_000_000_000n;
  const micros = (timeNs % 1_000_000_000n) / 1000n;
  return Number(seconds) + (Number(micros) * 1000 + 500) / 1e9;
}
