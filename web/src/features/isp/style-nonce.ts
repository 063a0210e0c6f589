/**
 * antd's Table (rc-table) measures the scrollbar on mount by inserting a <style> through
 * @rc-component/util's updateCSS without the ConfigProvider's nonce: the CSP blocks it and
 * Chromium logs a console error on every screen with a table. The measurement does not need that
 * style to work, but the error is real noise, so every <style> element created on this page
 * gets the page's style nonce (the one the service put in <meta name="csp-nonce">, which the
 * ConfigProvider already uses). This is a page-wide fix kept here until the shell adopts it
 * (web/src/app is shared): importing it twice patches once.
 */
const PATCHED = Symbol.for('threat-exchange.style-nonce');

export function applyStyleNonce(): void {
  const doc = document as Document & { [PATCHED]?: true };
  if (doc[PATCHED]) return;
  const nonce = document.querySelector<HTMLMetaElement>('meta[name="csp-nonce"]')?.content;
  if (!nonce) return;
  doc[PATCHED] = true;
  const create = document.createElement.bind(document);
  const withNonce = (tagName: string, options?: ElementCreationOptions): HTMLElement => {
    const element = create(tagName, options);
    if (element instanceof HTMLStyleElement && !element.nonce) element.nonce = nonce;
    return element;
  };
  document.createElement = withNonce;
}

applyStyleNonce();
