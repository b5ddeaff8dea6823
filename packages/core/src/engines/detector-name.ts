// The face detectors' names (the detectors are in @faceshot/vision, face-detector.ts). In core because
// the configuration module reads them and must not load TensorFlow.js.
/** blazeface is the default: measured the fastest and the most accurate of the three (README). */
export const DETECTOR_NAMES = ['blazeface', 'ssd', 'tiny'] as const;
export type DetectorName = (typeof DETECTOR_NAMES)[number];
export const DEFAULT_DETECTOR: DetectorName = 'blazeface';

export function isDetectorName(value: unknown): value is DetectorName {
  return typeof value === 'string' && (DETECTOR_NAMES as readonly string[]).includes(value);
}
