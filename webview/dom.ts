// The few DOM helpers the panel's renderers share: elements with attributes and children,
// buttons that follow an ActionState, lists. createElement and textContent only (no innerHTML).
import type { ActionState } from '../src/sessionview/panel-protocol';

export type Child = Node | string | undefined | false;

export function h(tag: string, attrs: Record<string, string | undefined> = {}, ...children: Child[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) el.setAttribute(k, v);
  for (const c of children) if (c !== undefined && c !== false) el.append(c);
  return el;
}

export function button(
  text: string,
  state: ActionState,
  onClick: () => void,
  opts: { secondary?: boolean; name?: string } = {},
): HTMLElement | undefined {
  if (state.hidden) return undefined;
  const b = h(
    'vscode-button',
    { ...(opts.secondary ? { secondary: '' } : {}), ...(opts.name ? { 'aria-label': opts.name } : {}) },
    text,
  );
  if (!state.enabled) {
    b.setAttribute('disabled', '');
    // Said on the element itself too, so that every assistive technology (and test) reads it as disabled.
    b.setAttribute('aria-disabled', 'true');
    b.title = state.reason ?? '';
    b.setAttribute('aria-description', state.reason ?? '');
  }
  b.addEventListener('click', () => state.enabled && onClick());
  return b;
}

export const list = (items: Child[], attrs: Record<string, string> = {}) =>
  h('ul', attrs, ...items.map((i) => h('li', {}, i)));
