// Join links: `vscode://devlane.devlane/join?context=…&namespace=…&session=…`. A link comes from
// outside the editor, so it is validated and the user confirms before anything happens.
import * as vscode from 'vscode';
import type { Clusters } from '../../cluster/api';
import type { Logger } from '../../core/logger';
import { joinQuestion, parseJoinLink, type SessionRef } from '../../sessionview/refs';
import { showError } from '../vscode-utils';

export class JoinUriHandler implements vscode.UriHandler {
  constructor(
    private readonly clusters: Clusters,
    private readonly join: (ref: SessionRef) => Promise<void>,
    private readonly logger: Logger,
    /** Why the link's context and namespace look like production, or undefined. */
    private readonly production: (where: { context: string; namespace: string }) => string | undefined = () =>
      undefined,
  ) {}

  async handleUri(uri: vscode.Uri): Promise<void> {
    try {
      const parsed = parseJoinLink(uri.path, uri.query);
      if ('problem' in parsed) {
        void vscode.window.showErrorMessage(`This Devlane link cannot be used: ${parsed.problem}.`);
        return;
      }
      const { ref } = parsed;
      if (!this.clusters.kubeconfig.contexts.some((c) => c.name === ref.context)) {
        void vscode.window.showErrorMessage(
          `The link names context "${ref.context}", which is not in your kubeconfig. Nothing was changed. Add the context (or ask for a link with your context's name), then open the link again.`,
        );
        return;
      }
      const join = 'Join Session';
      const q = joinQuestion(ref, this.production(ref));
      const ok = q.warning
        ? await vscode.window.showWarningMessage(q.message, { modal: true, detail: q.detail }, join)
        : await vscode.window.showInformationMessage(q.message, { modal: true, detail: q.detail }, join);
      if (ok === join) await this.join(ref);
    } catch (err) {
      showError(err, this.logger);
    }
  }
}
