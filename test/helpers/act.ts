/**
 * Sends a person's action straight to a project workflow as an Update, then reads the project by
 * query. The Update answers only a small ActionResult (it is recorded in history); whoever needs
 * the whole state reads it with a query, as the API does.
 */
import type { WorkflowHandle } from '@temporalio/client';
import * as m from '../../workflows/messages';

export async function actAndRead<T extends m.PersonEventType>(handle: WorkflowHandle, type: T, command: m.Command<T>): Promise<m.ProjectView> {
  const result = (await handle.executeUpdate(m.PERSON_UPDATES[type] as never, { args: [command] as never })) as m.ActionResult;
  if (typeof result?.seq !== 'number' || 'state' in (result as object)) throw new Error(`the ${type} Update answered more than an ActionResult`);
  return handle.query(m.getProjectQuery);
}
