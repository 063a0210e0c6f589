import { Page } from '../../ui/Page';

/** Placeholder: filled in by the screen's work. */
export default function AuditSearch() {
  return <Page title="AuditSearch">…</Page>;
}
