import { Page } from '../../ui/Page';

/** Placeholder: filled in by the screen's work. */
export default function ApiClients() {
  return <Page title="ApiClients">…</Page>;
}
