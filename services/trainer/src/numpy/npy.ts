// NumPy .npy files (format version 1.0, little-endian), as written by numpy.save and read by numpy.load:
// magic "\x93NUMPY", version, a little-endian header length, a Python-dict header padded with spaces
// and a newline to a multiple of 64 bytes, then the C-order data. The reader also takes version 2.0/3.0
// headers so pairs made in Python can be brought in.

export type NpyDtype = '|u1' | '|i1' | '|b1' | '<u2' | '<i2' | '<i4' | '<u4' | '<i8' | '<f4' | '<f8';

const ITEM_BYTES: Record<NpyDtype, number> = {
  '|u1': 1,
  '|i1': 1,
  '|b1': 1,
  '<u2': 2,
  '<i2': 2,
  '<i4': 4,
  '<u4': 4,
  '<i8': 8,
  '<f4': 4,
  '<f8': 8,
};

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY

export class NpyError extends Error {}

/** The 64-byte-aligned header of a version 1.0 file holding an array of `shape` and `dtype`. */
export function npyHeader(dtype: NpyDtype, shape: readonly number[]): Buffer {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${dtype}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const unpadded = MAGIC.length + 2 + 2 + dict.length + 1;
  const padding = (64 - (unpadded % 64)) % 64;
  const header = `${dict}${' '.repeat(padding)}\n`;
  if (header.length > 0xffff) throw new NpyError('array header too long for format version 1.0');
  const prefix = Buffer.alloc(10);
  MAGIC.copy(prefix, 0);
  prefix[6] = 1;
  prefix[7] = 0;
  prefix.writeUInt16LE(header.length, 8);
  return Buffer.concat([prefix, Buffer.from(header, 'latin1')]);
}

export function itemBytes(dtype: NpyDtype): number {
  return ITEM_BYTES[dtype];
}

export interface NpyArray {
  dtype: NpyDtype;
  shape: number[];
  /** The raw little-endian element bytes, C order. */
  data: Buffer;
}

function parseHeader(text: string): { dtype: NpyDtype; fortran: boolean; shape: number[] } {
  const descr = /'descr':\s*'([^']+)'/.exec(text)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(text)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new NpyError(`not a valid .npy header: ${text.trim().slice(0, 120)}`);
  }
  const normalised = descr === '<u1' ? '|u1' : descr === '<i1' ? '|i1' : descr === '<b1' ? '|b1' : descr;
  if (!(normalised in ITEM_BYTES))
    throw new NpyError(`dtype ${descr} is not supported (little-endian ints, floats, bool)`);
  const shape = shapeText
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map(Number);
  if (shape.some((size) => !Number.isInteger(size) || size < 0))
    throw new NpyError(`bad shape (${shapeText})`);
  return { dtype: normalised as NpyDtype, fortran: fortran === 'True', shape };
}

export function readNpy(file: Buffer): NpyArray {
  if (file.length < 10 || !file.subarray(0, 6).equals(MAGIC))
    throw new NpyError('not a .npy file (bad magic)');
  const major = file[6] ?? 0;
  let headerLength: number;
  let offset: number;
  if (major === 1) {
    headerLength = file.readUInt16LE(8);
    offset = 10;
  } else if (major === 2 || major === 3) {
    headerLength = file.readUInt32LE(8);
    offset = 12;
  } else {
    throw new NpyError(`.npy format version ${major} is not supported`);
  }
  const header = parseHeader(
    file.subarray(offset, offset + headerLength).toString(major === 3 ? 'utf8' : 'latin1'),
  );
  if (header.fortran) throw new NpyError('Fortran-ordered arrays are not supported; save with C order');
  const count = header.shape.reduce((product, size) => product * size, 1);
  const start = offset + headerLength;
  const bytes = count * ITEM_BYTES[header.dtype];
  if (file.length - start < bytes)
    throw new NpyError(`.npy data is truncated: ${file.length - start} of ${bytes} bytes`);
  return { dtype: header.dtype, shape: header.shape, data: file.subarray(start, start + bytes) };
}

/** Elements as numbers (for labels and small arrays). */
export function npyValues(array: NpyArray): number[] {
  const size = ITEM_BYTES[array.dtype];
  const values: number[] = [];
  for (let offset = 0; offset < array.data.length; offset += size) {
    switch (array.dtype) {
      case '|u1':
      case '|b1':
        values.push(array.data.readUInt8(offset));
        break;
      case '|i1':
        values.push(array.data.readInt8(offset));
        break;
      case '<u2':
        values.push(array.data.readUInt16LE(offset));
        break;
      case '<i2':
        values.push(array.data.readInt16LE(offset));
        break;
      case '<i4':
        values.push(array.data.readInt32LE(offset));
        break;
      case '<u4':
        values.push(array.data.readUInt32LE(offset));
        break;
      case '<i8':
        values.push(Number(array.data.readBigInt64LE(offset)));
        break;
      case '<f4':
        values.push(array.data.readFloatLE(offset));
        break;
      case '<f8':
        values.push(array.data.readDoubleLE(offset));
        break;
    }
  }
  return values;
}
