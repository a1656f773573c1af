// Join links: `vscode://devlane.devlane/join?context=…&namespace=…&session=…`. A link comes from
// outside the editor, so it is validated and the user confirms before anything happens.
import * as vscode from 'vscode';
import type { Clusters } from '../../cluster/api';
import type { Logger } from '../../core/logger';
import { parseJoinLink, type SessionRef } from '../../sessionview/refs';
import { showError } from '../vscode-utils';

export class JoinUriHandler implements vscode.UriHandler {
  constructor(
    private readonly clusters: Clusters,
    private readonly join: (ref: SessionRef) => Promise<void>,
    private readonly logger: Logger,
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
        void vscode.window.showErrorMessage(`The link names context "${ref.context}", which is not in your kubeconfig. Nothing was changed. Add the context (or ask for a link with your context's name), then open the link again.`);
        return;
      }
      const join = 'Join Session';
      const ok = await vscode.window.showInformationMessage(`Join session ${ref.session} in ${ref.context} / ${ref.namespace}?`, { modal: true, detail: 'You become a participant: you get its route key, and can take over services in it.' }, join);
      if (ok === join) await this.join(ref);
    } catch (err) {
      showError(err, this.logger);
    }
  }
}
