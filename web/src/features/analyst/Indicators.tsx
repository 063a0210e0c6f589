import { Page } from '../../ui/Page';

/** Placeholder: filled in by the screen's work. */
export default function Indicators() {
  return <Page title="Indicators">…</Page>;
}
