/**
 * The k smallest (distance, row) pairs seen so far, in a binary max-heap on typed arrays: a scan over n
 * rows costs O(n log k) and most rows are turned away by one comparison with `worst`. Ties are broken
 * by row number (the lower row wins), so results never depend on the order rows were offered in.
 */
export class TopK {
  readonly capacity: number;
  private readonly distances: Float64Array;
  private readonly rows: Uint32Array;
  private count = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.distances = new Float64Array(capacity);
    this.rows = new Uint32Array(capacity);
  }

  /** The distance a new row must beat (or tie with a lower row number) to get in; Infinity until full. */
  get worst(): number {
    return this.count < this.capacity ? Number.POSITIVE_INFINITY : (this.distances[0] as number);
  }

  offer(distance: number, row: number): void {
    if (this.capacity === 0) return;
    if (this.count < this.capacity) {
      this.siftUp(this.count, distance, row);
      this.count += 1;
      return;
    }
    if (!this.before(distance, row, this.distances[0] as number, this.rows[0] as number)) return;
    this.siftDown(distance, row);
  }

  /** What was kept, nearest first. */
  sorted(): { distances: number[]; rows: number[] } {
    const order = Array.from({ length: this.count }, (_, index) => index);
    order.sort((a, b) => {
      const byDistance = (this.distances[a] as number) - (this.distances[b] as number);
      return byDistance !== 0 ? byDistance : (this.rows[a] as number) - (this.rows[b] as number);
    });
    return {
      distances: order.map((index) => this.distances[index] as number),
      rows: order.map((index) => this.rows[index] as number),
    };
  }

  /** Whether (distance, row) sorts before (otherDistance, otherRow). */
  private before(distance: number, row: number, otherDistance: number, otherRow: number): boolean {
    return distance < otherDistance || (distance === otherDistance && row < otherRow);
  }

  private siftUp(start: number, distance: number, row: number): void {
    let index = start;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      const parentDistance = this.distances[parent] as number;
      const parentRow = this.rows[parent] as number;
      if (!this.before(parentDistance, parentRow, distance, row)) break;
      this.distances[index] = parentDistance;
      this.rows[index] = parentRow;
      index = parent;
    }
    this.distances[index] = distance;
    this.rows[index] = row;
  }

  /** Replaces the root (the current worst) and restores the heap below it. */
  private siftDown(distance: number, row: number): void {
    let index = 0;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= this.count) break;
      const right = left + 1;
      let child = left;
      if (
        right < this.count &&
        this.before(
          this.distances[left] as number,
          this.rows[left] as number,
          this.distances[right] as number,
          this.rows[right] as number,
        )
      ) {
        child = right;
      }
      const childDistance = this.distances[child] as number;
      const childRow = this.rows[child] as number;
      if (!this.before(distance, row, childDistance, childRow)) break;
      this.distances[index] = childDistance;
      this.rows[index] = childRow;
      index = child;
    }
    this.distances[index] = distance;
    this.rows[index] = row;
  }
}
