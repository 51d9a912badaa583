/**
 * The benchmark's baseline for an Update's round trip (bench/shapes.ts): a workflow whose Update
 * does nothing but answer. Run by a worker of the benchmark itself, on its own task queue, against
 * the server measured.
 */
import { condition, defineSignal, defineUpdate, setHandler } from '@temporalio/workflow';

export const pingUpdate = defineUpdate<number, [number]>('ping');
export const stopPingSignal = defineSignal('stopPing');

export async function pingWorkflow(): Promise<void> {
  let stopped = false;
  setHandler(pingUpdate, (n: number) => n);
  setHandler(stopPingSignal, () => {
    stopped = true;
  });
  await condition(() => stopped);
}
