// Decides whether bytes are a photo we accept: a format we can decode, within the pixel limit, and
// decodable to the end (a truncated file is refused here, not later in the extractor).
import fs from 'node:fs/promises';
import sharp from 'sharp';
import { isNetpbm, NetpbmError, parseNetpbmHeader } from './netpbm.js';

/** Formats accepted as photos, and the file extension each is stored under. */
export const IMAGE_EXTENSIONS = {
  jpeg: 'jpg',
  png: 'png',
  webp: 'webp',
  gif: 'gif',
  tiff: 'tif',
  heif: 'heic',
  pgm: 'pgm',
  ppm: 'ppm',
} as const;
export type ImageFormat = keyof typeof IMAGE_EXTENSIONS;

export interface ImageInfo {
  format: ImageFormat;
  extension: (typeof IMAGE_EXTENSIONS)[ImageFormat];
  width: number;
  height: number;
}

/** The bytes are not an acceptable photo; `reason` is shown to the user as is. */
export class ImageRejectedError extends Error {
  constructor(
    readonly reason: string,
    /** `too-large`: a readable image over the pixel limit (HTTP 413); `format`: not a usable image (415). */
    readonly kind: 'format' | 'too-large' = 'format',
  ) {
    super(reason);
    this.name = 'ImageRejectedError';
  }
}

function withinPixelLimit(width: number, height: number, maxPixels: number): void {
  if (width * height > maxPixels) {
    throw new ImageRejectedError(
      `image is ${width}x${height} = ${width * height} pixels, over the limit of ${maxPixels} (IMAGE_MAX_PIXELS)`,
      'too-large',
    );
  }
}

const MAGIC_NUMBERS: [string, (head: Buffer) => boolean][] = [
  ['JPEG', (head) => head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff],
  ['PNG', (head) => head.subarray(0, 4).toString('latin1') === '\x89PNG'],
  ['GIF', (head) => head.subarray(0, 4).toString('latin1') === 'GIF8'],
  [
    'WebP',
    (head) =>
      head.subarray(0, 4).toString('latin1') === 'RIFF' && head.subarray(8, 12).toString('latin1') === 'WEBP',
  ],
];

function describe(head: Buffer): string {
  const damaged = MAGIC_NUMBERS.find(([, matches]) => matches(head));
  if (damaged !== undefined) return `a damaged ${damaged[0]} file (its header cannot be read)`;
  const text = head.subarray(0, 256).toString('utf8').trimStart().toLowerCase();
  if (text.startsWith('<!doctype html') || text.startsWith('<html')) return 'an HTML page';
  if (text.startsWith('<svg') || (text.startsWith('<?xml') && text.includes('<svg'))) return 'an SVG drawing';
  if (text.startsWith('{') || text.startsWith('[')) return 'JSON';
  return 'not an image format we read (JPEG, PNG, WebP, GIF, TIFF, HEIF/AVIF, PGM/PPM)';
}

async function headOf(input: string | Buffer): Promise<{ head: Buffer; size: number }> {
  if (Buffer.isBuffer(input)) return { head: input.subarray(0, 512), size: input.length };
  const handle = await fs.open(input, 'r');
  try {
    const head = Buffer.alloc(512);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return { head: head.subarray(0, bytesRead), size: (await handle.stat()).size };
  } finally {
    await handle.close();
  }
}

/**
 * Checks an image given as a file path (read by libvips from disk, never whole into JS memory) or a
 * buffer. Throws ImageRejectedError with a reason a user can act on.
 */
export async function probeImage(input: string | Buffer, maxPixels: number): Promise<ImageInfo> {
  const { head, size } = await headOf(input);
  if (size === 0) throw new ImageRejectedError('file is empty');
  if (isNetpbm(head)) {
    try {
      const header = parseNetpbmHeader(head);
      withinPixelLimit(header.width, header.height, maxPixels);
      const expected = header.width * header.height * (header.format === 'pgm' ? 1 : 3);
      if (size - header.offset < expected) {
        throw new NetpbmError(
          `PGM/PPM file is truncated: ${size - header.offset} of ${expected} pixel bytes`,
        );
      }
      return { format: header.format, extension: header.format, width: header.width, height: header.height };
    } catch (error) {
      if (error instanceof NetpbmError) throw new ImageRejectedError(error.message);
      throw error;
    }
  }
  let metadata: sharp.Metadata;
  try {
    metadata = await sharp(input, { limitInputPixels: false }).metadata();
  } catch {
    throw new ImageRejectedError(`file is ${describe(head)}`);
  }
  const format = metadata.format as string;
  if (!(format in IMAGE_EXTENSIONS) || format === 'pgm' || format === 'ppm') {
    throw new ImageRejectedError(
      format === 'svg' ? 'file is an SVG drawing, not a photo' : `image format "${format}" is not accepted`,
    );
  }
  const width = metadata.width ?? 0;
  const height = metadata.pageHeight ?? metadata.height ?? 0;
  if (width < 1 || height < 1) throw new ImageRejectedError('image has no pixels');
  withinPixelLimit(width, height, maxPixels);
  try {
    // Decode every pixel (into a small thumbnail): a truncated or corrupt file fails here. libvips
    // reports much damage only as a warning ("premature end of data segment" for a JPEG whose header
    // claims more pixels than its data holds), so warnings fail too; every photo of the shared sets
    // decodes without one.
    await sharp(input, { limitInputPixels: maxPixels, failOn: 'warning' })
      .resize({ width: 64, height: 64, fit: 'inside' })
      .raw()
      .toBuffer();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new ImageRejectedError(`image data is corrupt or truncated (${message.split('\n')[0]})`);
  }
  const typed = format as ImageFormat;
  return { format: typed, extension: IMAGE_EXTENSIONS[typed], width, height };
}
