// Where Devlane works: the kube context and namespace a command acts in. The Clusters view (which
// context comes first and which namespace is expanded), the session commands, the `devlane` debug
// configurations and the status bar all ask this one function, so they never disagree.

export interface Where {
  context: string;
  namespace: string;
}

/** What the user chose in Devlane (kept in the editor's state, never written to the kubeconfig). */
export interface WherePrefs {
  /** The context picked with Switch Context, if any. */
  activeContext(): string | undefined;
  /** The namespace picked with Set Default Namespace for this context, if any. */
  defaultNamespace(context: string): string | undefined;
}

/** What the kubeconfig says: its contexts (each naming a namespace, "default" when none) and current-context. */
export interface WhereKubeconfig {
  readonly contexts: readonly { name: string; namespace: string }[];
  readonly currentContext: string | undefined;
}

/**
 * The one fallback rule. Context: the one given (a tree row's, a launch configuration's), else the
 * one picked in Devlane while the kubeconfig still has it, else the kubeconfig's current-context;
 * none of these: undefined. Namespace: the one given, else the one picked for that context, else
 * the one the kubeconfig's context names, else "default" (as kubectl assumes).
 */
export function whereDevlaneWorks(
  prefs: WherePrefs,
  kubeconfig: WhereKubeconfig,
  given: { context: string; namespace?: string },
): Where;
export function whereDevlaneWorks(
  prefs: WherePrefs,
  kubeconfig: WhereKubeconfig,
  given?: Partial<Where>,
): Where | undefined;
export function whereDevlaneWorks(
  prefs: WherePrefs,
  kubeconfig: WhereKubeconfig,
  given: Partial<Where> = {},
): Where | undefined {
  const chosen = prefs.activeContext();
  const context =
    given.context ??
    (chosen && kubeconfig.contexts.some((c) => c.name === chosen) ? chosen : kubeconfig.currentContext);
  if (!context) return undefined;
  const namespace =
    given.namespace ??
    prefs.defaultNamespace(context) ??
    kubeconfig.contexts.find((c) => c.name === context)?.namespace ??
    'default';
  return { context, namespace };
}
