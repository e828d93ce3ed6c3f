// Byte values of the JSON structural characters (ASCII, so they never occur inside a multi-byte UTF-8 sequence).
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

/**
 * True when the JSON text in `bytes` nests arrays and objects deeper than
 * `maxDepth` (`[]` is 1 deep, `[{}]` 2). One pass over the bytes, no
 * recursion and no allocation, so it is safe on any input. Exact for valid
 * JSON; for invalid JSON the answer is unspecified (the parser rejects it anyway).
 */
export function exceedsJsonDepth(bytes: Uint8Array, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (inString) {
      if (b === BACKSLASH) i++;
      else if (b === QUOTE) inString = false;
    } else if (b === QUOTE) inString = true;
    else if (b === OPEN_ARRAY || b === OPEN_OBJECT) {
      if (++depth > maxDepth) return true;
    } else if (b === CLOSE_ARRAY || b === CLOSE_OBJECT) depth--;
  }
  return false;
}
