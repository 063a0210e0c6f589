import { Page } from '../../ui/Page';

/** Placeholder: filled in by the screen's work. */
export default function Webhooks() {
  return <Page title="Webhooks">…</Page>;
}
