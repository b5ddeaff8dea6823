// Netpbm (PGM/PPM, binary P5/P6) — the ORL/AT&T face set ships as PGM and sharp has no loader for it.
// We read the header ourselves and hand the pixels to sharp as raw input.

export interface NetpbmImage {
  format: 'pgm' | 'ppm';
  width: number;
  height: number;
  channels: 1 | 3;
  /** 8-bit samples, row-major, `channels` per pixel. */
  pixels: Buffer;
}

export class NetpbmError extends Error {}

const MAGIC = /^P[56]/;

export function isNetpbm(head: Buffer): boolean {
  return head.length >= 2 && MAGIC.test(head.subarray(0, 2).toString('latin1'));
}

/** Width and height from the header alone, so the pixel limit can be checked before reading pixels. */
export function parseNetpbmHeader(data: Buffer): {
  format: 'pgm' | 'ppm';
  width: number;
  height: number;
  maxval: number;
  offset: number;
} {
  const magic = data.subarray(0, 2).toString('latin1');
  if (magic !== 'P5' && magic !== 'P6') throw new NetpbmError('not a binary PGM/PPM file');
  const fields: number[] = [];
  let offset = 2;
  while (fields.length < 3) {
    // Skip white space and comments between header fields.
    while (offset < data.length) {
      const byte = data[offset] as number;
      if (byte === 0x23) {
        while (offset < data.length && data[offset] !== 0x0a) offset++;
      } else if (byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d) {
        offset++;
      } else break;
    }
    const start = offset;
    while (offset < data.length && (data[offset] as number) >= 0x30 && (data[offset] as number) <= 0x39)
      offset++;
    if (start === offset) throw new NetpbmError('PGM/PPM header is malformed');
    fields.push(Number(data.subarray(start, offset).toString('latin1')));
  }
  offset++; // exactly one white-space byte before the pixels
  const [width, height, maxval] = fields as [number, number, number];
  if (width < 1 || height < 1) throw new NetpbmError('PGM/PPM header has a zero dimension');
  if (maxval < 1 || maxval > 255)
    throw new NetpbmError(`PGM/PPM maxval ${maxval} is not supported (8-bit only)`);
  return { format: magic === 'P5' ? 'pgm' : 'ppm', width, height, maxval, offset };
}

export function decodeNetpbm(data: Buffer): NetpbmImage {
  const header = parseNetpbmHeader(data);
  const channels = header.format === 'pgm' ? 1 : 3;
  const expected = header.width * header.height * channels;
  if (data.length - header.offset < expected) {
    throw new NetpbmError(
      `PGM/PPM file is truncated: ${data.length - header.offset} of ${expected} pixel bytes`,
    );
  }
  let pixels = data.subarray(header.offset, header.offset + expected);
  if (header.maxval !== 255) {
    const scale = 255 / header.maxval;
    pixels = Buffer.from(pixels.map((value) => Math.min(255, Math.round(value * scale))));
  }
  return { format: header.format, width: header.width, height: header.height, channels, pixels };
}
