// A per-op profile of one function call (tf.profile): the time of every kernel it ran, summed per
// kernel name and input shapes, and the time spent outside kernels (JavaScript, tape bookkeeping).
import type * as TF from '@tensorflow/tfjs';

export interface KernelEntry {
  kernel: string;
  inputShapes: string;
  calls: number;
  ms: number;
}

export interface StepProfile {
  wallMs: number;
  kernelMs: number;
  /** Wall time minus the kernels' time: JavaScript around them, gradients' bookkeeping, random numbers. */
  outsideKernelsMs: number;
  kernelCalls: number;
  /** Largest first. */
  kernels: KernelEntry[];
}

const round = (value: number) => Math.round(value * 10) / 10;

export async function profileStep(tf: typeof TF, step: () => Promise<void> | void): Promise<StepProfile> {
  const started = performance.now();
  const info = await tf.profile(step);
  const wallMs = performance.now() - started;
  const entries = new Map<string, KernelEntry>();
  let kernelMs = 0;
  for (const kernel of info.kernels) {
    // tf.customGrad's wrapper: its time is that of the kernels it ran, which are listed themselves.
    if (kernel.name === 'forward') continue;
    const time = await kernel.kernelTimeMs;
    const ms = typeof time === 'number' ? time : 0;
    kernelMs += ms;
    const inputShapes = JSON.stringify(kernel.inputShapes);
    const key = `${kernel.name} ${inputShapes}`;
    const entry = entries.get(key) ?? { kernel: kernel.name, inputShapes, calls: 0, ms: 0 };
    entry.calls++;
    entry.ms += ms;
    entries.set(key, entry);
  }
  return {
    wallMs: round(wallMs),
    kernelMs: round(kernelMs),
    outsideKernelsMs: round(wallMs - kernelMs),
    kernelCalls: info.kernels.filter((kernel) => kernel.name !== 'forward').length,
    kernels: [...entries.values()]
      .map((entry) => ({ ...entry, ms: round(entry.ms) }))
      .sort((a, b) => b.ms - a.ms),
  };
}

/** Per kernel entry, the median over several profiles of the same step (a loaded machine is noisy). */
export function medianProfile(profiles: readonly StepProfile[], top: number): StepProfile {
  const median = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    const middle = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1
      ? (sorted[middle] ?? 0)
      : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
  };
  const keys = new Map<string, KernelEntry>();
  for (const profile of profiles)
    for (const entry of profile.kernels) keys.set(`${entry.kernel} ${entry.inputShapes}`, entry);
  const kernels = [...keys.entries()]
    .map(([key, entry]) => ({
      ...entry,
      ms: round(
        median(
          profiles.map(
            (profile) =>
              profile.kernels.find((other) => `${other.kernel} ${other.inputShapes}` === key)?.ms ?? 0,
          ),
        ),
      ),
    }))
    .sort((a, b) => b.ms - a.ms);
  return {
    wallMs: round(median(profiles.map((profile) => profile.wallMs))),
    kernelMs: round(median(profiles.map((profile) => profile.kernelMs))),
    outsideKernelsMs: round(median(profiles.map((profile) => profile.outsideKernelsMs))),
    kernelCalls: profiles[0]?.kernelCalls ?? 0,
    kernels: kernels.slice(0, top),
  };
}
