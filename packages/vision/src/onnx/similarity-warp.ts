// The 5-point alignment of ArcFace-class recognition nets: the similarity transform (rotation, one
// scale, translation; no shear, no reflection) that moves the face's five points nearest, in least
// squares, onto the 112×112 template. A 3-point affine warp instead (the stand-in package's) shears
// faces and cost 0.045 AUC on lfw-dev in the measurement.

export type Point = readonly [number, number];

/** dst = [[a, −b], [b, a]] · src + [tx, ty]: scale √(a²+b²), angle atan2(b, a). */
export interface Similarity {
  a: number;
  b: number;
  tx: number;
  ty: number;
}

/**
 * The least-squares similarity from `source` onto `target` (Umeyama's closed form without the
 * reflection case): centre both point sets, then a = Σ(p·q)/Σ|p|², b = Σ(p×q)/Σ|p|².
 */
export function fitSimilarity(source: readonly Point[], target: readonly Point[]): Similarity {
  if (source.length !== target.length || source.length < 2)
    throw new Error(`a similarity needs two or more point pairs (got ${source.length} and ${target.length})`);
  const count = source.length;
  const mean = (points: readonly Point[]) =>
    points.reduce<[number, number]>((sum, [x, y]) => [sum[0] + x / count, sum[1] + y / count], [0, 0]);
  const [sx, sy] = mean(source);
  const [qx, qy] = mean(target);
  let dot = 0;
  let cross = 0;
  let norm = 0;
  for (let index = 0; index < count; index++) {
    const [px, py] = source[index] as Point;
    const [tx, ty] = target[index] as Point;
    const [ux, uy] = [px - sx, py - sy];
    const [vx, vy] = [tx - qx, ty - qy];
    dot += ux * vx + uy * vy;
    cross += ux * vy - uy * vx;
    norm += ux * ux + uy * uy;
  }
  if (!(norm > 1e-12)) throw new Error('the source points coincide: no similarity fits them');
  const a = dot / norm;
  const b = cross / norm;
  return { a, b, tx: qx - (a * sx - b * sy), ty: qy - (b * sx + a * sy) };
}

export function applySimilarity(transform: Similarity, [x, y]: Point): [number, number] {
  const { a, b, tx, ty } = transform;
  return [a * x - b * y + tx, b * x + a * y + ty];
}

/** The inverse map as a 2×3 affine [m00, m01, m02, m10, m11, m12]: target pixel → source pixel. */
export function inverseAffine(transform: Similarity): Affine {
  const { a, b, tx, ty } = transform;
  const scale = a * a + b * b;
  if (!(scale > 1e-24)) throw new Error('a similarity of scale 0 has no inverse');
  const [ia, ib] = [a / scale, b / scale];
  // src = [[a, b], [−b, a]]/s² · (dst − t)
  return [ia, ib, -(ia * tx + ib * ty), -ib, ia, -(-ib * tx + ia * ty)];
}

/** [m00, m01, m02, m10, m11, m12]: x' = m00·u + m01·v + m02, y' = m10·u + m11·v + m12. */
export type Affine = readonly [number, number, number, number, number, number];

/**
 * The five alignment points from 68 iBUG landmarks (0-based): each eye's centre from its four lid
 * points (37, 38, 40, 41 and 43, 44, 46, 47: the corners sit off the pupil line), the nose tip 30, and
 * each mouth corner as the mean of its outer and inner corner (48 with 60, 54 with 64).
 */
/** The five alignment points of 68 landmarks, or five keypoints as they are (a detector's own). */
export function fivePoints(landmarks: readonly Point[]): [number, number][] {
  if (landmarks.length === 5) return landmarks.map(([x, y]) => [x, y]);
  return fivePointsFrom68(landmarks);
}

export function fivePointsFrom68(landmarks: readonly Point[]): [number, number][] {
  if (landmarks.length !== 68) throw new Error(`expected 68 landmarks, got ${landmarks.length}`);
  const mean = (indices: number[]): [number, number] => {
    let [x, y] = [0, 0];
    for (const index of indices) {
      const point = landmarks[index] as Point;
      x += point[0] / indices.length;
      y += point[1] / indices.length;
    }
    return [x, y];
  };
  return [mean([37, 38, 40, 41]), mean([43, 44, 46, 47]), mean([30]), mean([48, 60]), mean([54, 64])];
}
