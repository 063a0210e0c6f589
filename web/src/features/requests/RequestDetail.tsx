import { Page } from '../../ui/Page';

/** Placeholder: filled in by the screen's work. */
export default function RequestDetail() {
  return <Page title="RequestDetail">…</Page>;
}
