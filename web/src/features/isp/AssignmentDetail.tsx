import { Page } from '../../ui/Page';

/** Placeholder: filled in by the screen's work. */
export default function AssignmentDetail() {
  return <Page title="AssignmentDetail">…</Page>;
}
