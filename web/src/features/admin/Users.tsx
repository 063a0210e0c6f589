import { Page } from '../../ui/Page';

/** Placeholder: filled in by the screen's work. */
export default function Users() {
  return <Page title="Users">…</Page>;
}
