import { Page } from '../../ui/Page';

/** Placeholder: filled in by the screen's work. */
export default function AuditExport() {
  return <Page title="AuditExport">…</Page>;
}
