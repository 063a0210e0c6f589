/**
 * The page's CSP allows styles from this origin and `<style>` elements carrying the nonce the
 * service put in `<meta name="csp-nonce">` (a new one per page load). antd's CSS-in-JS takes it
 * from ConfigProvider's `csp`, but some of its components (a table measuring the scroll bar, a
 * modal locking the page's scroll) insert a `<style>` of their own without it, which the
 * browser then refuses. This gives every `<style>` element the page creates the nonce at
 * creation. Only the console's own scripts run (`script-src 'self'`), so this lets no one else
 * style the page.
 */
export function nonceForCreatedStyles(): string | undefined {
  const nonce = document.querySelector<HTMLMetaElement>('meta[name="csp-nonce"]')?.content;
  if (!nonce || nonce === '__CSP_NONCE__') return undefined;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called on its document below
  const create = Document.prototype.createElement;
  Document.prototype.createElement = function (
    this: Document,
    tagName: string,
    options?: ElementCreationOptions,
  ): HTMLElement {
    const element = create.call(this, tagName, options);
    if (tagName.toLowerCase() === 'style') element.setAttribute('nonce', nonce);
    return element;
  };
  return nonce;
}
