import { Page } from '../../ui/Page';

/** Placeholder: filled in by the screen's work. */
export default function Organizations() {
  return <Page title="Organizations">…</Page>;
}
