import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { uncompress } from 'snappyjs';
import { MalformedBodyError, RequestTooLargeError } from './errors.ts';

const gunzipAsync = promisify(gunzip);

/**
 * The uncompressed length a snappy block declares in its preamble (a varint of
 * at most 5 bytes), or undefined when the preamble is malformed.
 */
export function snappyDeclaredLength(block: Uint8Array): number | undefined {
  let length = 0;
  for (let i = 0; i < 5 && i < block.length; i++) {
    const byte = block[i]!;
    length += (byte & 0x7f) * 2 ** (7 * i);
    if ((byte & 0x80) === 0) return length;
  }
  return undefined;
}

/**
 * Decompresses a snappy block (remote write's encoding) after checking its
 * declared length against `maxBytes`, so a small body claiming gigabytes is
 * refused before anything is allocated.
 * @throws RequestTooLargeError, MalformedBodyError
 */
export function unsnappy(block: Buffer, maxBytes: number): Buffer {
  const declared = snappyDeclaredLength(block);
  if (declared === undefined) throw new MalformedBodyError('corrupt snappy block: malformed length preamble');
  if (declared > maxBytes) {
    throw new RequestTooLargeError(`snappy block declares ${declared} decompressed bytes`, `GATEWAY_MAX_DECOMPRESSED_BYTES=${maxBytes}`);
  }
  try {
    return Buffer.from(uncompress(block, maxBytes));
  } catch (err) {
    throw new MalformedBodyError(`corrupt snappy block: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

/**
 * Decompresses a gzip body (OTLP's optional encoding), stopping at `maxBytes`.
 * @throws RequestTooLargeError, MalformedBodyError
 */
export async function ungzip(body: Buffer, maxBytes: number): Promise<Buffer> {
  try {
    return await gunzipAsync(body, { maxOutputLength: maxBytes });
  } catch (err) {
    if (err instanceof RangeError || (err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new RequestTooLargeError('gzip body decompresses to more bytes than allowed', `GATEWAY_MAX_DECOMPRESSED_BYTES=${maxBytes}`);
    }
    throw new MalformedBodyError(`corrupt gzip body: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}
