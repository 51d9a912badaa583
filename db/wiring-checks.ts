/** Repository function for the rows wiring checks write. */
import type { Db } from '.';
import type { WiringCheck } from './types';

export async function getWiringCheck(db: Db, id: string): Promise<WiringCheck | undefined> {
  return db.selectFrom('wiring_checks').selectAll().where('id', '=', id).executeTakeFirst();
}
