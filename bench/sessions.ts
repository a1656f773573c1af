// Alice's Sessions in a namespace of the benchmark's cluster, with the connections behind them
// (dispose `clusters` when done); `report` hears each step's progress line, as the editor would.
import { benchKubeconfig } from './target';
import { KubeClusters } from '../src/cluster/clusters';
import { nullLogger } from '../src/core/logger';
import { Sessions } from '../src/session/sessions';
import { contexts } from '../test/helpers/kubectl';

export function sessionsIn(namespace: string, report?: (m: string) => void) {
  const clusters = new KubeClusters({ setting: () => benchKubeconfig, env: {} }, { logger: nullLogger, idleMs: 0 });
  const conn = clusters.connection(contexts.alice);
  return {
    clusters,
    sessions: new Sessions({
      api: conn.objects,
      context: contexts.alice,
      namespace,
      participant: conn.context.user,
      logger: nullLogger,
      ...(report ? { report } : {}),
    }),
  };
}
