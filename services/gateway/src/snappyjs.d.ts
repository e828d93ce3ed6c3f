// snappyjs ships no type declarations; this is the part of its API the gateway uses.
declare module 'snappyjs' {
  /** Decompresses one snappy block; throws on a corrupt block or one declaring more than `maxLength` bytes. */
  export function uncompress<T extends Uint8Array | ArrayBuffer>(compressed: T, maxLength?: number): T;
  export function compress<T extends Uint8Array | ArrayBuffer>(uncompressed: T): T;
}
