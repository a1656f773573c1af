// The one error base. Every error Devlane explains to a person says what happened (message) and
// what to do next (hint), keeps what caused it (cause), and is read whole (`full`, or `fullOn` a
// surface) in a message box, a tree row's tooltip or the CLI. Each layer extends it with the cases
// its callers act on (ClusterError's kind, SessionError's and DebugError's code); callers test
// `instanceof`.

/** Where a message is read: the editor (views, notifications) or the `devlane` CLI. */
export type Surface = 'editor' | 'cli';

export interface ErrorOptions {
  cause?: unknown;
  /** The hint for the CLI, where the editor's (Refresh, Retry, the Devlane log) names nothing the user has. */
  cliHint?: string;
}

export abstract class DevlaneError extends Error {
  readonly cliHint?: string;

  constructor(
    message: string,
    readonly hint: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.cliHint = options?.cliHint;
  }

  /** The whole text for a message box or tooltip. */
  get full(): string {
    return this.fullOn('editor');
  }

  hintOn(surface: Surface): string {
    return surface === 'cli' ? (this.cliHint ?? this.hint) : this.hint;
  }

  /** The whole text where it is read: the message, then the hint. */
  fullOn(surface: Surface): string {
    const hint = this.hintOn(surface);
    return hint ? `${this.message}. ${hint}` : this.message;
  }
}
