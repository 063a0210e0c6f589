import { Page } from '../../ui/Page';

/** Placeholder: filled in by the screen's work. */
export default function ProtectedLists() {
  return <Page title="ProtectedLists">…</Page>;
}
