import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';

const { recordWiringCheck } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 10 },
});

export interface WiringCheckInput {
  checkId: string;
  message: string;
}

export interface WiringCheckResult {
  checkId: string;
  message: string;
  stored: boolean;
}

/** The smallest end-to-end proof of the wiring: one activity writes one row with Kysely. */
export async function wiringCheckWorkflow(input: WiringCheckInput): Promise<WiringCheckResult> {
  const { workflowId, runId } = workflowInfo();
  const stored = await recordWiringCheck({ id: input.checkId, message: input.message, workflowId, runId });
  return { checkId: input.checkId, message: input.message, stored };
}
