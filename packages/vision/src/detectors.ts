// The detectors of this process (or thread), each loaded on first use and kept.

import type { DetectorName } from '@faceshot/core/engines/detector-name';
import { loadBlazeFaceDetector } from './blazeface-detector.js';
import type { FaceDetector } from './face-detector.js';
import type { FaceEngine } from './face-engine.js';
import { loadSsdDetector, loadTinyDetector } from './faceapi-detectors.js';

const loaded = new Map<DetectorName, Promise<FaceDetector>>();

export function loadDetector(engine: FaceEngine, name: DetectorName): Promise<FaceDetector> {
  let detector = loaded.get(name);
  if (detector === undefined) {
    detector =
      name === 'blazeface'
        ? loadBlazeFaceDetector(engine.tf)
        : name === 'ssd'
          ? loadSsdDetector(engine)
          : loadTinyDetector(engine);
    // A failed load is not kept: the next photo tries again.
    detector.catch(() => loaded.delete(name));
    loaded.set(name, detector);
  }
  return detector;
}
