// The session panel's HTML: a strict Content Security Policy (nothing by default; our script and
// our one style element by nonce; styles and fonts from the webview's own resource origin), one
// script (dist/webview.js) and a root element the script fills. Pure, so a plain-Node test checks
// the policy; src/ui/session/panel.ts passes in the webview's cspSource and URIs.
import { randomBytes } from 'node:crypto';

export interface PanelHtmlInput {
  /** `webview.cspSource` */
  cspSource: string;
  /** A fresh nonce per page (see newNonce). */
  nonce: string;
  /** The webview URI of dist/webview.js. */
  scriptUri: string;
  title: string;
}

/** 128 random bits, base64: the nonce for one page load. */
export function newNonce(): string {
  return randomBytes(16).toString('base64');
}

const escAttr = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    `default-src 'none'`,
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `font-src ${cspSource}`,
  ].join('; ');
}

export function panelHtml(i: PanelHtmlInput): string {
  if (!/^[A-Za-z0-9+/=]{16,}$/.test(i.nonce))
    throw new Error('panelHtml needs a base64 nonce of at least 16 characters');
  const nonce = escAttr(i.nonce);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escAttr(contentSecurityPolicy(i.cspSource, i.nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>${escAttr(i.title)}</title>
<style nonce="${nonce}">${panelCss}</style>
</head>
<body>
<main id="root" aria-live="polite" aria-busy="true"><p>Loading the session…</p></main>
<script nonce="${nonce}" src="${escAttr(i.scriptUri)}"></script>
</body>
</html>`;
}

/** Theme colours only (var(--vscode-*)), so the panel follows light, dark and high-contrast themes. */
const panelCss = `
body { color: var(--vscode-foreground); background: var(--vscode-editor-background); font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); padding: 0 16px 24px; }
h1 { font-size: 1.4em; font-weight: 600; margin: 12px 0 2px; }
h2 { font-size: 1.1em; font-weight: 600; margin: 20px 0 6px; border-bottom: 1px solid var(--vscode-panel-border, var(--vscode-widget-border, transparent)); padding-bottom: 4px; }
h3 { font-size: 1em; font-weight: 600; margin: 12px 0 4px; }
.sub, .note { color: var(--vscode-descriptionForeground); }
.row { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; margin: 4px 0; }
.problem-warning { color: var(--vscode-editorWarning-foreground); }
.problem-error { color: var(--vscode-errorForeground); }
.ok { color: var(--vscode-testing-iconPassed, var(--vscode-foreground)); }
code, pre { font-family: var(--vscode-editor-font-family); font-size: var(--vscode-editor-font-size); background: var(--vscode-textCodeBlock-background); padding: 1px 4px; border-radius: 3px; }
pre { padding: 8px; white-space: pre-wrap; word-break: break-all; max-height: 24em; overflow: auto; }
table { border-collapse: collapse; margin: 4px 0; }
th, td { text-align: left; padding: 2px 10px 2px 0; vertical-align: top; }
th { color: var(--vscode-descriptionForeground); font-weight: normal; }
ul { margin: 4px 0; padding-left: 20px; }
.service { border-left: 2px solid var(--vscode-panel-border, var(--vscode-widget-border, transparent)); padding-left: 10px; margin: 10px 0; }
.form { display: grid; grid-template-columns: max-content 1fr; gap: 6px 10px; align-items: center; max-width: 720px; }
.form vscode-textarea { width: 100%; }
.result { margin-top: 10px; }
a { color: var(--vscode-textLink-foreground); }
.trace { border-left: 3px solid var(--vscode-panel-border, transparent); padding-left: 10px; margin: 8px 0; }
.trace-ok { border-left-color: var(--vscode-testing-iconPassed, var(--vscode-focusBorder)); }
.trace-broken, .trace-failed { border-left-color: var(--vscode-errorForeground); }
.trace-graph { display: flex; flex-wrap: wrap; gap: 4px; align-items: center; margin: 6px 0; }
.trace-node { border: 1px solid var(--vscode-widget-border, var(--vscode-panel-border, currentColor)); border-radius: 3px; padding: 1px 6px; }
.trace-node.ok { color: var(--vscode-testing-iconPassed, var(--vscode-foreground)); }
.trace-node.broken { color: var(--vscode-errorForeground); border-color: var(--vscode-errorForeground); }
.trace-node.unreached { color: var(--vscode-descriptionForeground); border-style: dashed; }
.trace-arrow { color: var(--vscode-descriptionForeground); }
:focus-visible { outline: 1px solid var(--vscode-focusBorder); }
`;
