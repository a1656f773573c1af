// Debian's Chromium, driven by playwright-core. The flags keep a headless Chromium from reaching
// for Google's services, which a closed network refuses at every start.
import { chromium, type Browser, type Page } from 'playwright-core';
import type { Tools } from './tools';

export const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function launchBrowser(tools: Pick<Tools, 'chromium'>): Promise<Browser> {
  return chromium.launch({ executablePath: tools.chromium, headless: true, args: chromiumArgs });
}

/**
 * A page as a person would have it: a desktop monitor's window, tall enough that the Clusters view
 * shows the demo's two namespaces expanded (twelve services) beside an open Sessions view, as a
 * person would make it by dragging the views apart; clipboard allowed (Copy Name).
 */
export async function newWorkbenchPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext({
    viewport: { width: 1440, height: 1600 },
    permissions: ['clipboard-read', 'clipboard-write'],
  });
  return context.newPage();
}
