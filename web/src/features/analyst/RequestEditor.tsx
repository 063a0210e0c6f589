import { Page } from '../../ui/Page';

/** Placeholder: filled in by the screen's work. */
export default function RequestEditor() {
  return <Page title="RequestEditor">…</Page>;
}
