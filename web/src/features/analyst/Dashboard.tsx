import { Page } from '../../ui/Page';

/** Placeholder: filled in by the screen's work. */
export default function Dashboard() {
  return <Page title="Dashboard">…</Page>;
}
