// Photo bytes → upright RGB pixels (EXIF orientation applied), for detection and cropping.

import { decodeNetpbm, isNetpbm, NetpbmError } from '@faceshot/core/images/netpbm';
import { ImageRejectedError } from '@faceshot/core/images/probe-image';
import sharp from 'sharp';
import type { RgbImage } from '../detect-faces.js';

/** A sharp pipeline over the photo, whatever its format (PGM/PPM are decoded here, not by sharp). */
export function sharpOf(data: Buffer, maxPixels: number): sharp.Sharp {
  if (isNetpbm(data)) {
    try {
      const image = decodeNetpbm(data);
      if (image.width * image.height > maxPixels) {
        throw new ImageRejectedError(
          `image is ${image.width}x${image.height}, over ${maxPixels} pixels (IMAGE_MAX_PIXELS)`,
        );
      }
      return sharp(image.pixels, {
        raw: { width: image.width, height: image.height, channels: image.channels },
      });
    } catch (error) {
      if (error instanceof NetpbmError) throw new ImageRejectedError(error.message);
      throw error;
    }
  }
  return sharp(data, { limitInputPixels: maxPixels, failOn: 'truncated' }).rotate();
}

export async function decodeToRgb(data: Buffer, maxPixels: number): Promise<RgbImage> {
  try {
    const { data: pixels, info } = await sharpOf(data, maxPixels)
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels === 3) return { data: pixels, width: info.width, height: info.height };
    // Grey photos come back with one band: spread it to three.
    const rgb = Buffer.alloc(info.width * info.height * 3);
    for (let index = 0; index < info.width * info.height; index++) {
      const value = pixels[index * info.channels] ?? 0;
      rgb[index * 3] = value;
      rgb[index * 3 + 1] = value;
      rgb[index * 3 + 2] = value;
    }
    return { data: rgb, width: info.width, height: info.height };
  } catch (error) {
    if (error instanceof ImageRejectedError) throw error;
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new ImageRejectedError(`image cannot be decoded (${message})`);
  }
}
