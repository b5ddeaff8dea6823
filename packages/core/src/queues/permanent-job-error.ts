/**
 * A failure that retrying cannot fix (a 404, a file that is not an image, a refused address). Stages
 * throw it; the worker wrapper fails the job at once with this message instead of retrying.
 */
export class PermanentJobError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentJobError';
  }
}
