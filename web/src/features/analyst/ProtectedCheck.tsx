import { Page } from '../../ui/Page';

/** Placeholder: filled in by the screen's work. */
export default function ProtectedCheck() {
  return <Page title="ProtectedCheck">…</Page>;
}
