import { Page } from '../../ui/Page';

/** Placeholder: filled in by the screen's work. */
export default function Approvals() {
  return <Page title="Approvals">…</Page>;
}
