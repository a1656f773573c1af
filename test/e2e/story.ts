// The end of an e2e story that walks one editor through a session in a shop of its own (its after()).
import assert from 'node:assert/strict';
import { type EditorSession, leftovers, type Steps } from './harness/index';
import { cli, kubectl } from '../helpers/session';
import type { Shop } from '../helpers/shop';

/**
 * A session a failure left is stopped with the CLI; the editor and the shop go; the step times and
 * figures are printed; and no process the story started is left.
 */
export async function endStory(o: {
  name: string;
  ns: string;
  session: string;
  editor: EditorSession | undefined;
  shop: Shop | undefined;
  steps: Steps;
  figures: string[];
  say: (line: string) => void;
}): Promise<void> {
  if (o.session && kubectl(['get', 'configmap', `devlane-session-${o.session}`, '-n', o.ns]).code === 0)
    o.say(
      `after a failure, stopped session ${o.session} with the CLI (exit ${cli(['-n', o.ns, 'stop', o.session, '--yes']).code})`,
    );
  await o.editor?.close();
  o.shop?.cleanup();
  console.log(o.steps.report());
  if (o.figures.length)
    console.log(`${o.name}: figures (measured, not asserted)\n${o.figures.map((f) => `  ${f}`).join('\n')}`);
  assert.deepEqual(leftovers(), [], 'every process the suite started has ended');
}
