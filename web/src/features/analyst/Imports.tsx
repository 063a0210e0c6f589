import { Page } from '../../ui/Page';

/** Placeholder: filled in by the screen's work. */
export default function Imports() {
  return <Page title="Imports">…</Page>;
}
