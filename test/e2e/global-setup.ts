/** The e2e project's own setup: a fresh build of the console (web/ → dist/console) when the sources changed. */
import { buildConsole } from '../../scripts/build-console';

export default async function setup() {
  const ok = await buildConsole({ info: (m) => process.stdout.write(`${m}\n`), warn: (m) => process.stderr.write(`${m}\n`) });
  if (!ok) throw new Error('the web console could not be built (see above)');
}
