import { Page } from '../../ui/Page';

/** Placeholder: filled in by the screen's work. */
export default function AuditVerify() {
  return <Page title="AuditVerify">…</Page>;
}
