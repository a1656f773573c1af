// The session panel's HTML: a Content Security Policy with `default-src 'none'` and a fresh nonce,
// and no script or style element that lacks that nonce (no inline code runs without it).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { contentSecurityPolicy, newNonce, panelHtml } from '../../../src/sessionview/panel-html';

const cspSource = 'https://file+.vscode-resource.vscode-cdn.net';
const scriptUri = `${cspSource}/ext/dist/webview.js`;

describe('session panel HTML', () => {
  it('has a CSP that allows nothing by default, our script and style by nonce, styles and fonts from the webview origin', () => {
    const nonce = newNonce();
    const html = panelHtml({ cspSource, nonce, scriptUri, title: 'Devlane session s1' });
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1];
    assert.ok(csp, 'a CSP meta element');
    assert.equal(csp, contentSecurityPolicy(cspSource, nonce));
    const directives = Object.fromEntries(
      csp
        .split(';')
        .map((d) => d.trim().split(/\s+/))
        .map(([k, ...v]) => [k, v]),
    );
    assert.deepEqual(directives['default-src'], ["'none'"]);
    assert.deepEqual(directives['script-src'], [`'nonce-${nonce}'`]);
    assert.deepEqual(directives['style-src'], [cspSource, `'nonce-${nonce}'`]);
    assert.deepEqual(directives['font-src'], [cspSource]);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
  });

  it('carries the nonce on every script and style element, and has no inline handlers', () => {
    const nonce = newNonce();
    const html = panelHtml({ cspSource, nonce, scriptUri, title: 't' });
    const scripts = [...html.matchAll(/<script\b([^>]*)>/g)].map((m) => m[1]);
    assert.equal(scripts.length, 1);
    for (const attrs of scripts) {
      assert.match(attrs, new RegExp(`nonce="${nonce.replace(/[+/=]/g, '\\$&')}"`));
      assert.match(
        attrs,
        new RegExp(`src="${scriptUri.replace(/[.+]/g, '\\$&')}"`),
        'the script is our bundle, not inline code',
      );
    }
    const inline = [...html.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)].map((m) => m[1].trim());
    assert.deepEqual(inline, [''], 'no inline script body');
    for (const m of html.matchAll(/<style\b([^>]*)>/g)) assert.match(m[1], /nonce="/);
    assert.doesNotMatch(html, /\son[a-z]+=/i, 'no inline event handlers');
    assert.doesNotMatch(html, /style="/, 'no inline style attributes');
  });

  it('uses theme colours only', () => {
    const html = panelHtml({ cspSource, nonce: newNonce(), scriptUri, title: 't' });
    assert.doesNotMatch(html, /#[0-9a-f]{3,8}\b|rgb\(|hsl\(/i);
    assert.match(html, /var\(--vscode-foreground\)/);
  });

  it('makes a new crypto-random nonce for every page', () => {
    const seen = new Set(Array.from({ length: 50 }, newNonce));
    assert.equal(seen.size, 50);
    for (const n of seen) assert.equal(Buffer.from(n, 'base64').length, 16);
    assert.throws(() => panelHtml({ cspSource, nonce: 'abc', scriptUri, title: 't' }), /nonce/);
  });

  it('escapes what it is given', () => {
    const html = panelHtml({ cspSource, nonce: newNonce(), scriptUri, title: '<img src=x onerror=alert(1)>' });
    assert.doesNotMatch(html, /<img/);
  });
});
