// Production-looking places in the editor: the settings read once per question, the plan shown
// before applying it there, the reason shown, and the question asked before orphaned sessions
// there are collected.
import * as vscode from 'vscode';
import type { Clusters } from '../../cluster/api';
import { productionReason } from '../../core/session/globs';
import type { Logger } from '../../core/logger';
import type { Plan } from '../../core/session/plan';
import type { Where } from '../../core/where';
import type { SessionsDefaults } from '../../session/sessions-at';
import { readConfig } from '../vscode-utils';

/** The production settings, as Sessions takes them. */
export function productionSettings(): { productionGlobs?: string[]; productionNamespaces?: string[] } {
  return {
    productionGlobs: readConfig('productionContexts'),
    productionNamespaces: readConfig('productionNamespaces'),
  };
}

/** What every Sessions the editor makes shares: the settings, and the plan dialog for production-looking places. */
export function sessionDefaults(logger: Logger): SessionsDefaults {
  return {
    logger,
    ...productionSettings(),
    routerImage: readConfig('router.image') || undefined,
    confirm: confirmPlan,
  };
}

/** The confirm-plan dialog for production-looking places: modal, with the full plan as detail. */
export async function confirmPlan(plan: Plan, text: string): Promise<boolean> {
  const apply = 'Apply Plan';
  const choice = await vscode.window.showWarningMessage(
    `${plan.namespace} in ${plan.context} looks like production. Apply this plan?`,
    { modal: true, detail: text },
    apply,
  );
  return choice === apply;
}

/** Why a context and namespace look like production (context name, server host or namespace), or undefined. */
export function productionReasonAt(clusters: Clusters, where: Where): string | undefined {
  let server: string | undefined;
  try {
    server = clusters.connection(where.context).context.server;
  } catch {
    server = undefined;
  }
  const s = productionSettings();
  return productionReason({ ...where, server }, { contexts: s.productionGlobs, namespaces: s.productionNamespaces });
}

/** A notification, not a modal: collection can wait until the user decides. */
export async function askToCollect(where: {
  context: string;
  namespace: string;
  reason: string;
  sessions: string[];
}): Promise<boolean> {
  const collect = 'Clean Up';
  const names = where.sessions.map((s) => `"${s}"`).join(', ');
  const choice = await vscode.window.showWarningMessage(
    `A participant's Lease expired (nobody renews it any more) in session${where.sessions.length === 1 ? '' : 's'} ${names} in ${where.context} / ${where.namespace}. This looks like production (${where.reason}), so Devlane does not clean up on its own. Clean up now (give back what departed participants took over; a session nobody is left in is stopped and its record deleted)?`,
    collect,
  );
  return choice === collect;
}
